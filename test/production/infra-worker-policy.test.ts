/**
 * Least privilege for the worker: its role grants exactly the IAM actions the activities' AWS SDK
 * calls need (test/support/production/sdk-actions.ts reads them from activities/), each on the stack's own
 * resources; "*" only where AWS offers no resource-level permission.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requiredActions, sdkCalls } from '../support/production/sdk-actions';
import { synthesize } from '../support/production/synth';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string>>;
}

const { template, stack } = synthesize();
const activities = path.resolve(__dirname, '../../activities');

function workerStatements(): Statement[] {
  const roleId = stack.getLogicalId(stack.workerRole.node.defaultChild as never);
  const role = template.findResources('AWS::IAM::Role')[roleId] as { Properties: Record<string, unknown> };
  // Everything the role may do is in the policies below: no managed or inline policies besides.
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  expect(role.Properties.Policies).toBeUndefined();
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(`"${roleId}"`),
  ) as { Properties: { PolicyDocument: { Statement: Statement[] } } }[];
  expect(policies.length).toBeGreaterThan(0);
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Actions AWS authorizes on "*" only (Service Authorization Reference: no resource types). */
const NO_RESOURCE_TYPES = new Set([
  'dms:DescribeReplicationTasks',
  'redshift-data:DescribeStatement',
  'redshift-data:CancelStatement',
  'redshift-data:GetStatementResult',
  'redshift-data:ListStatements',
]);

describe("the worker's role", () => {
  it('finds the SDK calls in activities/ (the scan is not empty)', () => {
    const operations = sdkCalls(activities).map((c) => c.operation);
    expect(operations).toEqual(expect.arrayContaining(['StartJobRun', 'ExecuteStatement', 'GetObject']));
  });

  it('grants exactly the actions the activities call, no more and no fewer', () => {
    const granted = new Set(workerStatements().flatMap((s) => list(s.Action)));
    const needed = requiredActions(activities);
    const missing = [...needed].filter((a) => !granted.has(a)).sort();
    const unused = [...granted].filter((a) => !needed.has(a)).sort();
    expect({ missing, unused }).toEqual({ missing: [], unused: [] });
  });

  it('allows only, without wildcards in actions, and on "*" only what AWS cannot scope', () => {
    for (const statement of workerStatements()) {
      expect(statement.Effect).toBe('Allow');
      for (const action of list(statement.Action)) expect(action).not.toContain('*');
      if (list(statement.Resource as unknown[]).includes('*')) {
        for (const action of list(statement.Action)) expect(NO_RESOURCE_TYPES.has(action), action).toBe(true);
      }
    }
  });

  it("limits the Data API's statement actions to the worker's own statements, and PassRole to EMR Serverless", () => {
    const statements = workerStatements();
    const describe = statements.find((s) => list(s.Action).includes('redshift-data:DescribeStatement'))!;
    expect(describe.Condition).toEqual({
      StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' },
    });
    const passRole = statements.find((s) => list(s.Action).includes('iam:PassRole'))!;
    expect(passRole.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'emr-serverless.amazonaws.com' },
    });
    expect(JSON.stringify(passRole.Resource)).toContain('EmrServerlessExecutionRole');
  });

  it("acts on the team's DMS tasks and AppFlow flows it was given, and on this stack's bucket and jobs", () => {
    const text = JSON.stringify(workerStatements());
    expect(text).toContain('arn:aws:dms:eu-central-1:123456789012:task:SHOPCDCEXAMPLE');
    expect(text).toContain(':flow/crm-accounts-to-s3');
    expect(text).toMatch(/job\/",\{"Ref":"SqlRunnerJob/);
  });
});
