/** How people and the CLI talk to a running backfill: the `progress` query and the pause/resume/cancel signals. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BackfillProgress } from '../core/backfill-report';

export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');
/** Start no new daily runs; running ones finish. */
export const pauseBackfillSignal = defineSignal('pause');
export const resumeBackfillSignal = defineSignal('resume');
/** Cancel the running daily runs (they stop their AWS jobs) and start nothing more. */
export const cancelBackfillSignal = defineSignal('cancel');
