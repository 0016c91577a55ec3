import type { S3Client } from '@aws-sdk/client-s3';
import { type GenerationEntry, RunStateStore, type StageDoneMarker } from '../../activities/run-state';
import type { StageResult } from '../../core/stage-io';
import { succeeded } from './mock-activities';

/** The run-state markers of the lake bucket, in memory: the real planning and backfill activities use it. */
export class MemoryRunState extends RunStateStore {
  private readonly generationsOf = new Map<string, GenerationEntry[]>();
  private readonly doneOf = new Map<string, Map<string, StageResult>>();
  /** Reads of the store: a request refused before any AWS call reads nothing. */
  reads = 0;
  /** Every done marker written, as `<date> <stage>`. */
  readonly marked: string[] = [];

  constructor() {
    super({} as S3Client, 'lake');
  }

  override generations(pipeline: string, logicalDate: string): Promise<GenerationEntry[]> {
    this.reads++;
    return Promise.resolve([...(this.generationsOf.get(`${pipeline}/${logicalDate}`) ?? [])]);
  }

  override saveGenerations(pipeline: string, logicalDate: string, entries: GenerationEntry[]): Promise<void> {
    this.generationsOf.set(`${pipeline}/${logicalDate}`, [...entries]);
    return Promise.resolve();
  }

  override markStageDone(pipeline: string, logicalDate: string, marker: StageDoneMarker): Promise<void> {
    const key = `${pipeline}/${logicalDate}`;
    const done = this.doneOf.get(key) ?? new Map<string, StageResult>();
    done.set(marker.result.stageId, marker.result);
    this.doneOf.set(key, done);
    this.marked.push(`${logicalDate} ${marker.result.stageId}`);
    return Promise.resolve();
  }

  override doneStages(pipeline: string, logicalDate: string): Promise<Record<string, StageResult>> {
    this.reads++;
    return Promise.resolve(Object.fromEntries(this.doneOf.get(`${pipeline}/${logicalDate}`) ?? []));
  }

  /** A date that ran before this test: one generation, and these stages done. */
  seed(pipeline: string, logicalDate: string, done: readonly string[]): void {
    this.generationsOf.set(`${pipeline}/${logicalDate}`, [
      { generation: 0, runChainId: `seeded-${logicalDate}`, rerun: false, plannedAt: '2026-01-01T00:00:00Z' },
    ]);
    this.doneOf.set(`${pipeline}/${logicalDate}`, new Map(done.map((id) => [id, succeeded(id)])));
  }
}
