/**
 * The Temporal UI (the dev server's, 2.4x) in headless Chromium, on the real local stack: a shop day
 * run by the CLI is listed and filterable by medallion's custom search attributes, its page shows
 * them (the logical date filterable as `MedallionLogicalDate = "2026-01-15"`), and a person can start
 * a day from the UI's "Start Workflow" form with one JSON object. An operator's day: a backfill typed
 * into Start Workflow, paused and resumed with Send a Signal, its Current Details and a daily run's read
 * as tables that fit their panel, then cancelled (badge Canceled, its Glue runs STOPPED in the
 * emulator) and rerun, after which the list reads like a calendar; a day whose Glue job failed three
 * times found by status and stage, then Reset from the UI to its last workflow task, which completes
 * it with one new AWS run for that stage (start-call log).
 * Uses Debian's /usr/bin/chromium (scripts/provision.ts installs it as root); skipped without it, except
 * under CI=true, where the file fails (test/support/toolchain.ts).
 * Screenshots go to a temporary directory, printed at the end.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type BrowserContext,
  chromium,
  type Frame,
  type Locator,
  type Page,
  type Response,
} from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetJobRunCommand, GlueClient } from '@aws-sdk/client-glue';
import { startDailyRun } from '../../cli/daily-runs';
import type { DailyRunReport } from '../../core/run-report';
import { searchAttributeKeys } from '../../core/search-attributes';
import { backfillProgressQuery } from '../../workflows';
import { startTestStack, type TestStack } from '../support/local-stack/local-stack-fixture';
import { toolchainAvailable } from '../support/toolchain';

const CHROMIUM = '/usr/bin/chromium';
const DOCS_SHOTS = path.resolve(__dirname, '../../docs/ui');
const hasChromium = toolchainAvailable(
  'e2e',
  existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} is missing; install it with \`apt-get update && apt-get install -y chromium\``,
);

/** `docs`: also written under docs/ui/ (MEDALLION_UI_DOCS=1), clipped from `top` for `height` px. */
interface ShotOptions {
  docs?: boolean;
  top?: number;
  height?: number;
}

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(!hasChromium)('the Temporal UI in headless Chromium', () => {
  let t: TestStack;
  let browser: BrowserContext;
  let page: Page;
  let profileDir: string;
  let shotsDir: string;
  const ui = () => `${t.devServer.uiUrl}/namespaces/default`;

  /**
   * A full-page screenshot in the temporary folder; with `docs`, also the visible part, at a small
   * size, under docs/ui/ when MEDALLION_UI_DOCS=1 (how the README's pictures are regenerated).
   */
  async function shot(name: string, options: ShotOptions = {}): Promise<void> {
    await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: true });
    if (options.docs && process.env.MEDALLION_UI_DOCS === '1')
      await page.screenshot({
        path: path.join(DOCS_SHOTS, `${name}.png`),
        scale: 'css',
        fullPage: true,
        clip: { x: 64, y: options.top ?? 60, width: 1216, height: options.height ?? 480 },
      });
  }

  function openWorkflow(workflowId: string): Promise<Response | null> {
    return page.goto(`${ui()}/workflows/${encodeURIComponent(workflowId)}`);
  }

  /**
   * More Actions -> Send a Signal on the open workflow page: the dialog's signal name is a select the
   * UI fills with the signals the workflow registered (its __temporal_workflow_metadata query).
   */
  async function signalFromUi(signalName: string, shotName?: string): Promise<void> {
    await page.getByRole('button', { name: 'More Actions' }).click();
    await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send a Signal' });
    await dialog.getByTestId('signal-select-button').click();
    await dialog.getByRole('option', { name: signalName, exact: true }).click();
    await expect(dialog.getByTestId('signal-select').inputValue()).resolves.toBe(signalName);
    if (shotName) await shot(shotName, { docs: true, top: 90, height: 660 });
    await dialog.getByRole('button', { name: 'Submit' }).click();
    await page.getByText('Workflow signaled.').first().waitFor();
  }

  /**
   * The open workflow's User Metadata tab, once its Current Details panel shows `expected` (R asks the
   * UI to query the details again). The panel is a markdown page in an iframe that the UI sizes to it.
   */
  async function currentDetails(expected: string): Promise<{ frame: Frame; iframe: Locator }> {
    await page.getByText('User Metadata', { exact: true }).first().click();
    const iframe = page.locator(
      'xpath=//h3[normalize-space()="Current Details"]/ancestor::div[.//iframe][1]//iframe',
    );
    const panelText = async () => {
      const frame = await (await iframe.elementHandle())?.contentFrame();
      return (
        (await frame
          ?.locator('main')
          .innerText()
          .catch(() => '')) ?? ''
      );
    };
    await expect
      .poll(
        async () => {
          const text = await panelText();
          if (!text.includes(expected)) await page.keyboard.press('r');
          return text;
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toContain(expected);
    // The UI sets the frame's height once its page loaded: measure after that.
    await expect.poll(() => iframe.getAttribute('height')).toMatch(/^\d+px$/);
    const frame = (await (await iframe.elementHandle()).contentFrame())!;
    return { frame, iframe };
  }

  /**
   * The panel's table headers, and whether its header cells and its last line (the footer) lie inside
   * the frame the UI sized for it: a frame too short cuts the end off, with no scroll bar to show it.
   */
  async function detailsLayout({ frame, iframe }: { frame: Frame; iframe: Locator }) {
    const box = (await iframe.boundingBox())!;
    const inside = async (element: Locator) => {
      const b = (await element.boundingBox())!;
      return b.y >= box.y && b.y + b.height <= box.y + box.height;
    };
    const lastLine = frame.locator('main > :not(hr)').last();
    return {
      headers: await frame.locator('table th').allInnerTexts(),
      headersInside: await inside(frame.locator('table thead')),
      lastLine: await lastLine.innerText(),
      lastLineInside: await inside(lastLine),
    };
  }

  /** Fills the "Start Workflow" form (workflow id, task queue, type, one JSON object) and submits it. */
  async function startFromForm(
    workflowId: string,
    workflowType: string,
    json: string,
    shotName: string,
    shotOptions: ShotOptions = {},
  ) {
    await openWorkflowList('');
    await page
      .getByRole('link', { name: 'Start Workflow' })
      .or(page.getByRole('button', { name: 'Start Workflow' }))
      .first()
      .click();
    await page.getByText('Start a Workflow').first().waitFor();
    await page.locator('#workflowId').fill(workflowId);
    await page.locator('#taskQueue').fill(t.taskQueue);
    await page.locator('#workflowType').fill(workflowType);
    const input = page.locator('.cm-content').first();
    await input.click();
    await input.fill(json);
    // Leaving the editor reformats the JSON and moves the button: click it once the form settled.
    await page.locator('#workflowType').click();
    await page.getByText(`"pipeline": "shop"`).first().waitFor();
    await shot(shotName, shotOptions);
    const handle = t.stack.client.workflow.getHandle(workflowId);
    const runBefore = await handle.describe().then(
      (d) => d.runId,
      () => undefined,
    );
    await page.getByRole('button', { name: 'Start Workflow' }).click();
    // A workflow id that ran before (a rerun) has a new run once the form started it.
    await expect
      .poll(
        () =>
          handle.describe().then(
            (d) => d.runId !== runBefore,
            () => false,
          ),
        { timeout: 20_000 },
      )
      .toBe(true);
    return handle;
  }

  function openWorkflowList(query: string): Promise<Response | null> {
    return page.goto(`${ui()}/workflows?query=${encodeURIComponent(query)}`);
  }

  beforeAll(async () => {
    t = await startTestStack('2026-01-15');
    const handle = await startDailyRun(t.stack.client, {
      pipeline: 'shop',
      logicalDate: '2026-01-15',
      taskQueue: t.taskQueue,
    });
    await handle.result();
    // One fixed folder, emptied each run: the last run's screenshots stay for a person to look at,
    // without a new folder per run piling up.
    shotsDir = path.join(tmpdir(), 'medallion-ui-e2e');
    rmSync(shotsDir, { recursive: true, force: true });
    mkdirSync(shotsDir, { recursive: true });
    profileDir = mkdtempSync(path.join(tmpdir(), 'medallion-chromium-profile-'));
    // A persistent context is how Playwright takes a fresh --user-data-dir.
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    if (shotsDir) process.stdout.write(`UI screenshots: ${shotsDir}\n`);
  });

  it('lists the run when filtered by its custom search attributes, and not under another status', async () => {
    await openWorkflowList('MedallionPipeline="shop" AND MedallionStatus="succeeded"');
    await page.getByRole('link', { name: 'shop/2026-01-15' }).first().waitFor();
    await expect(page.getByText('dailyPipeline').first().isVisible()).resolves.toBe(true);
    await expect(page.getByText('No Results').count()).resolves.toBe(0);
    await shot('workflows-filtered');

    // The logical date is a Keyword: `=` on the date as people write it.
    await openWorkflowList('MedallionLogicalDate = "2026-01-15"');
    await page.getByRole('link', { name: 'shop/2026-01-15' }).first().waitFor();
    await shot('workflows-by-date');

    await openWorkflowList('MedallionPipeline="shop" AND MedallionStatus="failed"');
    await page.getByText('No Results').first().waitFor();
    await expect(page.getByRole('link', { name: 'shop/2026-01-15' }).count()).resolves.toBe(0);
    await shot('workflows-filtered-empty');
  });

  it("shows the run's custom search attributes on its page", async () => {
    await page.goto(`${ui()}/workflows/${encodeURIComponent('shop/2026-01-15')}`);
    await page.getByText('Search Attributes', { exact: true }).first().click();
    const panel = page.locator('main');
    await panel.getByText('"MedallionStatus"').first().waitFor();
    const text = await panel.innerText();
    expect(text).toContain('"MedallionPipeline": "shop"');
    expect(text).toContain('"MedallionStatus": "succeeded"');
    expect(text).toContain('"MedallionGeneration": 0');
    expect(text).toContain('"MedallionLogicalDate": "2026-01-15"');
    await shot('workflow-search-attributes');
  });

  it('starts a day from the "Start Workflow" form with one JSON object as input', async () => {
    const handle = await startFromForm(
      'shop/2026-01-16',
      'dailyPipeline',
      '{"pipeline": "shop", "logicalDate": "2026-01-16"}',
      'start-workflow-form',
    );
    const report = (await handle.result()) as DailyRunReport;
    expect(report).toMatchObject({ pipeline: 'shop', logicalDate: '2026-01-16', status: 'succeeded' });
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(searchAttributeKeys.status)).toBe('succeeded');
    await page.goto(`${ui()}/workflows/${encodeURIComponent('shop/2026-01-16')}`);
    await page.getByText('Completed', { exact: true }).first().waitFor();
    await shot('started-from-ui');
  }, 60_000);

  it('backfills a range typed into Start Workflow; pause and resume sent from the UI; Cancel ends it Cancelled with its Glue jobs stopped', async () => {
    // Glue jobs take a minute, so the backfill is still at work when the person cancels it.
    await t.stack.emulator.admin.setDuration({ service: 'glue', name: '*', ms: 60_000 });
    const workflowId = 'shop/backfill/2026-01-17..2026-01-19';
    const handle = await startFromForm(
      workflowId,
      'backfill',
      '{"pipeline": "shop", "from": "2026-01-17", "to": "2026-01-19", "maxConcurrent": 2}',
      'backfill-start-form',
      { docs: true },
    );
    const glueStarts = () =>
      t.stack.emulator.admin.startCalls({ service: 'glue', operation: 'StartJobRun', outcome: 'started' });
    const before = glueStarts().length;
    await expect.poll(() => glueStarts().length - before, { timeout: 60_000 }).toBeGreaterThan(0);

    // Pause and resume as an operator does: More Actions -> Send a Signal on the backfill's page.
    await openWorkflow(workflowId);
    await page.getByText('Running', { exact: true }).first().waitFor();
    await signalFromUi('pause', 'backfill-signal');
    await expect.poll(() => handle.query(backfillProgressQuery).then((p) => p.status)).toBe('paused');

    // Current Details read as a table of dates, the footer inside the panel.
    const backfillDetails = await detailsLayout(await currentDetails('· paused ·'));
    expect(backfillDetails).toMatchObject({
      headers: ['date', 'state', 'why'],
      headersInside: true,
      lastLine: expect.stringContaining('signals pause'),
      lastLineInside: true,
    });
    await shot('backfill-paused', { docs: true, top: 120, height: 680 });

    // A date of the backfill is one daily run, whose Current Details are a table of its stages.
    await openWorkflow('shop/2026-01-17');
    const dayDetails = await detailsLayout(await currentDetails('silver_orders'));
    expect(dayDetails).toMatchObject({
      headers: ['stage', 'state', 'attempt', 'time'],
      headersInside: true,
      lastLine: expect.stringMatching(/^as of \d\d:\d\d:\d\d UTC/),
      lastLineInside: true,
    });
    await shot('day-details', { docs: true, top: 120, height: 880 });

    await openWorkflow(workflowId);
    await signalFromUi('resume');
    await expect.poll(() => handle.query(backfillProgressQuery).then((p) => p.status)).toBe('running');

    await page.reload();
    await page.getByRole('button', { name: 'Request Cancellation' }).first().click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /confirm/i })
      .click();
    await page.getByText('Canceled', { exact: true }).first().waitFor({ timeout: 60_000 });
    await shot('backfill-cancelled', { docs: true });
    expect((await handle.describe()).status.name).toBe('CANCELLED');

    // Every Glue run the backfill started was stopped, as the emulator (Glue GetJobRun) tells.
    const glue = new GlueClient({
      endpoint: t.stack.emulator.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const runs = glueStarts().slice(before);
    const states = await Promise.all(
      runs.map((c) =>
        glue
          .send(new GetJobRunCommand({ JobName: c.resource, RunId: c.runId! }))
          .then((r) => r.JobRun?.JobRunState),
      ),
    );
    expect(states.length).toBeGreaterThan(0);
    expect(states.every((state) => state === 'STOPPED' || state === 'SUCCEEDED')).toBe(true);
    expect(states).toContain('STOPPED');
    await t.stack.emulator.admin.resetScript();
  }, 180_000);

  it('reruns the cancelled backfill with the same input; the list then reads like a calendar, one run per date', async () => {
    const workflowId = 'shop/backfill/2026-01-17..2026-01-19';
    const handle = await startFromForm(
      workflowId,
      'backfill',
      '{"pipeline": "shop", "from": "2026-01-17", "to": "2026-01-19", "maxConcurrent": 2}',
      'backfill-rerun-form',
    );
    const progress = await handle.result();
    // "only": "missing" (the default) reran the dates the cancel stopped and the one it never started.
    expect(progress).toMatchObject({ status: 'succeeded', counts: { total: 3, done: 3, failed: 0 } });

    await openWorkflowList('MedallionPipeline = "shop" AND MedallionStatus = "succeeded"');
    for (const date of ['2026-01-15', '2026-01-16', '2026-01-17', '2026-01-18', '2026-01-19'])
      await page
        .getByRole('link', { name: `shop/${date}`, exact: true })
        .first()
        .waitFor();
    await page.getByRole('link', { name: workflowId, exact: true }).first().waitFor();
    await shot('workflows-calendar', { docs: true });
  }, 150_000);

  it('a Glue job failed three times fails the day; Reset from the UI completes it with one new AWS run', async () => {
    await t.stack.emulator.admin.failNextRuns({
      service: 'glue',
      name: 'silver_orders',
      count: 3,
      message: 'Scripted failure: division by zero in silver_orders',
    });
    const workflowId = 'shop/2026-01-21';
    const failed = await startDailyRun(t.stack.client, {
      pipeline: 'shop',
      logicalDate: '2026-01-21',
      taskQueue: t.taskQueue,
    });
    await failed.result().catch(() => undefined);
    await t.stack.emulator.admin.resetScript();
    const failedRunId = (await failed.describe()).runId;

    // The operator finds the failed day by status and stage, and opens it.
    await openWorkflowList('MedallionStatus = "failed" AND MedallionStage = "silver_orders"');
    await page.getByRole('link', { name: workflowId }).first().click();
    await page.getByText('Failed', { exact: true }).first().waitFor();
    await shot('day-failed', { docs: true });
    // Its Current Details name the failed stage, its job attempts and the error, the footer still inside.
    const failedDetails = await currentDetails('division by zero');
    await expect(
      failedDetails.frame.getByRole('row', { name: /silver_orders/ }).innerText(),
    ).resolves.toMatch(/silver_orders\s+❌ failed\s+3\s/);
    expect(await detailsLayout(failedDetails)).toMatchObject({
      headers: ['stage', 'state', 'attempt', 'time'],
      headersInside: true,
      lastLine: expect.stringMatching(/^as of /),
      lastLineInside: true,
    });
    await shot('day-failed-details', { docs: true, top: 120, height: 880 });
    const startsBefore = t.stack.emulator.admin.startCalls({ outcome: 'started' }).length;
    await page.getByRole('button', { name: 'Reset', exact: true }).first().click();
    // The select's input is read-only (disabled); the menu opens from the control around it.
    await page
      .locator('#reset-event-id')
      .locator('visible=true')
      .first()
      .locator('xpath=..')
      .click({ force: true });
    // The last workflow task: the one that decided to fail.
    await page.getByRole('option').locator('visible=true').last().click();
    await page.locator('#reset-reason').locator('visible=true').first().fill('Glue job fixed');
    await shot('reset-dialog', { docs: true });
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /confirm/i })
      .click();
    await expect
      .poll(
        () =>
          t.stack.client.workflow
            .getHandle(workflowId)
            .describe()
            .then((d) => d.runId),
        {
          timeout: 20_000,
        },
      )
      .not.toBe(failedRunId);
    const report = (await t.stack.client.workflow.getHandle(workflowId).result()) as DailyRunReport;
    expect(report.status).toBe('succeeded');
    expect(report.stages.find((s) => s.id === 'silver_orders')).toMatchObject({
      status: 'succeeded',
      attempt: 4,
    });
    const added = t.stack.emulator.admin
      .startCalls({ outcome: 'started' })
      .slice(startsBefore)
      .map((c) => `${c.operation} ${c.idempotencyKey ?? c.resource}`);
    // One new Glue run for the failed stage, under a run key of its own; nothing that finished again.
    expect(added).not.toContainEqual(expect.stringMatching(/md-(ingest-crm|silver-accounts)-/));
    expect(added.filter((a) => a.includes('md-silver-orders-'))).toEqual([
      expect.stringMatching(/^StartJobRun md-silver-orders-g0-a4-/),
    ]);
  }, 150_000);
});
