# The medallion worker. test/production/worker-image.test.ts does what this file does (the same files,
# the same RUN, ENV, CMD and HEALTHCHECK) without a Docker engine; keep the two in step.
FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production

# Production dependencies only: the lockfile lists every platform's native packages, so `npm ci` works
# here (linux x64 or arm64) as on a developer's macOS or Windows machine.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error
# @temporalio/core-bridge ships its native library for five platforms (~150 MB): keep this image's.
RUN find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 ! -name "$(uname -m)-unknown-linux-gnu" -exec rm -rf {} +

COPY tsconfig.json ./
COPY core ./core
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY pipelines ./pipelines
COPY schedules ./schedules

# The workflow bundle is built once, here, and loaded by every worker start (no webpack at start).
RUN node_modules/.bin/tsx workers/build-workflow-bundle.ts dist/workflow-bundle.js
ENV MEDALLION_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
ENV MEDALLION_MONITORING_PORT=9464
ENV MEDALLION_SDK_METRICS_PORT=9465

# The node image's unprivileged user; the app's files stay root-owned and read-only to it.
USER node
# /healthz and medallion's /metrics; the Temporal SDK's Prometheus metrics.
EXPOSE 9464 9465
# Healthy = the worker polls and its Temporal server answers a gRPC health check (workers/health-server.ts).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.MEDALLION_MONITORING_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node_modules/.bin/tsx", "workers/main.ts"]
