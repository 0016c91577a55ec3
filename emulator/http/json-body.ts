import { AwsError } from './aws-error';
import type { AwsRequest } from './aws-request';

/** The JSON object a JSON-protocol request carries (awsJson1_1, restJson1); an empty body is `{}`. */
export function jsonObjectBody(request: AwsRequest): Record<string, unknown> {
  if (request.body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(request.body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new AwsError('SerializationException', 'the request body is not a JSON object');
}
