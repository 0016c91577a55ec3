/**
 * `medallion bad-day --date D --faults drop-orders,duplicate-order` (or `--clear`): tells the local
 * source simulator to break a date, so the quality gates can be seen tripping. It takes effect at the
 * date's next DMS window (a first run, or a rerun naming `ingest_oltp`); clearing it and rerunning
 * the date gives the fixed day.
 */
import { dataDirectory } from '../../local/local-state';
import { type BadDayOptions, switchBadDays } from '../../local/bad-day-switch';

export function badDayCommand(options: BadDayOptions): void {
  process.stdout.write(switchBadDays(dataDirectory(), options));
}
