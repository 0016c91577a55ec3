import { z } from 'zod';
import type { GlueCrawlerConfig } from '../../emulator-config';
import { AwsError } from '../../http/aws-error';
import { epochSeconds } from '../../http/timestamps';
import { parseInput } from '../../http/validate-input';
import { uuid } from '../../runtime/ids';
import type { StateFile } from '../../runtime/state-file';
import { mainPhaseMs, takeScriptedFailure } from '../run-timing';
import type { ServiceContext } from '../service-context';

export interface GlueCrawlRecord {
  state: 'READY' | 'RUNNING' | 'STOPPING';
  /** End of the current RUNNING / STOPPING phase. */
  deadline?: number;
  startedAt?: number;
  /** The outcome the running crawl will report (fixed at start so a restart keeps it). */
  scriptedFailure?: string;
  /** StopCrawler was called during this crawl: it ends CANCELLED. */
  stopRequested?: boolean;
  lastCrawl?: {
    status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
    errorMessage?: string;
    startTime: number;
    id: string;
  };
  updatedAt: number;
}

export interface GlueCrawlersState {
  createdAt: number;
  crawlers: Record<string, GlueCrawlRecord>;
}

const nameInput = z.object({ Name: z.string().min(1, 'Member must not be null') });

/**
 * Glue crawlers: READY -> RUNNING -> STOPPING -> READY, with LastCrawl telling how it went. StopCrawler
 * ends a running crawl early (STOPPING, then READY with LastCrawl CANCELLED), as the Glue API
 * reference describes it (botocore glue 2017-03-31: StopCrawler, LastCrawlStatus).
 */
export class GlueCrawlers {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly state: StateFile<GlueCrawlersState>,
  ) {}

  async startCrawler(input: unknown): Promise<unknown> {
    const { Name } = parseInput(nameInput, input, 'InvalidInputException');
    const crawler = this.ctx.config.glue.crawlers.find((c) => c.name === Name);
    if (!crawler) {
      await this.ctx.calls.record({
        service: 'glue',
        operation: 'StartCrawler',
        resource: Name,
        outcome: 'rejected',
        error: 'EntityNotFoundException',
      });
      throw notFound(Name);
    }
    const record = this.record(Name);
    if (record.state !== 'READY') {
      await this.ctx.calls.record({
        service: 'glue',
        operation: 'StartCrawler',
        resource: Name,
        outcome: 'rejected',
        error: 'CrawlerRunningException',
      });
      throw new AwsError('CrawlerRunningException', `Crawler with name ${Name} has already started`);
    }
    const now = this.ctx.clock.now();
    record.state = 'RUNNING';
    record.startedAt = now;
    record.updatedAt = now;
    record.deadline = now + mainPhaseMs(this.ctx, 'glue', [Name], crawler.durationMs);
    const failure = await takeScriptedFailure(this.ctx, 'glue', [Name]);
    if (failure === undefined) delete record.scriptedFailure;
    else record.scriptedFailure = failure;
    await this.state.save();
    await this.ctx.calls.record({
      service: 'glue',
      operation: 'StartCrawler',
      resource: Name,
      outcome: 'started',
    });
    this.drive(Name, record);
    return {};
  }

  /**
   * Errors as the model lists them: EntityNotFoundException, CrawlerNotRunningException (READY),
   * CrawlerStoppingException (already STOPPING, by StopCrawler or because the crawl is finishing).
   */
  async stopCrawler(input: unknown): Promise<unknown> {
    const { Name } = parseInput(nameInput, input, 'InvalidInputException');
    if (!this.ctx.config.glue.crawlers.some((c) => c.name === Name)) throw notFound(Name);
    const record = this.record(Name);
    if (record.state === 'READY')
      throw new AwsError('CrawlerNotRunningException', `Crawler with name ${Name} is not running`);
    if (record.state === 'STOPPING')
      throw new AwsError('CrawlerStoppingException', `Crawler with name ${Name} is stopping`);
    const now = this.ctx.clock.now();
    record.state = 'STOPPING';
    record.stopRequested = true;
    record.deadline = now + this.ctx.config.timing.transitionMs;
    record.updatedAt = now;
    await this.state.save();
    this.drive(Name, record);
    return {};
  }

  getCrawler(input: unknown): unknown {
    const { Name } = parseInput(nameInput, input, 'InvalidInputException');
    const crawler = this.ctx.config.glue.crawlers.find((c) => c.name === Name);
    if (!crawler) throw notFound(Name);
    return { Crawler: this.view(crawler, this.record(Name)) };
  }

  resume(): void {
    for (const [name, record] of Object.entries(this.state.data.crawlers)) this.drive(name, record);
  }

  private drive(name: string, record: GlueCrawlRecord): void {
    if (record.state === 'READY' || record.deadline === undefined) return;
    this.ctx.scheduler.at(`glue-crawler:${name}`, record.deadline, async () => {
      const now = this.ctx.clock.now();
      if (record.state === 'RUNNING') {
        record.state = 'STOPPING';
        record.deadline = now + this.ctx.config.timing.transitionMs;
      } else if (record.state === 'STOPPING') {
        record.state = 'READY';
        const failed = record.scriptedFailure !== undefined && !record.stopRequested;
        record.lastCrawl = {
          status: record.stopRequested ? 'CANCELLED' : failed ? 'FAILED' : 'SUCCEEDED',
          ...(failed ? { errorMessage: record.scriptedFailure } : {}),
          startTime: record.startedAt ?? now,
          id: uuid(),
        };
        delete record.deadline;
        delete record.stopRequested;
      }
      record.updatedAt = now;
      await this.state.save();
      this.drive(name, record);
    });
  }

  private record(name: string): GlueCrawlRecord {
    return (this.state.data.crawlers[name] ??= { state: 'READY', updatedAt: this.state.data.createdAt });
  }

  private view(crawler: GlueCrawlerConfig, record: GlueCrawlRecord): unknown {
    const now = this.ctx.clock.now();
    return {
      Name: crawler.name,
      Role: crawler.role,
      Targets: { S3Targets: crawler.s3Targets.map((Path) => ({ Path, Exclusions: [] })) },
      DatabaseName: crawler.databaseName,
      Classifiers: [],
      RecrawlPolicy: { RecrawlBehavior: 'CRAWL_EVERYTHING' },
      SchemaChangePolicy: { UpdateBehavior: 'UPDATE_IN_DATABASE', DeleteBehavior: 'DEPRECATE_IN_DATABASE' },
      LineageConfiguration: { CrawlerLineageSettings: 'DISABLE' },
      State: record.state,
      CrawlElapsedTime:
        record.state === 'READY' || record.startedAt === undefined ? 0 : now - record.startedAt,
      CreationTime: epochSeconds(this.state.data.createdAt),
      LastUpdated: epochSeconds(record.updatedAt),
      LastCrawl: record.lastCrawl && {
        Status: record.lastCrawl.status,
        ErrorMessage: record.lastCrawl.errorMessage,
        LogGroup: '/aws-glue/crawlers',
        LogStream: crawler.name,
        MessagePrefix: record.lastCrawl.id,
        StartTime: epochSeconds(record.lastCrawl.startTime),
      },
      Version: 1,
    };
  }
}

function notFound(name: string): AwsError {
  return new AwsError('EntityNotFoundException', `Crawler entry with name ${name} does not exist`);
}
