/**
 * The optional crawler after a Glue job: StartCrawler, then GetCrawler until the crawler is READY again
 * with a LastCrawl status of SUCCEEDED / FAILED / CANCELLED.
 *
 * The crawler is shared by all dates. A crawl already running (StartCrawler answers
 * CrawlerRunningException) may have listed S3 before this date's job wrote its partition, so it is not
 * attached to: the activity waits for it to end (State READY), then starts a crawl of its own. GetCrawler
 * cannot say what a running crawl has already read (botocore glue Crawler: only State, CrawlElapsedTime and
 * the previous crawl's LastCrawl), so no running crawl is trusted to cover our data.
 */
import {
  type Crawler,
  GetCrawlerCommand,
  type GlueClient,
  StartCrawlerCommand,
  StopCrawlerCommand,
} from '@aws-sdk/client-glue';
import type { PollSettings, StageHeartbeat } from '../core/stage-io';
import { activityContext, awsCall } from './aws-call';
import { awsErrorCodeOf, type FailureSubject } from './aws-errors';
import { consoleLinks, linkIn } from './console-links';
import { nextPollDelayMs, type RunOutcome, type RunPhase, runToTerminal } from './poll-run';

/** READY answers without a crawl newer than our request this many times: the crawl never started. */
const CRAWLER_START_CHECKS = 10;
/** Tolerated clock difference between this worker and Glue when matching LastCrawl.StartTime. */
const CLOCK_SKEW_MS = 60_000;
const CRAWLER_STOP_WAIT_MS = 10 * 60_000;

interface CrawlerStatus {
  crawler: Crawler;
  phase: RunPhase;
  state: string;
  message: string;
}

export interface GlueCrawlerRequest {
  glue: GlueClient;
  region: string | undefined;
  crawlerName: string;
  poll: PollSettings;
  /** Heartbeated while crawling, so a retried attempt resumes the (finished) job, then re-attaches. */
  jobHeartbeat: StageHeartbeat;
}

const LAST_CRAWL_PHASES: Readonly<Record<string, RunPhase>> = {
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  CANCELLED: 'failed',
};

export async function runGlueCrawler(request: GlueCrawlerRequest): Promise<RunOutcome<CrawlerStatus>> {
  const { glue, crawlerName } = request;
  const consoleUrl = linkIn(request.region, consoleLinks.glueCrawler, crawlerName);
  const subject: FailureSubject = {
    service: 'Glue',
    job: `crawler ${crawlerName}`,
    runId: crawlerName,
    ...(consoleUrl ? { consoleUrl } : {}),
  };
  let requestedAt = Date.now();
  let sawCrawling = false;
  let readyChecks = 0;

  const classify = (crawler: Crawler): CrawlerStatus => {
    if (crawler.State !== 'READY') {
      sawCrawling = true;
      return { crawler, phase: 'running', state: crawler.State ?? 'UNKNOWN', message: '' };
    }
    const last = crawler.LastCrawl;
    const ours =
      sawCrawling ||
      (last?.StartTime !== undefined && last.StartTime.getTime() >= requestedAt - CLOCK_SKEW_MS);
    if (ours && last?.Status) {
      return {
        crawler,
        phase: LAST_CRAWL_PHASES[last.Status] ?? 'failed',
        state: last.Status,
        message: last.ErrorMessage ?? `crawl ended ${last.Status}`,
      };
    }
    readyChecks += 1;
    if (readyChecks >= CRAWLER_START_CHECKS) {
      return {
        crawler,
        phase: 'failed',
        state: 'READY',
        message: `the crawler stayed READY without a new crawl ${readyChecks} times after StartCrawler; check its schedule and logs`,
      };
    }
    return { crawler, phase: 'running', state: 'READY', message: '' };
  };

  const getCrawler = async (): Promise<Crawler> => {
    const response = await awsCall(subject, 'GetCrawler', (options) =>
      glue.send(new GetCrawlerCommand({ Name: crawlerName }), options),
    );
    if (!response.Crawler) throw new Error(`Glue GetCrawler ${crawlerName} returned no Crawler`);
    return response.Crawler;
  };

  /** Polls until a crawl someone else started has ended, heartbeating the job's progress meanwhile. */
  const waitUntilReady = async (): Promise<void> => {
    const context = activityContext();
    context?.log.info(`Glue crawler ${crawlerName}: a crawl is already running; waiting for it to end`);
    for (let waits = 0; ; waits += 1) {
      if ((await getCrawler()).State === 'READY') return;
      const heartbeatTimeout = context?.info.heartbeatTimeoutMs;
      let remaining = nextPollDelayMs(request.poll, waits);
      while (remaining > 0) {
        const step = heartbeatTimeout
          ? Math.min(remaining, Math.max(1, Math.floor(heartbeatTimeout / 3)))
          : remaining;
        await (context ? context.sleep(step) : new Promise((resolve) => setTimeout(resolve, step)));
        context?.heartbeat(request.jobHeartbeat);
        remaining -= step;
      }
    }
  };

  return runToTerminal<CrawlerStatus>({
    service: 'Glue',
    job: `crawler ${crawlerName}`,
    poll: request.poll,
    stopWaitMs: CRAWLER_STOP_WAIT_MS,
    resumeFromHeartbeat: false,
    heartbeatDetails: () => request.jobHeartbeat,
    consoleUrl: () => consoleUrl,
    findExisting: () => Promise.resolve(undefined),
    start: async () => {
      // Another date's stage may start the crawler again between our READY check and StartCrawler: retry.
      for (;;) {
        requestedAt = Date.now();
        try {
          await awsCall(subject, 'StartCrawler', (options) =>
            glue.send(new StartCrawlerCommand({ Name: crawlerName }), options),
          );
          return { runId: crawlerName };
        } catch (error) {
          if (awsErrorCodeOf(error) !== 'CrawlerRunningException') throw error;
        }
        await waitUntilReady();
      }
    },
    describe: async () => classify(await getCrawler()),
    stateOf: (status) => status.state,
    phaseOf: (status) => status.phase,
    failureMessage: (status) => status.message,
    stop: async () => {
      try {
        await awsCall(subject, 'StopCrawler', (options) =>
          glue.send(new StopCrawlerCommand({ Name: crawlerName }), options),
        );
      } catch (error) {
        if (awsErrorCodeOf(error) !== 'CrawlerNotRunningException') throw error;
      }
    },
  });
}
