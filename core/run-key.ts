/**
 * Idempotency keys for AWS calls. Deterministic in (workflow id, stage, generation) so that a retried
 * activity, a restarted worker or a replayed workflow finds the run it already started instead of
 * starting another; a deliberate rerun bumps the generation and so gets fresh keys.
 *
 * A job attempt after the first (a job retry, or a reset run replacing an AWS run that ended FAILED)
 * gets a key of its own, so it starts a new AWS run instead of attaching to the failed one; the first
 * attempt's key carries no attempt number.
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

export function stageRunKey(workflowId: string, stageId: string, generation: number, attempt = 1): string {
  const again = attempt > 1 ? `\u0000${attempt}` : '';
  const digest = fnv1a64(`${workflowId}\u0000${stageId}\u0000${generation}${again}`);
  const readable = `${stageId}`.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 36);
  const tag = attempt > 1 ? `-a${attempt}` : '';
  return `md-${readable}-g${generation}${tag}-${digest}`.slice(0, 64);
}

/**
 * The run key of a catch-up merge of several dates of one stage (planDimensionMerge): derived from the
 * members' own run keys, so the same members always make the same key (a retried or replayed plan
 * attaches to the statement it started) and any other set of members makes another.
 */
export function dimensionMergeRunKey(stageId: string, memberRunKeys: readonly string[]): string {
  const digest = fnv1a64(`${stageId}\u0000${memberRunKeys.join('\u0000')}`);
  const readable = `${stageId}`.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 36);
  return `md-${readable}-x${memberRunKeys.length}-${digest}`.slice(0, 64);
}
