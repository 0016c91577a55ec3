import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { DailyRunReport } from '../core/run-report';

/** The failed run's report (the workflow attaches it to its PipelineFailed failure), if any. */
export function failureReport(error: unknown): (DailyRunReport & { message: string }) | undefined {
  if (!(error instanceof WorkflowFailedError)) return undefined;
  const cause = error.cause;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const report = cause.details?.[0] as DailyRunReport | undefined;
  return report?.stages
    ? { ...report, message: cause.message }
    : ({ message: cause.message } as DailyRunReport & { message: string });
}
