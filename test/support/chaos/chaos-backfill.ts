/**
 * One backfill of `shop` days on the real local stack under a fault plan: a Temporal dev server on its
 * own SQLite file (so it can be restarted), the AWS emulator in this process (scripted through its
 * admin API), and the medallion worker in a process of its own (so it can be SIGKILLed). A plan with no
 * faults is the clean run the chaos runs are compared with: same code path, same data.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DescribeStatementCommand } from '@aws-sdk/client-redshift-data';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { BackfillProgress } from '../../../core/backfill-report';
import { type DevServer, startDevServer } from '../../../local/dev-server';
import type { DurationRule, EmulatorScript } from '../../../emulator/scripting/script-rules';
import type { StartCall } from '../../../emulator/scripting/start-call-log';
import { freePort } from '../../../local/net';
import { shopDays } from '../local-stack/shop-day-expectations';
import { ShopLane, shopWorld } from '../local-stack/shop-lane';
import { spawnWorkerProcess, type WorkerProcess } from '../local-stack/worker-process';
import { type Fault, FAULT_KINDS, type FaultKind, type FaultPlan } from './fault-plan';
import { activityAttempts, type Recovery, recoveryAfterKill } from './recovery-time';
import { scd2Violations, warehouseSnapshot, type WarehouseSnapshot } from './warehouse-snapshot';

export interface ChaosBackfillOptions {
  /** A fresh directory for this run's server, emulator and worker files. */
  dir: string;
  /** Consecutive days; the first is the shop's first day (DMS full load). */
  dates: string[];
  plan: FaultPlan;
  /** The production workflow bundle's code in a file, for worker processes. */
  bundlePath: string;
  maxConcurrent?: number;
  /** Scripted run durations (e.g. long Glue jobs, so a kill surely finds one running). */
  durations?: DurationRule[];
  /** Progress lines (faults fired, restarts); silent by default. */
  log?: (line: string) => void;
}

export interface ChaosOutcome {
  plan: FaultPlan;
  backfill?: BackfillProgress;
  error?: string;
  startCalls: StartCall[];
  /** Redshift Data statements that ended FAILED (a serialization conflict aborts the transaction: no work done). */
  failedStatements: string[];
  /** Faults that actually hit a call or a process, per kind (an armed fault no call met is not counted). */
  injected: Record<FaultKind, number>;
  recoveries: Recovery[];
  /** Each dev server restart: stopped to accepting connections again, ms. */
  restartsMs: number[];
  /** Worker processes that exited without being killed by the plan, with their last output. */
  workerDeaths: string[];
  warehouse: WarehouseSnapshot;
  scd2Problems: string[];
  elapsedMs: number;
}

/** The serialization failure Redshift reports; the message AWS documents for ERROR: 1023. */
const SERIALIZATION_CONFLICT =
  'ERROR: 1023 DETAIL: Serializable isolation violation on table - 100123, transactions forming the cycle are: 1234, 1235 (pid:5678)';

