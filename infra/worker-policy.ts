/**
 * The worker role's permissions: each AWS action the activities send (activities/*.ts), on the
 * resources it acts on. test/production/infra-worker-policy.test.ts derives the actions from the activities'
 * SDK commands and fails when one is missing here or one here is not used, so an activity that
 * starts calling something new fails that test until it is granted here.
 */
import * as iam from 'aws-cdk-lib/aws-iam';

export interface WorkerResources {
  lakeBucketArn: string;
  glueJobArn: string;
  glueCrawlerArns: string[];
  emrApplicationArn: string;
  emrExecutionRoleArn: string;
  dmsTaskArns: string[];
  appflowFlowArns: string[];
  redshiftWorkgroupArn: string;
  alertsTopicArn: string;
}

function allow(actions: string[], resources: string[], conditions?: Record<string, unknown>) {
  return new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });
}

export function workerStatements(r: WorkerResources): iam.PolicyStatement[] {
  return [
    // Stage inputs and outputs, job metrics, run state, done markers, DMS checkpoints (activities/s3.ts,
    // run-state.ts). CopyObject needs GetObject on its source and PutObject on its target.
    allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [`${r.lakeBucketArn}/*`]),
    allow(['s3:ListBucket'], [r.lakeBucketArn]),

    // GetJob reads the job's MaxRetries before a start (activities/glue.ts refuses Glue's own retries).
    allow(
      ['glue:GetJob', 'glue:StartJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'],
      [r.glueJobArn],
    ),
    allow(['glue:StartCrawler', 'glue:GetCrawler', 'glue:StopCrawler'], r.glueCrawlerArns),

    // ListJobRuns finds a run a lost StartJobRun response may have started.
    allow(['emr-serverless:StartJobRun', 'emr-serverless:ListJobRuns'], [r.emrApplicationArn]),
    allow(['emr-serverless:GetJobRun', 'emr-serverless:CancelJobRun'], [`${r.emrApplicationArn}/jobruns/*`]),
    // StartJobRun hands the job its execution role.
    allow(['iam:PassRole'], [r.emrExecutionRoleArn], {
      StringEquals: { 'iam:PassedToService': 'emr-serverless.amazonaws.com' },
    }),

    allow(['dms:StartReplicationTask', 'dms:StopReplicationTask'], r.dmsTaskArns),
    // DescribeReplicationTasks has no resource-level permissions (Service Authorization Reference,
    // AWS DMS): it is granted on "*"; the activity filters by the task's ARN.
    allow(['dms:DescribeReplicationTasks'], ['*']),

    allow(
      [
        'appflow:DescribeFlow',
        'appflow:StartFlow',
        'appflow:DescribeFlowExecutionRecords',
        'appflow:CancelFlowExecutions',
      ],
      r.appflowFlowArns,
    ),

    allow(
      ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'],
      [r.redshiftWorkgroupArn],
    ),
    // The Data API connects with the worker's IAM identity when no secret is configured.
    allow(['redshift-serverless:GetCredentials'], [r.redshiftWorkgroupArn]),
    // Statement-level actions have no resource type; AWS's documented condition keeps them to the
    // statements this identity ran (Redshift Management Guide, "Authorizing access to the Data API").
    allow(
      [
        'redshift-data:DescribeStatement',
        'redshift-data:CancelStatement',
        'redshift-data:GetStatementResult',
        'redshift-data:ListStatements',
      ],
      ['*'],
      { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
    ),

    // Alerts of failed runs and their recoveries (activities/alerts.ts), to this stack's topic only.
    allow(['sns:Publish'], [r.alertsTopicArn]),
  ];
}
