/**
 * Entry point of a worker process (see worker-process.ts): settings from the JSON file named by
 * MEDALLION_WORKER_PROCESS; prints "worker ready" once it polls, then runs until killed.
 */
import { readFileSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadPipelines } from '../../../pipelines/registry';
import { buildActivities, WORKER_HEARTBEAT_THROTTLE } from '../../../workers/worker';
import { WORKER_READY, type WorkerProcessSettings } from './worker-process';

async function main(settingsFile: string): Promise<void> {
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as WorkerProcessSettings;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { temporal } = settings.config;
  const connection = await NativeConnection.connect({ address: temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    workflowBundle: { codePath: settings.bundlePath },
    activities: buildActivities(settings.config, loadPipelines(settings.pipelines)),
    // Once this process is gone, its workflows move to another worker after 1 s instead of 10 s.
    stickyQueueScheduleToStartTimeout: '1s',
    maxHeartbeatThrottleInterval: WORKER_HEARTBEAT_THROTTLE,
  });
  process.stdout.write(`${WORKER_READY}\n`);
  await worker.run();
}

main(process.env.MEDALLION_WORKER_PROCESS!).catch((error: unknown) => {
  process.stderr.write(`worker process failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
