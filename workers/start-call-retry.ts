/**
 * SDK retries for calls that start work without an idempotency token.
 *
 * The SDK retries 5xx answers, timeouts and reset connections on its own. For most calls that is
 * harmless: reads, stops, and starts that carry an idempotency token (botocore marks the member
 * `idempotencyToken: true`: EMR Serverless StartJobRun `clientToken`, AppFlow StartFlow `clientToken`,
 * Redshift Data ExecuteStatement `ClientToken`) answer a repeat with the first call's run. A start
 * without such a token (Glue `StartJobRun`, `StartCrawler`; DMS `StartReplicationTask`: their input
 * shapes in glue/2017-03-31 and dms/2016-01-01 service-2.json have no idempotency token) may have
 * taken effect when its answer was lost, and the SDK's blind retry then starts a second run or, on
 * DMS, gets InvalidResourceStateFault for the task the first call started. Those commands get one
 * attempt; after an ambiguous outcome the activity looks for the run it may have started before it
 * starts again (docs/ARCHITECTURE.md, start-or-attach).
 */
import { StandardRetryStrategy, retryMiddleware, retryMiddlewareOptions } from '@smithy/core/retry';

/** SDK command class names, per client, of starts without an idempotency token. */
export const NON_IDEMPOTENT_START_COMMANDS = {
  glue: ['StartJobRunCommand', 'StartCrawlerCommand'],
  dms: ['StartReplicationTaskCommand'],
} as const satisfies Record<string, readonly string[]>;

/** The retry middleware's own types, so the worker needs no type-only package at run time. */
type Middleware = ReturnType<typeof retryMiddleware>;
type RetryConfig = Parameters<typeof retryMiddleware>[0];

interface RetryingClient {
  config: object;
  middlewareStack: {
    add(middleware: Middleware, options: typeof retryMiddlewareOptions & { override: boolean }): void;
  };
}

/**
 * Replaces the client's retry middleware by one that sends `commandNames` exactly once and retries
 * every other command as the client's own retry settings say. Returns the client.
 */
export function withoutSdkRetryFor<C extends RetryingClient>(client: C, commandNames: readonly string[]): C {
  const config = client.config as RetryConfig;
  const retrying = retryMiddleware(config);
  const once = retryMiddleware({
    ...config,
    maxAttempts: () => Promise.resolve(1),
    retryStrategy: () => Promise.resolve(new StandardRetryStrategy(1)),
  });
  const names = new Set(commandNames);
  client.middlewareStack.add(
    (next, context) => (names.has(context.commandName ?? '') ? once : retrying)(next, context),
    { ...retryMiddlewareOptions, override: true },
  );
  return client;
}
