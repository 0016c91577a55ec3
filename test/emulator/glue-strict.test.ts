/**
 * Glue as harsh as AWS: its own retry runs (Job.MaxRetries: "The maximum number of times to retry
 * this job after a JobRun fails"; the retry is a new JobRun with Attempt and PreviousRunId), job run
 * queuing (StartJobRunRequest.JobRunQueuingEnabled: a run beyond the limits is WAITING, JobRun.StateDetail
 * says why) and EXPIRED queued runs (JobRunState, glue/2017-03-31 service-2.json; "AWS Glue job run
 * statuses" in the Glue developer guide).
 */
import {
  GetJobCommand,
  GetJobRunCommand,
  GetJobRunsCommand,
  type JobRun,
  StartJobRunCommand,
} from '@aws-sdk/client-glue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLUE_RUN_KEY_ARGUMENT } from '../../core/job-manifest';
import { LAKE, type TestEmulator, startTestEmulator, waitFor } from '../support/emulator-fixture';

let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator({
    s3: { buckets: [LAKE] },
    glue: {
      jobs: [
        { name: 'retrying', maxRetries: 1, maxConcurrentRuns: 5 },
        { name: 'queued', maxConcurrentRuns: 1, durationMs: 400 },
        // FAST_TIMING: a "minute" lasts 200 ms, so a queued run expires after 200 ms.
        {
          name: 'expiring',
          maxConcurrentRuns: 1,
          durationMs: 3_000,
          timeoutMinutes: 1,
          jobRunQueuingEnabled: true,
        },
      ],
    },
  });
});
afterAll(() => t.close());

const start = (job: string, runKey: string, queuing?: boolean) =>
  t.clients.glue.send(
    new StartJobRunCommand({
      JobName: job,
      Arguments: { [GLUE_RUN_KEY_ARGUMENT]: runKey },
      ...(queuing === undefined ? {} : { JobRunQueuingEnabled: queuing }),
    }),
  );
const getRun = async (job: string, id: string): Promise<JobRun> =>
  (await t.clients.glue.send(new GetJobRunCommand({ JobName: job, RunId: id }))).JobRun!;
const ended = (job: string, id: string) =>
  waitFor(
    () => getRun(job, id),
    (r) => !['WAITING', 'STARTING', 'RUNNING', 'STOPPING'].includes(r.JobRunState!),
  );

describe('Glue MaxRetries', () => {
  it('starts a retry run of its own after a FAILED run: new id, Attempt 1, PreviousRunId, same arguments', async () => {
    expect((await t.clients.glue.send(new GetJobCommand({ JobName: 'retrying' }))).Job?.MaxRetries).toBe(1);
    await t.emulator.admin.failNextRuns({ service: 'glue', name: 'retrying', count: 1, message: 'boom' });
    const { JobRunId } = await start('retrying', 'key-retry');
    expect(await ended('retrying', JobRunId!)).toMatchObject({ JobRunState: 'FAILED', Attempt: 0 });
    const retry = await waitFor(
      async () =>
        ((await t.clients.glue.send(new GetJobRunsCommand({ JobName: 'retrying' }))).JobRuns ?? []).find(
          (r) => r.PreviousRunId === JobRunId,
        ),
      (r) => r !== undefined && r.JobRunState === 'SUCCEEDED',
    );
    expect(retry).toMatchObject({ Attempt: 1, Arguments: { [GLUE_RUN_KEY_ARGUMENT]: 'key-retry' } });
    expect(retry!.Id).not.toBe(JobRunId);
    const calls = t.emulator.admin.startCalls({ service: 'glue', resource: 'retrying' });
    expect(calls.map((c) => [c.runId, c.retryOf])).toEqual([
      [JobRunId, undefined],
      [retry!.Id, JobRunId],
    ]);
  });

  it('retries at most MaxRetries times', async () => {
    await t.emulator.admin.failNextRuns({ service: 'glue', name: 'retrying', count: 5, message: 'always' });
    const { JobRunId } = await start('retrying', 'key-always');
    await ended('retrying', JobRunId!);
    const runs = await waitFor(
      async () =>
        ((await t.clients.glue.send(new GetJobRunsCommand({ JobName: 'retrying' }))).JobRuns ?? []).filter(
          (r) => r.Arguments?.[GLUE_RUN_KEY_ARGUMENT] === 'key-always',
        ),
      (rs) => rs.length === 2 && rs.every((r) => r.JobRunState === 'FAILED'),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runs.map((r) => r.Attempt).sort()).toEqual([0, 1]);
    await t.emulator.admin.resetScript();
  });
});

describe('Glue job run queuing', () => {
  it('puts a run beyond MaxConcurrentRuns in WAITING with a StateDetail, and starts it when a slot frees', async () => {
    const first = await start('queued', 'key-q1');
    const second = await start('queued', 'key-q2', true);
    const waiting = await getRun('queued', second.JobRunId!);
    expect(waiting.JobRunState).toBe('WAITING');
    expect(waiting.StateDetail).toMatch(/MaxConcurrentRuns \(1\)/);
    expect((await ended('queued', first.JobRunId!)).JobRunState).toBe('SUCCEEDED');
    expect((await ended('queued', second.JobRunId!)).JobRunState).toBe('SUCCEEDED');
  });

  it('still refuses a start beyond the limit without queuing (ConcurrentRunsExceededException)', async () => {
    await start('queued', 'key-q3');
    await expect(start('queued', 'key-q4')).rejects.toMatchObject({
      name: 'ConcurrentRunsExceededException',
    });
  });

  it('expires a queued run that gets no slot within its timeout (EXPIRED)', async () => {
    // The running run's own Timeout is long (100 "minutes"), so no slot frees before the queued run expires.
    await t.clients.glue.send(
      new StartJobRunCommand({
        JobName: 'expiring',
        Arguments: { [GLUE_RUN_KEY_ARGUMENT]: 'key-e1' },
        Timeout: 100,
      }),
    );
    const queued = await start('expiring', 'key-e2');
    const expired = await ended('expiring', queued.JobRunId!);
    expect(expired.JobRunState).toBe('EXPIRED');
    expect(expired.ErrorMessage).toMatch(/waited for resources longer than its timeout/);
  });
});
