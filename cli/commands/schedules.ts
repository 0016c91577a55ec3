/**
 * `medallion schedules apply [--dry-run] | list | pause <id> [--note] | unpause <id> [--note] |
 * trigger <id> | backfill <id> --from D --to D`. `<id>` is a schedule id (`medallion:shop`) or
 * just the pipeline name (`shop`). The schedules themselves are declared in schedules/.
 */
import { Command } from 'commander';
import { loadPipelines } from '../../pipelines/registry';
import { BACKFILL_OVERLAP, backfillSchedule } from '../../schedules/backfill';
import { scheduleDefinitions } from '../../schedules/definitions';
import {
  listOwnedSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
} from '../../schedules/operations';
import { reconcileSchedules } from '../../schedules/reconcile';
import { loadScheduleDefinitions, type ScheduleDefinition } from '../../schedules/schedule-definition';
import { type CliContext, connectCli } from '../connect';

const say = (line: string) => process.stdout.write(`${line}\n`);

function declaredSchedules(): ScheduleDefinition[] {
  return loadScheduleDefinitions(scheduleDefinitions, loadPipelines());
}

async function withCli(body: (cli: CliContext) => Promise<void>): Promise<void> {
  const cli = await connectCli();
  try {
    await body(cli);
  } finally {
    await cli.close();
  }
}

function byWhom(): string {
  return `${process.env.USER ?? process.env.USERNAME ?? 'someone'} at ${new Date().toISOString()}`;
}

async function applySchedulesCommand(options: { dryRun?: boolean }): Promise<void> {
  const definitions = declaredSchedules();
  await withCli(async (cli) => {
    const { lines } = await reconcileSchedules(cli.client, definitions, {
      taskQueue: cli.taskQueue,
      dryRun: options.dryRun ?? false,
    });
    say(`schedules in namespace ${cli.namespace}${options.dryRun ? ' (dry run: nothing changed)' : ''}:`);
    for (const line of lines) say(line);
  });
}

async function listSchedulesCommand(): Promise<void> {
  const declared = new Set(declaredSchedules().map((d) => d.scheduleId));
  await withCli(async (cli) => {
    const rows = await listOwnedSchedules(cli.client);
    if (rows.length === 0) say('no medallion schedules yet: `medallion schedules apply` creates them');
    for (const row of rows) {
      const state = row.paused
        ? `PAUSED: ${row.note || 'no note'}`
        : `active${row.note ? ` (${row.note})` : ''}`;
      say(`${row.scheduleId}  ${row.spec} ${row.timeZone}  overlap ${row.overlap}  ${state}`);
      for (const next of row.next) say(`  next    ${next.at.toISOString()}  processes ${next.logicalDate}`);
      for (const recent of row.recent.slice(-3)) say(`  recent  ${recent.workflowId}`);
      for (const running of row.running) say(`  running ${running}`);
      if (row.skippedOverlap || row.missedCatchupWindow)
        say(
          `  ${row.skippedOverlap} slot(s) skipped by the overlap policy, ${row.missedCatchupWindow} missed the catchup window: ` +
            `fill them with \`medallion schedules backfill ${row.pipeline} --from D --to D\``,
        );
      if (!declared.has(row.scheduleId)) say('  not declared in schedules/: `apply` deletes it');
    }
  });
}

async function pauseSchedulesCommand(id: string, options: { note?: string }): Promise<void> {
  await withCli(async (cli) => {
    const scheduleId = await pauseSchedule(cli.client, id, options.note ?? `paused by ${byWhom()}`);
    say(`${scheduleId} paused; \`medallion schedules unpause ${id}\` resumes it (missed slots are not run)`);
  });
}

async function unpauseSchedulesCommand(id: string, options: { note?: string }): Promise<void> {
  await withCli(async (cli) => {
    const scheduleId = await unpauseSchedule(cli.client, id, options.note ?? `unpaused by ${byWhom()}`);
    say(`${scheduleId} unpaused`);
  });
}

async function triggerSchedulesCommand(id: string): Promise<void> {
  await withCli(async (cli) => {
    const { scheduleId, logicalDate } = await triggerSchedule(cli.client, id);
    say(`${scheduleId} triggered: a run for ${logicalDate} starts now; follow it with \`medallion status\``);
  });
}

async function backfillSchedulesCommand(
  id: string,
  options: { from: string; to: string; allAtOnce?: boolean },
): Promise<void> {
  await withCli(async (cli) => {
    const range = { from: options.from, to: options.to };
    if (options.allAtOnce) {
      const result = await backfillSchedule(cli.client, id, range);
      say(
        `${result.scheduleId}: queued ${result.slots.length} date(s); they start one after another in date order (overlap ${BACKFILL_OVERLAP}):`,
      );
      for (const slot of result.slots) say(`  ${slot.logicalDate}  slot ${slot.at.toISOString()}`);
      say('  note: a failed date pauses the schedule but does not stop the dates already queued');
      return;
    }
    const result = await backfillSchedule(cli.client, id, range, { oneAtATime: true, say });
    if (result.paused)
      say(`  (${result.scheduleId} is paused: backfills run anyway, regular slots stay paused)`);
    if (result.stopped) {
      const { logicalDate, workflowId, status, notStarted } = result.stopped;
      throw new Error(
        `${workflowId} (${logicalDate}) ended ${status}; not started: ${notStarted.join(', ') || 'none'}. ` +
          `Fix the cause, rerun ${logicalDate} with \`medallion run --date ${logicalDate} --rerun\`, then \`medallion schedules unpause ${id}\` (pause-on-failure paused it) and backfill the rest`,
      );
    }
    say(`${result.scheduleId}: ${result.slots.length} date(s) done`);
  });
}

export function schedulesCommand(): Command {
  const schedules = new Command('schedules').description(
    'Temporal Schedules as code: apply the ones declared in schedules/, and operate them',
  );
  schedules
    .command('apply')
    .description('make the server match schedules/: create, update, delete medallion schedules')
    .option('--dry-run', 'print the changes (+ create, ~ update, - delete) without applying them')
    .action(applySchedulesCommand);
  schedules
    .command('list')
    .description("medallion's schedules, their next and recent runs")
    .action(listSchedulesCommand);
  schedules
    .command('pause')
    .description('stop a schedule from starting runs')
    .argument('<id>', 'schedule id or pipeline name, e.g. shop')
    .option('--note <text>', 'why (shown in the Temporal UI and `schedules list`)')
    .action(pauseSchedulesCommand);
  schedules
    .command('unpause')
    .description('let a paused schedule start runs again')
    .argument('<id>', 'schedule id or pipeline name, e.g. shop')
    .option('--note <text>', 'note to leave on the schedule')
    .action(unpauseSchedulesCommand);
  schedules
    .command('trigger')
    .description("start the schedule's run now: it processes yesterday in the pipeline's time zone")
    .argument('<id>', 'schedule id or pipeline name, e.g. shop')
    .action(triggerSchedulesCommand);
  schedules
    .command('backfill')
    .description(
      "run the slots of logical dates --from..--to through the schedule's backfill, in date order; by default one date at a time, stopping at the first failure",
    )
    .argument('<id>', 'schedule id or pipeline name, e.g. shop')
    .requiredOption('--from <YYYY-MM-DD>', 'first logical date')
    .requiredOption('--to <YYYY-MM-DD>', 'last logical date (inclusive)')
    .option(
      '--all-at-once',
      'queue every date in one backfill call and return (a failed date does not stop the later ones)',
    )
    .action(backfillSchedulesCommand);
  return schedules;
}
