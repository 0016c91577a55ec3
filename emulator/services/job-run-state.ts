import type { RecordStore } from '../runtime/record-store';
import type { StateFile } from '../runtime/state-file';
import type { ServiceContext } from './service-context';

/** A service's job runs in memory, grouped by job (Glue) or application (EMR Serverless), in start order. */
export interface JobRunsState<R> {
  createdAt: number;
  runs: Record<string, R[]>;
}

export interface JobRunStore<R> {
  state: StateFile<JobRunsState<R>>;
  records: RecordStore<R>;
}

/**
 * Opens a service's job runs: its creation time stays in `state/<name>.json`, each run is a record of
 * its own in `state/<name>/`. Runs an older emulator kept inside the state file move into records.
 */
export async function openJobRuns<R extends { id: string }>(
  ctx: ServiceContext,
  name: string,
  groupOf: (run: R) => string,
): Promise<JobRunStore<R>> {
  const createdAt = ctx.clock.now();
  const state = await ctx.openState<JobRunsState<R>>(
    name,
    () => ({ createdAt, runs: {} }),
    (data) => ({ createdAt: data.createdAt }),
  );
  const records = await ctx.openRecords<R>(name, { idOf: (run) => run.id });
  const runs = await records.adopt(Object.values(state.data.runs ?? {}).flat());
  state.data.runs = {};
  for (const run of runs) (state.data.runs[groupOf(run)] ??= []).push(run);
  await state.save();
  return { state, records };
}
