import { AwsError } from './aws-error';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * Where an item stands in a list the emulator may forget items of (old runs and statements beyond
 * what it keeps): a number that never decreases along the list's answer order (`descending` when it
 * never increases), such as the start time of newest-first runs.
 */
export interface ListPosition<T> {
  of(item: T): number;
  descending: boolean;
}

interface Token {
  after?: unknown;
  at?: unknown;
}

/**
 * One page of `items` (already in answer order). The token names the last item handed out, so runs
 * started between two page requests neither repeat nor skip items. With a `position`, the token also
 * keeps where that item stood: when the item was forgotten before the next request, the page resumes
 * at the first item not before it (one sharing its position may come again; none is skipped), as AWS
 * tokens stay valid while old runs expire.
 */
export function paginate<T>(
  items: T[],
  idOf: (item: T) => string,
  token: string | undefined,
  pageSize: number,
  invalidTokenError: string,
  position?: ListPosition<T>,
): Page<T> {
  const start = token === undefined || token === '' ? 0 : resumeIndex(items, idOf, token, position);
  if (start < 0)
    throw new AwsError(
      invalidTokenError,
      `the pagination token "${token}" is not valid; start again without it`,
    );
  const page = items.slice(start, start + pageSize);
  const more = start + pageSize < items.length;
  if (!more) return { items: page };
  const last = page[page.length - 1]!;
  return { items: page, nextToken: encodeToken({ after: idOf(last), at: position?.of(last) }) };
}

/** Index of the first item after the token's, or -1 when the token is not one this list handed out. */
function resumeIndex<T>(
  items: T[],
  idOf: (item: T) => string,
  token: string,
  position: ListPosition<T> | undefined,
): number {
  const decoded = decodeToken(token);
  if (typeof decoded?.after !== 'string') return -1;
  const index = items.findIndex((item) => idOf(item) === decoded.after);
  if (index >= 0) return index + 1;
  const at = decoded.at;
  if (!position || typeof at !== 'number') return -1;
  const notBefore = items.findIndex((item) =>
    position.descending ? position.of(item) <= at : position.of(item) >= at,
  );
  return notBefore < 0 ? items.length : notBefore;
}

function encodeToken(token: Token): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(token: string): Token | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}
