/**
 * Idempotency keys for AWS calls. Deterministic in (workflow id, stage, generation) so that a retried
 * activity, a restarted worker or a replayed workflow finds the run it already started instead of
 * starting another; a deliberate rerun bumps the generation and so gets fresh keys.
 *
 * Pure (no node:crypto) so workflows and core can use it: FNV-1a 64-bit, hex, plus a readable prefix.
 * AWS limits: EMR Serverless clientToken <= 64 chars, Redshift Data ClientToken <= 64, AppFlow
 * clientToken <= 256 and [ -~]+; Glue argument values are free text.
 */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * prime) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

export function stageRunKey(workflowId: string, stageId: string, generation: number): string {
  const digest = fnv1a64(`${workflowId}\u0000${stageId}\u0000${generation}`);
  const readable = `${stageId}`.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 36);
  return `md-${readable}-g${generation}-${digest}`.slice(0, 64);
}