export async function runChaosBackfill(options: ChaosBackfillOptions): Promise<ChaosOutcome> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const world = shopWorld(options.dates[0]!);
  const days = shopDays(world, options.dates);
  const serverDir = path.join(options.dir, 'temporal');
  await mkdir(serverDir, { recursive: true });
  const ports = { grpc: await freePort(), ui: await freePort() };
  let server: DevServer = await startDevServer(serverDir, ports.grpc, ports.ui);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const lane = await ShopLane.start({
    name: `chaos-${options.plan.seed}`,
    dataDir: options.dir,
    world,
    client,
    address: server.address,
    namespace: 'default',
    timing: { transitionMs: 50, runMs: 400 },
  });
  const injectedByProcess: Partial<Record<FaultKind, number>> = {};
  const armed: Partial<Record<FaultKind, number>> = {};
  const arm = (fault: Fault) =>
    (armed[fault.kind] = (armed[fault.kind] ?? 0) + ('count' in fault ? fault.count : 1));
  const recoveries: Recovery[] = [];
  const restartsMs: number[] = [];
  const workerDeaths: string[] = [];
  let worker: WorkerProcess | undefined;
  let killing = false;
  let stopped = false;

  const spawnWorker = async () => {
    const current = await spawnWorkerProcess(
      { config: lane.config, pipelines: lane.pipelineDefinitions(), bundlePath: options.bundlePath },
      options.dir,
    );
    worker = current;
    void current.exited.then(async () => {
      if (killing || worker !== current || stopped) return;
      // Not the plan's doing: a defect to report. Replace it so the run can still show what else broke.
      workerDeaths.push(current.output().slice(-2000));
      log(`worker process died on its own; starting another`);
      await spawnWorker();
    });
  };

  const fire = async (fault: Fault) => {
    log(`fault at start #${lane.startCalls().length}: ${JSON.stringify(fault)}`);
    switch (fault.kind) {
      case 'throttle-burst': {
        const rule = { operation: fault.operation, count: fault.count };
        await lane.emulator.admin.failNextCalls(rule);
        arm(fault);
        break;
      }
      case 'serialization-conflict': {
        await lane.emulator.admin.failNextRuns({
          service: 'redshift-data',
          name: '*',
          count: fault.count,
          message: SERIALIZATION_CONFLICT,
        });
        arm(fault);
        break;
      }
      case 'after-effect-500':
      case 'after-effect-drop': {
        // The call runs (a run starts, the log records it), then its answer is the service's 500 or none.
        const response = fault.kind === 'after-effect-drop' ? 'drop' : 'error';
        await lane.emulator.admin.failNextCalls({
          operation: fault.operation,
          phase: 'after-effect',
          response,
        });
        arm(fault);
        break;
      }
      case 'worker-sigkill': {
        killing = true;
        const killedAtMs = Date.now();
        await worker?.kill();
        killing = false;
        recoveries.push({ killedAtMs, resumed: [] });
        injectedByProcess[fault.kind] = (injectedByProcess[fault.kind] ?? 0) + 1;
        await spawnWorker();
        break;
      }
      case 'server-restart': {
        const stoppedAt = Date.now();
        await server.stop();
        server = await startDevServer(serverDir, ports.grpc, ports.ui);
        if (server.address !== `127.0.0.1:${ports.grpc}`)
          throw new Error(`the restarted dev server took another port: ${server.address}`);
        restartsMs.push(Date.now() - stoppedAt);
        injectedByProcess[fault.kind] = (injectedByProcess[fault.kind] ?? 0) + 1;
        break;
      }
    }
  };

  try {
    await spawnWorker();
    for (const rule of options.durations ?? []) await lane.emulator.admin.setDuration(rule);
    await lane.emulator.admin.setSourceClock(days.at(-1)!.endUtc);
    const workflowId = `shop/backfill/${options.dates[0]}..${options.dates.at(-1)}`;
    await client.workflow.start('backfill', {
      taskQueue: lane.taskQueue,
      workflowId,
      args: [
        {
          pipeline: 'shop',
          from: options.dates[0],
          to: options.dates.at(-1),
          only: 'missing',
          maxConcurrent: options.maxConcurrent ?? 2,
          order: 'oldest',
          dryRun: false,
        },
      ],
    });

    // Fire each fault when the Start* log reaches its count, until the backfill has closed.
    const pending = [...options.plan.faults];
    let closed = false;
    const firing = (async () => {
      while (!closed) {
        const calls = lane.startCalls().length;
        while (pending.length > 0 && pending[0]!.atStart <= calls && !closed) await fire(pending.shift()!);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    let backfill: BackfillProgress | undefined;
    let error: string | undefined;
    try {
      backfill = await resultSurvivingRestarts(client, workflowId);
    } catch (failure) {
      error =
        failure instanceof WorkflowFailedError
          ? `${failure.message}: ${String(failure.cause)}`
          : String(failure);
    } finally {
      closed = true;
      await firing;
    }

    const attempts = await activityAttempts(client, 'dailyPipeline');
    for (const [index, recovery] of recoveries.entries())
      recoveries[index] = recoveryAfterKill(recovery.killedAtMs, attempts);

    const injected = Object.fromEntries(
      FAULT_KINDS.map((kind) => [kind, injectedByProcess[kind] ?? 0]),
    ) as Record<FaultKind, number>;
    // A scripted rule's count drops as calls and runs meet it; what is left was never injected.
    const left = scriptedFaultsLeft(lane.emulator.admin.script());
    for (const kind of FAULT_KINDS) injected[kind] += (armed[kind] ?? 0) - (left[kind] ?? 0);
    await lane.emulator.admin.resetScript();
    const startCalls = lane.startCalls();
    return {
      plan: options.plan,
      ...(backfill ? { backfill } : {}),
      ...(error ? { error } : {}),
      startCalls,
      failedStatements: await failedStatements(lane, startCalls),
      injected,
      recoveries,
      restartsMs,
      workerDeaths,
      warehouse: await warehouseSnapshot(lane.warehouse),
      scd2Problems: await scd2Violations(lane.warehouse),
      elapsedMs: Date.now() - started,
    };
  } finally {
    stopped = true;
    await worker?.kill();
    await lane.stop();
    await connection.close();
    await server.stop();
  }
}

async function failedStatements(lane: ShopLane, calls: StartCall[]): Promise<string[]> {
  const failed: string[] = [];
  for (const call of calls) {
    if (call.service !== 'redshift-data' || call.outcome !== 'started' || !call.runId) continue;
    const statement = await lane.aws.redshiftData.send(new DescribeStatementCommand({ Id: call.runId }));
    if (statement.Status === 'FAILED') failed.push(call.runId);
  }
  return failed;
}

function scriptedFaultsLeft(script: EmulatorScript): Partial<Record<FaultKind, number>> {
  const left: Partial<Record<FaultKind, number>> = {};
  const add = (kind: FaultKind, count: number) => (left[kind] = (left[kind] ?? 0) + count);
  for (const rule of script.callFaults) {
    const kind: FaultKind =
      rule.phase === 'before'
        ? 'throttle-burst'
        : rule.response === 'drop'
          ? 'after-effect-drop'
          : 'after-effect-500';
    add(kind, rule.count);
  }
  for (const rule of script.runFailures) add('serialization-conflict', rule.count);
  return left;
}

/**
 * The backfill's result, read again while the server is away: a restart drops the long poll, and the
 * client's own gRPC retries give up before a loaded machine has the server back.
 */
async function resultSurvivingRestarts(client: Client, workflowId: string): Promise<BackfillProgress> {
  let lastError: unknown;
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    try {
      return (await client.workflow.getHandle(workflowId).result()) as BackfillProgress;
    } catch (error) {
      if (error instanceof WorkflowFailedError) throw error;
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  throw new Error(`no result of ${workflowId} within 10 minutes: ${String(lastError)}`);
}
