import { jsonRpcHandler } from '../../http/json-rpc-protocol';
import type { EmulatedService, ServiceContext } from '../service-context';
import type { DmsTasksState } from './dms-task-records';
import { DmsTasks } from './dms-tasks';

/** AWS DMS (awsJson1_1, X-Amz-Target AmazonDMSv20160101.*): replication tasks writing CDC windows. */
export async function createDmsService(ctx: ServiceContext): Promise<EmulatedService> {
  const createdAt = ctx.clock.now();
  const tasks = new DmsTasks(
    ctx,
    await ctx.openState<DmsTasksState>('dms-tasks', () => ({ createdAt, tasks: {} })),
  );
  return {
    signingName: 'dms',
    handler: jsonRpcHandler(
      {
        service: 'dms',
        targetPrefix: 'AmazonDMSv20160101',
        operations: {
          DescribeReplicationTasks: (input) => tasks.describeReplicationTasks(input),
          StartReplicationTask: (input) => tasks.startReplicationTask(input),
          StopReplicationTask: (input) => tasks.stopReplicationTask(input),
        },
      },
      ctx.gate,
    ),
    resume: () => tasks.resume(),
    sourceClockChanged: () => tasks.resume(),
  };
}
