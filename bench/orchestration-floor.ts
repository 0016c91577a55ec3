/**
 * What the Temporal side of a shop backfill costs on its own (`npx tsx bench/orchestration-floor.ts
 * [--days 365] [--max-concurrent 4]`): bench/support/floor-backfill.ts, the same workflows and worker
 * with every stage activity answering at once. Prints the wall time per date and per stage, against
 * the per-stage overhead goal, and the CPU seconds per date of the Temporal dev server and the worker.
 * bench/backfill-year.ts runs the same floor after the real backfill, for the ratio of the two.
 */
import { backfillBenchArgs, runBench, say, SHOP_FIRST_DAY } from './support/bench-stack';
import { printFloor } from './support/floor-report';
import { runFloorBackfill } from './support/floor-backfill';

const args = backfillBenchArgs();

runBench('floor', async (stack) => {
  say(
    `backfill of shop from ${SHOP_FIRST_DAY} (${args.days} days), maxConcurrent ${args.maxConcurrent}, no AWS work`,
  );
  printFloor(await runFloorBackfill(stack, args));
});
