/**
 * The IAM actions the activities need, read from their code: every command class and paginator
 * they import from an `@aws-sdk/client-*` package (a paginator sends its operation's command), mapped
 * to the IAM action that authorizes it. The maps are written out by hand on purpose: a new client or
 * S3 operation fails here until someone says which action it needs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** SDK client package -> IAM service prefix (Service Authorization Reference). */
const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-glue': 'glue',
  '@aws-sdk/client-emr-serverless': 'emr-serverless',
  '@aws-sdk/client-database-migration-service': 'dms',
  '@aws-sdk/client-appflow': 'appflow',
  '@aws-sdk/client-redshift-data': 'redshift-data',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-sns': 'sns',
};

/** S3 API operations -> the actions that authorize them (S3 User Guide, "Required permissions"). */
const S3_ACTIONS: Record<string, string[]> = {
  GetObject: ['s3:GetObject'],
  HeadObject: ['s3:GetObject'],
  PutObject: ['s3:PutObject'],
  // Reads the source object and writes the target one.
  CopyObject: ['s3:GetObject', 's3:PutObject'],
  DeleteObject: ['s3:DeleteObject'],
  DeleteObjects: ['s3:DeleteObject'],
  ListObjectsV2: ['s3:ListBucket'],
  ListObjects: ['s3:ListBucket'],
  HeadBucket: ['s3:ListBucket'],
};

/**
 * Actions an operation needs besides its own (Service Authorization Reference, "dependent actions"):
 * EMR Serverless StartJobRun passes the job's execution role; the Redshift Data API on a serverless
 * workgroup without a secret gets database credentials for the caller's IAM identity.
 */
const DEPENDENT_ACTIONS: Record<string, string[]> = {
  'emr-serverless:StartJobRun': ['iam:PassRole'],
  'redshift-data:ExecuteStatement': ['redshift-serverless:GetCredentials'],
  'redshift-data:BatchExecuteStatement': ['redshift-serverless:GetCredentials'],
};

export interface SdkCall {
  file: string;
  client: string;
  operation: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every `XxxCommand` and `paginateXxx` value import from an AWS SDK client in `dir`. */
export function sdkCalls(dir: string): SdkCall[] {
  const calls: SdkCall[] = [];
  for (const file of sourceFiles(dir)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement)) continue;
      const client = (statement.moduleSpecifier as ts.StringLiteral).text;
      const clause = statement.importClause;
      if (!client.startsWith('@aws-sdk/client-') || !clause || clause.isTypeOnly) continue;
      const bindings = clause.namedBindings;
      if (!bindings || !ts.isNamedImports(bindings)) continue;
      for (const element of bindings.elements) {
        if (element.isTypeOnly) continue;
        const name = (element.propertyName ?? element.name).text;
        const operation = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1];
        if (operation) calls.push({ file: path.relative(path.dirname(dir), file), client, operation });
      }
    }
  }
  return calls;
}

function iamActions(call: SdkCall): string[] {
  const prefix = SERVICE_PREFIX[call.client];
  if (!prefix)
    throw new Error(
      `${call.file}: no IAM service prefix for ${call.client}; add it to test/support/production/sdk-actions.ts`,
    );
  if (prefix !== 's3') return [`${prefix}:${call.operation}`];
  const actions = S3_ACTIONS[call.operation];
  if (!actions)
    throw new Error(`${call.file}: which IAM actions does S3 ${call.operation} need? Add it to S3_ACTIONS`);
  return actions;
}

/** The actions the activities in `dir` need: their operations' and those operations' dependent ones. */
export function requiredActions(dir: string): Set<string> {
  const own = sdkCalls(dir).flatMap(iamActions);
  return new Set([...own, ...own.flatMap((a) => DEPENDENT_ACTIONS[a] ?? [])]);
}
