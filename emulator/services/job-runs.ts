import type { RecordStore } from '../runtime/record-store';
import { forgetOldFinished } from './run-retention';
import type { ServiceContext } from './service-context';

/** What `state/<name>.json` keeps; an older emulator also kept every run there, grouped. */
interface JobRunsFile<R> {
  createdAt: number;
  runs?: Record<string, R[]>;
}

/**
 * A service's job runs, grouped by job (Glue) or application (EMR Serverless), each group in start
 * order. Each run is a record of its own (`state/<name>/<id>.json`); a group keeps its active runs and
 * at most `finishedJobRunsKept` finished ones.
 */
export class JobRuns<R extends { id: string }> {
  private constructor(
    readonly createdAt: number,
    private readonly records: RecordStore<R>,
    private readonly groups: Map<string, R[]>,
    private readonly kept: number,
    private readonly isFinished: (run: R) => boolean,
  ) {}

  /** Opens them; runs an older emulator kept inside the state file move into records first. */
  static async open<R extends { id: string }>(
    ctx: ServiceContext,
    name: string,
    options: { groupOf: (run: R) => string; isFinished: (run: R) => boolean },
  ): Promise<JobRuns<R>> {
    const createdAt = ctx.clock.now();
    const state = await ctx.openState<JobRunsFile<R>>(
      name,
      () => ({ createdAt }),
      (data) => ({ createdAt: data.createdAt }),
    );
    const records = await ctx.openRecords<R>(name, { idOf: (run) => run.id });
    const groups = new Map<string, R[]>();
    for (const run of await records.adopt(Object.values(state.data.runs ?? {}).flat())) {
      const group = options.groupOf(run);
      const runs = groups.get(group);
      if (runs) runs.push(run);
      else groups.set(group, [run]);
    }
    await state.save();
    return new JobRuns(
      state.data.createdAt,
      records,
      groups,
      ctx.config.finishedJobRunsKept,
      options.isFinished,
    );
  }

  runsOf(group: string): R[] {
    return this.groups.get(group) ?? [];
  }

  /** Adds a run just started, forgetting the group's oldest finished runs beyond those kept. */
  async add(group: string, run: R): Promise<void> {
    const { kept, forgotten } = forgetOldFinished(this.runsOf(group), {
      isFinished: this.isFinished,
      kept: this.kept,
    });
    this.groups.set(group, [...kept, run]);
    await Promise.all([this.records.save(run), ...forgotten.map((old) => this.records.remove(old))]);
  }

  /** Persists a run after a change. */
  save(run: R): Promise<void> {
    return this.records.save(run);
  }
}
