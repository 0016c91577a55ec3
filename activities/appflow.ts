/**
 * AppFlow stage: run an on-demand flow once per logical date, then copy that execution's files from
 * where the flow's own S3 destination config puts them (appflow-destination.ts; the shop's flows
 * write bronze/saas/_appflow/<flow>/<executionId>/) to the date's snapshot prefix, named
 * part-NNNNN.<fileType>.
 *
 * Start-or-attach: execution records carry no client token, so after StartFlow the activity writes a
 * marker `_medallion/appflow/<flow>/<runKey>.json` with the execution id. A later attempt reads the
 * marker and attaches when the execution record is InProgress or Successful. StartFlow itself uses
 * clientToken = run key, so a start whose response was lost returns the same execution (AppFlow keeps
 * the token 8 hours).
 */
import {
  type AppflowClient,
  CancelFlowExecutionsCommand,
  DescribeFlowCommand,
  type ExecutionRecord,
  type ExecutionStatus,
  paginateDescribeFlowExecutionRecords,
  StartFlowCommand,
} from '@aws-sdk/client-appflow';
import { FailureType } from '../core/errors';
import { parseS3Uri, s3Uri } from '../core/lake-layout';
import type { AppFlowStageInput, StageResult } from '../core/stage-io';
import { appflowOutput } from './appflow-destination';
import { activityContext, awsCall, clientRegion } from './aws-call';
import { detectedFailure, type FailureSubject } from './aws-errors';
import { consoleLinks, linkIn } from './console-links';
import { type RunPhase, runToTerminal } from './poll-run';
import type { S3Activities } from './s3';
import { identitySchema, parseStageInput, pollSchema, s3PrefixSchema, z } from './stage-input';
import { stageResult } from './stage-result';

/** CancelStarted is not an end: the execution may still write until Canceled, so poll on. */
const APPFLOW_EXECUTION_PHASES: Readonly<Record<ExecutionStatus, RunPhase>> = {
  InProgress: 'running',
  CancelStarted: 'running',
  Successful: 'succeeded',
  Error: 'failed',
  Canceled: 'failed',
};

/** Polls without the execution in the flow's records before the run counts as lost. */
const APPFLOW_MISSING_RECORD_LIMIT = 10;
const APPFLOW_STOP_WAIT_MS = 10 * 60_000;
const RECORDS_PAGE_SIZE = 100;

export interface AppFlowRunMarker {
  executionId: string;
  runKey: string;
  startedAt: string;
}

function appflowMarkerUri(bucket: string, flowName: string, runKey: string): string {
  return s3Uri(bucket, `_medallion/appflow/${flowName}/${runKey}.json`);
}

interface ExecutionStatusView {
  record: ExecutionRecord | undefined;
  /** Consecutive polls that did not find the execution in the records. */
  missing: number;
}

