/**
 * AWS console URLs for the things the activities start, so a failure in the Temporal UI links straight
 * to the run. Pure string building: no calls.
 */
import { parseS3Uri } from '../core/lake-layout';

function consoleOrigin(region: string): string {
  if (region.startsWith('cn-')) return 'https://console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

function at(region: string, app: string, fragment: string): string {
  return `${consoleOrigin(region)}/${app}/home?region=${region}#${fragment}`;
}

const segment = encodeURIComponent;

export const consoleLinks = {
  glueJobRun: (region: string, jobName: string, jobRunId: string) =>
    at(region, 'gluestudio', `/job/${segment(jobName)}/run/${segment(jobRunId)}`),
  glueCrawler: (region: string, crawlerName: string) =>
    at(region, 'glue', `/v2/data-catalog/crawlers/view/${segment(crawlerName)}`),
  emrServerlessJobRun: (region: string, applicationId: string, jobRunId: string) =>
    at(region, 'emr', `/serverless/applications/${segment(applicationId)}/job-runs/${segment(jobRunId)}`),
  /** DMS task pages are addressed by the task identifier (its name), not its ARN. */
  dmsTask: (region: string, taskIdentifier: string) =>
    at(region, 'dms/v2', `taskDetails/${segment(taskIdentifier)}`),
  appflowRuns: (region: string, flowName: string) =>
    at(region, 'appflow', `/details/${segment(flowName)}?tab=runHistory`),
  redshiftQueries: (region: string, target: { workgroupName?: string; clusterIdentifier?: string }) =>
    target.workgroupName
      ? at(region, 'redshiftv2', `/serverless-query-and-database-monitoring`)
      : at(region, 'redshiftv2', `/queries?cluster=${segment(target.clusterIdentifier ?? '')}`),
  s3Location: (region: string, uri: string) => {
    const { bucket, key } = parseS3Uri(uri);
    const prefix = key.endsWith('/') || key === '' ? key : key.slice(0, key.lastIndexOf('/') + 1);
    return `https://s3.console.aws.amazon.com/s3/buckets/${segment(bucket)}?region=${region}&prefix=${segment(prefix)}`;
  },
} as const;

/** Builds a link when the region is known; failures without a link still read well. */
export function linkIn<A extends unknown[]>(
  region: string | undefined,
  build: (region: string, ...args: A) => string,
  ...args: A
): string | undefined {
  return region ? build(region, ...args) : undefined;
}
