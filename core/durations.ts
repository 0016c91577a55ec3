import { msToNumber } from '@temporalio/common/lib/time';

/** Milliseconds of a duration string validated by core/pipeline-spec.ts durationSchema. */
export function durationMs(duration: string): number {
  return msToNumber(duration as Parameters<typeof msToNumber>[0]);
}
