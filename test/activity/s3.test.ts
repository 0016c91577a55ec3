import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FailureType } from '../../core/errors';
import { createS3Activities } from '../../activities/s3';
import { clientConfig, expectFailure, harness, jsonBody, sendOptionsOf } from '../support/activity-harness';

const s3 = new S3Client(clientConfig);
const s3Mock = mockClient(s3);
const store = createS3Activities(s3);
const meta = { $metadata: {} };

beforeEach(() => s3Mock.reset());

describe('S3 activities', () => {
  it('reads and writes JSON documents, passing the activity cancellation signal', async () => {
    s3Mock.on(GetObjectCommand).resolves(jsonBody({ a: 1 }));
    s3Mock.on(PutObjectCommand).resolves({});
    const h = harness();
    expect(await h.run(store.readJson, 's3://lake/x/doc.json')).toEqual({ a: 1 });
    await h.run(store.writeJson, 's3://lake/x/out.json', { b: [2] });
    const put = s3Mock.commandCalls(PutObjectCommand)[0]!;
    expect(put.args[0].input).toMatchObject({
      Bucket: 'lake',
      Key: 'x/out.json',
      ContentType: 'application/json',
    });
    expect(JSON.parse(put.args[0].input.Body as string)).toEqual({ b: [2] });
    expect(sendOptionsOf(put)?.abortSignal).toBe(h.env.context.cancellationSignal);
  });

  it('returns undefined for a missing object, and readJson fails without retry naming the URI', async () => {
    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ message: 'The specified key does not exist.', ...meta }));
    expect(await harness().run(store.readJsonIfExists, 's3://lake/none.json')).toBeUndefined();
    await expectFailure(harness().run(store.readJson, 's3://lake/none.json'), {
      type: FailureType.AwsNotFound,
      nonRetryable: true,
      messageIncludes: [
        'S3 s3://lake/none.json: object does not exist',
        'https://s3.console.aws.amazon.com/s3/buckets/lake',
      ],
    });
  });

  it('classifies S3 errors (AccessDenied is final, SlowDown is retried)', async () => {
    s3Mock
      .on(GetObjectCommand)
      .rejectsOnce(
        new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', ...meta }),
      )
      .rejects(
        new S3ServiceException({
          name: 'SlowDown',
          $fault: 'server',
          message: 'Please reduce your request rate.',
          ...meta,
        }),
      );
    await expectFailure(harness().run(store.readJson, 's3://lake/a.json'), {
      type: FailureType.AwsAccessDenied,
      nonRetryable: true,
      messageIncludes: ['GetObject failed with AccessDenied: Access Denied'],
    });
    await expectFailure(harness().run(store.readJson, 's3://lake/a.json'), {
      type: FailureType.AwsThrottled,
      nonRetryable: false,
    });
  });

  it('lists every page of a prefix, skipping folder markers', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'p/b.parquet' }, { Key: 'p/' }],
        IsTruncated: true,
        NextContinuationToken: 't2',
      })
      .resolves({ Contents: [{ Key: 'p/a.parquet' }] });
    expect(await harness().run(store.listKeys, 's3://lake/p/')).toEqual([
      's3://lake/p/a.parquet',
      's3://lake/p/b.parquet',
    ]);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[1]!.args[0].input).toMatchObject({
      ContinuationToken: 't2',
    });
  });

  it('refuses a prefix without its trailing slash, saying so', async () => {
    await expectFailure(harness().run(store.listKeys, 's3://lake/p'), {
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      messageIncludes: ['add the trailing slash'],
    });
  });

  it('copies a prefix keeping relative names, URL-encoding the copy source', async () => {
    s3Mock
      .on(ListObjectsV2Command, { Prefix: 'from/' })
      .resolves({ Contents: [{ Key: 'from/sub/a b.json' }] });
    s3Mock.on(CopyObjectCommand).resolves({});
    const result = await harness().run(store.copyPrefix, {
      fromPrefix: 's3://src/from/',
      toPrefix: 's3://dst/to/',
      naming: 'keep',
      replace: false,
    });
    expect(s3Mock.commandCalls(CopyObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'dst',
      Key: 'to/sub/a b.json',
      CopySource: 'src/from/sub/a%20b.json',
    });
    expect(result).toEqual({ copied: ['s3://dst/to/sub/a b.json'], deleted: 0 });
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('fails when S3 refuses to delete stale objects', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'to/old.parquet' }] });
    s3Mock
      .on(DeleteObjectsCommand)
      .resolves({ Errors: [{ Key: 'to/old.parquet', Code: 'AccessDenied', Message: 'no' }] });
    await expectFailure(
      harness().run(store.copyPrefix, {
        fromPrefix: 's3://lake/from/',
        toPrefix: 's3://lake/to/',
        naming: 'numbered',
        replace: true,
      }),
      {
        type: FailureType.AwsServiceUnavailable,
        nonRetryable: false,
        messageIncludes: ['could not delete 1 object(s)'],
      },
    );
  });

  it('assertLanded counts the objects and fails without retry when too few landed', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolves({ Contents: [{ Key: 'silver/orders/dt=2024-05-02/part-0.parquet' }] });
    expect(await harness().run(store.assertLanded, 's3://lake/silver/orders/dt=2024-05-02/', 1)).toBe(1);
    await expectFailure(harness().run(store.assertLanded, 's3://lake/silver/orders/dt=2024-05-02/', 2), {
      type: FailureType.AwsNotFound,
      nonRetryable: true,
      messageIncludes: [
        'expected at least 2 object(s) below s3://lake/silver/orders/dt=2024-05-02/, found 1',
        'check that the stage',
      ],
    });
  });
});
