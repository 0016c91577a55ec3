/** What the chaos test and test/support/chaos/sweep-seeds.ts share: the days they backfill and the fault plans' horizon. */

/** The shop's first day (DMS full load); a backfill runs it and the days after. */
export const CHAOS_FIRST_DAY = '2025-05-05';

/** Start* calls a clean shop day makes, about: fault plans fire their faults within 70% of them. */
export const CHAOS_HORIZON_PER_DAY = 14;
