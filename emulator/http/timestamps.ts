/** JSON protocols' default timestamp format: epoch seconds, fractional for milliseconds. */
export function epochSeconds(ms: number): number;
export function epochSeconds(ms: number | undefined): number | undefined;
export function epochSeconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}

/** Reads a timestamp as the SDKs send it: epoch seconds (number or numeric string) or ISO-8601. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return value * 1000;
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}
