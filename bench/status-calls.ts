/**
 * AWS status calls a 1-hour job costs with the default poll settings (`npx tsx bench/status-calls.ts`).
 * Goal: <= 130 for a 1-hour job.
 *
 * Drives the real Glue stage activity (activities/glue.ts -> activities/poll-run.ts) on the `shop`
 * plan's silver_orders input as the worker builds it for AWS (default polling 15 s growing x1.5 to
 * 60 s), in a MockActivityEnvironment whose Context.sleep advances a fake clock instead of waiting.
 * The Glue API is aws-sdk-client-mock: the run is RUNNING until the fake clock is one hour past
 * StartJobRun, then SUCCEEDED. Every GetJobRun counts as one status call.
 *
 * Also prints the poller's own arithmetic (statusCallsFor) for each stage kind's default polling and
 * several job lengths, so a change of defaults shows its cost.
 */
import { GetJobRunCommand, GetJobRunsCommand, GlueClient, StartJobRunCommand } from '@aws-sdk/client-glue';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { mockClient } from 'aws-sdk-client-mock';
import { createGlueActivities } from '../activities/glue';
import { statusCallsFor } from '../activities/poll-run';
import { createS3Activities } from '../activities/s3';
import { durationMs } from '../core/durations';
import type { StageKind } from '../core/pipeline-spec';
import { stageDefaults } from '../core/stage-defaults';
import type { GlueStageInput, StageResult } from '../core/stage-io';
import { awsShopPlan } from './support/aws-shop-plan';

const HOUR_MS = 3600_000;
const GOAL = 130;

async function measureGlueJob(jobMs: number) {
  const plan = awsShopPlan('2025-03-29');
  const stage = plan.stages.find((s) => s.id === 'silver_orders')!;
  const input = stage.input as GlueStageInput;

  const clock = { nowMs: 0 };
  const counts = { getJobRun: 0, getJobRuns: 0, startJobRun: 0, heartbeats: 0 };
  let startedAtMs = 0;
  const clientConfig = { region: 'eu-central-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
  const glue = new GlueClient(clientConfig);
  const s3 = new S3Client(clientConfig);
  const glueMock = mockClient(glue);
  mockClient(s3)
    .on(GetObjectCommand)
    .resolves({
      Body: { transformToString: () => Promise.resolve('{"rowsIn":10,"rowsOut":10,"quarantined":0}') },
    } as never);
  glueMock.on(GetJobRunsCommand).callsFake(() => {
    counts.getJobRuns += 1;
    return { JobRuns: [] };
  });
  glueMock.on(StartJobRunCommand).callsFake(() => {
    counts.startJobRun += 1;
    startedAtMs = clock.nowMs;
    return { JobRunId: 'jr_bench' };
  });
  glueMock.on(GetJobRunCommand).callsFake(() => {
    counts.getJobRun += 1;
    const done = clock.nowMs - startedAtMs >= jobMs;
    return { JobRun: { Id: 'jr_bench', JobRunState: done ? 'SUCCEEDED' : 'RUNNING' } };
  });

  const env = new MockActivityEnvironment(
    {
      heartbeatTimeoutMs: stage.options.heartbeatTimeoutMs,
      startToCloseTimeoutMs: stage.options.startToCloseTimeoutMs,
    },
    { logger: new DefaultLogger('ERROR') },
  );
  env.on('heartbeat', () => (counts.heartbeats += 1));
  // The fake clock: sleeping advances it at once.
  const fakeSleep = (ms: Duration): Promise<void> => {
    clock.nowMs += msToNumber(ms);
    return Promise.resolve();
  };
  Object.defineProperty(env.context, 'sleep', { value: fakeSleep });
  const { runGlueStage } = createGlueActivities({ glue, s3: createS3Activities(s3) });
  const result = await env.run<[GlueStageInput], StageResult, typeof runGlueStage>(runGlueStage, input);
  return { input, stage, counts, result, fakeElapsedMs: clock.nowMs };
}

function format(ms: number): string {
  return ms >= HOUR_MS ? `${ms / HOUR_MS} h` : ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

async function main(): Promise<void> {
  // The SDK warns once per process that Node 20 loses support in 2027; the README says so instead.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { input, stage, counts, result, fakeElapsedMs } = await measureGlueJob(HOUR_MS);
  const poll = input.poll;
  console.log('status calls for a 1-hour job, default polling (real Glue activity, fake clock)');
  console.log(
    `  stage ${stage.id}: poll ${poll.initialIntervalMs / 1000} s x${poll.backoffCoefficient} up to ${poll.maxIntervalMs / 1000} s, heartbeat timeout ${stage.options.heartbeatTimeoutMs / 1000} s`,
  );
  console.log(
    `  GetJobRun (status) calls: ${counts.getJobRun}   (goal <= ${GOAL}: ${counts.getJobRun <= GOAL ? 'met' : 'MISSED'})`,
  );
  console.log(
    `  other calls: GetJobRuns ${counts.getJobRuns} (attach check), StartJobRun ${counts.startJobRun}; heartbeats ${counts.heartbeats}`,
  );
  console.log(
    `  fake time polled: ${(fakeElapsedMs / 60_000).toFixed(2)} min; result state ${result.awsState}, details.statusCalls ${result.details?.statusCalls}`,
  );
  console.log(`  poller arithmetic (statusCallsFor): ${statusCallsFor(HOUR_MS, poll)}`);

  console.log('\nstatusCallsFor by stage kind (default polling) and job length:');
  const lengths = [5 * 60_000, HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS];
  console.log(
    `  ${'kind'.padEnd(16)} ${'poll'.padEnd(18)} ${lengths.map((l) => format(l).padStart(8)).join(' ')}`,
  );
  for (const kind of Object.keys(stageDefaults) as StageKind[]) {
    const spec = stageDefaults[kind].poll;
    const settings = {
      initialIntervalMs: durationMs(spec.initialInterval),
      maxIntervalMs: durationMs(spec.maxInterval),
      backoffCoefficient: spec.backoffCoefficient,
    };
    console.log(
      `  ${kind.padEnd(16)} ${`${spec.initialInterval} x${spec.backoffCoefficient} -> ${spec.maxInterval}`.padEnd(18)} ${lengths
        .map((l) => String(statusCallsFor(l, settings)).padStart(8))
        .join(' ')}`,
    );
  }
  if (counts.getJobRun > GOAL) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
