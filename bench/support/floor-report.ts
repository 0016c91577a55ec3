/**
 * How the orchestration floor's figures are printed, by orchestration-floor.ts and backfill-year.ts.
 * Per-stage overhead is compared with Apache Airflow 3.3 on LocalExecutor, which runs the same 30
 * dates of the same 13-stage DAG shape with no-op tasks in about 45 s: 114 ms per task instance. The
 * goal is to stay at least 10 times ahead of it.
 */
import { cpus } from 'node:os';
import { loadPipelines } from '../../pipelines/registry';
import { say } from './bench-stack';
import type { FloorFigures } from './floor-backfill';
import type { HistoryBreakdown } from './history-breakdown';
import { summarize } from './process-cpu';

const AIRFLOW_MS_PER_TASK_INSTANCE = 114;
const AHEAD_OF_AIRFLOW_GOAL = 10;
const STAGE_OVERHEAD_GOAL_MS = AIRFLOW_MS_PER_TASK_INSTANCE / AHEAD_OF_AIRFLOW_GOAL;

/** Stages of the shop's DAG: every one runs once per date in a backfill from the first day. */
const SHOP_STAGES = loadPipelines().shop!.stages.length;

function msPerStage(figures: Pick<FloorFigures, 'wallMs' | 'days'>): number {
  return figures.wallMs / (figures.days * SHOP_STAGES);
}

export function printFloor(floor: FloorFigures): void {
  const perDateMs = (seconds: number) => ((seconds / floor.days) * 1000).toFixed(0);
  const perStage = msPerStage(floor);
  say(`dates: ${floor.done} succeeded, ${floor.failed} failed of ${floor.total}`);
  say(
    `wall time: ${(floor.wallMs / 1000).toFixed(1)} s, ${(floor.wallMs / floor.days).toFixed(0)} ms per date, ` +
      `${perStage.toFixed(1)} ms per stage (${SHOP_STAGES} stages a date; goal <= ${STAGE_OVERHEAD_GOAL_MS} ms, ` +
      `${AHEAD_OF_AIRFLOW_GOAL}x ahead of Airflow 3.3 LocalExecutor's ${AIRFLOW_MS_PER_TASK_INSTANCE} ms per task ` +
      `instance): ${perStage <= STAGE_OVERHEAD_GOAL_MS ? 'met' : 'NOT met'}, ` +
      `${(AIRFLOW_MS_PER_TASK_INSTANCE / perStage).toFixed(1)}x ahead`,
  );
  say(
    `CPU: Temporal dev server ${floor.cpu.temporal.toFixed(1)} s (${perDateMs(floor.cpu.temporal)} ms per date), ` +
      `worker ${floor.cpu.worker.toFixed(1)} s (${perDateMs(floor.cpu.worker)} ms per date)`,
  );
  // CPU time hardly grows when other work shares the machine, wall time does: on a busy machine the
  // CPU per stage spread over the cores is the better estimate of the wall time an idle one gives.
  const cpuPerStageMs = ((floor.cpu.temporal + floor.cpu.worker) * 1000) / (floor.days * SHOP_STAGES);
  say(
    `CPU per stage (dev server + worker): ${cpuPerStageMs.toFixed(1)} ms, ` +
      `${(cpuPerStageMs / cpus().length).toFixed(1)} ms of wall time at best on ${cpus().length} idle cores`,
  );
  say(`worker peak RSS: ${floor.peakRssMb.toFixed(0)} MB (sampled; this process: worker + driver)`);
  say(
    `child runs: ${floor.childEvents.length} (${(floor.childEvents.length / floor.days).toFixed(2)} per date), ` +
      `history events per child run: ${summarize(floor.childEvents)}`,
  );
  if (floor.breakdown) {
    say('where the time goes (history events and task timings, per date):');
    printBreakdown('daily runs', floor.breakdown.daily, floor.days);
    printBreakdown('backfill', floor.breakdown.backfill, floor.days);
  }
}

function printBreakdown(name: string, b: HistoryBreakdown, days: number): void {
  const perDate = (n: number) => (n / days).toFixed(1);
  const perTask = (ms: number, tasks: number) => (tasks ? ms / tasks : 0).toFixed(1);
  const types = [...b.events.entries()].sort((x, y) => y[1] - x[1]);
  const total = types.reduce((sum, [, n]) => sum + n, 0);
  say(`  ${name}: ${b.runs} runs, ${perDate(total)} history events per date:`);
  say(`    ${types.map(([type, n]) => `${type} ${perDate(n)}`).join(', ')}`);
  say(
    `    workflow tasks ${perDate(b.workflowTasks)} per date: wait ${perTask(b.ms.workflowTaskWait, b.workflowTasks)} ms, ` +
      `run ${perTask(b.ms.workflowTaskRun, b.workflowTasks)} ms each; activities ${perDate(b.activities)} per date: ` +
      `wait ${perTask(b.ms.activityWait, b.activities)} ms, run ${perTask(b.ms.activityRun, b.activities)} ms each`,
  );
}
