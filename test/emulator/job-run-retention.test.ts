/**
 * Glue and EMR Serverless forget old job runs; the emulator keeps a bounded number of finished runs
 * per job (application), each run in a file of its own, so a year's backfill neither piles up runs nor
 * rewrites them all on every change.
 */
import {
  GetJobRunCommand as GetEmrJobRunCommand,
  type JobRun as EmrJobRun,
  ListJobRunsCommand,
  StartJobRunCommand as StartEmrJobRunCommand,
} from '@aws-sdk/client-emr-serverless';
import {
  EntityNotFoundException,
  GetJobRunCommand,
  GetJobRunsCommand,
  type JobRun as GlueJobRun,
  StartJobRunCommand,
} from '@aws-sdk/client-glue';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestEmulator, newDataDir, startTestEmulator, waitFor } from '../support/emulator-fixture';

const APP = '00retention00app';
let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    glue: {
      jobs: [
        { name: 'quick', maxConcurrentRuns: 5 },
        { name: 'paged', maxConcurrentRuns: 5 },
      ],
    },
    emrServerless: { applications: [{ id: APP }] },
    finishedJobRunsKept: 2,
  });
});
afterAll(() => t.close());

async function finishedGlueRun(job = 'quick'): Promise<string> {
  const { JobRunId } = await t.clients.glue.send(new StartJobRunCommand({ JobName: job }));
  await waitFor(
    () => t.clients.glue.send(new GetJobRunCommand({ JobName: job, RunId: JobRunId })),
    (r: { JobRun?: GlueJobRun }) => r.JobRun?.JobRunState === 'SUCCEEDED',
  );
  return JobRunId!;
}

async function finishedEmrRun(clientToken: string): Promise<string> {
  const { jobRunId } = await t.clients.emr.send(
    new StartEmrJobRunCommand({
      applicationId: APP,
      clientToken,
      executionRoleArn: 'arn:aws:iam::123456789012:role/emr-job',
      jobDriver: { sparkSubmit: { entryPoint: 's3://artifacts/sql_runner.py', entryPointArguments: [] } },
    }),
  );
  await waitFor(
    () => t.clients.emr.send(new GetEmrJobRunCommand({ applicationId: APP, jobRunId })),
    (r: { jobRun?: EmrJobRun }) => r.jobRun?.state === 'SUCCESS',
  );
  return jobRunId!;
}

it('keeps the configured number of finished Glue runs per job and forgets older ones', async () => {
  const ids = [await finishedGlueRun(), await finishedGlueRun(), await finishedGlueRun()];
  // Starting a fourth forgets the first: three finished runs would exceed the two kept.
  const { JobRunId: running } = await t.clients.glue.send(new StartJobRunCommand({ JobName: 'quick' }));

  await expect(
    t.clients.glue.send(new GetJobRunCommand({ JobName: 'quick', RunId: ids[0] })),
  ).rejects.toBeInstanceOf(EntityNotFoundException);
  const { JobRuns } = await t.clients.glue.send(new GetJobRunsCommand({ JobName: 'quick' }));
  expect(JobRuns?.map((r) => r.Id).sort()).toEqual([ids[1], ids[2], running].sort());
});

it('keeps a GetJobRuns page token valid after the run it names is forgotten', async () => {
  const older = [await finishedGlueRun('paged'), await finishedGlueRun('paged')];
  const first = await t.clients.glue.send(new GetJobRunsCommand({ JobName: 'paged', MaxResults: 1 }));
  expect(first.JobRuns?.map((r) => r.Id)).toEqual([older[1]]);
  // Three newer runs: the run the token names, and the one before it, are forgotten.
  const newer = [];
  for (let i = 0; i < 3; i++) newer.push(await finishedGlueRun('paged'));
  await expect(
    t.clients.glue.send(new GetJobRunCommand({ JobName: 'paged', RunId: older[1] })),
  ).rejects.toBeInstanceOf(EntityNotFoundException);
  const next = await t.clients.glue.send(
    new GetJobRunsCommand({ JobName: 'paged', MaxResults: 1, NextToken: first.NextToken }),
  );
  // Nothing older than the token's run is left, and the newer runs are not handed out again.
  expect(next.JobRuns).toEqual([]);
  expect(next.NextToken).toBeUndefined();
  const { JobRuns } = await t.clients.glue.send(new GetJobRunsCommand({ JobName: 'paged' }));
  expect(JobRuns?.map((r) => r.Id)).toEqual([...newer].reverse());
});

it('keeps the configured number of finished EMR Serverless runs per application', async () => {
  const ids = [];
  for (const token of ['a', 'b', 'c', 'd']) ids.push(await finishedEmrRun(token));
  // Starting the fourth forgot the first: three finished runs would exceed the two kept.
  const { jobRuns } = await t.clients.emr.send(new ListJobRunsCommand({ applicationId: APP }));
  expect(jobRuns?.map((r) => r.id)).toEqual([ids[3], ids[2], ids[1]]);
  await expect(
    t.clients.emr.send(new GetEmrJobRunCommand({ applicationId: APP, jobRunId: ids[0] })),
  ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
});

it('a restarted emulator knows the runs it kept, in order, and not those it forgot', async () => {
  const glueRuns = async () =>
    (await t.clients.glue.send(new GetJobRunsCommand({ JobName: 'quick' }))).JobRuns?.map((r) => r.Id);
  const emrRuns = async () =>
    (await t.clients.emr.send(new ListJobRunsCommand({ applicationId: APP }))).jobRuns?.map((r) => r.id);
  const before = { glue: await glueRuns(), emr: await emrRuns() };
  expect(before.glue).toHaveLength(3);
  expect(before.emr).toHaveLength(3);

  await t.restart();

  expect({ glue: await glueRuns(), emr: await emrRuns() }).toEqual(before);
});

it('takes over the runs an older emulator kept inside its state file', async () => {
  const dataDir = await newDataDir();
  const createdAt = Date.parse('2026-01-01T00:00:00Z');
  const legacyRun = {
    id: 'jr_legacy0001',
    jobName: 'quick',
    arguments: {},
    state: 'SUCCEEDED',
    startedAt: createdAt,
    modifiedAt: createdAt + 1_000,
    completedAt: createdAt + 1_000,
    runningSince: createdAt,
    deadline: createdAt,
    timeoutMinutes: 2880,
    workerType: 'G.1X',
    numberOfWorkers: 2,
    runMs: 0,
    work: 'done',
  };
  const stateFile = join(dataDir, 'state', 'glue-job-runs.json');
  await mkdir(join(dataDir, 'state'), { recursive: true });
  await writeFile(stateFile, JSON.stringify({ createdAt, runs: { quick: [legacyRun] } }));
  const old = await startTestEmulator({ glue: { jobs: [{ name: 'quick' }] } }, dataDir);
  try {
    const { JobRun } = await old.clients.glue.send(
      new GetJobRunCommand({ JobName: 'quick', RunId: legacyRun.id }),
    );
    expect(JobRun).toMatchObject({ Id: legacyRun.id, JobRunState: 'SUCCEEDED' });
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toEqual({ createdAt });

    await old.restart();
    const { JobRuns } = await old.clients.glue.send(new GetJobRunsCommand({ JobName: 'quick' }));
    expect(JobRuns?.map((r) => r.Id)).toEqual([legacyRun.id]);
  } finally {
    await old.close();
  }
});
