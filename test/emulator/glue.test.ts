import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BatchStopJobRunCommand,
  ConcurrentRunsExceededException,
  CrawlerNotRunningException,
  CrawlerRunningException,
  CrawlerStoppingException,
  EntityNotFoundException,
  GetCrawlerCommand,
  GetJobCommand,
  GetJobRunCommand,
  GetJobRunsCommand,
  InvalidInputException,
  type JobRun,
  StartCrawlerCommand,
  StartJobRunCommand,
  StopCrawlerCommand,
  ThrottlingException,
} from '@aws-sdk/client-glue';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { GLUE_MANIFEST_ARGUMENT, GLUE_RUN_KEY_ARGUMENT, type JobManifest } from '../../core/job-manifest';
import {
  FAST_TIMING,
  LAKE,
  type TestEmulator,
  startTestEmulator,
  waitFor,
} from '../support/emulator-fixture';

let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    s3: { buckets: [LAKE] },
    glue: {
      jobs: [
        { name: 'runner', maxConcurrentRuns: 3, defaultArguments: { '--job-language': 'python' } },
        { name: 'single', maxConcurrentRuns: 1, durationMs: 400 },
        { name: 'slow', maxConcurrentRuns: 2, durationMs: 5_000, timeoutMinutes: 1 },
      ],
      crawlers: [{ name: 'silver-crawler', s3Targets: [`s3://${LAKE}/silver/`], durationMs: 150 }],
    },
  });
  await t.clients.s3.send(
    new PutObjectCommand({
      Bucket: LAKE,
      Key: 'bronze/orders/part-0.parquet',
      Body: await parquetWithRows(t.dataDir, 5),
    }),
  );
});
afterAll(() => t.close());

async function parquetWithRows(dir: string, rows: number): Promise<Buffer> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const file = join(dir, `rows-${rows}.parquet`);
  await connection.run(`COPY (SELECT i AS id FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet)`);
  connection.closeSync();
  instance.closeSync();
  return readFile(file);
}

function manifest(stageId: string, sql: string): JobManifest {
  return {
    pipeline: 'shop',
    stageId,
    logicalDate: '2024-01-02',
    inputs: [{ name: 'orders', uri: `s3://${LAKE}/bronze/orders/` }],
    sql,
    outputUri: `s3://${LAKE}/silver/${stageId}/dt=2024-01-02/`,
    quarantineUri: `s3://${LAKE}/quarantine/${stageId}/dt=2024-01-02/`,
    metricsUri: `s3://${LAKE}/_medallion/metrics/shop/2024-01-02/${stageId}.json`,
  };
}

const getRun = (JobName: string, RunId: string) =>
  t.clients.glue.send(new GetJobRunCommand({ JobName, RunId })).then((r) => r.JobRun!);
const until = (JobName: string, RunId: string, states: string[]) =>
  waitFor(
    () => getRun(JobName, RunId),
    (run: JobRun) => states.includes(run.JobRunState!),
  );

