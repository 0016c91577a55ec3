/**
 * Determinism guard: every recorded history in test/histories/ must replay on today's workflow code.
 * A change that would break a run in flight (a reordered or new activity call, a removed timer...)
 * fails here, before it reaches a worker; gate it with patched(). Record histories with
 * `npx tsx scripts/record-histories.ts`.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { type ReplayWorkerOptions, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { quietRuntime } from '../helpers/temporal-servers';
import { productionWorkflowBundle } from '../helpers/workflow-bundle';
import { type HistoryFile, readHistoryFiles } from './history-files';
import { mutatedWorkflowBundle, type SourceEdit } from './mutated-bundle';

const histories = readHistoryFiles();

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

beforeAll(() => quietRuntime());

describe('recorded histories', () => {
  it('cover the representative runs', () => {
    const names = histories.map((h) => h.file);
    for (const scenario of ['daily-success.', 'daily-failure-rerun.', 'daily-cancel.']) {
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

  it('replay on the production workflow bundle without nondeterminism', async () => {
    const failures = await replayFailures(await productionWorkflowBundle(), histories);
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
  const success = histories.filter((h) => h.file.startsWith('daily-success.'));

  it('fails the replay when two stage calls are reordered without patched()', async () => {
    const failures = await replayFailures(await mutatedWorkflowBundle([reversed]), success);
    expect(failures).toHaveLength(success.length);
    for (const { error } of failures) {
      expect(error).toBeInstanceOf(DeterminismViolationError);
      expect(error.message).toMatch(/nondetermin/i);
    }
  });

  it('replays again when the same change is gated with patched()', async () => {
    const failures = await replayFailures(await mutatedWorkflowBundle(reversedBehindPatch), histories);
    expect(failures.map(({ file, error }) => `${file}: ${error.message}`)).toEqual([]);
  });
});
