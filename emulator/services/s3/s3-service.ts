import { AwsError } from '../../http/aws-error';
import { type AwsRequest, type AwsResponse, gatedHandler, header } from '../../http/aws-request';
import type { EmulatedService, ServiceContext } from '../service-context';
import { listObjectsV2 } from './list-objects';
import { type ObjectMetadata, ObjectStore, type StoredObject } from './object-store';
import { el, parseXmlBody, s3Document, xmlDocument } from './s3-xml';

type S3Operation = (request: AwsRequest, bucket: string, key: string) => Promise<AwsResponse>;

/**
 * Amazon S3 (restXml, path-style addressing: /bucket/key) over the lake directory: buckets are
 * folders, objects are files.
 */
export function createS3Service(ctx: ServiceContext): EmulatedService {
  const store = new ObjectStore(ctx.lake, ctx.dataDir);

  const requireBucket = async (bucket: string) => {
    if (!(await store.bucketCreatedAt(bucket))) {
      throw new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
    }
  };
  const requireObject = async (bucket: string, key: string): Promise<StoredObject> => {
    await requireBucket(bucket);
    const object = await store.head(bucket, key);
    if (!object) throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
    return object;
  };
  const xml = (body: string, status = 200): AwsResponse => ({
    status,
    headers: { 'content-type': 'application/xml' },
    body,
  });

  const operations: Record<string, S3Operation> = {
    ListBuckets: async () => {
      const buckets = await store.listBuckets();
      return xml(
        s3Document(
          el('ListAllMyBucketsResult', [
            el('Owner', [el('ID', ctx.config.accountId), el('DisplayName', 'emulator')]),
            el(
              'Buckets',
              buckets.map((b) =>
                el('Bucket', [el('Name', b.name), el('CreationDate', b.createdAt.toISOString())]),
              ),
            ),
          ]),
        ),
      );
    },
    CreateBucket: async (request, bucket) => {
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
        throw new AwsError('InvalidBucketName', 'The specified bucket is not valid.', 400, {
          BucketName: bucket,
        });
      }
      parseXmlBody(request.body);
      // us-east-1 answers 200 to the owner re-creating a bucket; every other region says BucketAlreadyOwnedByYou.
      if ((await store.bucketCreatedAt(bucket)) && request.region !== 'us-east-1') {
        throw new AwsError(
          'BucketAlreadyOwnedByYou',
          'Your previous request to create the named bucket succeeded and you already own it.',
          409,
          {
            BucketName: bucket,
          },
        );
      }
      await ctx.lake.ensureBucket(bucket);
      return { status: 200, headers: { location: `/${bucket}` } };
    },
    HeadBucket: async (request, bucket) => {
      await requireBucket(bucket);
      return { status: 200, headers: { 'x-amz-bucket-region': ctx.config.region } };
    },
    DeleteBucket: async (_request, bucket) => {
      await requireBucket(bucket);
      if ((await store.deleteBucket(bucket)) === 'not-empty') {
        throw new AwsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, {
          BucketName: bucket,
        });
      }
      return { status: 204 };
    },
    GetBucketLocation: async (_request, bucket) => {
      await requireBucket(bucket);
      const location = ctx.config.region === 'us-east-1' ? '' : ctx.config.region;
      return xml(s3Document(el('LocationConstraint', location)));
    },
    ListObjectsV2: async (request, bucket) => {
      await requireBucket(bucket);
      return xml(await listObjectsV2(store, bucket, request.query));
    },
    DeleteObjects: async (request, bucket) => {
      await requireBucket(bucket);
      const parsed = parseXmlBody(request.body).Delete as { Object?: unknown; Quiet?: string } | undefined;
      const objects = [parsed?.Object ?? []].flat() as { Key?: string }[];
      if (objects.length === 0 || objects.length > 1000) {
        throw new AwsError(
          'MalformedXML',
          'The XML you provided was not well-formed or did not validate against our published schema (1 to 1000 <Object> elements).',
        );
      }
      const quiet = parsed?.Quiet === 'true';
      const deleted = [];
      for (const { Key } of objects) {
        if (Key === undefined) throw new AwsError('MalformedXML', 'Every <Object> needs a <Key>.');
        await store.delete(bucket, Key);
        deleted.push(el('Deleted', [el('Key', Key)]));
      }
      return xml(s3Document(el('DeleteResult', quiet ? [] : deleted)));
    },
    PutObject: async (request, bucket, key) => {
      await requireBucket(bucket);
      checkPreconditions(request, await store.head(bucket, key));
      const stored = await store.put(bucket, key, request.body, metadataOf(request));
      return { status: 200, headers: { etag: stored.etag } };
    },
    CopyObject: async (request, bucket, key) => {
      await requireBucket(bucket);
      const source = copySource(header(request, 'x-amz-copy-source')!);
      const original = await requireObject(source.bucket, source.key);
      const replace = header(request, 'x-amz-metadata-directive') === 'REPLACE';
      const stored = await store.put(
        bucket,
        key,
        await store.read(source.bucket, source.key),
        replace ? metadataOf(request) : original,
      );
      return xml(
        s3Document(
          el('CopyObjectResult', [
            el('LastModified', stored.lastModified.toISOString()),
            el('ETag', stored.etag),
          ]),
        ),
      );
    },
    GetObject: async (request, bucket, key) => {
      const object = await requireObject(bucket, key);
      checkPreconditions(request, object);
      const body = await store.read(bucket, key);
      const range = byteRange(header(request, 'range'), body.length);
      const headers = objectHeaders(object);
      if (!range)
        return { status: 200, headers: { ...headers, 'content-length': String(body.length) }, body };
      return {
        status: 206,
        headers: {
          ...headers,
          'content-range': `bytes ${range.start}-${range.end}/${body.length}`,
          'content-length': String(range.end - range.start + 1),
        },
        body: body.subarray(range.start, range.end + 1),
      };
    },
    HeadObject: async (request, bucket, key) => {
      const object = await requireObject(bucket, key);
      checkPreconditions(request, object);
      return { status: 200, headers: { ...objectHeaders(object), 'content-length': String(object.size) } };
    },
    DeleteObject: async (_request, bucket, key) => {
      await requireBucket(bucket);
      await store.delete(bucket, key);
      return { status: 204 };
    },
  };

  return {
    signingName: 's3',
    handler: gatedHandler('s3', ctx.gate, s3Error, async (request, pass) => {
      const { bucket, key } = splitPath(request.path);
      const operation = operationOf(request, bucket, key);
      await pass(operation);
      return withRequestIds(await operations[operation]!(request, bucket, key), request);
    }),
    resume: () => undefined,
  };
}

