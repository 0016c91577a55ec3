/**
 * Dynamic config for every Temporal dev server medallion starts (`npm start`, tests, benches).
 *
 * The dev server has one history shard, and each shard reads its newly written transfer tasks (the
 * hand-over of every workflow and activity task to matching) and visibility tasks at most 20 times a
 * second by default. On one shard that rate limit is most of a step's latency: a workflow of 30
 * no-op activities in a row took 70–100 ms per activity, ~13 ms with the limit raised (a server of
 * several shards spreads the same limit over them). A shard reads only what was written since its
 * last read, so a higher limit costs nothing while the server is idle.
 */
const DYNAMIC_CONFIG: Record<string, number> = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.visibilityProcessorMaxPollRPS': 1000,
};

export const DEV_SERVER_TUNING_ARGS: readonly string[] = Object.entries(DYNAMIC_CONFIG).flatMap(
  ([key, value]) => ['--dynamic-config-value', `${key}=${value}`],
);
