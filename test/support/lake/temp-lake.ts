import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseS3Uri } from '../../../core/lake-layout';
import type { S3PathResolver } from '../../../emulator/sources/source-api';

/** A throwaway local lake directory and the resolver that maps s3://bucket/key onto it. */
export interface TempLake {
  dir: string;
  resolve: S3PathResolver;
  remove(): Promise<void>;
}

export async function createTempLake(prefix = 'medallion-lake-'): Promise<TempLake> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    resolve: (uri) => {
      const { bucket, key } = parseS3Uri(uri);
      return join(dir, bucket, key);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
