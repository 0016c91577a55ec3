import { AwsError } from './aws-error';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

interface Token {
  after?: unknown;
  at?: unknown;
}

/**
 * One page of `items` (already in answer order). The token names the last item handed out, so runs
 * started between two page requests neither repeat nor skip items. For a newest-first list the emulator
 * forgets old items of (runs, statements), `startedAt` gives each item's start time: the token also
 * keeps it, and when its item was forgotten before the next request, the page resumes at the first
 * item not newer (one started at the same time may come again; none is skipped), as AWS tokens stay
 * valid while old runs expire.
 */
export function paginate<T>(
  items: T[],
  idOf: (item: T) => string,
  token: string | undefined,
  pageSize: number,
  invalidTokenError: string,
  startedAt?: (item: T) => number,
): Page<T> {
  const start = token === undefined || token === '' ? 0 : resumeIndex(items, idOf, token, startedAt);
  if (start < 0)
    throw new AwsError(
      invalidTokenError,
      `the pagination token "${token}" is not valid; start again without it`,
    );
  const page = items.slice(start, start + pageSize);
  const more = start + pageSize < items.length;
  if (!more) return { items: page };
  const last = page[page.length - 1]!;
  return { items: page, nextToken: encodeToken({ after: idOf(last), at: startedAt?.(last) }) };
}

/** Index of the first item after the token's, or -1 when the token is not one this list handed out. */
function resumeIndex<T>(
  items: T[],
  idOf: (item: T) => string,
  token: string,
  startedAt: ((item: T) => number) | undefined,
): number {
  const decoded = decodeToken(token);
  if (typeof decoded?.after !== 'string') return -1;
  const index = items.findIndex((item) => idOf(item) === decoded.after);
  if (index >= 0) return index + 1;
  const at = decoded.at;
  if (!startedAt || typeof at !== 'number') return -1;
  const notNewer = items.findIndex((item) => startedAt(item) <= at);
  return notNewer < 0 ? items.length : notNewer;
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
