/**
 * The lake's small S3 operations: JSON documents (checkpoints, metrics, markers), listings, prefix
 * copies and the landing check. Used by the other activity files and registered as activities too.
 */
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  NoSuchKey,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { FailureType } from '../core/errors';
import { parseS3Uri, s3Uri } from '../core/lake-layout';
import { awsCall, clientRegion } from './aws-call';
import { detectedFailure, type FailureSubject } from './aws-errors';
import { consoleLinks, linkIn } from './console-links';

/** How copied objects are named below the target prefix. */
type CopyNaming =
  /** Same relative key as below the source prefix. */
  | 'keep'
  /** `part-00000<ext>`, `part-00001<ext>`, ... in the sorted order of the source keys. */
  | 'numbered';

export interface CopyPrefixRequest {
  fromPrefix: string;
  toPrefix: string;
  naming: CopyNaming;
  /** Delete every object below `toPrefix` first, so the target holds exactly the copied set. */
  replace: boolean;
  /** With 'numbered': the extension every copy gets (e.g. from AppFlow's fileType); default the source's. */
  extension?: string;
}

export interface CopyPrefixResult {
  copied: string[];
  deleted: number;
}

const DELETE_BATCH = 1000;

function prefixOf(uri: string, field: string): { bucket: string; key: string } {
  const location = parseS3Uri(uri);
  if (location.key !== '' && !location.key.endsWith('/')) {
    throw detectedFailure(
      FailureType.InvalidConfig,
      { service: 'S3', job: uri },
      `${field} must be a prefix ending in "/" (got ${uri}); add the trailing slash`,
    );
  }
  return location;
}

/** Extension of an object name including the dot (".snappy.parquet" keeps only ".parquet"). */
function extensionOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/** S3 CopySource is "<bucket>/<key>" URL-encoded, slashes kept. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export function createS3Activities(s3: S3Client) {
  const regionPromise = clientRegion(s3);
  const subject = async (uri: string): Promise<FailureSubject> => {
    const consoleUrl = linkIn(await regionPromise, consoleLinks.s3Location, uri);
    return { service: 'S3', job: uri, ...(consoleUrl ? { consoleUrl } : {}) };
  };

  async function readJsonIfExists<T = unknown>(uri: string): Promise<T | undefined> {
    const { bucket, key } = parseS3Uri(uri);
    const body = await awsCall(await subject(uri), 'GetObject', async (options) => {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), options);
        return await response.Body?.transformToString();
      } catch (error) {
        if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    });
    if (body === undefined) return undefined;
    try {
      return JSON.parse(body) as T;
    } catch (error) {
      throw detectedFailure(
        FailureType.InvalidConfig,
        await subject(uri),
        `is not valid JSON (${(error as Error).message}); fix or delete the object`,
      );
    }
  }

  async function readJson<T = unknown>(uri: string): Promise<T> {
    const value = await readJsonIfExists<T>(uri);
    if (value === undefined) {
      throw detectedFailure(FailureType.AwsNotFound, await subject(uri), 'object does not exist');
    }
    return value;
  }

  async function writeJson(uri: string, value: unknown): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    await awsCall(await subject(uri), 'PutObject', (options) =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(value, null, 2),
          ContentType: 'application/json',
        }),
        options,
      ),
    );
  }

  /** Every object below the prefix (paginated), as s3:// URIs in key order; "folder" markers skipped. */
  async function listKeys(prefixUri: string): Promise<string[]> {
    const { bucket, key } = prefixOf(prefixUri, 'prefix');
    return awsCall(await subject(prefixUri), 'ListObjectsV2', async (options) => {
      const uris: string[] = [];
      for await (const page of paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: key },
        options,
      )) {
        for (const object of page.Contents ?? []) {
          if (object.Key && !object.Key.endsWith('/')) uris.push(s3Uri(bucket, object.Key));
        }
      }
      return uris.sort();
    });
  }

  async function deleteObjects(uris: string[]): Promise<void> {
    for (let i = 0; i < uris.length; i += DELETE_BATCH) {
      const batch = uris.slice(i, i + DELETE_BATCH).map(parseS3Uri);
      const bucket = batch[0]!.bucket;
      const response = await awsCall(
        await subject(s3Uri(bucket, batch[0]!.key)),
        'DeleteObjects',
        (options) =>
          s3.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: batch.map((o) => ({ Key: o.key })), Quiet: true },
            }),
            options,
          ),
      );
      const failed = response.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0]!;
        throw detectedFailure(
          FailureType.AwsServiceUnavailable,
          await subject(s3Uri(bucket, first.Key ?? '')),
          `could not delete ${failed.length} object(s), first ${first.Key}: ${first.Code} ${first.Message}`,
        );
      }
    }
  }

  async function copyPrefix(request: CopyPrefixRequest): Promise<CopyPrefixResult> {
    const from = prefixOf(request.fromPrefix, 'fromPrefix');
    const to = prefixOf(request.toPrefix, 'toPrefix');
    const sources = await listKeys(request.fromPrefix);
    let deleted = 0;
    if (request.replace) {
      const stale = await listKeys(request.toPrefix);
      await deleteObjects(stale);
      deleted = stale.length;
    }
    const copied: string[] = [];
    for (const [index, sourceUri] of sources.entries()) {
      const sourceKey = parseS3Uri(sourceUri).key;
      const name =
        request.naming === 'numbered'
          ? `part-${String(index).padStart(5, '0')}${request.extension ?? extensionOf(sourceKey)}`
          : sourceKey.slice(from.key.length);
      const targetKey = `${to.key}${name}`;
      await awsCall(await subject(s3Uri(to.bucket, targetKey)), 'CopyObject', (options) =>
        s3.send(
          new CopyObjectCommand({
            Bucket: to.bucket,
            Key: targetKey,
            CopySource: copySource(from.bucket, sourceKey),
          }),
          options,
        ),
      );
      copied.push(s3Uri(to.bucket, targetKey));
    }
    return { copied, deleted };
  }

  /** Fails (not retried) when fewer than `minObjects` objects sit below the prefix. */
  async function assertLanded(prefixUri: string, minObjects = 1): Promise<number> {
    const found = (await listKeys(prefixUri)).length;
    if (found < minObjects) {
      throw detectedFailure(
        FailureType.AwsNotFound,
        await subject(prefixUri),
        `nothing landed: expected at least ${minObjects} object(s) below ${prefixUri}, found ${found}; ` +
          'check that the stage writing there succeeded and that its output location points at this prefix',
      );
    }
    return found;
  }

  return { readJson, readJsonIfExists, writeJson, listKeys, copyPrefix, assertLanded };
}

export type S3Activities = ReturnType<typeof createS3Activities>;
