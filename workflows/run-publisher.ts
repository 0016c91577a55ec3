import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { DailyRunReport } from '../core/run-report';
import { searchAttributeKeys } from '../core/search-attributes';
import { renderProgress } from './progress-text';

/**
 * Mirrors a run's report into the Temporal UI: search attributes when the status changes (one history
 * event each), the current-details panel every time (no event).
 */
export class RunPublisher {
  private publishedStatus: string | undefined;

  publish(report: DailyRunReport): void {
    if (report.status !== this.publishedStatus) {
      this.publishedStatus = report.status;
      upsertSearchAttributes([
        { key: searchAttributeKeys.pipeline, value: report.pipeline },
        { key: searchAttributeKeys.logicalDate, value: new Date(`${report.logicalDate}T00:00:00Z`) },
        { key: searchAttributeKeys.status, value: report.status },
        { key: searchAttributeKeys.generation, value: report.generation },
      ]);
    }
    setCurrentDetails(renderProgress(report));
  }
}
