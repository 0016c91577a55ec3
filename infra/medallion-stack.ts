/**
 * The AWS side of medallion, as a data team deploys it into its account: the lake bucket, the Glue
 * SQL-runner job (jobs/sql_runner.py, Glue 5.0) and the silver crawler, an EMR Serverless Spark
 * application, a Redshift Serverless namespace and workgroup, the roles those services assume, and
 * the worker's role with exactly the AWS actions the activities call on exactly these resources.
 * DMS replication tasks and AppFlow flows depend on the team's source systems: the stack takes them
 * as existing ARNs and names. Its outputs are what infra/render-config.ts turns into the worker's
 * config/medallion.yaml.
 */
import path from 'node:path';
import { Aws, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as emrserverless from 'aws-cdk-lib/aws-emrserverless';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as redshiftserverless from 'aws-cdk-lib/aws-redshiftserverless';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { workerStatements } from './worker-policy';

export interface MedallionStackProps extends StackProps {
  /** Logical DMS task name the pipelines use (e.g. `shop_cdc`) -> the team's replication task ARN. */
  dmsTasks: Record<string, string>;
  /** Logical AppFlow flow name (e.g. `crm_accounts`) -> the team's flow name in this account. */
  appflowFlows: Record<string, string>;
  /** Who runs the worker and assumes its role (default: ECS tasks). */
  workerPrincipal?: iam.IPrincipal;
  /** The Redshift database the warehouse tables live in. */
  warehouseDatabase?: string;
  /** Subnets and security groups of the Redshift workgroup (default: the account's default VPC). */
  redshiftSubnetIds?: string[];
  redshiftSecurityGroupIds?: string[];
  /** E-mail addresses subscribed to the alerts topic (each confirms its subscription once). */
  alertEmails?: string[];
}

/** EMR release with Spark 3.5, the Spark that Glue 5.0 runs too (one sql_runner.py for both). */
export const EMR_RELEASE = 'emr-7.9.0';
const GLUE_VERSION = '5.0';
const SQL_RUNNER = path.resolve(__dirname, '../jobs/sql_runner.py');

export class MedallionStack extends Stack {
  readonly lakeBucket: s3.Bucket;
  readonly workerRole: iam.Role;

  constructor(scope: Construct, id: string, props: MedallionStackProps) {
    super(scope, id, props);
    for (const [name, arn] of Object.entries(props.dmsTasks)) {
      if (!/^arn:aws[\w-]*:dms:[\w-]+:\d{12}:task:.+$/.test(arn)) {
        throw new Error(
          `dmsTasks.${name} is ${JSON.stringify(arn)}: give the replication task's ARN ` +
            `(arn:aws:dms:<region>:<account>:task:<id>, from \`aws dms describe-replication-tasks\`)`,
        );
      }
    }
    const database = props.warehouseDatabase ?? 'analytics';

    this.lakeBucket = new s3.Bucket(this, 'Lake', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Raw bronze is never rewritten and cannot be fetched again: keep the lake when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const lake = this.lakeBucket;
    // AppFlow writes its S3 destination as the service itself, so the bucket must let it (AWS AppFlow
    // User Guide, "Amazon S3 bucket policies for Amazon AppFlow"), for flows of this account only.
    lake.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('appflow.amazonaws.com')],
        actions: [
          's3:PutObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
          's3:ListBucketMultipartUploads',
          's3:GetBucketAcl',
          's3:PutObjectAcl',
        ],
        resources: [lake.bucketArn, lake.arnForObjects('bronze/saas/_appflow/*')],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    const script = new s3assets.Asset(this, 'SqlRunnerScript', { path: SQL_RUNNER });

    // Glue: the SQL runner every glue stage runs, and the crawler that catalogues silver.
    const glueRole = new iam.Role(this, 'GlueJobRole', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSGlueServiceRole')],
    });
    lake.grantReadWrite(glueRole);
    script.grantRead(glueRole);
    const sqlRunner = new glue.CfnJob(this, 'SqlRunnerJob', {
      name: 'medallion-sql-runner',
      role: glueRole.roleArn,
      glueVersion: GLUE_VERSION,
      command: { name: 'glueetl', pythonVersion: '3', scriptLocation: script.s3ObjectUrl },
      workerType: 'G.1X',
      numberOfWorkers: 2,
      // Glue's own retries would start a second run behind the activity's back: Temporal retries.
      maxRetries: 0,
      // Stages of one date and dates of a backfill run at once, each a run of this one job.
      executionProperty: { maxConcurrentRuns: 50 },
      defaultArguments: { '--job-language': 'python', '--enable-metrics': 'true' },
    });
    const catalog = new glue.CfnDatabase(this, 'SilverDatabase', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: 'medallion_silver' },
    });
    const silverCrawler = new glue.CfnCrawler(this, 'SilverCrawler', {
      name: 'medallion-silver',
      role: glueRole.roleArn,
      databaseName: 'medallion_silver',
      targets: { s3Targets: [{ path: lake.s3UrlForObject('silver/') }] },
    });
    silverCrawler.addResourceDependency(catalog);

    // EMR Serverless: the same SQL runner on Spark for the gold stages.
    const emrRole = new iam.Role(this, 'EmrServerlessExecutionRole', {
      assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com'),
    });
    lake.grantReadWrite(emrRole);
    script.grantRead(emrRole);
    const emrApp = new emrserverless.CfnApplication(this, 'SparkApplication', {
      name: 'medallion',
      releaseLabel: EMR_RELEASE,
      type: 'Spark',
      autoStartConfiguration: { enabled: true },
      autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 15 },
      maximumCapacity: { cpu: '64 vCPU', memory: '256 GB' },
    });

    // Redshift Serverless: the warehouse; COPY reads gold through a role the namespace holds.
    const copyRole = new iam.Role(this, 'RedshiftCopyRole', {
      assumedBy: new iam.CompositePrincipal(
        new iam.ServicePrincipal('redshift.amazonaws.com'),
        new iam.ServicePrincipal('redshift-serverless.amazonaws.com'),
      ),
    });
    lake.grantRead(copyRole);
    const namespace = new redshiftserverless.CfnNamespace(this, 'WarehouseNamespace', {
      namespaceName: 'medallion',
      dbName: database,
      adminUsername: 'medallion_admin',
      // Redshift keeps the admin password in Secrets Manager; no secret passes through the template.
      manageAdminPassword: true,
      iamRoles: [copyRole.roleArn],
      defaultIamRoleArn: copyRole.roleArn,
    });
    const workgroup = new redshiftserverless.CfnWorkgroup(this, 'WarehouseWorkgroup', {
      workgroupName: 'medallion',
      namespaceName: namespace.namespaceName,
      baseCapacity: 8,
      publiclyAccessible: false,
      ...(props.redshiftSubnetIds ? { subnetIds: props.redshiftSubnetIds } : {}),
      ...(props.redshiftSecurityGroupIds ? { securityGroupIds: props.redshiftSecurityGroupIds } : {}),
    });
    workgroup.addResourceDependency(namespace);

    // DMS: the team's S3 target endpoint writes CDC files into bronze with this role.
    const dmsTargetRole = new iam.Role(this, 'DmsS3TargetRole', {
      assumedBy: new iam.ServicePrincipal('dms.amazonaws.com'),
    });
    dmsTargetRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject', 's3:PutObjectTagging'],
        resources: [lake.arnForObjects('bronze/cdc/*')],
      }),
    );
    dmsTargetRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [lake.bucketArn] }),
    );

    // Failed runs, backfills with failed dates, warn checks and their recoveries (activities/alerts.ts).
    // Standard, not FIFO: e-mail and HTTPS subscriptions (and AWS Chatbot) take standard topics only.
    const alertsTopic = new sns.Topic(this, 'Alerts', {
      displayName: 'medallion alerts',
      enforceSSL: true,
    });
    for (const email of props.alertEmails ?? []) {
      alertsTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    // The worker: exactly what the activities call (infra/worker-policy.ts; test/production/infra-worker-policy.test.ts checks it).
    this.workerRole = new iam.Role(this, 'WorkerRole', {
      assumedBy: props.workerPrincipal ?? new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'medallion worker: the AWS calls of its activities, on the resources of this stack',
    });
    const flowArns = Object.values(props.appflowFlows).map((name) =>
      this.formatArn({ service: 'appflow', resource: 'flow', resourceName: name }),
    );
    for (const statement of workerStatements({
      lakeBucketArn: lake.bucketArn,
      glueJobArn: this.formatArn({ service: 'glue', resource: 'job', resourceName: sqlRunner.ref }),
      glueCrawlerArns: [
        this.formatArn({ service: 'glue', resource: 'crawler', resourceName: silverCrawler.ref }),
      ],
      emrApplicationArn: emrApp.attrArn,
      emrExecutionRoleArn: emrRole.roleArn,
      dmsTaskArns: Object.values(props.dmsTasks),
      appflowFlowArns: flowArns,
      redshiftWorkgroupArn: workgroup.attrWorkgroupWorkgroupArn,
      alertsTopicArn: alertsTopic.topicArn,
    })) {
      this.workerRole.addToPolicy(statement);
    }

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('Region', Aws.REGION, 'region of every resource');
    output('LakeBucketName', lake.bucketName, 'environment.lakeBucket');
    output('GlueSqlRunnerJob', sqlRunner.ref, 'environment.glue.sqlRunnerJob');
    output('GlueSilverCrawler', silverCrawler.ref, 'environment.glue.crawlers.silver');
    output('EmrApplicationId', emrApp.attrApplicationId, 'environment.emrServerless.applicationId');
    output('EmrExecutionRoleArn', emrRole.roleArn, 'environment.emrServerless.executionRoleArn');
    output('SqlRunnerScriptUri', script.s3ObjectUrl, 'environment.emrServerless.entryPoint');
    output('DmsTasks', JSON.stringify(props.dmsTasks), 'environment.dms.tasks (JSON)');
    output('AppflowFlows', JSON.stringify(props.appflowFlows), 'environment.appflow.flows (JSON)');
    output('RedshiftDatabase', database, 'environment.warehouse.database');
    output('RedshiftWorkgroupName', workgroup.ref, 'environment.warehouse.workgroupName');
    output('RedshiftCopyRoleArn', copyRole.roleArn, 'environment.warehouse.copyRoleArn');
    output(
      'DmsS3TargetRoleArn',
      dmsTargetRole.roleArn,
      "ServiceAccessRoleArn of the team's DMS S3 target endpoint",
    );
    output('AlertsTopicArn', alertsTopic.topicArn, 'environment.alerts.topicArn');
    output('WorkerRoleArn', this.workerRole.roleArn, 'the role the worker runs as');
  }
}
