import type { AlertLog } from '../../activities/alert-log';
import type { OpenAlert } from '../../core/alerts';

/** The alert log in memory: what S3AlertLog keeps in the lake bucket, for tests of the activity's logic. */
export class MemoryAlertLog implements AlertLog {
  readonly alerts = new Map<string, OpenAlert>();
  /** Fail the next `record` calls (a worker lost after publishing, an S3 outage). */
  failRecords = 0;

  private key(pipeline: string, scope: string, id: string): string {
    return `${pipeline}/${scope}/${id}`;
  }

  open(pipeline: string, scope: string): Promise<OpenAlert[]> {
    const prefix = `${pipeline}/${scope}/`;
    return Promise.resolve(
      [...this.alerts.entries()].filter(([key]) => key.startsWith(prefix)).map(([, alert]) => alert),
    );
  }

  record(pipeline: string, scope: string, alert: OpenAlert): Promise<void> {
    if (this.failRecords > 0) {
      this.failRecords--;
      return Promise.reject(new Error('S3 unavailable (scripted)'));
    }
    this.alerts.set(this.key(pipeline, scope, alert.id), alert);
    return Promise.resolve();
  }

  clear(pipeline: string, scope: string, id: string): Promise<void> {
    this.alerts.delete(this.key(pipeline, scope, id));
    return Promise.resolve();
  }
}
