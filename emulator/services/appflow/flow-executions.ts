import { z } from 'zod';
import type { AppFlowFlowConfig } from '../../emulator-config';
import { AwsError } from '../../http/aws-error';
import { paginate } from '../../http/pagination';
import type { RestJsonCall } from '../../http/rest-json-protocol';
import { epochSeconds } from '../../http/timestamps';
import { parseInput } from '../../http/validate-input';
import { uuid } from '../../runtime/ids';
import type { StateFile } from '../../runtime/state-file';
import { mainPhaseMs, takeScriptedFailure } from '../run-timing';
import type { ServiceContext } from '../service-context';
import { executionFolderUri, nameLikeAppFlow } from './flow-output';
import type { FlowExecutionRecord, FlowExecutionsState } from './flow-execution-records';
import { flowView } from './flow-view';

const VALIDATION = 'ValidationException';
const flowName = z.string().min(1, 'Member must not be null');

/** AppFlow on-demand executions: InProgress -> Successful | Error, CancelStarted -> Canceled. */
export class FlowExecutions {
  private readonly working = new Set<string>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly state: StateFile<FlowExecutionsState>,
  ) {}

  describeFlow({ body }: RestJsonCall): unknown {
    const request = parseInput(z.object({ flowName }), body, VALIDATION);
    const flow = this.flow(request.flowName);
    const latest = this.executionsOf(flow.name).at(-1);
    return flowView({
      flow,
      arn: this.flowArn(flow),
      createdAt: this.state.data.createdAt,
      accountId: this.ctx.config.accountId,
      latest,
    });
  }

  async startFlow({ body }: RestJsonCall): Promise<unknown> {
    const request = parseInput(
      z.object({
        flowName,
        clientToken: z
          .string()
          .regex(/^[ -~]{1,256}$/, 'Member must match [ -~]{1,256}')
          .optional(),
      }),
      body,
      VALIDATION,
    );
    const record = (outcome: 'started' | 'replayed' | 'rejected', runId?: string, error?: string) =>
      this.ctx.calls.record({
        service: 'appflow',
        operation: 'StartFlow',
        resource: request.flowName,
        outcome,
        ...(request.clientToken === undefined ? {} : { idempotencyKey: request.clientToken }),
        ...(runId === undefined ? {} : { runId }),
        ...(error === undefined ? {} : { error }),
      });
    const flow = this.ctx.config.appflow.flows.find((f) => f.name === request.flowName);
    if (!flow) {
      await record('rejected', undefined, 'ResourceNotFoundException');
      throw flowNotFound(request.flowName);
    }
    const executions = (this.state.data.executions[flow.name] ??= []);
    const earlier =
      request.clientToken === undefined
        ? undefined
        : executions.find((e) => e.clientToken === request.clientToken);
    if (earlier) {
      await record('replayed', earlier.executionId);
      return { flowArn: this.flowArn(flow), flowStatus: 'Active', executionId: earlier.executionId };
    }
    const now = this.ctx.clock.now();
    const execution: FlowExecutionRecord = {
      executionId: uuid(),
      flowName: flow.name,
      ...(request.clientToken === undefined ? {} : { clientToken: request.clientToken }),
      status: 'InProgress',
      startedAt: now,
      updatedAt: now,
      deadline: now + mainPhaseMs(this.ctx, 'appflow', [flow.name], flow.durationMs),
      asOfMs: this.ctx.clock.sourceNow(),
      work: 'pending',
    };
    const failure = await takeScriptedFailure(this.ctx, 'appflow', [flow.name]);
    if (failure !== undefined) execution.scriptedFailure = failure;
    executions.push(execution);
    await this.state.save();
    await record('started', execution.executionId);
    this.drive(flow, execution);
    return { flowArn: this.flowArn(flow), flowStatus: 'Active', executionId: execution.executionId };
  }

  describeFlowExecutionRecords({ body }: RestJsonCall): unknown {
    const request = parseInput(
      z.object({
        flowName,
        maxResults: z.number().int().min(1).max(100).optional(),
        nextToken: z.string().optional(),
      }),
      body,
      VALIDATION,
    );
    const flow = this.flow(request.flowName);
    const newestFirst = [...this.executionsOf(flow.name)].reverse();
    const page = paginate(
      newestFirst,
      (e) => e.executionId,
      request.nextToken,
      request.maxResults ?? 100,
      VALIDATION,
      (e) => e.startedAt,
    );
    return { flowExecutions: page.items.map((e) => executionView(e)), nextToken: page.nextToken };
  }

  async cancelFlowExecutions({ body }: RestJsonCall): Promise<unknown> {
    const request = parseInput(
      z.object({ flowName, executionIds: z.array(z.string().min(1)).max(100).optional() }),
      body,
      VALIDATION,
    );
    const flow = this.flow(request.flowName);
    const executions = this.executionsOf(flow.name);
    const ids =
      request.executionIds ?? executions.filter((e) => e.status === 'InProgress').map((e) => e.executionId);
    const invalid: string[] = [];
    const now = this.ctx.clock.now();
    for (const id of ids) {
      const execution = executions.find((e) => e.executionId === id);
      if (!execution || execution.status !== 'InProgress') {
        invalid.push(id);
        continue;
      }
      execution.status = 'CancelStarted';
      execution.updatedAt = now;
      execution.deadline = now + this.ctx.config.timing.transitionMs;
    }
    await this.state.save();
    for (const execution of executions.filter((e) => e.status === 'CancelStarted'))
      this.drive(flow, execution);
    return { invalidExecutions: invalid };
  }

  resume(): void {
    for (const flow of this.ctx.config.appflow.flows) {
      for (const execution of this.executionsOf(flow.name)) this.drive(flow, execution);
    }
  }

  private drive(flow: AppFlowFlowConfig, execution: FlowExecutionRecord): void {
    const key = `appflow:${execution.executionId}`;
    if (execution.status === 'InProgress') {
      if (execution.work === 'pending') this.writeSnapshot(flow, execution);
      else this.ctx.scheduler.at(key, execution.deadline, () => this.finish(execution));
    } else if (execution.status === 'CancelStarted') {
      // The execution may still be writing while CancelStarted: Canceled comes once the writing stopped.
      this.ctx.scheduler.at(key, execution.deadline, async () => {
        if (execution.status !== 'CancelStarted') return;
        if (this.working.has(execution.executionId)) {
          execution.deadline = this.ctx.clock.now() + this.ctx.config.timing.transitionMs;
          this.drive(flow, execution);
          return;
        }
        execution.status = 'Canceled';
        execution.updatedAt = this.ctx.clock.now();
        await this.state.save();
      });
    }
  }

  private writeSnapshot(flow: AppFlowFlowConfig, execution: FlowExecutionRecord): void {
    if (this.ctx.scheduler.isStopped || this.working.has(execution.executionId)) return;
    this.working.add(execution.executionId);
    this.ctx.work.start(async () => {
      let error = execution.scriptedFailure;
      if (error === undefined) {
        try {
          const outputUri = executionFolderUri(flow, execution.executionId, execution.startedAt, 1);
          const result = await this.ctx.sources.writeAppFlowSnapshot({
            seed: flow.seed,
            object: flow.object,
            asOfUtc: new Date(execution.asOfMs),
            outputUri,
            resolve: this.ctx.lake.resolve,
          });
          await nameLikeAppFlow(
            this.ctx.lake.resolve(outputUri),
            flow,
            execution.executionId,
            execution.startedAt,
          );
          execution.recordsProcessed = result.recordsProcessed;
          execution.bytesWritten = result.bytesWritten;
        } catch (cause) {
          error = cause instanceof Error ? cause.message : String(cause);
        }
      }
      this.working.delete(execution.executionId);
      if (execution.status !== 'InProgress' || execution.work !== 'pending') return;
      execution.work = 'done';
      if (error !== undefined) execution.error = error;
      await this.state.save();
      this.drive(flow, execution);
    });
  }

  private async finish(execution: FlowExecutionRecord): Promise<void> {
    if (execution.status !== 'InProgress' || execution.work !== 'done') return;
    execution.status = execution.error === undefined ? 'Successful' : 'Error';
    execution.updatedAt = this.ctx.clock.now();
    await this.state.save();
  }

  private flow(name: string): AppFlowFlowConfig {
    const flow = this.ctx.config.appflow.flows.find((f) => f.name === name);
    if (!flow) throw flowNotFound(name);
    return flow;
  }

  private executionsOf(name: string): FlowExecutionRecord[] {
    return this.state.data.executions[name] ?? [];
  }

  private flowArn(flow: AppFlowFlowConfig): string {
    return `arn:aws:appflow:${this.ctx.config.region}:${this.ctx.config.accountId}:flow/${flow.name}`;
  }
}

function executionView(execution: FlowExecutionRecord): Record<string, unknown> {
  return {
    executionId: execution.executionId,
    executionStatus: execution.status,
    executionResult: {
      ...(execution.error === undefined
        ? {}
        : { errorInfo: { putFailuresCount: 0, executionMessage: execution.error } }),
      bytesProcessed: execution.bytesWritten ?? 0,
      bytesWritten: execution.bytesWritten ?? 0,
      recordsProcessed: execution.recordsProcessed ?? 0,
      numParallelProcesses: 1,
      maxPageSize: 2000,
    },
    startedAt: epochSeconds(execution.startedAt),
    lastUpdatedAt: epochSeconds(execution.updatedAt),
    dataPullStartTime: epochSeconds(execution.asOfMs),
    dataPullEndTime: epochSeconds(execution.asOfMs),
  };
}

function flowNotFound(name: string): AwsError {
  return new AwsError('ResourceNotFoundException', `Flow ${name} does not exist`, 404);
}
