import type { AppFlowFlowConfig } from '../../emulator-config';
import { epochSeconds } from '../../http/timestamps';
import type { FlowExecutionRecord } from './flow-execution-records';

export interface FlowViewInput {
  flow: AppFlowFlowConfig;
  arn: string;
  createdAt: number;
  accountId: string;
  latest: FlowExecutionRecord | undefined;
}

/** DescribeFlow's answer: an on-demand flow from the SaaS object to the lake bucket's AppFlow prefix. */
export function flowView({
  flow,
  arn,
  createdAt,
  accountId,
  latest,
}: FlowViewInput): Record<string, unknown> {
  const created = epochSeconds(createdAt);
  return {
    flowArn: arn,
    description: flow.description,
    flowName: flow.name,
    flowStatus: 'Active',
    sourceFlowConfig: {
      connectorType: flow.connectorType,
      connectorProfileName: `${flow.name}-source`,
      sourceConnectorProperties: { [flow.connectorType]: { object: flow.object } },
    },
    destinationFlowConfigList: [
      {
        connectorType: 'S3',
        destinationConnectorProperties: {
          S3: {
            bucketName: flow.bucket,
            bucketPrefix: flow.output.bucketPrefix,
            s3OutputFormatConfig: {
              fileType: flow.output.fileType,
              prefixConfig: {
                ...(flow.output.prefixType
                  ? { prefixType: flow.output.prefixType, prefixFormat: flow.output.prefixFormat }
                  : {}),
                pathPrefixHierarchy: flow.output.pathPrefixHierarchy,
              },
              aggregationConfig: { aggregationType: flow.output.aggregationType },
              preserveSourceDataTyping: true,
            },
          },
        },
      },
    ],
    lastRunExecutionDetails: latest && {
      mostRecentExecutionMessage: latest.error ?? '',
      mostRecentExecutionTime: epochSeconds(latest.startedAt),
      mostRecentExecutionStatus: latest.status,
    },
    triggerConfig: { triggerType: 'OnDemand' },
    tasks: [
      {
        sourceFields: [],
        taskType: 'Map_all',
        connectorOperator: { [flow.connectorType]: 'NO_OP' },
        taskProperties: {},
      },
    ],
    createdAt: created,
    lastUpdatedAt: created,
    createdBy: `arn:aws:iam::${accountId}:user/emulator`,
    lastUpdatedBy: `arn:aws:iam::${accountId}:user/emulator`,
    tags: {},
    schemaVersion: 1,
  };
}
