import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAKE, type TestEmulator, startTestEmulator } from '../support/emulator-fixture';

let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({ s3: { buckets: [LAKE] } });
});
afterAll(() => t.close());

const put = (Key: string, Body: string) =>
  t.clients.s3.send(new PutObjectCommand({ Bucket: LAKE, Key, Body }));
const text = async (Key: string) =>
  (await t.clients.s3.send(new GetObjectCommand({ Bucket: LAKE, Key }))).Body!.transformToString();

describe('S3 buckets', () => {
  it('creates, heads and lists buckets; a missing bucket is NotFound / NoSuchBucket', async () => {
    await t.clients.s3.send(new CreateBucketCommand({ Bucket: 'other-bucket' }));
    await t.clients.s3.send(new HeadBucketCommand({ Bucket: 'other-bucket' }));
    const { Buckets } = await t.clients.s3.send(new ListBucketsCommand({}));
    expect(Buckets?.map((b) => b.Name)).toEqual([LAKE, 'other-bucket']);
    await expect(
      t.clients.s3.send(new HeadBucketCommand({ Bucket: 'missing-bucket' })),
    ).rejects.toMatchObject({
      name: 'NotFound',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      t.clients.s3.send(new ListObjectsV2Command({ Bucket: 'missing-bucket' })),
    ).rejects.toBeInstanceOf(NoSuchBucket);
  });

  it('refuses an invalid bucket name', async () => {
    await expect(t.clients.s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))).rejects.toMatchObject({
      name: 'InvalidBucketName',
    });
  });
});

