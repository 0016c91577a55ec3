import type { JobManifest } from '../../core/job-manifest';
import type { JobMetrics } from '../../core/stage-io';
import type { S3PathResolver } from '../sources/source-api';

/**
 * Seam between the emulator's Glue / EMR Serverless services and the DuckDB executor of a JobManifest
 * (the local twin of jobs/sql_runner.py). Throws an Error whose message is what the service reports
 * as the run's error message when the job fails (bad SQL, missing required input, ...).
 */
export type RunJobManifest = (manifest: JobManifest, resolve: S3PathResolver) => Promise<JobMetrics>;
