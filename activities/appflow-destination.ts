/**
 * Where an AppFlow execution's files are, read from the flow's own S3 destination config
 * (DescribeFlow destinationFlowConfigList[].destinationConnectorProperties.S3: bucketName,
 * bucketPrefix, s3OutputFormatConfig { fileType, prefixConfig, aggregationConfig }; appflow/2020-08-23
 * service-2.json, API reference S3OutputFormatConfig and PrefixConfig), instead of assuming `.parquet`
 * objects at one fixed path.
 *
 * AppFlow writes under `<bucketPrefix>/<flowName>/`, then one folder per element of
 * `pathPrefixHierarchy` (EXECUTION_ID, SCHEMA_VERSION) in order, and date folders when `prefixType`
 * is PATH or PATH_AND_FILENAME. Its object names carry no file-type extension, so the copy names
 * them after `fileType`.
 */
import type { DescribeFlowResponse, DestinationFlowConfig } from '@aws-sdk/client-appflow';
import { s3Uri } from '../core/lake-layout';

/** What the copy needs to know about one execution's output. */
export interface AppFlowOutput {
  /** s3:// prefix holding exactly this execution's files. */
  executionPrefix: string;
  /** Extension the copied files get, from fileType. */
  extension: string;
  fileType: string;
  aggregation: string;
}

/** Why a flow's destination cannot feed medallion, with the setting to change; undefined when it can. */
export type DestinationProblem = string;

/** AppFlow's default file type for an S3 destination without s3OutputFormatConfig.fileType. */
const DEFAULT_FILE_TYPE = 'JSON';

function s3Destination(flow: DescribeFlowResponse): DestinationFlowConfig | undefined {
  return flow.destinationFlowConfigList?.find(
    (d) => d.connectorType === 'S3' && d.destinationConnectorProperties?.S3?.bucketName,
  );
}

/**
 * The execution's output location, or the problem with the flow's config that keeps medallion from
 * finding one execution's files (and only those) in a folder it can name.
 */
export function appflowOutput(
  flow: DescribeFlowResponse,
  flowName: string,
  executionId: string,
): AppFlowOutput | DestinationProblem {
  const destination = s3Destination(flow);
  const s3 = destination?.destinationConnectorProperties?.S3;
  if (!s3?.bucketName) {
    return "the flow has no S3 destination (destinationFlowConfigList); medallion copies the flow's S3 output: add an S3 destination in the lake bucket";
  }
  const format = s3.s3OutputFormatConfig;
  const fileType = format?.fileType ?? DEFAULT_FILE_TYPE;
  if (fileType !== 'PARQUET') {
    return `the flow writes ${fileType} files (s3OutputFormatConfig.fileType); the silver stage reads Parquet: set fileType to PARQUET`;
  }
  const prefixType = format?.prefixConfig?.prefixType;
  if (prefixType === 'PATH' || prefixType === 'PATH_AND_FILENAME') {
    return `the flow puts date folders in the path (prefixConfig.prefixType ${prefixType}), where runs of the same period share a folder: use prefixType FILENAME or none, with pathPrefixHierarchy [EXECUTION_ID]`;
  }
  const hierarchy = format?.prefixConfig?.pathPrefixHierarchy ?? ['EXECUTION_ID'];
  if (!hierarchy.includes('EXECUTION_ID')) {
    return `the flow's output path has no execution folder (prefixConfig.pathPrefixHierarchy [${hierarchy.join(', ')}]), so runs share a folder: add EXECUTION_ID to pathPrefixHierarchy`;
  }
  const folders = hierarchy.map((part) =>
    part === 'EXECUTION_ID' ? executionId : String(flow.schemaVersion ?? 1),
  );
  const bucketPrefix = (s3.bucketPrefix ?? '').replace(/^\/+|\/+$/g, '');
  const key = [bucketPrefix, flowName, ...folders].filter((p) => p.length > 0).join('/');
  return {
    executionPrefix: s3Uri(s3.bucketName, `${key}/`),
    extension: '.parquet',
    fileType,
    aggregation: format?.aggregationConfig?.aggregationType ?? 'None',
  };
}
