import { asOf, detailsPanel, panelText } from '../core/details-panel';
import { type DailyRunReport, type StageReport } from '../core/run-report';
import { shortDuration } from '../core/short-duration';

const ICON: Record<string, string> = {
  pending: '⏳',
  waiting: '⏸️',
  running: '▶️',
  succeeded: '✅',
  skipped: '⏭️',
  failed: '❌',
  blocked: '⛔',
  'not-selected': '·',
  cancelled: '🛑',
};

/** The first failure's explanation is cut here, so the panel stays a few lines high. */
const ERROR_CHARS = 200;
/** Tripped checks listed in the panel; the rest are counted. */
const MAX_CHECK_LINES = 5;

/**
 * Markdown for the Temporal UI's "current details" panel: a one-line header, then one table row per
 * stage (state, job attempt, duration), what it waits for or why it failed, and a footer with the time
 * it was written (a running stage's time is as of then).
 */
export function renderProgress(report: DailyRunReport, nowMs: number): string {
  const done = report.stages.filter((s) => s.status === 'succeeded' || s.status === 'skipped').length;
  const header =
    `**${report.pipeline} ${report.logicalDate}** · ${report.status} · ` +
    `${done}/${report.stages.length} stages done · generation ${report.generation}`;
  const footer = `${asOf(nowMs)} · the \`progress\` query has every stage`;
  if (report.stages.length === 0) return detailsPanel([header], footer);
  const rows = report.stages.map(
    (s) => `| ${s.id} | ${ICON[s.status] ?? ''} ${s.status} | ${s.attempt ?? ''} | ${stageTime(s, nowMs)} |`,
  );
  const failed = report.stages.find((s) => s.status === 'failed' && s.error);
  const why = failed ? [`❌ **${failed.id}**: ${oneLine(failed.error!)}`] : [];
  const waiting = report.stages.filter((s) => s.status === 'waiting');
  const waitingFor = waiting.find((s) => s.details?.waitingFor)?.details?.waitingFor;
  const wait = waitingFor
    ? [`⏸️ ${waiting.map((s) => s.id).join(', ')} waiting for ${oneLine(String(waitingFor))}`]
    : [];
  return detailsPanel(
    [
      header,
      ['| stage | state | attempt | time |', '|---|---|---|---|', ...rows].join('\n'),
      ...wait,
      ...why,
      ...trippedChecks(report),
    ],
    footer,
  );
}

function stageTime(stage: StageReport, nowMs: number): string {
  if (stage.durationMs !== undefined) return shortDuration(stage.durationMs);
  if (stage.startedAt === undefined) return '';
  const end = stage.finishedAt ? Date.parse(stage.finishedAt) : nowMs;
  return shortDuration(Math.max(0, end - Date.parse(stage.startedAt)));
}

function oneLine(text: string): string {
  return panelText(text, ERROR_CHARS);
}

/** Checks that did not pass, one line each (a few at most): what blocked the stage or warns. */
function trippedChecks(report: DailyRunReport): string[] {
  const tripped = report.stages.flatMap((s) => (s.checks ?? []).filter((c) => !c.passed));
  if (tripped.length === 0) return [];
  const lines = tripped
    .slice(0, MAX_CHECK_LINES)
    .map(
      (c) =>
        `- ${c.severity === 'block' ? '⛔ blocked by' : '⚠️ warning'} **${c.stageId}.${c.check}**: measured ${oneLine(
          String(c.measured ?? 'nothing'),
        )}, bound ${oneLine(c.bound)}`,
    );
  const more = tripped.length > MAX_CHECK_LINES ? [`- … ${tripped.length - MAX_CHECK_LINES} more`] : [];
  return [['**Data-quality checks**', ...lines, ...more].join('\n')];
}
