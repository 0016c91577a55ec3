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
  // A whole day, and a backfill's run of a date (its merges done by the backfill's dimension lane).
  const success = histories.filter(
    (h) => h.file.startsWith('daily-success.') || h.file.startsWith('backfill-continue-as-new.date-run-'),
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
  // The dimension lane merges the dimensions of a batch side by side (both SCD2 stages of the shop
  // scheduled in one workflow task). Merging them one after the other reorders the merge activities
  // of every batch in a run already in flight.
  const concurrency = '    stages.length,\n    {';
  const oneAtATime: SourceEdit = {
    file: 'workflows/dimension-lane-batch.ts',
    search: concurrency,
    replace: '    1,\n    {',
  };
  const oneAtATimeBehindPatch: SourceEdit[] = [
    {
      file: 'workflows/dimension-lane-batch.ts',
      search: concurrency,
      replace: "    patched('merge-dimensions-one-at-a-time') ? 1 : stages.length,\n    {",
    },
    {
      file: 'workflows/dimension-lane-batch.ts',
      search: "import { proxyActivities } from '@temporalio/workflow';",
      replace: "import { patched, proxyActivities } from '@temporalio/workflow';",
    },
  ];

  it('fails the replay of every run that merged, without patched()', async () => {
    const failures = await replayFailures(await mutatedWorkflowBundle([oneAtATime]), backfillChain);
    expect(failures.map((f) => f.file)).toEqual(backfillChain.map((h) => h.file));
    expectNondeterminism(failures);
  });

  it('replays again when the same change is gated with patched()', async () => {
    const failures = await replayFailures(await mutatedWorkflowBundle(oneAtATimeBehindPatch), histories);
    expect(failures.map(({ file, error }) => `${file}: ${error.message}`)).toEqual([]);
  });
});
