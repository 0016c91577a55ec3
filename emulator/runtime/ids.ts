import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Glue JobRunId: `jr_` and 64 hex characters. */
export function glueJobRunId(): string {
  return `jr_${randomBytes(32).toString('hex')}`;
}

/** EMR Serverless job run id: 16 lower-case alphanumerics, like 00fbc8a1b2c3d4e5. */
export function emrJobRunId(): string {
  return `00${randomBytes(7).toString('hex')}`;
}

export function uuid(): string {
  return randomUUID();
}

export function requestId(): string {
  return randomUUID();
}

/** S3 ETag of a body: the quoted MD5 hex digest. */
export function etagOf(body: Uint8Array): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}