describe('Glue jobs', () => {
  it('describes a configured job and refuses an unknown one with EntityNotFoundException', async () => {
    const { Job } = await t.clients.glue.send(new GetJobCommand({ JobName: 'runner' }));
    expect(Job).toMatchObject({
      Name: 'runner',
      ExecutionProperty: { MaxConcurrentRuns: 3 },
      DefaultArguments: { '--job-language': 'python' },
    });
    expect(Job?.CreatedOn).toBeInstanceOf(Date);
    await expect(t.clients.glue.send(new GetJobCommand({ JobName: 'nope' }))).rejects.toBeInstanceOf(
      EntityNotFoundException,
    );
    await expect(t.clients.glue.send(new StartJobRunCommand({ JobName: 'nope' }))).rejects.toBeInstanceOf(
      EntityNotFoundException,
    );
  });

  it('rejects a request without JobName with InvalidInputException', async () => {
    await expect(t.clients.glue.send(new GetJobCommand({} as never))).rejects.toBeInstanceOf(
      InvalidInputException,
    );
  });

  it('runs a manifest: STARTING -> RUNNING -> SUCCEEDED, output and metrics written by the runner', async () => {
    const args = {
      [GLUE_MANIFEST_ARGUMENT]: JSON.stringify(
        manifest('silver_orders', 'SELECT id FROM orders WHERE id < 3'),
      ),
      [GLUE_RUN_KEY_ARGUMENT]: 'key-1',
    };
    const { JobRunId } = await t.clients.glue.send(
      new StartJobRunCommand({ JobName: 'runner', Arguments: args }),
    );
    expect(JobRunId).toMatch(/^jr_[0-9a-f]{64}$/);
    const first = await getRun('runner', JobRunId!);
    expect(['STARTING', 'RUNNING']).toContain(first.JobRunState);
    const done = await until('runner', JobRunId!, ['SUCCEEDED', 'FAILED']);
    expect(done).toMatchObject({ JobRunState: 'SUCCEEDED', Arguments: args, JobName: 'runner' });
    expect(done.StartedOn).toBeInstanceOf(Date);
    expect(done.CompletedOn!.getTime()).toBeGreaterThanOrEqual(done.StartedOn!.getTime());
    expect(typeof done.ExecutionTime).toBe('number');
    const metrics = JSON.parse(
      await readFile(
        join(t.dataDir, 'lake', LAKE, '_medallion/metrics/shop/2024-01-02/silver_orders.json'),
        'utf8',
      ),
    ) as unknown;
    expect(metrics).toEqual({ rowsIn: 3, rowsOut: 3, quarantined: 0 });
    expect(t.runner.manifests.at(-1)?.stageId).toBe('silver_orders');
  });

  it('fails the run with the runner error as ErrorMessage', async () => {
    const args = {
      [GLUE_MANIFEST_ARGUMENT]: JSON.stringify(manifest('broken', 'SELECT no_such_column FROM orders')),
    };
    const { JobRunId } = await t.clients.glue.send(
      new StartJobRunCommand({ JobName: 'runner', Arguments: args }),
    );
    const done = await until('runner', JobRunId!, ['SUCCEEDED', 'FAILED']);
    expect(done.JobRunState).toBe('FAILED');
    expect(done.ErrorMessage).toContain('no_such_column');
    expect(done.CompletedOn).toBeInstanceOf(Date);
  });

  it('fails the run when the manifest argument is not a valid manifest', async () => {
    const { JobRunId } = await t.clients.glue.send(
      new StartJobRunCommand({
        JobName: 'runner',
        Arguments: { [GLUE_MANIFEST_ARGUMENT]: '{"stageId": 3}' },
      }),
    );
    const done = await until('runner', JobRunId!, ['SUCCEEDED', 'FAILED']);
    expect(done.JobRunState).toBe('FAILED');
    expect(done.ErrorMessage).toMatch(/--medallion_manifest is not a valid job manifest: .*stageId/);
  });

  it('fails the next N runs as scripted, by stage id, then runs normally', async () => {
    await t.emulator.admin.failNextRuns({
      service: 'glue',
      name: 'scripted_stage',
      count: 1,
      message: 'Boom from script',
    });
    const args = {
      [GLUE_MANIFEST_ARGUMENT]: JSON.stringify(manifest('scripted_stage', 'SELECT id FROM orders')),
    };
    const first = await t.clients.glue.send(new StartJobRunCommand({ JobName: 'runner', Arguments: args }));
    expect(await until('runner', first.JobRunId!, ['SUCCEEDED', 'FAILED'])).toMatchObject({
      JobRunState: 'FAILED',
      ErrorMessage: 'Boom from script',
    });
    const second = await t.clients.glue.send(new StartJobRunCommand({ JobName: 'runner', Arguments: args }));
    expect((await until('runner', second.JobRunId!, ['SUCCEEDED', 'FAILED'])).JobRunState).toBe('SUCCEEDED');
  });

  it('honours MaxConcurrentRuns with ConcurrentRunsExceededException, and logs the refused start', async () => {
    const { JobRunId } = await t.clients.glue.send(new StartJobRunCommand({ JobName: 'single' }));
    await expect(t.clients.glue.send(new StartJobRunCommand({ JobName: 'single' }))).rejects.toBeInstanceOf(
      ConcurrentRunsExceededException,
    );
    const calls = t.emulator.admin.startCalls({ service: 'glue', resource: 'single' });
    expect(calls.map((c) => c.outcome)).toEqual(['started', 'rejected']);
    expect(calls[1]?.error).toBe('ConcurrentRunsExceededException');
    await until('single', JobRunId!, ['SUCCEEDED']);
    await t.clients.glue.send(new StartJobRunCommand({ JobName: 'single' }));
  });

  it('stops runs with BatchStopJobRun: STOPPING -> STOPPED; unknown ids come back as errors', async () => {
    const { JobRunId } = await t.clients.glue.send(new StartJobRunCommand({ JobName: 'slow' }));
    await until('slow', JobRunId!, ['RUNNING']);
    const stop = await t.clients.glue.send(
      new BatchStopJobRunCommand({ JobName: 'slow', JobRunIds: [JobRunId!, 'jr_unknown'] }),
    );
    expect(stop.SuccessfulSubmissions).toEqual([{ JobName: 'slow', JobRunId }]);
    expect(stop.Errors?.[0]).toMatchObject({
      JobRunId: 'jr_unknown',
      ErrorDetail: { ErrorCode: 'EntityNotFoundException' },
    });
    expect(['STOPPING', 'STOPPED']).toContain((await getRun('slow', JobRunId!)).JobRunState);
    const stopped = await until('slow', JobRunId!, ['STOPPED']);
    expect(stopped.CompletedOn).toBeInstanceOf(Date);
  });

  it('times a run out after Timeout minutes (TIMEOUT)', async () => {
    const { JobRunId } = await t.clients.glue.send(new StartJobRunCommand({ JobName: 'slow', Timeout: 1 }));
    const done = await until('slow', JobRunId!, ['TIMEOUT', 'SUCCEEDED']);
    expect(done).toMatchObject({ JobRunState: 'TIMEOUT', Timeout: 1 });
  });

  it('lists runs newest first with Arguments, paginated by NextToken', async () => {
    const started: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const { JobRunId } = await t.clients.glue.send(
        new StartJobRunCommand({ JobName: 'runner', Arguments: { [GLUE_RUN_KEY_ARGUMENT]: `page-${i}` } }),
      );
      started.push(JobRunId!);
    }
    const first = await t.clients.glue.send(new GetJobRunsCommand({ JobName: 'runner', MaxResults: 2 }));
    expect(first.JobRuns?.map((r) => r.Id)).toEqual([started[2], started[1]]);
    expect(first.JobRuns?.[0]?.Arguments).toEqual({ [GLUE_RUN_KEY_ARGUMENT]: 'page-2' });
    expect(first.NextToken).toBeDefined();
    const second = await t.clients.glue.send(
      new GetJobRunsCommand({ JobName: 'runner', MaxResults: 2, NextToken: first.NextToken }),
    );
    expect(second.JobRuns?.[0]?.Id).toBe(started[0]);
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await t.clients.glue.send(
        new GetJobRunsCommand({ JobName: 'runner', MaxResults: 3, NextToken: token }),
      );
      all.push(...page.JobRuns!.map((r) => r.Id!));
      token = page.NextToken;
    } while (token);
    expect(new Set(all).size).toBe(all.length);
    expect(all.slice(0, 3)).toEqual([...started].reverse());
    await expect(
      t.clients.glue.send(new GetJobRunsCommand({ JobName: 'runner', NextToken: 'garbage' })),
    ).rejects.toBeInstanceOf(InvalidInputException);
  });

  it('throttles scripted calls with ThrottlingException (HTTP 400)', async () => {
    await t.emulator.admin.throttleNextCalls('glue:GetJobRuns', 2);
    for (let i = 0; i < 2; i += 1) {
      const error = await t.clients.glue
        .send(new GetJobRunsCommand({ JobName: 'runner' }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ThrottlingException);
      expect((error as ThrottlingException).$metadata.httpStatusCode).toBe(400);
    }
    await t.clients.glue.send(new GetJobRunsCommand({ JobName: 'runner' }));
  });
});

