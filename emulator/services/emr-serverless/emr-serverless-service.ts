import { restJsonHandler } from '../../http/rest-json-protocol';
import type { EmulatedService, ServiceContext } from '../service-context';
import { JobRuns } from '../job-runs';
import { EmrJobRuns, type EmrJobRunRecord, emrRunFinished } from './emr-job-runs';

/** EMR Serverless (restJson1): applications and job runs, paths as in the service model. */
export async function createEmrServerlessService(ctx: ServiceContext): Promise<EmulatedService> {
  const runs = new EmrJobRuns(
    ctx,
    await JobRuns.open<EmrJobRunRecord>(ctx, 'emr-serverless-job-runs', {
      groupOf: (run) => run.applicationId,
      isFinished: emrRunFinished,
    }),
  );
  return {
    signingName: 'emr-serverless',
    handler: restJsonHandler(
      'emr-serverless',
      [
        {
          method: 'GET',
          path: '/applications/{applicationId}',
          operation: 'GetApplication',
          handle: (c) => runs.getApplication(c),
        },
        {
          method: 'POST',
          path: '/applications/{applicationId}/jobruns',
          operation: 'StartJobRun',
          handle: (c) => runs.startJobRun(c),
        },
        {
          method: 'GET',
          path: '/applications/{applicationId}/jobruns',
          operation: 'ListJobRuns',
          handle: (c) => runs.listJobRuns(c),
        },
        {
          method: 'GET',
          path: '/applications/{applicationId}/jobruns/{jobRunId}',
          operation: 'GetJobRun',
          handle: (c) => runs.getJobRun(c),
        },
        {
          method: 'DELETE',
          path: '/applications/{applicationId}/jobruns/{jobRunId}',
          operation: 'CancelJobRun',
          handle: (c) => runs.cancelJobRun(c),
        },
      ],
      ctx.gate,
    ),
    resume: () => runs.resume(),
  };
}
