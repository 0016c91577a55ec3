import { AwsError } from '../../http/aws-error';
import { type ObjectStore, compareKeys } from './object-store';
import { el, s3Document } from './s3-xml';

/**
 * ListObjectsV2: keys and common prefixes in key order, `max-keys` of them per page, the continuation
 * token naming the last entry handed out.
 */
export async function listObjectsV2(
  store: ObjectStore,
  bucket: string,
  query: URLSearchParams,
): Promise<string> {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const maxKeys = Number(query.get('max-keys') ?? 1000);
  if (!Number.isInteger(maxKeys) || maxKeys < 0)
    throw new AwsError('InvalidArgument', 'max-keys must be a non-negative integer');
  const token = query.get('continuation-token') ?? undefined;
  const startAfter = query.get('start-after') ?? '';
  const encode =
    query.get('encoding-type') === 'url'
      ? (v: string) => encodeURIComponent(v).replaceAll('%2F', '/')
      : (v: string) => v;

  const after = token === undefined ? startAfter : decodeToken(token);
  const entries: { key: string; isPrefix: boolean }[] = [];
  for (const key of await store.keys(bucket, prefix)) {
    const rest = key.slice(prefix.length);
    const cut = delimiter === '' ? -1 : rest.indexOf(delimiter);
    const entry =
      cut < 0
        ? { key, isPrefix: false }
        : { key: prefix + rest.slice(0, cut + delimiter.length), isPrefix: true };
    const last = entries[entries.length - 1];
    if (last && last.key === entry.key) continue;
    entries.push(entry);
  }
  const remaining = entries.filter(
    (e) => compareKeys(e.key, after) > 0 && !(e.isPrefix && after.startsWith(e.key)),
  );
  const page = remaining.slice(0, maxKeys);
  const truncated = remaining.length > page.length;

  const contents = await Promise.all(
    page
      .filter((e) => !e.isPrefix)
      .map(async (e) => {
        const object = (await store.head(bucket, e.key))!;
        return el('Contents', [
          el('Key', encode(e.key)),
          el('LastModified', object.lastModified.toISOString()),
          el('ETag', object.etag),
          el('Size', object.size),
          el('StorageClass', 'STANDARD'),
        ]);
      }),
  );
  const commonPrefixes = page
    .filter((e) => e.isPrefix)
    .map((e) => el('CommonPrefixes', [el('Prefix', encode(e.key))]));
  return s3Document(
    el('ListBucketResult', [
      el('Name', bucket),
      el('Prefix', encode(prefix)),
      delimiter === '' ? undefined : el('Delimiter', encode(delimiter)),
      el('MaxKeys', maxKeys),
      el('KeyCount', page.length),
      el('IsTruncated', truncated),
      token === undefined ? undefined : el('ContinuationToken', token),
      truncated ? el('NextContinuationToken', encodeToken(page[page.length - 1]!.key)) : undefined,
      startAfter === '' ? undefined : el('StartAfter', encode(startAfter)),
      query.get('encoding-type') === 'url' ? el('EncodingType', 'url') : undefined,
      ...contents,
      ...commonPrefixes,
    ]),
  );
}

function encodeToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (key === '' || Buffer.from(key, 'utf8').toString('base64url') !== token) {
    throw new AwsError('InvalidArgument', 'The continuation token provided is incorrect');
  }
  return key;
}
