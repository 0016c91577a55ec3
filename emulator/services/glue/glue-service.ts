import { jsonRpcHandler } from '../../http/json-rpc-protocol';
import type { EmulatedService, ServiceContext } from '../service-context';
import { GlueCrawlers, type GlueCrawlersState } from './glue-crawlers';
import { JobRuns } from '../job-runs';
import { GlueJobRuns, type GlueJobRunRecord, glueRunFinished } from './glue-job-runs';

/** AWS Glue (awsJson1_1, X-Amz-Target AWSGlue.*): jobs, job runs and crawlers. */
export async function createGlueService(ctx: ServiceContext): Promise<EmulatedService> {
  const createdAt = ctx.clock.now();
  const runs = new GlueJobRuns(
    ctx,
    await JobRuns.open<GlueJobRunRecord>(ctx, 'glue-job-runs', {
      groupOf: (run) => run.jobName,
      isFinished: glueRunFinished,
    }),
  );
  const crawlers = new GlueCrawlers(
    ctx,
    await ctx.openState<GlueCrawlersState>('glue-crawlers', () => ({ createdAt, crawlers: {} })),
  );
  return {
    signingName: 'glue',
    handler: jsonRpcHandler(
      {
        service: 'glue',
        targetPrefix: 'AWSGlue',
        operations: {
          GetJob: (input) => runs.getJob(input),
          StartJobRun: (input) => runs.startJobRun(input),
          GetJobRun: (input) => runs.getJobRun(input),
          GetJobRuns: (input) => runs.getJobRuns(input),
          BatchStopJobRun: (input) => runs.batchStopJobRun(input),
          StartCrawler: (input) => crawlers.startCrawler(input),
          GetCrawler: (input) => crawlers.getCrawler(input),
          StopCrawler: (input) => crawlers.stopCrawler(input),
        },
      },
      ctx.gate,
    ),
    resume: () => {
      runs.resume();
      crawlers.resume();
    },
  };
}
