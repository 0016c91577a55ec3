/**
 * The Temporal UI (the dev server's, 2.4x) in headless Chromium, on the real local stack: a shop day
 * run by the CLI is listed and filterable by medallion's custom search attributes, its page shows
 * them (the logical date filterable as `MedallionLogicalDate = "2026-01-15"`), and a person can start
 * a day from the UI's "Start Workflow" form with one JSON object. An operator's day: a backfill typed
 * into Start Workflow, paused, resumed and cancelled (badge Canceled, its Glue runs STOPPED in the
 * emulator); a day whose Glue job failed three times found by status and stage, then Reset from the UI
 * to its last workflow task, which completes it with one new AWS run for that stage (start-call log).
 * Uses Debian's /usr/bin/chromium (scripts/provision.ts installs it as root); skipped without it, except
 * under CI=true, where the file fails (test/support/toolchain.ts).
 * Screenshots go to a temporary directory, printed at the end.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetJobRunCommand, GlueClient } from '@aws-sdk/client-glue';
import { startDailyRun } from '../../cli/daily-runs';
import type { DailyRunReport } from '../../core/run-report';
import { searchAttributeKeys } from '../../core/search-attributes';
import { backfillProgressQuery, pauseBackfillSignal, resumeBackfillSignal } from '../../workflows';
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
  async function shot(name: string, options: { docs?: boolean } = {}): Promise<void> {
    await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: true });
    if (options.docs && process.env.MEDALLION_UI_DOCS === '1')
      await page.screenshot({
        path: path.join(DOCS_SHOTS, `${name}.png`),
        scale: 'css',
        clip: { x: 64, y: 60, width: 1216, height: 480 },
      });
  }

  /** Fills the "Start Workflow" form (workflow id, task queue, type, one JSON object) and submits it. */
  async function startFromForm(
    workflowId: string,
    workflowType: string,
    json: string,
    shotName: string,
    shotOptions: { docs?: boolean } = {},
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
    await page.getByRole('button', { name: 'Start Workflow' }).click();
    const handle = t.stack.client.workflow.getHandle(workflowId);
    await expect
      .poll(
        () =>
          handle.describe().then(
            () => true,
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

  it('backfills a range typed into Start Workflow; pause, resume, and Cancel ends it Cancelled with its Glue jobs stopped', async () => {
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

    await handle.signal(pauseBackfillSignal);
    await expect.poll(() => handle.query(backfillProgressQuery).then((p) => p.status)).toBe('paused');
    await page.goto(`${ui()}/workflows/${encodeURIComponent(workflowId)}`);
    await page.getByText('Running', { exact: true }).first().waitFor();
    await shot('backfill-paused', { docs: true });
    await handle.signal(resumeBackfillSignal);
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
