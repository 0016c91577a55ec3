import { mkdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { parseS3Uri } from '../core/lake-layout';
import type { S3PathResolver } from './sources/source-api';

/** The local lake: bucket `b` is the directory `<dataDir>/lake/b/`, key `k` the file below it. */
export class Lake {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = resolve(dataDir, 'lake');
  }

  bucketDir(bucket: string): string {
    return join(this.dir, bucket);
  }

  /** The file of an object key; refuses keys that would leave the bucket (`..` segments). */
  objectPath(bucket: string, key: string): string {
    const base = this.bucketDir(bucket);
    const path = resolve(base, key);
    if (path !== base && !path.startsWith(base + sep))
      throw new Error(`object key escapes its bucket: ${key}`);
    return key.endsWith('/') ? path + sep : path;
  }

  /** Maps s3://bucket/key (globs and a trailing / kept) to the lake path DuckDB can read. */
  readonly resolve: S3PathResolver = (uri) => {
    const { bucket, key } = parseS3Uri(uri);
    return this.objectPath(bucket, key);
  };

  async bucketExists(bucket: string): Promise<boolean> {
    return stat(this.bucketDir(bucket)).then(
      (info) => info.isDirectory(),
      () => false,
    );
  }

  async ensureBucket(bucket: string): Promise<void> {
    await mkdir(this.bucketDir(bucket), { recursive: true });
  }
}
