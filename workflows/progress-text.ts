import type { DailyRunReport } from '../core/run-report';

const ICON: Record<string, string> = {
  pending: '⏳',
  running: '▶️',
  succeeded: '✅',
  skipped: '⏭️',
  failed: '❌',
  blocked: '⛔',
  'not-selected': '·',
  cancelled: '🛑',
};

/** Markdown for the Temporal UI's "current details" panel. */
export function renderProgress(report: DailyRunReport): string {
  const lines = report.stages.map((s) => {
    const rows = s.rowsOut !== undefined ? ` — ${s.rowsOut} rows` : '';
    const why = s.error ? ` — ${s.error}` : '';
    return `- ${ICON[s.status] ?? ''} **${s.id}** ${s.status}${rows}${why}`;
  });
  const done = report.stages.filter((s) => s.status === 'succeeded' || s.status === 'skipped').length;
  return [
    `### ${report.pipeline} ${report.logicalDate} (generation ${report.generation}): ${report.status}`,
    `${done}/${report.stages.length} stages done`,
    ...lines,
  ].join('\n');
}
