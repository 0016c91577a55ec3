import type { IncomingHttpHeaders } from 'node:http';

export interface CredentialScope {
  region: string;
  service: string;
}

const SCOPE = /Credential=[^/\s,]+\/\d{8}\/([^/\s,]+)\/([^/\s,]+)\/aws4_request/;

/**
 * The region and service of a SigV4-signed request, from the Authorization header's credential scope
 * (or a presigned URL's X-Amz-Credential). The signature itself is not verified.
 */
export function credentialScope(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): CredentialScope | undefined {
  const authorization = headers.authorization;
  const fromHeader = typeof authorization === 'string' ? SCOPE.exec(authorization) : null;
  const presigned = query.get('X-Amz-Credential');
  const match = fromHeader ?? (presigned ? SCOPE.exec(`Credential=${presigned}`) : null);
  if (!match) return undefined;
  return { region: match[1]!, service: match[2]! };
}