describe('S3 objects', () => {
  it('puts and gets an object with content type and user metadata, stored as a lake file', async () => {
    const { ETag } = await t.clients.s3.send(
      new PutObjectCommand({
        Bucket: LAKE,
        Key: 'a/b/c.json',
        Body: '{"x":1}',
        ContentType: 'application/json',
        Metadata: { run: 'r1' },
      }),
    );
    const got = await t.clients.s3.send(new GetObjectCommand({ Bucket: LAKE, Key: 'a/b/c.json' }));
    expect(await got.Body!.transformToString()).toBe('{"x":1}');
    expect(got).toMatchObject({
      ContentType: 'application/json',
      Metadata: { run: 'r1' },
      ETag,
      ContentLength: 7,
    });
    expect(await readFile(join(t.dataDir, 'lake', LAKE, 'a', 'b', 'c.json'), 'utf8')).toBe('{"x":1}');
    const head = await t.clients.s3.send(new HeadObjectCommand({ Bucket: LAKE, Key: 'a/b/c.json' }));
    expect(head).toMatchObject({ ContentLength: 7, ETag, ContentType: 'application/json' });
  });

  it('decodes streaming (aws-chunked) uploads', async () => {
    const body = 'x'.repeat(70_000);
    await t.clients.s3.send(
      new PutObjectCommand({
        Bucket: LAKE,
        Key: 'stream/big.txt',
        Body: Readable.from([Buffer.from(body)]),
        ContentLength: body.length,
      }),
    );
    expect(await text('stream/big.txt')).toBe(body);
  });

  it('serves byte ranges', async () => {
    await put('range.txt', '0123456789');
    const got = await t.clients.s3.send(
      new GetObjectCommand({ Bucket: LAKE, Key: 'range.txt', Range: 'bytes=2-5' }),
    );
    expect(await got.Body!.transformToString()).toBe('2345');
    expect(got.ContentRange).toBe('bytes 2-5/10');
  });

  it('answers NoSuchKey for a missing key and NotFound for HEAD of one', async () => {
    await expect(
      t.clients.s3.send(new GetObjectCommand({ Bucket: LAKE, Key: 'nope.json' })),
    ).rejects.toBeInstanceOf(NoSuchKey);
    await expect(
      t.clients.s3.send(new HeadObjectCommand({ Bucket: LAKE, Key: 'nope.json' })),
    ).rejects.toMatchObject({
      name: 'NotFound',
    });
  });

  it('honours If-None-Match: * (create only if absent)', async () => {
    await put('once.txt', 'first');
    await expect(
      t.clients.s3.send(
        new PutObjectCommand({ Bucket: LAKE, Key: 'once.txt', Body: 'second', IfNoneMatch: '*' }),
      ),
    ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    expect(await text('once.txt')).toBe('first');
  });

  it('copies, deletes one and deletes many', async () => {
    await put('copy/src.txt', 'payload');
    const copied = await t.clients.s3.send(
      new CopyObjectCommand({ Bucket: LAKE, Key: 'copy/dst.txt', CopySource: `${LAKE}/copy/src.txt` }),
    );
    expect(copied.CopyObjectResult?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await text('copy/dst.txt')).toBe('payload');
    await t.clients.s3.send(new DeleteObjectCommand({ Bucket: LAKE, Key: 'copy/src.txt' }));
    await put('many/1', '1');
    await put('many/2', '2');
    const deleted = await t.clients.s3.send(
      new DeleteObjectsCommand({
        Bucket: LAKE,
        Delete: { Objects: [{ Key: 'many/1' }, { Key: 'many/2' }, { Key: 'copy/dst.txt' }] },
      }),
    );
    expect(deleted.Deleted?.map((d) => d.Key)).toEqual(['many/1', 'many/2', 'copy/dst.txt']);
    const left = await t.clients.s3.send(new ListObjectsV2Command({ Bucket: LAKE, Prefix: 'many/' }));
    expect(left.KeyCount).toBe(0);
    expect(left.Contents).toBeUndefined();
    await expect(
      t.clients.s3.send(
        new CopyObjectCommand({ Bucket: LAKE, Key: 'x', CopySource: `${LAKE}/copy/src.txt` }),
      ),
    ).rejects.toBeInstanceOf(NoSuchKey);
  });

  it('lists with prefix, delimiter, max-keys and continuation tokens', async () => {
    for (const key of [
      'list/2024/01/a.parquet',
      'list/2024/01/b.parquet',
      'list/2024/02/c.parquet',
      'list/top.json',
      'listing.txt',
    ]) {
      await put(key, key);
    }
    const grouped = await t.clients.s3.send(
      new ListObjectsV2Command({ Bucket: LAKE, Prefix: 'list/', Delimiter: '/' }),
    );
    expect(grouped.Contents?.map((c) => c.Key)).toEqual(['list/top.json']);
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['list/2024/']);
    expect(grouped.KeyCount).toBe(2);

    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await t.clients.s3.send(
        new ListObjectsV2Command({ Bucket: LAKE, Prefix: 'list', MaxKeys: 2, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((c) => c.Key!));
      expect(page.Contents?.every((c) => c.Size! > 0 && c.ETag && c.LastModified)).toBe(true);
      token = page.NextContinuationToken;
      expect(page.IsTruncated).toBe(token !== undefined);
      pages += 1;
    } while (token);
    expect(pages).toBe(3);
    expect(keys).toEqual([
      'list/2024/01/a.parquet',
      'list/2024/01/b.parquet',
      'list/2024/02/c.parquet',
      'list/top.json',
      'listing.txt',
    ]);
  });

  it('stores objects where DuckDB reads them directly', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const file = join(t.dataDir, 'tmp-parquet.parquet');
    await connection.run(`COPY (SELECT 7 AS n) TO '${file}' (FORMAT parquet)`);
    await t.clients.s3.send(
      new PutObjectCommand({ Bucket: LAKE, Key: 'duck/x.parquet', Body: await readFile(file) }),
    );
    const reader = await connection.runAndReadAll(
      `SELECT n FROM read_parquet('${join(t.dataDir, 'lake', LAKE, 'duck', '*.parquet')}')`,
    );
    expect(reader.getRows()).toEqual([[7]]);
    connection.closeSync();
    instance.closeSync();
  });

  it('answers a scripted throttle with SlowDown (503)', async () => {
    await t.emulator.admin.throttleNextCalls('s3:GetObject');
    await put('throttled.txt', 'ok');
    await expect(
      t.clients.s3.send(new GetObjectCommand({ Bucket: LAKE, Key: 'throttled.txt' })),
    ).rejects.toMatchObject({
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
    expect(await text('throttled.txt')).toBe('ok');
  });
});
