/**
 * Splits records (in start order) into those kept and those forgotten: finished ones that have
 * `expired`, then the oldest finished beyond `kept`; records still active always stay. AWS forgets
 * job runs and statements after a retention period; the emulator also bounds their number, so a
 * year of runs does not make every save rewrite an ever larger state file.
 */
export function forgetOldFinished<T>(
  records: T[],
  options: { isFinished: (record: T) => boolean; kept: number; expired?: (record: T) => boolean },
): { kept: T[]; forgotten: T[] } {
  const finished = records.filter(options.isFinished);
  const live = finished.filter((record) => !options.expired?.(record));
  const stay = new Set(live.slice(Math.max(0, live.length - options.kept)));
  const forgotten = finished.filter((record) => !stay.has(record));
  if (forgotten.length === 0) return { kept: records, forgotten };
  const gone = new Set(forgotten);
  return { kept: records.filter((record) => !gone.has(record)), forgotten };
}