function operationOf(request: AwsRequest, bucket: string, key: string): string {
  const { method, query } = request;
  const unsupported = [
    'uploads',
    'uploadId',
    'versioning',
    'acl',
    'tagging',
    'policy',
    'lifecycle',
    'cors',
    'versions',
  ].find((q) => query.has(q));
  if (unsupported) {
    throw new AwsError(
      'NotImplemented',
      `The emulator's S3 does not implement the ?${unsupported} sub-resource.`,
      501,
    );
  }
  if (bucket === '') {
    if (method === 'GET') return 'ListBuckets';
  } else if (key === '') {
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
    if (method === 'GET' && query.has('location')) return 'GetBucketLocation';
    if (method === 'GET' && query.get('list-type') === '2') return 'ListObjectsV2';
    if (method === 'GET') {
      throw new AwsError(
        'NotImplemented',
        'The emulator implements ListObjectsV2 only; send list-type=2.',
        501,
      );
    }
  } else {
    if (method === 'PUT') return request.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    if (method === 'GET') return 'GetObject';
    if (method === 'HEAD') return 'HeadObject';
    if (method === 'DELETE') return 'DeleteObject';
  }
  throw new AwsError(
    'MethodNotAllowed',
    `The specified method is not allowed against this resource: ${method} ${request.path}`,
    405,
  );
}

/** Path-style addressing: /bucket/key, with the key percent-decoded. */
function splitPath(path: string): { bucket: string; key: string } {
  const trimmed = path.replace(/^\//, '');
  const slash = trimmed.indexOf('/');
  if (slash < 0) return { bucket: decodeURIComponent(trimmed), key: '' };
  return {
    bucket: decodeURIComponent(trimmed.slice(0, slash)),
    key: decodeURIComponent(trimmed.slice(slash + 1)),
  };
}

function copySource(value: string): { bucket: string; key: string } {
  const withoutVersion = value.split('?')[0]!;
  const decoded = decodeURIComponent(withoutVersion).replace(/^\//, '');
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new AwsError('InvalidArgument', `Invalid copy source "${value}": use bucket/key`, 400);
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

function metadataOf(request: AwsRequest): ObjectMetadata {
  const userMetadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string')
      userMetadata[name.slice('x-amz-meta-'.length)] = value;
  }
  return { contentType: header(request, 'content-type') ?? 'application/octet-stream', userMetadata };
}

function objectHeaders(object: StoredObject): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': object.contentType,
    etag: object.etag,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
  for (const [name, value] of Object.entries(object.userMetadata)) headers[`x-amz-meta-${name}`] = value;
  return headers;
}

/** If-Match / If-None-Match, as S3 checks them (`*` on PutObject = only if the key does not exist). */
function checkPreconditions(request: AwsRequest, existing: StoredObject | undefined): void {
  const ifMatch = header(request, 'if-match');
  const ifNoneMatch = header(request, 'if-none-match');
  const failed =
    (ifMatch !== undefined && (!existing || (ifMatch !== '*' && ifMatch !== existing.etag))) ||
    (ifNoneMatch !== undefined && existing && (ifNoneMatch === '*' || ifNoneMatch === existing.etag));
  if (failed) {
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (ifNoneMatch !== undefined) throw new AwsError('NotModified', 'Not Modified', 304);
    }
    throw new AwsError(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      412,
    );
  }
}

function byteRange(range: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!range) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [start, end] =
    match[1] === ''
      ? [Math.max(0, size - Number(match[2])), size - 1]
      : [Number(match[1]), match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)];
  if (start >= size || start > end) {
    throw new AwsError('InvalidRange', 'The requested range is not satisfiable', 416);
  }
  return { start, end };
}

function withRequestIds(response: AwsResponse, request: AwsRequest): AwsResponse {
  return {
    ...response,
    headers: { ...response.headers, 'x-amz-request-id': request.requestId, 'x-amz-id-2': request.requestId },
  };
}

function s3Error(error: unknown, request: AwsRequest): AwsResponse {
  const awsError =
    error instanceof AwsError
      ? error
      : new AwsError('InternalError', `We encountered an internal error: ${String(error)}`, 500);
  const headers = { 'x-amz-request-id': request.requestId, 'x-amz-id-2': request.requestId };
  // HEAD responses have no body: the SDK names the error from the status (404 -> NotFound).
  if (request.method === 'HEAD' || awsError.httpStatus === 304)
    return { status: awsError.httpStatus, headers };
  const fields = Object.entries(awsError.fields).map(([name, value]) => el(name, value));
  const body = xmlDocument(
    el('Error', [
      el('Code', awsError.code),
      el('Message', awsError.message),
      ...fields,
      el('RequestId', request.requestId),
      el('HostId', request.requestId),
    ]),
    false,
  );
  return { status: awsError.httpStatus, headers: { ...headers, 'content-type': 'application/xml' }, body };
}
