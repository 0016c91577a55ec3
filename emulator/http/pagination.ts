import { AwsError } from './aws-error';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * One page of `items` (already in answer order). The token names the last item handed out, so runs
 * started between two page requests neither repeat nor skip items.
 */
export function paginate<T>(
  items: T[],
  idOf: (item: T) => string,
  token: string | undefined,
  pageSize: number,
  invalidTokenError: string,
): Page<T> {
  let start = 0;
  if (token) {
    const lastId = decodeToken(token);
    const index = lastId === undefined ? -1 : items.findIndex((item) => idOf(item) === lastId);
    if (index < 0)
      throw new AwsError(
        invalidTokenError,
        `the pagination token "${token}" is not valid; start again without it`,
      );
    start = index + 1;
  }
  const page = items.slice(start, start + pageSize);
  const more = start + pageSize < items.length;
  return more ? { items: page, nextToken: encodeToken(idOf(page[page.length - 1]!)) } : { items: page };
}

function encodeToken(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

function decodeToken(token: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    return typeof parsed.after === 'string' ? parsed.after : undefined;
  } catch {
    return undefined;
  }
}
