/**
 * Which alerts are open (published, not recovered yet), one small JSON object per pipeline, scope
 * and cause in the lake bucket (`lakeLayout.alerts`). In S3 rather than in the workflow's history so
 * that what was alerted survives worker restarts, resets (a reset run replays nothing of the alert
 * activity's result) and reruns (a new workflow run, or a new generation), and so that it works the
 * same on a standard SNS topic, which keeps no deduplication state of its own.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { OpenAlert } from '../core/alerts';
import { lakeLayout, parseS3Uri } from '../core/lake-layout';
import { awsCall } from './aws-call';

export interface AlertLog {
  open(pipeline: string, scope: string): Promise<OpenAlert[]>;
  record(pipeline: string, scope: string, alert: OpenAlert): Promise<void>;
  clear(pipeline: string, scope: string, id: string): Promise<void>;
}

export class S3AlertLog implements AlertLog {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  private prefix(pipeline: string, scope: string): { Bucket: string; Key: string } {
    const { bucket, key } = parseS3Uri(lakeLayout.alerts(this.bucket, pipeline, scope));
    return { Bucket: bucket, Key: key };
  }

  private subject(pipeline: string, scope: string) {
    return { service: 'S3' as const, job: lakeLayout.alerts(this.bucket, pipeline, scope) };
  }

  async open(pipeline: string, scope: string): Promise<OpenAlert[]> {
    const prefix = this.prefix(pipeline, scope);
    const keys: string[] = [];
    await awsCall(this.subject(pipeline, scope), 'ListObjectsV2', async (options) => {
      const pages = paginateListObjectsV2(
        { client: this.s3, ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}) },
        { Bucket: prefix.Bucket, Prefix: prefix.Key },
      );
      for await (const page of pages) for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    });
    const alerts = await Promise.all(keys.map((Key) => this.read(pipeline, scope, prefix.Bucket, Key)));
    return alerts.filter((a): a is OpenAlert => a !== undefined);
  }

  async record(pipeline: string, scope: string, alert: OpenAlert): Promise<void> {
    const prefix = this.prefix(pipeline, scope);
    await awsCall(this.subject(pipeline, scope), 'PutObject', (options) =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: prefix.Bucket,
          Key: `${prefix.Key}${alert.id}.json`,
          Body: JSON.stringify(alert, null, 2),
          ContentType: 'application/json',
        }),
        options,
      ),
    );
  }

  async clear(pipeline: string, scope: string, id: string): Promise<void> {
    const prefix = this.prefix(pipeline, scope);
    await awsCall(this.subject(pipeline, scope), 'DeleteObject', (options) =>
      this.s3.send(
        new DeleteObjectCommand({ Bucket: prefix.Bucket, Key: `${prefix.Key}${id}.json` }),
        options,
      ),
    );
  }

  private async read(pipeline: string, scope: string, Bucket: string, Key: string) {
    try {
      return await awsCall(this.subject(pipeline, scope), 'GetObject', async (options) => {
        const response = await this.s3.send(new GetObjectCommand({ Bucket, Key }), options);
        return JSON.parse(await response.Body!.transformToString()) as OpenAlert;
      });
    } catch (error) {
      // Cleared between the listing and the read: not open any more.
      if (error instanceof Error && (error as { cause?: unknown }).cause instanceof NoSuchKey)
        return undefined;
      throw error;
    }
  }
}
