/**
 * The `shop` plan as the worker would build it for a real AWS account (config/aws.example.yaml): the
 * stage defaults' timeouts, retries and polling, untouched by local mode's faster polling.
 */
import path from 'node:path';
import { dailyRunId } from '../../core/activity-contracts';
import { buildPlan, type Plan } from '../../core/plan';
import { warehouseSql } from '../../core/warehouse-statements';
import { loadPipelines } from '../../pipelines/registry';
import { loadWorkerConfigFile } from '../../workers/config';

const AWS_EXAMPLE_CONFIG = path.resolve(__dirname, '../../config/aws.example.yaml');

export function awsShopPlan(logicalDate: string, generation = 0): Plan {
  const { environment } = loadWorkerConfigFile(AWS_EXAMPLE_CONFIG, {});
  const spec = loadPipelines().shop!;
  return buildPlan({
    spec,
    env: environment,
    sql: warehouseSql,
    logicalDate,
    workflowId: dailyRunId(spec.name, logicalDate),
    generation,
  });
}