const appflowInputSchema = z.object({
  kind: z.literal('appflow'),
  identity: identitySchema,
  poll: pollSchema,
  flowName: z.string().regex(/^[a-zA-Z0-9][\w!@#.-]+$/, 'expected an AppFlow flow name (no spaces)'),
  outputPrefix: s3PrefixSchema,
}) satisfies z.ZodType<AppFlowStageInput>;

export function createAppFlowActivities(clients: { appflow: AppflowClient; s3: S3Activities }) {
  const { appflow, s3 } = clients;
  const regionPromise = clientRegion(appflow);

  async function runAppFlowStage(rawInput: AppFlowStageInput): Promise<StageResult> {
    const input = parseStageInput(appflowInputSchema, rawInput, 'runAppFlowStage');
    const { flowName, identity } = input;
    const region = await regionPromise;
    const consoleUrl = linkIn(region, consoleLinks.appflowRuns, flowName);
    const subject = (runId?: string): FailureSubject => ({
      service: 'AppFlow',
      job: flowName,
      ...(runId ? { runId } : {}),
      ...(consoleUrl ? { consoleUrl } : {}),
    });
    const bucket = parseS3Uri(input.outputPrefix).bucket;
    const markerUri = appflowMarkerUri(bucket, flowName, identity.runKey);

    const findRecord = (executionId: string) =>
      awsCall(subject(executionId), 'DescribeFlowExecutionRecords', async (options) => {
        const pages = paginateDescribeFlowExecutionRecords(
          { client: appflow },
          { flowName, maxResults: RECORDS_PAGE_SIZE },
          options,
        );
        for await (const page of pages) {
          const record = page.flowExecutions?.find((r) => r.executionId === executionId);
          if (record) return record;
        }
        return undefined;
      });

    // The flow's own destination config says where an execution's files are and what they are.
    // Checked before the flow runs, so a flow medallion cannot read from is refused, not run.
    const flow = await awsCall(subject(), 'DescribeFlow', (options) =>
      appflow.send(new DescribeFlowCommand({ flowName }), options),
    );
    const layoutProblem = appflowOutput(flow, flowName, 'EXECUTION');
    if (typeof layoutProblem === 'string') {
      throw detectedFailure(FailureType.InvalidConfig, subject(), layoutProblem);
    }

    let missing = 0;
    const outcome = await runToTerminal<ExecutionStatusView>({
      service: 'AppFlow',
      job: flowName,
      poll: input.poll,
      stopWaitMs: APPFLOW_STOP_WAIT_MS,
      consoleUrl: () => consoleUrl,
      findExisting: async () => {
        const marker = await s3.readJsonIfExists<Partial<AppFlowRunMarker>>(markerUri);
        if (typeof marker?.executionId !== 'string') return undefined;
        const record = await findRecord(marker.executionId);
        const usable = record?.executionStatus === 'InProgress' || record?.executionStatus === 'Successful';
        return usable ? { runId: marker.executionId, startedAt: record.startedAt } : undefined;
      },
      start: async () => {
        const response = await awsCall(subject(), 'StartFlow', (options) =>
          appflow.send(new StartFlowCommand({ flowName, clientToken: identity.runKey }), options),
        );
        if (!response.executionId) {
          throw detectedFailure(
            FailureType.InvalidConfig,
            subject(),
            'StartFlow returned no execution id: only on-demand flows can be run by medallion; set the flow trigger to OnDemand',
          );
        }
        const marker: AppFlowRunMarker = {
          executionId: response.executionId,
          runKey: identity.runKey,
          startedAt: new Date().toISOString(),
        };
        try {
          await s3.writeJson(markerUri, marker);
        } catch (error) {
          // The heartbeat and the client token still lead a retry to this execution.
          activityContext()?.log.warn(`AppFlow ${flowName}: could not write run marker ${markerUri}`, {
            error: error instanceof Error ? error.message : String(error),
          });
        }
        return { runId: response.executionId };
      },
      describe: async (executionId) => {
        const record = await findRecord(executionId);
        missing = record ? 0 : missing + 1;
        return { record, missing };
      },
      stateOf: (view) => view.record?.executionStatus ?? 'NotListed',
      phaseOf: (view) => {
        if (!view.record) return view.missing >= APPFLOW_MISSING_RECORD_LIMIT ? 'failed' : 'running';
        const status = view.record.executionStatus;
        return (status ? APPFLOW_EXECUTION_PHASES[status] : undefined) ?? 'running';
      },
      failureMessage: (view) =>
        view.record
          ? (view.record.executionResult?.errorInfo?.executionMessage ?? 'AppFlow reported no error message')
          : `the execution did not appear in the flow's execution records after ${view.missing} polls`,
      // A missing record is not settled after a stop: the execution may still be writing.
      isSettled: (view) => {
        const status = view.record?.executionStatus;
        return status !== undefined && APPFLOW_EXECUTION_PHASES[status] !== 'running';
      },
      stop: async (executionId) => {
        const response = await awsCall(subject(executionId), 'CancelFlowExecutions', (options) =>
          appflow.send(new CancelFlowExecutionsCommand({ flowName, executionIds: [executionId] }), options),
        );
        if (response.invalidExecutions?.includes(executionId)) {
          throw new Error(
            `AppFlow could not cancel execution ${executionId} (not started yet or already ended)`,
          );
        }
      },
    });

    const executionId = outcome.runId;
    const result = outcome.status.record?.executionResult;
    const records = Number(result?.recordsProcessed ?? 0);
    const output = appflowOutput(flow, flowName, executionId);
    if (typeof output === 'string') throw detectedFailure(FailureType.InvalidConfig, subject(), output);
    const rawPrefix = output.executionPrefix;
    // Records processed but no file where the flow's config says they go: fail here, not with an
    // empty snapshot that the silver stage would read as "no accounts".
    if (records > 0) await s3.assertLanded(rawPrefix, 1);
    const copy = await s3.copyPrefix({
      fromPrefix: rawPrefix,
      toPrefix: input.outputPrefix,
      naming: 'numbered',
      extension: output.extension,
      replace: true,
    });
    return stageResult(identity, outcome, {
      metrics: { rowsIn: records, rowsOut: records },
      details: {
        executionId,
        rawPrefix,
        snapshotPrefix: input.outputPrefix,
        objectsCopied: copy.copied.length,
        staleObjectsDeleted: copy.deleted,
        ...(result?.bytesWritten !== undefined ? { bytesWritten: Number(result.bytesWritten) } : {}),
      },
    });
  }

  return { runAppFlowStage };
}
