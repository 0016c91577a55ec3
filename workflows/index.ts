export { dailyPipeline, progressQuery } from './daily-pipeline';
export {
  backfill,
  backfillProgressQuery,
  pauseBackfillSignal,
  resumeBackfillSignal,
  cancelBackfillSignal,
} from './backfill';
