import type { z } from 'zod';
import { formatPath } from '../../core/config-errors';
import { AwsError } from './aws-error';

/**
 * Validates an operation's input the way AWS does before running it, answering with the service's
 * validation error (`errorCode`) and AWS's message style, naming each bad member.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, errorCode: string): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) =>
      `Value at '${formatPath(issue.path) || '(input)'}' failed to satisfy constraint: ${issue.message}`,
  );
  const count = problems.length;
  throw new AwsError(
    errorCode,
    `${count} validation error${count === 1 ? '' : 's'} detected: ${problems.join('; ')}`,
    400,
  );
}
