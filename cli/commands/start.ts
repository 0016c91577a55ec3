/**
 * `npm start` / `medallion start`: the whole local product in one command. Starts the dev server,
 * the AWS emulator and a worker, runs one `shop` day end to end, prints the summary, and keeps
 * serving the UI until Ctrl-C. Running a date that already succeeded re-executes every stage as a
 * rerun and proves the warehouse did not change (checksums before and after).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { dailyRunId } from '../../core/activity-contracts';
import { addDays, localDate } from '../../core/dates';
import type { DailyRunReport } from '../../core/run-report';
import { loadPipelines } from '../../pipelines/registry';
import { warehouseQueryFor } from '../../workers/aws-clients';
import { followRun, startDailyRun } from '../daily-runs';
import { dataDirectory } from '../../local/local-state';
import { startLocalStack } from '../../local/local-stack';
import { formatStageTable, scd2Counts, type TableChecksum, warehouseChecksums } from '../run-summary';
import { failureReport } from '../failure-report';

export interface StartOptions {
  date?: string;
  exit?: boolean;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

export async function startCommand(options: StartOptions): Promise<void> {
  const shop = loadPipelines().shop!;
  const logicalDate = options.date ?? addDays(localDate(new Date(), shop.timeZone), -1);
  const dataDir = dataDirectory();
  say(`medallion: local mode in ${dataDir}`);
  const stack = await startLocalStack({ dataDir, firstDay: logicalDate, say });
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    say('\nmedallion: stopping (runs in flight resume on the next start)...');
    await stack.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());

  const warehouse = warehouseQueryFor(stack.config.environment);
  const workflowId = dailyRunId(shop.name, logicalDate);
  const previous = await stack.client.workflow
    .getHandle(workflowId)
    .describe()
    .then((d) => d.status.name)
    .catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    });
  const rerun = previous !== undefined && previous !== 'RUNNING';
  const before: TableChecksum[] | undefined =
    previous === 'COMPLETED' ? await warehouseChecksums(warehouse) : undefined;
  const stages = previous === 'COMPLETED' ? shop.stages.map((s) => s.id) : undefined;
  say(
    previous === 'COMPLETED'
      ? `\n${workflowId} already succeeded: re-running every stage as a rerun to show nothing changes.`
      : previous === 'RUNNING'
        ? `\n${workflowId} is running: following it.`
        : `\nRunning ${workflowId}${rerun ? ' again (rerun: finished stages are skipped)' : ''}:`,
  );
  if (stack.uiUrl) say(`  UI: ${stack.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
  const started = performance.now();
  const handle = await startDailyRun(stack.client, {
    pipeline: shop.name,
    logicalDate,
    taskQueue: stack.config.temporal.taskQueue,
    rerun,
    ...(stages ? { stages } : {}),
  });
  let report: DailyRunReport;
  try {
    report = await followRun(handle, say);
  } catch (error) {
    const failed = failureReport(error);
    say(`\nworkflow failed: ${failed?.message ?? (error instanceof Error ? error.message : String(error))}`);
    if (options.exit) {
      await stack.stop();
      process.exit(1);
    }
    say('Fix the cause and rerun with: npm run medallion -- run --date ' + logicalDate + ' --rerun');
    return;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  say(`\nworkflow completed: ${workflowId} generation ${report.generation} in ${seconds} s`);
  say(...[formatStageTable(report).join('\n')]);
  for (const dim of await scd2Counts(warehouse, logicalDate)) {
    say(
      `  SCD2 ${dim.table}: this merge opened ${dim.opened} versions, closed ${dim.closed}, met ${dim.late} late changes (kept in the late-changes table)`,
    );
  }
  const after = await warehouseChecksums(warehouse);
  say('\nwarehouse checksums:');
  for (const table of after) {
    const same = before?.find((b) => b.table === table.table);
    const verdict = same
      ? same.checksum === table.checksum
        ? '  unchanged by the rerun ✓'
        : '  CHANGED by the rerun ✗'
      : '';
    say(`  ${table.table.padEnd(30)} ${String(table.rows).padStart(7)} rows  ${table.checksum}${verdict}`);
  }
  say(
    `\nQuery the warehouse: npm run medallion -- sql "SELECT * FROM analytics.fact_daily_revenue ORDER BY dt DESC"`,
  );
  if (stack.uiUrl) say(`Temporal UI: ${stack.uiUrl}`);
  if (options.exit) {
    await stack.stop();
    const changed =
      before && after.some((t) => before.find((b) => b.table === t.table)?.checksum !== t.checksum);
    process.exit(changed ? 1 : 0);
  }
  say('Serving the UI, the emulator and the worker; Ctrl-C to stop.');
}
