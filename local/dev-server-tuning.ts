/**
 * Dynamic config for every Temporal dev server medallion starts (`npm start`, tests, benches).
 *
 * The dev server has one history shard, and each shard reads its newly written transfer tasks (the
 * hand-over of every workflow and activity task to matching) and visibility tasks at most 20 times a
 * second by default. On one shard that rate limit is most of a step's latency: a workflow of 30
 * no-op activities in a row took 70–100 ms per activity, ~13 ms with the limit raised (a server of
 * several shards spreads the same limit over them). A shard reads only what was written since its
 * last read, so a higher limit costs nothing while the server is idle.
 *
 * Eager activity execution: when a workflow task schedules an activity on the worker's own task
 * queue, the server hands the activity back in the reply to that task's completion instead of going
 * through matching (the SDK asks for it by default: `allowEagerDispatch`). Off by default in the
 * server; a self-hosted cluster turns it on with the same key. In a 30-day backfill's orchestration
 * floor it cut an activity's wait for a worker from ~28 ms to ~5 ms and the dev server's CPU by ~20 %.
 */
const DYNAMIC_CONFIG: Record<string, number | boolean> = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.visibilityProcessorMaxPollRPS': 1000,
  'system.enableActivityEagerExecution': true,
};

export const DEV_SERVER_TUNING_ARGS: readonly string[] = Object.entries(DYNAMIC_CONFIG).flatMap(
  ([key, value]) => ['--dynamic-config-value', `${key}=${value}`],
);
