/**
 * One checkpoint object per logical date below the stage's checkpoint prefix
 * (`_medallion/dms/<task>/<D>.json`): where the CDC window of D stopped, so the window of the next date
 * starts exactly there.
 */
import { z } from 'zod';
import { FailureType } from '../core/errors';
import { detectedFailure } from './aws-errors';
import type { S3Activities } from './s3';

export interface DmsCheckpoint {
  logicalDate: string;
  /** DMS RecoveryCheckpoint after the window; null when DMS reported none. */
  recoveryCheckpoint: string | null;
  /** The CdcStopPosition the window ran to, e.g. `commit_time:2024-05-02T22:00:00`. */
  stopPosition: string;
  taskArn: string;
  /**
   * The rerun generation that extracted the window: a later generation that runs the stage again
   * (a deliberate rerun of it) extracts the window again. Absent in older checkpoints: 0.
   */
  generation?: number;
}

const checkpointSchema = z.object({
  logicalDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  recoveryCheckpoint: z.string().nullable(),
  stopPosition: z.string().min(1),
  taskArn: z.string().min(1),
  generation: z.number().int().nonnegative().optional(),
}) satisfies z.ZodType<DmsCheckpoint>;

const CHECKPOINT_NAME = /(\d{4}-\d{2}-\d{2})\.json$/;

export function checkpointUri(prefix: string, logicalDate: string): string {
  return `${prefix}${logicalDate}.json`;
}

export async function readCheckpoint(s3: S3Activities, uri: string): Promise<DmsCheckpoint | undefined> {
  const raw = await s3.readJsonIfExists(uri);
  if (raw === undefined) return undefined;
  const parsed = checkpointSchema.safeParse(raw);
  if (!parsed.success) {
    throw detectedFailure(
      FailureType.InvalidConfig,
      { service: 'S3', job: uri },
      `is not a DMS checkpoint (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); ` +
        'fix or delete it, knowing the next window then starts where the task stopped',
    );
  }
  return parsed.data;
}

/** The checkpoint of the latest date before `logicalDate`; undefined on the first run. */
export async function previousCheckpoint(
  s3: S3Activities,
  prefix: string,
  logicalDate: string,
): Promise<DmsCheckpoint | undefined> {
  const earlier = (await s3.listKeys(prefix))
    .map((uri) => ({ uri, date: CHECKPOINT_NAME.exec(uri)?.[1] }))
    .filter((c): c is { uri: string; date: string } => c.date !== undefined && c.date < logicalDate)
    .sort((a, b) => a.date.localeCompare(b.date));
  const latest = earlier[earlier.length - 1];
  return latest ? readCheckpoint(s3, latest.uri) : undefined;
}
