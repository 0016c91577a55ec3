/**
 * What a Redshift COPY of a job's output needs before it runs:
 * 1. the part files, listed under the output prefix; Spark's `_SUCCESS` marker and other hidden objects
 *    (names starting with `_` or `.`) are not data. COPY from a prefix would read every object under
 *    it, so the load names the part files in a manifest
 *    (https://docs.aws.amazon.com/redshift/latest/dg/loading-data-files-using-manifest.html; for
 *    Parquet every entry needs `meta.content_length`);
 * 2. a schema check: COPY ... FORMAT AS PARQUET "inserts values into the target table's columns in the
 *    same order as the columns occur in the columnar data files. The number of columns in the target
 *    table and the number of columns in the data file must match"
 *    (https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html). Two
 *    VARCHAR columns in the wrong order would load swapped without an error, so the first part's
 *    Parquet footer (read with ranged GETs) is compared with the staging table's layout first.
 */
import { GetObjectCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/activity';
import type { FileMetaData } from 'hyparquet' with { 'resolution-mode': 'import' };
import { FailureType } from '../core/errors';
import { parseS3Uri, s3Uri } from '../core/lake-layout';
import type { CopySource } from '../core/stage-io';
import { schemaMismatch } from '../core/sql/parquet-columns';
import { awsCall } from './aws-call';
import { detectedFailure, type FailureSubject } from './aws-errors';

export interface PartFile {
  uri: string;
  bytes: number;
}

export interface PreparedCopy {
  parts: PartFile[];
  /** Objects under the prefix that are not data (e.g. `_SUCCESS`): left out of the manifest. */
  skipped: string[];
}

/** The COPY manifest document (Redshift's format). */
function copyManifestDocument(parts: readonly PartFile[]) {
  return {
    entries: parts.map((part) => ({ url: part.uri, mandatory: true, meta: { content_length: part.bytes } })),
  };
}

function isHidden(key: string): boolean {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return name.startsWith('_') || name.startsWith('.');
}

export function createCopyManifests(s3: S3Client) {
  async function listParts(sourceUri: string, subject: FailureSubject): Promise<PreparedCopy> {
    const { bucket, key } = parseS3Uri(sourceUri);
    return awsCall({ ...subject, job: sourceUri, service: 'S3' }, 'ListObjectsV2', async (options) => {
      const parts: PartFile[] = [];
      const skipped: string[] = [];
      for await (const page of paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: key },
        options,
      )) {
        for (const object of page.Contents ?? []) {
          if (!object.Key) continue;
          const relative = object.Key.slice(key.length);
          if (relative.split('/').some((segment) => isHidden(segment)) || !object.Key.endsWith('.parquet')) {
            skipped.push(relative);
            continue;
          }
          parts.push({ uri: s3Uri(bucket, object.Key), bytes: object.Size ?? 0 });
        }
      }
      parts.sort((a, b) => a.uri.localeCompare(b.uri));
      return { parts, skipped };
    });
  }

  /** The footer of one part, read with ranged GETs (hyparquet reads only the metadata it needs). */
  async function footerOf(part: PartFile, subject: FailureSubject): Promise<FileMetaData> {
    const { bucket, key } = parseS3Uri(part.uri);
    const buffer = {
      byteLength: part.bytes,
      slice: (start: number, end?: number) =>
        awsCall({ ...subject, job: part.uri, service: 'S3' }, 'GetObject', async (options) => {
          const last = (end ?? part.bytes) - 1;
          const response = await s3.send(
            new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${last}` }),
            options,
          );
          const bytes = await response.Body!.transformToByteArray();
          return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        }),
    };
    try {
      // hyparquet is an ES module; this project compiles to CommonJS, so it is loaded dynamically.
      const { parquetMetadataAsync } = await import('hyparquet');
      return await parquetMetadataAsync(buffer);
    } catch (error) {
      if (error instanceof ApplicationFailure) throw error;
      throw detectedFailure(
        FailureType.AwsJobFailed,
        subject,
        `${part.uri} is not a readable Parquet file (${error instanceof Error ? error.message : String(error)}); ` +
          'COPY would fail on it: check the job that wrote it',
      );
    }
  }

  /** Lists, checks and writes the manifest; throws a non-retryable failure naming what to fix. */
  async function prepareCopy(copy: CopySource, subject: FailureSubject): Promise<PreparedCopy> {
    const prepared = await listParts(copy.sourceUri, subject);
    const first = prepared.parts[0];
    if (!first) {
      const found = prepared.skipped.length > 0 ? ` (only ${prepared.skipped.join(', ')})` : '';
      throw detectedFailure(
        FailureType.AwsJobFailed,
        subject,
        `no Parquet part files under ${copy.sourceUri}${found}; the job that writes it writes at least one part ` +
          'file even for no rows: check that it ran and wrote to this prefix',
      );
    }
    const metadata = await footerOf(first, subject);
    const nested = metadata.schema.slice(1).find((element) => (element.num_children ?? 0) > 0);
    if (nested) {
      throw detectedFailure(
        FailureType.InvalidConfig,
        subject,
        `${first.uri} has a nested column "${nested.name}"; COPY loads flat columns only: flatten it in the job`,
      );
    }
    const mismatch = schemaMismatch(first.uri, metadata.schema.slice(1), copy.columns);
    if (mismatch) throw detectedFailure(FailureType.InvalidConfig, subject, mismatch);
    const { bucket, key } = parseS3Uri(copy.manifestUri);
    await awsCall({ ...subject, job: copy.manifestUri, service: 'S3' }, 'PutObject', (options) =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: `${JSON.stringify(copyManifestDocument(prepared.parts))}\n`,
          ContentType: 'application/json',
        }),
        options,
      ),
    );
    return prepared;
  }

  return { prepareCopy };
}
