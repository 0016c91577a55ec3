/**
 * The lake's S3 activities against moto: PutObject/GetObject of JSON documents, NoSuchKey, listing
 * across pages (moto lists 2 keys a page here, MOTO_S3_DEFAULT_MAX_KEYS), CopyObject with URL-encoded
 * keys, DeleteObjects, and the errors of a missing bucket and of a document that is not JSON.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { RunStateStore } from '../../activities/run-state';
import { FailureType } from '../../core/errors';
import { expectFailure, harness } from '../support/activity-harness';
import { MOTO_LAKE, type MotoServer, motoAvailable, startMoto } from '../support/python/moto-server';

const lake = (key: string) => `s3://${MOTO_LAKE}/${key}`;

describe.runIf(motoAvailable())('S3 activities on moto', () => {
  let moto: MotoServer;
  let activities: ReturnType<typeof createActivities>;

  beforeAll(async () => {
    moto = await startMoto({ MOTO_S3_DEFAULT_MAX_KEYS: '2' });
    activities = createActivities(moto.clients);
  });
  afterAll(() => moto?.stop());

  const put = (key: string, body: string) =>
    moto.clients.s3.send(new PutObjectCommand({ Bucket: MOTO_LAKE, Key: key, Body: body }));

  it('writes and reads a JSON document; a missing one is undefined for readJsonIfExists, not found for readJson', async () => {
    const h = harness();
    await h.run(activities.writeJson, lake('_medallion/doc.json'), { rows: [1, 2], ok: true });
    expect(await h.run(activities.readJson, lake('_medallion/doc.json'))).toEqual({ rows: [1, 2], ok: true });
    const stored = await moto.clients.s3.send(
      new GetObjectCommand({ Bucket: MOTO_LAKE, Key: '_medallion/doc.json' }),
    );
    expect(stored.ContentType).toBe('application/json');
    await expectFailure(h.run(activities.readJson, lake('_medallion/missing.json')), {
      type: FailureType.AwsNotFound,
      nonRetryable: true,
      messageIncludes: ['missing.json', 'does not exist'],
    });
  });

  it('lists every key below a prefix across pages, skipping folder markers, in key order', async () => {
    for (const key of [
      'bronze/t/dt=1/c.parquet',
      'bronze/t/dt=1/a.parquet',
      'bronze/t/dt=1/b.parquet',
      'bronze/t/dt=1/',
    ]) {
      await put(key, 'x');
    }
    await put('bronze/t/dt=10/z.parquet', 'x');
    await put('bronze/t/dt=1/sub/d.parquet', 'x');
    expect(await harness().run(activities.listKeys, lake('bronze/t/dt=1/'))).toEqual([
      lake('bronze/t/dt=1/a.parquet'),
      lake('bronze/t/dt=1/b.parquet'),
      lake('bronze/t/dt=1/c.parquet'),
      lake('bronze/t/dt=1/sub/d.parquet'),
    ]);
  });

  it('copies a prefix with numbered names in key order, replacing what the target held, keys with spaces and = intact', async () => {
    // Key order: "_SUCCESS" < "part 0..." < "part=1..." (byte order), so _SUCCESS becomes part-00000.
    await put('gold/f/dt=2024-05-02/part 0.snappy.parquet', 'p0');
    await put('gold/f/dt=2024-05-02/part=1.snappy.parquet', 'p1');
    await put('gold/f/dt=2024-05-02/_SUCCESS', '');
    await put('load/f/stale-1.parquet', 'old');
    await put('load/f/stale-2.parquet', 'old');
    await put('load/f/stale-3.parquet', 'old');
    const result = await harness().run(activities.copyPrefix, {
      fromPrefix: lake('gold/f/dt=2024-05-02/'),
      toPrefix: lake('load/f/'),
      naming: 'numbered',
      replace: true,
    });
    expect(result).toEqual({
      copied: [
        lake('load/f/part-00000'),
        lake('load/f/part-00001.parquet'),
        lake('load/f/part-00002.parquet'),
      ],
      deleted: 3,
    });
    expect(await harness().run(activities.listKeys, lake('load/f/'))).toEqual(result.copied);
    const body = await moto.clients.s3.send(
      new GetObjectCommand({ Bucket: MOTO_LAKE, Key: 'load/f/part-00001.parquet' }),
    );
    expect(await body.Body?.transformToString()).toBe('p0');
  });

  it('assertLanded counts the objects and fails, without retry, when too few landed', async () => {
    await put('silver/orders/dt=2024-05-02/part-0.parquet', 'x');
    const h = harness();
    expect(await h.run(activities.assertLanded, lake('silver/orders/dt=2024-05-02/'), 1)).toBe(1);
    await expectFailure(h.run(activities.assertLanded, lake('silver/orders/dt=2024-05-03/'), 1), {
      type: FailureType.AwsNotFound,
      nonRetryable: true,
      messageIncludes: ['nothing landed', 'dt=2024-05-03'],
    });
  });

  it('a document that is not JSON fails with the fix in the message', async () => {
    await put('_medallion/broken.json', '{ not json');
    await expectFailure(harness().run(activities.readJson, lake('_medallion/broken.json')), {
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      messageIncludes: ['broken.json', 'is not valid JSON', 'fix or delete the object'],
    });
  });

  it('a bucket that does not exist is NoSuchBucket, not retried', async () => {
    await expectFailure(harness().run(activities.listKeys, 's3://no-such-bucket/x/'), {
      type: FailureType.AwsNotFound,
      nonRetryable: true,
      messageIncludes: ['no-such-bucket', 'ListObjectsV2'],
    });
  });

  it('the run-state store keeps generations and stage markers, read back across pages', async () => {
    const store = new RunStateStore(moto.clients.s3, MOTO_LAKE);
    await store.saveGenerations('shop', '2024-05-02', [
      { generation: 0, runChainId: 'r0', rerun: false, plannedAt: '2024-05-03T02:00:00Z' },
    ]);
    for (const stageId of ['a', 'b', 'c']) {
      await store.markStageDone('shop', '2024-05-02', {
        generation: 0,
        result: {
          stageId,
          awsRunId: `run-${stageId}`,
          awsState: 'SUCCEEDED',
          attached: false,
          startedAt: 'x',
          finishedAt: 'y',
          durationMs: 1,
        },
      });
    }
    expect(await store.generations('shop', '2024-05-02')).toHaveLength(1);
    expect(Object.keys(await store.doneStages('shop', '2024-05-02')).sort()).toEqual(['a', 'b', 'c']);
    expect(await store.generations('shop', '2024-05-03')).toEqual([]);
  });
});
