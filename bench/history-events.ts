/**
 * History events of one `shop` run whose Glue job takes 6 hours (`npx tsx bench/history-events.ts`).
 * Goal: <= 500 events per run.
 *
 * Where: the time-skipping test server, not the emulator. The emulator's runs last real wall time
 * (a scripted 6-hour Glue run would take 6 hours), while the history's size depends only on what the
 * workflow does: polling stays inside the stage activity, and heartbeats are not history events. So
 * the production workflow (bundle of workflows/index.ts) runs the `shop` plan as the worker builds it
 * for AWS (config/aws.example.yaml: default timeouts, retries and polling), with its stage activities
 * mocked to last a given time of SERVER time: a driver advances the server clock in 60 s steps (below
 * the 2-minute heartbeat timeout), and every running stage heartbeats its run id at each step as the
 * real poller does. silver_orders (Glue) lasts 6 hours; the other stages minutes.
 *
 * Prints events per run, per event type, and per stage (the activity events of each stage).
 */
import { EventEmitter, once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from '@temporalio/worker';
import type { PipelineActivities } from '../core/activity-contracts';
import type { Plan } from '../core/plan';
import type { StageInput, StageResult } from '../core/stage-io';
import { dailyPipeline } from '../workflows';
import { timeSkippingEnv } from '../local/temporal-servers';
import { productionWorkflowBundle } from '../local/workflow-bundle-cache';
import { awsShopPlan } from './support/aws-shop-plan';
import { stopOnSignal } from './support/stop-on-signal';

const GOAL = 500;
const LOGICAL_DATE = '2025-03-29';
const STEP_MS = 60_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** How long each stage's AWS job runs, in server time. */
const STAGE_MS: Record<string, number> = {
  ingest_oltp: 15 * MINUTE,
  ingest_crm: 5 * MINUTE,
  silver_customers: 10 * MINUTE,
  silver_products: 10 * MINUTE,
  silver_orders: 6 * HOUR,
  silver_order_items: 10 * MINUTE,
  silver_accounts: 10 * MINUTE,
  fact_orders: 15 * MINUTE,
  daily_revenue: 15 * MINUTE,
  scd2_dim_customer: 3 * MINUTE,
  scd2_dim_product: 3 * MINUTE,
  load_fact_orders: 3 * MINUTE,
  load_fact_daily_revenue: 3 * MINUTE,
};

/** The server's time as the driver last read it; emits 'tick' after every step. */
class ServerClock extends EventEmitter {
  nowMs = 0;
}

function mockedActivities(plan: Plan, clock: ServerClock, testService: TestService): PipelineActivities {
  const runStage = async (input: StageInput): Promise<StageResult> => {
    // The test server holds time still while an activity runs; this one lets the driver move it.
    await testService.unlockTimeSkipping({});
    try {
      return await waitOut(input);
    } finally {
      await testService.lockTimeSkipping({});
    }
  };
  const waitOut = async (input: StageInput): Promise<StageResult> => {
    const { stageId } = input.identity;
    const context = Context.current();
    const startedAt = new Date(clock.nowMs).toISOString();
    const deadline = clock.nowMs + (STAGE_MS[stageId] ?? 10 * MINUTE);
    const beat = { awsRunId: `run-${stageId}`, awsState: 'RUNNING', startedAt, polls: 0 };
    context.heartbeat(beat);
    while (clock.nowMs < deadline) {
      await once(clock, 'tick');
      beat.polls += 1;
      context.heartbeat({ ...beat });
    }
    return {
      stageId,
      awsRunId: beat.awsRunId,
      awsState: 'SUCCEEDED',
      attached: false,
      startedAt,
      finishedAt: new Date(clock.nowMs).toISOString(),
      durationMs: clock.nowMs - Date.parse(startedAt),
      rowsIn: 100,
      rowsOut: 100,
      quarantined: 0,
      details: { statusCalls: beat.polls },
    };
  };
  return {
    planDailyRun: () => Promise.resolve(plan),
    recordStageDone: () => Promise.resolve(),
    recordCheckOutcomes: () => Promise.resolve(),
    runDmsStage: runStage,
    runAppFlowStage: runStage,
    runGlueStage: runStage,
    runEmrServerlessStage: runStage,
    runRedshiftStage: runStage,
    settleAlerts: () => Promise.resolve({ alerted: [], recovered: [], alreadyOpen: [] }),
  };
}

type TestService = NonNullable<TestWorkflowEnvironment['connection']['testService']>;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

function eventTypeName(event: HistoryEvent): string {
  return (EventType[event.eventType ?? 0] ?? String(event.eventType)).replace(/^EVENT_TYPE_/, '');
}

interface ScheduledActivity {
  stageId: string;
  /** 'job': the stage's AWS job activity; 'record': recordStageDone; 'plan': planDailyRun. */
  role: 'job' | 'record' | 'plan';
}

/** Stage and role of each ActivityTaskScheduled event (from the activity's input), by event id. */
function scheduledActivities(events: HistoryEvent[]): Map<string, ScheduledActivity> {
  const activities = new Map<string, ScheduledActivity>();
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    const data = scheduled?.input?.payloads?.[0]?.data;
    if (!scheduled || !data) continue;
    const input = JSON.parse(Buffer.from(data).toString('utf8')) as {
      identity?: { stageId?: string };
      result?: { stageId?: string };
    };
    const activity: ScheduledActivity = input.identity?.stageId
      ? { stageId: input.identity.stageId, role: 'job' }
      : input.result?.stageId
        ? { stageId: input.result.stageId, role: 'record' }
        : { stageId: '(planning)', role: 'plan' };
    activities.set(String(event.eventId), activity);
  }
  return activities;
}

