/**
 * Which AWS job of which generation each Start* call of the emulator's log belongs to. A job is a
 * stage's main run, named by the stage id, or an extra run inside a stage (`silver_customers:crawler`).
 * Calls carrying an idempotency key (Glue --medallion_run_key, EMR / AppFlow clientToken, Redshift
 * Data ClientToken) name their stage and generation through core/run-key.ts; the DMS task and the Glue
 * crawler take no key, so they are attributed by resource and count for the generation of the run
 * whose calls are examined.
 */
import { stageRunKey } from '../../../core/run-key';
import type { StartCall } from '../../../emulator/scripting/start-call-log';
import { shopEmulatorNames } from '../../../emulator/shop-emulator-config';

const MAX_GENERATION = 9;

export interface AttributedStart {
  jobId: string;
  /** From the key; undefined for unkeyed calls (DMS, crawler). */
  generation?: number;
  call: StartCall;
}

export interface StageKeyBook {
  workflowId: string;
  stageIds: string[];
  /** Resource -> job id for unkeyed Start* calls. */
  unkeyed: Record<string, string>;
}

const CRAWLER_JOB = 'silver_customers:crawler';

export function shopKeyBook(workflowId: string, stageIds: string[]): StageKeyBook {
  return {
    workflowId,
    stageIds,
    unkeyed: {
      [shopEmulatorNames.dmsTask]: 'ingest_oltp',
      [shopEmulatorNames.silverCrawler]: CRAWLER_JOB,
    },
  };
}

/** The calls of this workflow id's stages; keyed calls of other workflow ids and ad-hoc queries are left out. */
export function attributeStarts(calls: StartCall[], book: StageKeyBook): AttributedStart[] {
  const byKey = new Map<string, { jobId: string; generation: number }>();
  for (const stageId of book.stageIds)
    for (let generation = 0; generation <= MAX_GENERATION; generation++)
      byKey.set(stageRunKey(book.workflowId, stageId, generation), { jobId: stageId, generation });
  const attributed: AttributedStart[] = [];
  for (const call of calls) {
    const keyed = call.idempotencyKey ? byKey.get(call.idempotencyKey) : undefined;
    if (keyed) attributed.push({ ...keyed, call });
    else if (!call.idempotencyKey && book.unkeyed[call.resource])
      attributed.push({ jobId: book.unkeyed[call.resource]!, call });
  }
  return attributed;
}

export function jobIds(book: StageKeyBook): string[] {
  return [...book.stageIds, ...Object.values(book.unkeyed).filter((id) => !book.stageIds.includes(id))];
}

/**
 * Runs actually started (outcome 'started') per job for one generation, among `calls` (a slice of the
 * log covering that generation's run when unkeyed jobs matter).
 */
export function startedPerJob(
  calls: StartCall[],
  book: StageKeyBook,
  generation: number,
): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(jobIds(book).map((id) => [id, 0]));
  for (const start of attributeStarts(calls, book)) {
    if (start.call.outcome !== 'started') continue;
    if (start.generation !== undefined && start.generation !== generation) continue;
    counts[start.jobId] = (counts[start.jobId] ?? 0) + 1;
  }
  return counts;
}

/** Every keyed (job, generation) started more than once: what must never happen. */
export function startedTwice(calls: StartCall[], book: StageKeyBook): string[] {
  const counts = new Map<string, number>();
  for (const start of attributeStarts(calls, book)) {
    if (start.call.outcome !== 'started' || start.generation === undefined) continue;
    const id = `${start.jobId} g${start.generation}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts.entries()].filter(([, n]) => n > 1).map(([id, n]) => `${id} started ${n} times`);
}
