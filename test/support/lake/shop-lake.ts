import { dayWindowUtc } from '../../../core/dates';
import { lakeLayout } from '../../../core/lake-layout';
import type { JobMetrics } from '../../../core/stage-io';
import { runJobManifest } from '../../../emulator/jobs/run-manifest';
import { createShopSimulator, type ShopSimulationOptions } from '../../../emulator/sources/shop-simulator';
import { shopJobStages, type ShopJobStage } from '../../../pipelines/shop/jobs';
import { readParquetFile, type PlainRow } from './read-parquet';
import type { TempLake } from './temp-lake';
import type { DayWindow } from './shop-expectations';
import { shopJobManifest } from './shop-manifest';

export const BUCKET = 'lake';
export const TIME_ZONE = 'Europe/Berlin';
export const SILVER_JOBS = [
  shopJobStages.silver_customers,
  shopJobStages.silver_products,
  shopJobStages.silver_orders,
  shopJobStages.silver_order_items,
  shopJobStages.silver_accounts,
];
export const GOLD_JOBS = [shopJobStages.fact_orders, shopJobStages.daily_revenue];

export interface SimulatedDay extends DayWindow {
  metrics: Record<string, JobMetrics>;
}

/**
 * Lands each day's sources as the emulator would (DMS window = the day in the pipeline's zone, full
 * load on the first day; AppFlow snapshot as of the day's end written to the day's SaaS partition),
 * then runs the given jobs for the day.
 */
export async function simulateShopDays(
  lake: TempLake,
  seed: number,
  logicalDates: string[],
  options: ShopSimulationOptions,
  jobs: ShopJobStage[],
): Promise<SimulatedDay[]> {
  const simulator = createShopSimulator(options);
  const days: SimulatedDay[] = [];
  for (const [index, logicalDate] of logicalDates.entries()) {
    const { startUtc, endUtc } = dayWindowUtc(logicalDate, TIME_ZONE);
    await simulator.writeDmsWindow({
      seed,
      schema: 'shop',
      tables: ['customers', 'products', 'orders', 'order_items'],
      fromUtc: startUtc,
      toUtc: endUtc,
      fullLoad: index === 0,
      partitionTimeZone: TIME_ZONE,
      cdcMaxBatchInterval: 3600,
      outputUri: lakeLayout.cdcRoot(BUCKET),
      resolve: lake.resolve,
    });
    await simulator.writeAppFlowSnapshot({
      seed,
      object: 'accounts',
      asOfUtc: endUtc,
      outputUri: lakeLayout.saasSnapshot(BUCKET, 'accounts', logicalDate),
      resolve: lake.resolve,
    });
    const metrics: Record<string, JobMetrics> = {};
    for (const job of jobs) metrics[job.id] = await runJob(lake, job, logicalDate);
    days.push({ logicalDate, startUtc, endUtc, fullLoad: index === 0, metrics });
  }
  return days;
}

function manifestFor(job: ShopJobStage, logicalDate: string) {
  return shopJobManifest(job, { bucket: BUCKET, pipeline: 'shop', logicalDate, timeZone: TIME_ZONE });
}

export function runJob(lake: TempLake, job: ShopJobStage, logicalDate: string): Promise<JobMetrics> {
  return runJobManifest(manifestFor(job, logicalDate), lake.resolve);
}

export function outputOf(lake: TempLake, job: ShopJobStage, logicalDate: string): Promise<PlainRow[]> {
  return readParquetFile(`${lake.resolve(manifestFor(job, logicalDate).outputUri)}/part-00000.parquet`);
}

export function quarantineOf(lake: TempLake, job: ShopJobStage, logicalDate: string): Promise<PlainRow[]> {
  return readParquetFile(`${lake.resolve(manifestFor(job, logicalDate).quarantineUri)}/part-00000.parquet`);
}
