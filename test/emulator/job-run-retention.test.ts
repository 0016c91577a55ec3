/**
 * Glue and EMR Serverless forget old job runs; the emulator keeps a bounded number of finished runs
 * per job (application), so a year's backfill does not rewrite an ever larger state on every change.
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
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestEmulator, startTestEmulator, waitFor } from './helpers/emulator-fixture';

const APP = '00retention00app';
let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    glue: { jobs: [{ name: 'quick', maxConcurrentRuns: 5 }] },
    emrServerless: { applications: [{ id: APP }] },
    finishedJobRunsKept: 2,
  });
});
afterAll(() => t.close());

async function finishedGlueRun(): Promise<string> {
  const { JobRunId } = await t.clients.glue.send(new StartJobRunCommand({ JobName: 'quick' }));
  await waitFor(
    () => t.clients.glue.send(new GetJobRunCommand({ JobName: 'quick', RunId: JobRunId })),
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
