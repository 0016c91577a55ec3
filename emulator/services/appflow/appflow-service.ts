import { restJsonHandler } from '../../http/rest-json-protocol';
import type { EmulatedService, ServiceContext } from '../service-context';
import type { FlowExecutionsState } from './flow-execution-records';
import { FlowExecutions } from './flow-executions';

/** Amazon AppFlow (restJson1): on-demand flows from a simulated SaaS object into the lake. */
export async function createAppFlowService(ctx: ServiceContext): Promise<EmulatedService> {
  const createdAt = ctx.clock.now();
  const flows = new FlowExecutions(
    ctx,
    await ctx.openState<FlowExecutionsState>('appflow-executions', () => ({ createdAt, executions: {} })),
  );
  return {
    signingName: 'appflow',
    handler: restJsonHandler(
      'appflow',
      [
        {
          method: 'POST',
          path: '/describe-flow',
          operation: 'DescribeFlow',
          handle: (c) => flows.describeFlow(c),
        },
        { method: 'POST', path: '/start-flow', operation: 'StartFlow', handle: (c) => flows.startFlow(c) },
        {
          method: 'POST',
          path: '/describe-flow-execution-records',
          operation: 'DescribeFlowExecutionRecords',
          handle: (c) => flows.describeFlowExecutionRecords(c),
        },
        {
          method: 'POST',
          path: '/cancel-flow-executions',
          operation: 'CancelFlowExecutions',
          handle: (c) => flows.cancelFlowExecutions(c),
        },
      ],
      ctx.gate,
    ),
    resume: () => flows.resume(),
  };
}
