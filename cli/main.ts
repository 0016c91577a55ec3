/**
 * The `medallion` command: `npm run medallion -- <command>` (or bin/medallion).
 */
// The SDK warns once per process that Node 20 loses support in 2027; the README says so instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { Command } from 'commander';
import { startCommand } from './commands/start';
import { runCommand } from './commands/run';
import { statusCommand } from './commands/status';
import { sqlCommand } from './commands/sql';
import { schedulesCommand } from './commands/schedules';
import { backfillCommand } from './commands/backfill';
import { rerunCommand } from './commands/rerun';
import { alertsCommand } from './commands/alerts';
import { checksCommand } from './commands/checks';
import { badDayCommand } from './commands/bad-day';

const program = new Command('medallion')
  .description('durable Temporal workflows for an AWS lakehouse pipeline')
  .showHelpAfterError();

program
  .command('start')
  .description('local mode: dev server + UI, AWS emulator, worker, and one shop day end to end')
  .option('--date <YYYY-MM-DD>', 'logical date (default: yesterday in the pipeline time zone)')
  .option('--exit', 'stop after the run instead of serving the UI')
  .action(startCommand);

program
  .command('run')
  .description('run one pipeline day on a running stack and follow its progress')
  .requiredOption('--date <YYYY-MM-DD>', 'logical date')
  .option('--pipeline <name>', 'pipeline', 'shop')
  .option('--rerun', 'run a date that already ran: finished stages are skipped, nothing loads twice')
  .option('--stages <ids>', 'comma-separated stage ids to run (they run even if done before)')
  .option('--detach', 'start and return without following')
  .action(runCommand);

program
  .command('status')
  .description("each date's state, from Temporal visibility")
  .option('--pipeline <name>', 'pipeline', 'shop')
  .option('--date <YYYY-MM-DD>', 'only this date, with its stages')
  .action(statusCommand);

program
  .command('sql')
  .description('query the warehouse (local DuckDB warehouse through the emulator, or Redshift)')
  .argument('<query>', 'SQL to run')
  .action(sqlCommand);

program
  .command('backfill')
  .description('run a pipeline over a date range: missing or failed dates, SCD2 merges in date order')
  .requiredOption('--from <YYYY-MM-DD>', 'first logical date')
  .requiredOption('--to <YYYY-MM-DD>', 'last logical date (inclusive)')
  .option('--pipeline <name>', 'pipeline', 'shop')
  .option(
    '--only <missing|failed|all>',
    'missing: not fully done; failed: last run failed; all: every stage again',
    'missing',
  )
  .option('--max-concurrent <n>', 'daily runs at once', '4')
  .option(
    '--order <oldest|newest>',
    'which dates run their data stages first (merges always go oldest first)',
    'oldest',
  )
  .option('--dry-run', 'list the dates it would run and why; start nothing')
  .option('--detach', 'start and return without following')
  .action(backfillCommand);

program
  .command('rerun')
  .description(
    'rerun the dates whose latest daily run failed: finished stages are skipped, the rest run as the next generation',
  )
  .option('--failed', 'select the dates whose latest run failed or timed out')
  .option('--since <when>', 'runs closed since: a duration (7d, 36h) or a date YYYY-MM-DD', '7d')
  .option('--pipeline <name>', 'only this pipeline (default: all)')
  .option('--dry-run', 'list the dates and what each rerun would do; start nothing')
  .action(rerunCommand);

program
  .command('alerts')
  .description('local mode: the alerts published to SNS (failed runs and backfills, warn checks, recoveries)')
  .option('--pipeline <name>', 'only this pipeline (default: all)')
  .option('--limit <n>', 'the newest n alerts', '20')
  .option('--full', 'print each message whole (links to the AWS console and the Temporal UI)')
  .action(alertsCommand);

program
  .command('checks')
  .description('data-quality checks that failed over a range of dates (from the warehouse record)')
  .requiredOption('--from <YYYY-MM-DD>', 'first logical date')
  .requiredOption('--to <YYYY-MM-DD>', 'last logical date (inclusive)')
  .option('--pipeline <name>', 'pipeline', 'shop')
  .option('--warnings', 'list tripped warn checks too, not only blocking failures')
  .option('--all', 'list every check outcome, passed ones too')
  .action(checksCommand);

program
  .command('bad-day')
  .description('local mode: make the source simulator break a date (to see the quality gates trip)')
  .option('--date <YYYY-MM-DD>', 'the logical date to break')
  .option('--faults <list>', 'comma-separated: drop-orders, duplicate-order, stall', 'drop-orders')
  .option('--clear', 'stop breaking --date (or every date without --date)')
  .action(badDayCommand);

program.addCommand(schedulesCommand());

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`medallion: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