function scheduledIdOf(event: HistoryEvent): string | undefined {
  const attributes =
    event.activityTaskStartedEventAttributes ??
    event.activityTaskCompletedEventAttributes ??
    event.activityTaskFailedEventAttributes ??
    event.activityTaskTimedOutEventAttributes ??
    event.activityTaskCancelRequestedEventAttributes ??
    event.activityTaskCanceledEventAttributes;
  return attributes?.scheduledEventId ? String(attributes.scheduledEventId) : undefined;
}

async function main(): Promise<void> {
  const wallStart = performance.now();
  // The test server lacks newer capabilities the SDK warns about at WARN; nothing here needs them.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
  const env = await timeSkippingEnv();
  const forget = stopOnSignal(() => env.teardown());
  // The real server defines this system attribute for schedules; the Java test server needs it added.
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: {
      TemporalScheduledStartTime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    },
  });
  try {
    const testService = env.connection.testService;
    if (!testService) throw new Error('the time-skipping test server offers no test service');
    const plan = awsShopPlan(LOGICAL_DATE);
    const clock = new ServerClock();
    clock.setMaxListeners(100);
    clock.nowMs = await env.currentTimeMs();
    const serverStart = clock.nowMs;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'history-bench',
      workflowBundle: await productionWorkflowBundle(),
      activities: mockedActivities(plan, clock, testService),
      // Heartbeats are throttled in wall time; server time races ahead here, so flush them at once.
      maxHeartbeatThrottleInterval: '10ms',
    });
    // A plain client: waiting on its result() does not let the server skip time on its own, so only
    // the driver's steps move it and no heartbeat timeout can fire between two heartbeats.
    const client = new Client({ connection: env.connection });
    const report = await worker.runUntil(async () => {
      const handle = await client.workflow.start(dailyPipeline, {
        taskQueue: 'history-bench',
        workflowId: plan.workflowId,
        args: [{ pipeline: 'shop', logicalDate: LOGICAL_DATE }],
      });
      let finished = false;
      const result = handle.result().finally(() => (finished = true));
      while (!finished) {
        await env.sleep(STEP_MS);
        clock.nowMs = await env.currentTimeMs();
        clock.emit('tick');
        await delay(15);
      }
      return { report: await result, history: await handle.fetchHistory() };
    });
    const events = report.history.events ?? [];
    const serverHours = (clock.nowMs - serverStart) / HOUR;

    const byType = new Map<string, number>();
    for (const event of events) byType.set(eventTypeName(event), (byType.get(eventTypeName(event)) ?? 0) + 1);
    const activityOf = scheduledActivities(events);
    const perStage = new Map<string, { job: number; record: number; attempts: number }>();
    for (const event of events) {
      const scheduledId = event.activityTaskScheduledEventAttributes
        ? String(event.eventId)
        : scheduledIdOf(event);
      const activity = scheduledId ? activityOf.get(scheduledId) : undefined;
      if (!activity) continue;
      const entry = perStage.get(activity.stageId) ?? { job: 0, record: 0, attempts: 0 };
      if (activity.role === 'record') entry.record += 1;
      else entry.job += 1;
      const attempt = event.activityTaskStartedEventAttributes?.attempt;
      if (attempt && activity.role !== 'record') entry.attempts = Math.max(entry.attempts, attempt);
      perStage.set(activity.stageId, entry);
    }
    const activityEvents = [...perStage.values()].reduce((sum, s) => sum + s.job + s.record, 0);

    console.log(
      `history events of one shop run with a 6-hour Glue job (time-skipping server, mocked stage activities)`,
    );
    console.log(
      `  run: ${report.report.status}, ${plan.stages.length} stages, ${serverHours.toFixed(2)} h of server time in ${((performance.now() - wallStart) / 1000).toFixed(1)} s of wall time`,
    );
    console.log(
      `  events per run: ${events.length}   (goal <= ${GOAL}: ${events.length <= GOAL ? 'met' : 'MISSED'})`,
    );
    console.log(
      `  events per stage: ${(events.length / plan.stages.length).toFixed(1)} on average (all events / stages); activity events per stage below`,
    );
    console.log(
      '\nper stage: events of its job activity + of its recordStageDone activity (scheduled, started, completed; a retry adds more):',
    );
    for (const stage of plan.stages) {
      const entry = perStage.get(stage.id);
      const ms = STAGE_MS[stage.id] ?? 0;
      const job = ms >= HOUR ? `${ms / HOUR} h` : `${ms / MINUTE} min`;
      const heartbeats = report.report.stages.find((s) => s.id === stage.id)?.details?.statusCalls ?? 0;
      console.log(
        `  ${stage.id.padEnd(26)} ${entry?.job ?? 0} + ${entry?.record ?? 0} events, ${entry?.attempts ?? 0} attempt(s), job ${job.padEnd(7)} ${String(heartbeats).padStart(4)} heartbeats (not history events)`,
      );
    }
    console.log(`  ${'(planning)'.padEnd(26)} ${perStage.get('(planning)')?.job ?? 0} events`);
    console.log(`  activity events in total: ${activityEvents}`);
    console.log('\nper event type:');
    for (const [type, count] of [...byType.entries()].sort((a, b) => b[1] - a[1]))
      console.log(`  ${type.padEnd(44)} ${String(count).padStart(4)}`);
    if (events.length > GOAL) process.exitCode = 1;
  } finally {
    forget();
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
