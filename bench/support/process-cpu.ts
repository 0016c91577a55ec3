import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc/<pid>/stat times, 100 on Linux. */
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds of this process so far. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** User + system CPU seconds of another process so far (Linux /proc). */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat; after the ") " split, indexes 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** min / median / p95 / max / mean of a sample, for one line of a bench's output. */
export function summarize(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mean = Math.round(values.reduce((a, b) => a + b, 0) / values.length);
  return `min ${sorted[0]}, median ${at(0.5)}, p95 ${at(0.95)}, max ${sorted.at(-1)}, mean ${mean}`;
}
