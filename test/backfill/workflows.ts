/** The workflow bundle of the backfill tests: the production workflows plus `backfill` (until index.ts exports it). */
export * from '../../workflows';
export { backfill } from '../../workflows/backfill';
