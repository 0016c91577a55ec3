/**
 * The AWS side as code (infra/medallion-stack.ts), synthesized offline and read as CloudFormation.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EMR_RELEASE } from '../../infra/medallion-stack';
import { synthesize } from '../support/production/synth';

const { template, templateFile } = synthesize();

describe('the medallion stack', () => {
  it('keeps the lake bucket encrypted, private, TLS-only and retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('runs jobs/sql_runner.py as a Glue 5.0 job without Glue retries', () => {
    template.hasResourceProperties('AWS::Glue::Job', {
      GlueVersion: '5.0',
      MaxRetries: 0,
      Command: { Name: 'glueetl', PythonVersion: '3', ScriptLocation: Match.anyValue() },
    });
    // The script asset is the repository's file, staged into the cloud assembly as is.
    const assets = readFileSync(path.join(path.dirname(templateFile), 'Medallion.assets.json'), 'utf8');
    const staged = Object.values(
      (JSON.parse(assets) as { files: Record<string, { source: { path: string } }> }).files,
    ).map((f) => path.join(path.dirname(templateFile), f.source.path));
    const script = staged.find((p) => p.endsWith('.py'));
    expect(script).toBeDefined();
    expect(readFileSync(script!, 'utf8')).toBe(
      readFileSync(path.resolve(__dirname, '../../jobs/sql_runner.py'), 'utf8'),
    );
  });

  it('has an EMR Serverless Spark application on an EMR 7 release', () => {
    expect(EMR_RELEASE).toMatch(/^emr-7\.\d+\.\d+$/);
    template.hasResourceProperties('AWS::EMRServerless::Application', {
      Type: 'Spark',
      ReleaseLabel: EMR_RELEASE,
    });
  });

  it('has a Redshift Serverless namespace, with the COPY role and a managed admin password, and a workgroup', () => {
    template.hasResourceProperties('AWS::RedshiftServerless::Namespace', {
      DbName: 'analytics',
      ManageAdminPassword: true,
      IamRoles: [Match.anyValue()],
    });
    template.hasResourceProperties('AWS::RedshiftServerless::Workgroup', {
      NamespaceName: 'medallion',
      PubliclyAccessible: false,
    });
  });

  it('has a standard SNS topic for alerts, TLS-only, that the worker may publish to', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'medallion alerts' });
    const topics = template.findResources('AWS::SNS::Topic');
    expect(Object.values(topics).map((t) => (t.Properties as { FifoTopic?: boolean }).FifoTopic)).toEqual([
      undefined,
    ]);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasOutput('AlertsTopicArn', { Value: { Ref: Object.keys(topics)[0] } });
  });

  it('gives each job the role of its service', () => {
    for (const service of ['glue', 'emr-serverless', 'dms']) {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: `${service}.amazonaws.com` } })],
        },
      });
    }
  });
});
