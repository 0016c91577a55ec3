/**
 * Medallion's own bookkeeping per (pipeline, logical date), kept in the lake bucket next to the data
 * so it survives worker, server and history loss: which run chain ran which generation, and the
 * result of every finished stage (a rerun skips those).
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { lakeLayout, parseS3Uri } from '../core/lake-layout';
import type { StageResult } from '../core/stage-io';

export interface GenerationEntry {
  generation: number;
  runChainId: string;
  rerun: boolean;
  plannedAt: string;
}

export interface StageDoneMarker {
  generation: number;
  result: StageResult;
}

export class RunStateStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  private key(pipeline: string, logicalDate: string, rest: string): { Bucket: string; Key: string } {
    const { bucket, key } = parseS3Uri(lakeLayout.runState(this.bucket, pipeline, logicalDate));
    return { Bucket: bucket, Key: `${key}${rest}` };
  }

  async generations(pipeline: string, logicalDate: string): Promise<GenerationEntry[]> {
    return (
      (await this.readJson<GenerationEntry[]>(this.key(pipeline, logicalDate, 'generations.json'))) ?? []
    );
  }

  async saveGenerations(pipeline: string, logicalDate: string, entries: GenerationEntry[]): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        ...this.key(pipeline, logicalDate, 'generations.json'),
        Body: JSON.stringify(entries, null, 2),
        ContentType: 'application/json',
      }),
    );
  }

  async markStageDone(pipeline: string, logicalDate: string, marker: StageDoneMarker): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        ...this.key(pipeline, logicalDate, `stages/${marker.result.stageId}.json`),
        Body: JSON.stringify(marker, null, 2),
        ContentType: 'application/json',
      }),
    );
  }

  async doneStages(pipeline: string, logicalDate: string): Promise<Record<string, StageResult>> {
    const prefix = this.key(pipeline, logicalDate, 'stages/');
    const done: Record<string, StageResult> = {};
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: prefix.Bucket, Prefix: prefix.Key, ContinuationToken: token }),
      );
      // A rerun plans after reading every marker of the date: read a page's markers at once.
      const markers = await Promise.all(
        (page.Contents ?? []).map((object) =>
          this.readJson<StageDoneMarker>({ Bucket: prefix.Bucket, Key: object.Key! }),
        ),
      );
      for (const marker of markers) if (marker) done[marker.result.stageId] = marker.result;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return done;
  }

  private async readJson<T>(location: { Bucket: string; Key: string }): Promise<T | undefined> {
    try {
      const response = await this.s3.send(new GetObjectCommand(location));
      return JSON.parse(await response.Body!.transformToString()) as T;
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }
}

/** What planning and the workers need of the store: its calls, whatever keeps the markers. */
export type RunState = Pick<
  RunStateStore,
  'generations' | 'saveGenerations' | 'doneStages' | 'markStageDone'
>;
