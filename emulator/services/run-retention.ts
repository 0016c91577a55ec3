/**
 * The runs without their oldest finished ones beyond `kept`; runs still active always stay. Runs are
 * in start order. AWS forgets job runs after a retention period; the emulator bounds their number, so
 * a year of runs does not make every save rewrite an ever larger state file.
 */
export function withoutOldFinished<T>(runs: T[], isFinished: (run: T) => boolean, kept: number): T[] {
  const finished = runs.filter(isFinished);
  if (finished.length <= kept) return runs;
  const forgotten = new Set(finished.slice(0, finished.length - kept));
  return runs.filter((run) => !forgotten.has(run));
}
