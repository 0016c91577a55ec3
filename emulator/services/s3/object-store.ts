import { mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeFileAtomic } from '../../runtime/atomic-write';
import type { Lake } from '../../lake';
import { etagOf } from '../../runtime/ids';

export interface ObjectMetadata {
  contentType: string;
  userMetadata: Record<string, string>;
}

export interface StoredObject extends ObjectMetadata {
  key: string;
  size: number;
  lastModified: Date;
  etag: string;
}

interface Sidecar extends ObjectMetadata {
  etag: string;
  size: number;
  mtimeMs: number;
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * S3 objects as plain files of the lake (so DuckDB reads them directly). Content type and user
 * metadata live in side files under `<dataDir>/s3-meta/`, outside the lake; objects written straight to
 * the lake (by DuckDB jobs) get a computed ETag and the default content type.
 */
export class ObjectStore {
  private readonly metaDir: string;
  private readonly tmpDir: string;
  private readonly etagCache = new Map<string, { size: number; mtimeMs: number; etag: string }>();

  constructor(
    private readonly lake: Lake,
    dataDir: string,
  ) {
    this.metaDir = join(dataDir, 's3-meta');
    this.tmpDir = join(dataDir, 'tmp');
  }

  async bucketCreatedAt(bucket: string): Promise<Date | undefined> {
    try {
      const info = await stat(this.lake.bucketDir(bucket));
      return info.isDirectory() ? info.birthtime : undefined;
    } catch {
      return undefined;
    }
  }

  async listBuckets(): Promise<{ name: string; createdAt: Date }[]> {
    await mkdir(this.lake.dir, { recursive: true });
    const entries = await readdir(this.lake.dir, { withFileTypes: true });
    const buckets = await Promise.all(
      entries
        .filter((e) => e.isDirectory())
        .map(async (e) => ({ name: e.name, createdAt: (await this.bucketCreatedAt(e.name)) ?? new Date(0) })),
    );
    return buckets.sort((a, b) => a.name.localeCompare(b.name));
  }

  async deleteBucket(bucket: string): Promise<'deleted' | 'not-empty'> {
    const keys = await this.keys(bucket, '');
    if (keys.length > 0) return 'not-empty';
    await rm(this.lake.bucketDir(bucket), { recursive: true, force: true });
    await rm(join(this.metaDir, bucket), { recursive: true, force: true });
    return 'deleted';
  }

  async put(bucket: string, key: string, body: Buffer, metadata: ObjectMetadata): Promise<StoredObject> {
    const path = this.lake.objectPath(bucket, key);
    await writeFileAtomic(path, body, this.tmpDir);
    const info = await stat(path);
    const etag = etagOf(body);
    const sidecar: Sidecar = { ...metadata, etag, size: info.size, mtimeMs: info.mtimeMs };
    await writeFileAtomic(this.sidecarPath(bucket, key), JSON.stringify(sidecar));
    return { key, size: info.size, lastModified: info.mtime, etag, ...metadata };
  }

  async head(bucket: string, key: string): Promise<StoredObject | undefined> {
    if (key === '' || key.endsWith('/')) return undefined;
    const path = this.lake.objectPath(bucket, key);
    let info;
    try {
      info = await stat(path);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const sidecar = await this.sidecar(bucket, key);
    const fresh = sidecar && sidecar.size === info.size && sidecar.mtimeMs === info.mtimeMs;
    return {
      key,
      size: info.size,
      lastModified: info.mtime,
      etag: fresh ? sidecar.etag : await this.computedEtag(path, info.size, info.mtimeMs),
      contentType: fresh ? sidecar.contentType : DEFAULT_CONTENT_TYPE,
      userMetadata: fresh ? sidecar.userMetadata : {},
    };
  }

  async read(bucket: string, key: string): Promise<Buffer> {
    return readFile(this.lake.objectPath(bucket, key));
  }

  async delete(bucket: string, key: string): Promise<void> {
    const path = this.lake.objectPath(bucket, key);
    await rm(path, { force: true });
    await rm(this.sidecarPath(bucket, key), { force: true });
    await this.removeEmptyParents(dirname(path), this.lake.bucketDir(bucket));
  }

  /** Every key of a bucket under the folder that holds `prefix`, sorted as S3 sorts them. */
  async keys(bucket: string, prefix: string): Promise<string[]> {
    const base = this.lake.bucketDir(bucket);
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = folder === '' ? base : this.lake.objectPath(bucket, folder);
    let entries;
    try {
      entries = await readdir(start, { withFileTypes: true, recursive: true });
    } catch {
      return [];
    }
    return entries
      .filter((e) => e.isFile())
      .map((e) => relative(base, join(e.parentPath, e.name)).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort(compareKeys);
  }

  private async sidecar(bucket: string, key: string): Promise<Sidecar | undefined> {
    try {
      return JSON.parse(await readFile(this.sidecarPath(bucket, key), 'utf8')) as Sidecar;
    } catch {
      return undefined;
    }
  }

  private sidecarPath(bucket: string, key: string): string {
    return `${join(this.metaDir, bucket, key)}.meta.json`;
  }

  private async computedEtag(path: string, size: number, mtimeMs: number): Promise<string> {
    const cached = this.etagCache.get(path);
    if (cached && cached.size === size && cached.mtimeMs === mtimeMs) return cached.etag;
    const etag = etagOf(await readFile(path));
    this.etagCache.set(path, { size, mtimeMs, etag });
    return etag;
  }

  private async removeEmptyParents(dir: string, stopAt: string): Promise<void> {
    let current = dir;
    while (current.startsWith(stopAt + sep)) {
      try {
        await rmdir(current);
      } catch {
        return;
      }
      current = dirname(current);
    }
  }
}

/** S3 lists keys in UTF-8 byte order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
