# The medallion worker. Workflows are bundled from TypeScript at start; no build step is needed.
FROM node:20.19-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY core ./core
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY pipelines ./pipelines
COPY schedules ./schedules
CMD ["node_modules/.bin/tsx", "workers/main.ts"]