describe('Glue crawlers', () => {
  it('runs READY -> RUNNING -> READY with LastCrawl; a second start while running is CrawlerRunningException', async () => {
    const before = await t.clients.glue.send(new GetCrawlerCommand({ Name: 'silver-crawler' }));
    expect(before.Crawler).toMatchObject({
      State: 'READY',
      Targets: { S3Targets: [{ Path: `s3://${LAKE}/silver/` }] },
    });
    await t.clients.glue.send(new StartCrawlerCommand({ Name: 'silver-crawler' }));
    await expect(
      t.clients.glue.send(new StartCrawlerCommand({ Name: 'silver-crawler' })),
    ).rejects.toBeInstanceOf(CrawlerRunningException);
    expect(
      (await t.clients.glue.send(new GetCrawlerCommand({ Name: 'silver-crawler' }))).Crawler?.State,
    ).toBe('RUNNING');
    const after = await waitFor(
      () => t.clients.glue.send(new GetCrawlerCommand({ Name: 'silver-crawler' })),
      (r) => r.Crawler?.State === 'READY',
    );
    expect(after.Crawler?.LastCrawl).toMatchObject({ Status: 'SUCCEEDED' });
    await expect(t.clients.glue.send(new GetCrawlerCommand({ Name: 'nope' }))).rejects.toBeInstanceOf(
      EntityNotFoundException,
    );
  });

  it('reports a scripted crawler failure in LastCrawl', async () => {
    await t.emulator.admin.failNextRuns({
      service: 'glue',
      name: 'silver-crawler',
      message: 'Crawler failed to read',
    });
    await t.clients.glue.send(new StartCrawlerCommand({ Name: 'silver-crawler' }));
    const after = await waitFor(
      () => t.clients.glue.send(new GetCrawlerCommand({ Name: 'silver-crawler' })),
      (r) => r.Crawler?.State === 'READY' && r.Crawler.LastCrawl?.Status !== 'SUCCEEDED',
    );
    expect(after.Crawler?.LastCrawl).toMatchObject({
      Status: 'FAILED',
      ErrorMessage: 'Crawler failed to read',
    });
  });

  // StopCrawler as the model describes it (botocore glue 2017-03-31: StopCrawler errors
  // EntityNotFoundException, CrawlerNotRunningException, CrawlerStoppingException; LastCrawlStatus
  // SUCCEEDED | CANCELLED | FAILED). moto implements it too; the emulator did not, so a cancelled
  // stage could not stop its crawl locally.
  it('stops a running crawl: STOPPING, then READY with LastCrawl CANCELLED; refuses when not running', async () => {
    // Its own emulator whose settling phases last long enough to be observed on a loaded machine
    // (the shared one's 20 ms STOPPING phase is often over before the next call arrives).
    const slow = await startTestEmulator({
      timing: { ...FAST_TIMING, transitionMs: 1_500 },
      s3: { buckets: [LAKE] },
      glue: { crawlers: [{ name: 'silver-crawler', s3Targets: [`s3://${LAKE}/silver/`], durationMs: 150 }] },
    });
    onTestFinished(() => slow.close());
    const glue = slow.clients.glue;
    await glue.send(new StartCrawlerCommand({ Name: 'silver-crawler' }));
    await glue.send(new StopCrawlerCommand({ Name: 'silver-crawler' }));
    expect((await glue.send(new GetCrawlerCommand({ Name: 'silver-crawler' }))).Crawler?.State).toBe(
      'STOPPING',
    );
    await expect(glue.send(new StopCrawlerCommand({ Name: 'silver-crawler' }))).rejects.toBeInstanceOf(
      CrawlerStoppingException,
    );
    const after = await waitFor(
      () => glue.send(new GetCrawlerCommand({ Name: 'silver-crawler' })),
      (r) => r.Crawler?.State === 'READY',
    );
    expect(after.Crawler?.LastCrawl).toMatchObject({ Status: 'CANCELLED' });
    await expect(glue.send(new StopCrawlerCommand({ Name: 'silver-crawler' }))).rejects.toBeInstanceOf(
      CrawlerNotRunningException,
    );
    await expect(glue.send(new StopCrawlerCommand({ Name: 'nope' }))).rejects.toBeInstanceOf(
      EntityNotFoundException,
    );
    // The next crawl is not cancelled by the earlier stop.
    await glue.send(new StartCrawlerCommand({ Name: 'silver-crawler' }));
    const next = await waitFor(
      () => glue.send(new GetCrawlerCommand({ Name: 'silver-crawler' })),
      (r) => r.Crawler?.State === 'READY',
    );
    expect(next.Crawler?.LastCrawl).toMatchObject({ Status: 'SUCCEEDED' });
  });
});
