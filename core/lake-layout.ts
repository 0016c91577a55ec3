/**
 * Where each layer lives in the lake bucket. The plan, the jobs, the emulator's source simulator and
 * the tests all derive paths from here, so a layout change is one edit.
 *
 *   bronze/cdc/<schema>/<table>/<YYYY>/<MM>/<DD>/*.parquet   DMS CDC output, date-partitioned by commit
 *                                                            date in the pipeline's time zone
 *   bronze/saas/_appflow/<flow>/<executionId>/*.parquet      AppFlow's own output, one folder per run
 *   bronze/saas/<object>/dt=<D>/*.parquet                    the snapshot taken for logical date D
 *   silver/<table>/dt=<D>/*.parquet                          cleaned change records of D
 *   gold/<table>/dt=<D>/*.parquet                            facts and aggregates of D
 *   quarantine/<stage>/dt=<D>/*.parquet                      rows a job rejected, with the reason
 *   _medallion/metrics/<pipeline>/<D>/<stage>.json           JobMetrics written by a job run
 *   _medallion/dms/<task>/<D>.json                           DMS checkpoint after the window of D
 *   _medallion/runs/<pipeline>/<D>/generations.json          which run chain ran which generation
 *   _medallion/runs/<pipeline>/<D>/stages/<stage>.json       StageResult of each finished stage
 *   _medallion/alerts/<pipeline>/<scope>/<cause>.json        an alert published and not recovered yet
 *                                                            (scope: a date, or backfill/<from>..<to>)
 *   _medallion/copy-manifests/<pipeline>/<D>/<stage>/<batch>.manifest
 *                                                            the part files a Redshift COPY loads
 */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1]!, key: match[2]! };
}

export function datePath(logicalDate: string): string {
  return logicalDate.replaceAll('-', '/');
}

export const lakeLayout = {
  cdcTable: (bucket: string, schema: string, table: string, logicalDate: string) =>
    s3Uri(bucket, `bronze/cdc/${schema}/${table}/${datePath(logicalDate)}/`),
  cdcRoot: (bucket: string) => s3Uri(bucket, 'bronze/cdc/'),
  appflowRaw: (bucket: string, flow: string) => s3Uri(bucket, `bronze/saas/_appflow/${flow}/`),
  saasSnapshot: (bucket: string, object: string, logicalDate: string) =>
    s3Uri(bucket, `bronze/saas/${object}/dt=${logicalDate}/`),
  silver: (bucket: string, table: string, logicalDate: string) =>
    s3Uri(bucket, `silver/${table}/dt=${logicalDate}/`),
  silverAll: (bucket: string, table: string) => s3Uri(bucket, `silver/${table}/`),
  gold: (bucket: string, table: string, logicalDate: string) =>
    s3Uri(bucket, `gold/${table}/dt=${logicalDate}/`),
  quarantine: (bucket: string, stageId: string, logicalDate: string) =>
    s3Uri(bucket, `quarantine/${stageId}/dt=${logicalDate}/`),
  metrics: (bucket: string, pipeline: string, logicalDate: string, stageId: string) =>
    s3Uri(bucket, `_medallion/metrics/${pipeline}/${logicalDate}/${stageId}.json`),
  dmsCheckpoints: (bucket: string, task: string) => s3Uri(bucket, `_medallion/dms/${task}/`),
  runState: (bucket: string, pipeline: string, logicalDate: string) =>
    s3Uri(bucket, `_medallion/runs/${pipeline}/${logicalDate}/`),
  alerts: (bucket: string, pipeline: string, scope: string) =>
    s3Uri(bucket, `_medallion/alerts/${pipeline}/${scope}/`),
  copyManifest: (bucket: string, pipeline: string, logicalDate: string, stageId: string, batchId: string) =>
    s3Uri(bucket, `_medallion/copy-manifests/${pipeline}/${logicalDate}/${stageId}/${batchId}.manifest`),
} as const;
