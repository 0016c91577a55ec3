/**
 * Determinism guard: every recorded history in test/histories/ must replay on today's workflow code.
 * A change that would break a run in flight (a reordered or new activity call, a removed timer...)
 * fails here, before it reaches a worker; gate it with patched(). Record histories with
 * `npx tsx scripts/record-histories.ts`.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { type ReplayWorkerOptions, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { quietRuntime } from '../../local/temporal-servers';
import { imageWorkflowBundle } from '../../local/workflow-bundle-cache';
import { type HistoryFile, readHistoryFiles } from '../support/replay/history-files';
import { mutatedWorkflowBundle, type SourceEdit } from '../support/replay/mutated-bundle';

const histories = readHistoryFiles();
/** The runs of the recorded backfill's continue-as-new chain, first to last (`<n>-<outcome>` parts). */
const backfillChain = histories
  .filter((h) => /^backfill-continue-as-new\.\d+-/.test(h.file))
  .sort((a, b) => runNumber(a.file) - runNumber(b.file));

function runNumber(file: string): number {
  return Number(/\.(\d+)-/.exec(file)?.[1]);
}

/** Every replay failure of `files` on `bundle`, as `file: error` lines (empty when all replay). */
async function replayFailures(
  bundle: ReplayWorkerOptions['workflowBundle'],
  files: HistoryFile[],
): Promise<{ file: string; error: Error }[]> {
  const failures: { file: string; error: Error }[] = [];
  const results = Worker.runReplayHistories(
    { workflowBundle: bundle! },
    files.map(({ workflowId, history }) => ({ workflowId, history })),
  );
  let i = 0;
  for await (const result of results) {
    if (result.error) failures.push({ file: files[i]!.file, error: result.error });
    i++;
  }
  expect(i).toBe(files.length);
  return failures;
}

/** Every failure is the replayer catching nondeterminism, not some other error. */
function expectNondeterminism(failures: { error: Error }[]): void {
  for (const { error } of failures) {
    expect(error).toBeInstanceOf(DeterminismViolationError);
    expect(error.message).toMatch(/nondetermin/i);
  }
}

beforeAll(() => quietRuntime());

describe('recorded histories', () => {
  it('cover the representative runs', () => {
    const names = histories.map((h) => h.file);
    for (const scenario of [
      'daily-success.',
      'daily-failure-rerun.',
      'daily-cancel.',
      'backfill-continue-as-new.',
    ]) {
      expect(
        names.some((n) => n.startsWith(scenario)),
        `a ${scenario}*.json history`,
      ).toBe(true);
    }
    for (const { file, history } of histories) {
      expect(
        history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name,
        file,
      ).toBeTruthy();
    }
  });

  it('include a backfill chain that continued as new before it completed', () => {
    const chain = backfillChain.map(({ history }) => history.events ?? []);
    expect(chain.length).toBeGreaterThanOrEqual(2);
    for (const events of chain.slice(0, -1)) {
      expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    }
    expect(chain.at(-1)?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    // A later run starts from the state the previous one carried over (the workflow's second argument).
    expect(chain[1]?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads).toHaveLength(2);
  });

  it("replay on the worker image's workflow bundle without nondeterminism", async () => {
    const failures = await replayFailures(await imageWorkflowBundle(), histories);
    expect(failures.map(({ file, error }) => `${file}: ${error.name}: ${error.message}`)).toEqual([]);
  });
});

describe('the guard catches a breaking change', () => {
  // Stages whose dependencies are met start in plan order; both roots of the shop DAG (DMS and
  // AppFlow ingest) start in the same workflow task. Reversing that order reorders two stage calls.
  const launchLine =
    'for (const node of takeReady(pending, outcomes, maxConcurrent - running.size)) launch(node);';
  const reversed: SourceEdit = {
    file: 'workflows/run-dag.ts',
    search: launchLine,
    replace: launchLine.replace('launch(node);', '').replace(')) ', ').reverse()) launch(node);'),
  };
  const reversedBehindPatch: SourceEdit[] = [
    {
      file: 'workflows/run-dag.ts',
      search: launchLine,
      replace:
        'const ready = takeReady(pending, outcomes, maxConcurrent - running.size);\n' +
        "for (const node of patched('reverse-stage-start-order') ? ready.reverse() : ready) launch(node);",
    },
    {
      file: 'workflows/run-dag.ts',
      search: "import { isCancellation } from '@temporalio/workflow';",
      replace: "import { isCancellation, patched } from '@temporalio/workflow';",
    },
  ];
  // A whole day, and a backfill's data phase of a date (CDC window done, dimension merges deferred).
  const success = histories.filter(
    (h) => h.file.startsWith('daily-success.') || h.file.startsWith('backfill-continue-as-new.data-phase-'),
  );

  it('fails the replay when two stage calls are reordered without patched()', async () => {
    const failures = await replayFailures(await mutatedWorkflowBundle([reversed]), success);
    expect(failures).toHaveLength(success.length);
    expectNondeterminism(failures);
  });

  it('replays again when the same change is gated with patched()', async () => {
    const failures = await replayFailures(await mutatedWorkflowBundle(reversedBehindPatch), histories);
    expect(failures.map(({ file, error }) => `${file}: ${error.message}`)).toEqual([]);
  });
});

describe('the guard catches a breaking change to the backfill', () => {
  // The backfill starts a date's data phase before the next date's CDC windows when both are ready
  // in the same workflow task (backfill-run.ts launch()). Trying the ingest lane first swaps two
  // child workflow starts (different workflow ids) in a run already in flight.
  const launchLine = 'while (this.canStart() && (this.startNextData() || this.advanceIngest()));';
  const ingestFirst: SourceEdit = {
    file: 'workflows/backfill-run.ts',
    search: launchLine,
    replace: 'while (this.canStart() && (this.advanceIngest() || this.startNextData()));',
  };
  const ingestFirstBehindPatch: SourceEdit[] = [
    {
      file: 'workflows/backfill-run.ts',
      search: launchLine,
      replace:
        "const ingestFirst = patched('backfill-ingest-before-data');\n" +
        'while (this.canStart() && (ingestFirst ? this.advanceIngest() || this.startNextData() : this.startNextData() || this.advanceIngest()));',
    },
    {
      file: 'workflows/backfill-run.ts',
      search: '  isCancellation,\n',
      replace: '  isCancellation,\n  patched,\n',
    },
  ];

  it('fails the replay of the runs that started both in one task, without patched()', async () => {
    const failures = await replayFailures(await mutatedWorkflowBundle([ingestFirst]), backfillChain);
    // The first run is where a data phase and the next date's windows first become ready together.
    expect(failures.map((f) => f.file)).toContain(backfillChain[0]!.file);
    expectNondeterminism(failures);
  });

  it('replays again when the same change is gated with patched()', async () => {
    const failures = await replayFailures(await mutatedWorkflowBundle(ingestFirstBehindPatch), histories);
    expect(failures.map(({ file, error }) => `${file}: ${error.message}`)).toEqual([]);
  });
});
