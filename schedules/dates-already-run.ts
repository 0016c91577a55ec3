/**
 * Which logical dates of a pipeline already have a run, from Temporal visibility
 * (MedallionLogicalDate, set by every run once planned). A schedule can only start `{ pipeline }`,
 * never a deliberate rerun, so a trigger or backfill of such a date would be refused by the plan,
 * fail, and (with pause-on-failure) pause the schedule: the CLI refuses it up front instead.
 */
import type { Client } from '@temporalio/client';
import { searchAttributeKeys } from '../core/search-attributes';
import { SCHEDULED_WORKFLOW_TYPE } from './desired-schedule';

export interface ExistingRun {
  logicalDate: string;
  workflowId: string;
  status: string;
}

export async function runsOfDates(
  client: Client,
  pipeline: string,
  from: string,
  to: string,
): Promise<ExistingRun[]> {
  if (!/^[a-z][a-z0-9_]*$/.test(pipeline)) throw new Error(`"${pipeline}" is not a pipeline name`);
  const query =
    `WorkflowType = '${SCHEDULED_WORKFLOW_TYPE}' AND MedallionPipeline = '${pipeline}'` +
    // A Keyword holding YYYY-MM-DD: its order is the dates' order.
    ` AND MedallionLogicalDate >= '${from}' AND MedallionLogicalDate <= '${to}'`;
  const runs: ExistingRun[] = [];
  for await (const run of client.workflow.list({ query })) {
    const date = run.typedSearchAttributes.get(searchAttributeKeys.logicalDate);
    if (!date) continue;
    runs.push({
      logicalDate: date,
      workflowId: run.workflowId,
      status: run.status.name,
    });
  }
  return runs.sort((a, b) => a.logicalDate.localeCompare(b.logicalDate));
}

/** Throws a message naming each date that ran and the command that reruns it. */
export async function refuseDatesThatRan(
  client: Client,
  pipeline: string,
  from: string,
  to: string,
): Promise<void> {
  const runs = await runsOfDates(client, pipeline, from, to);
  if (runs.length === 0) return;
  const listed = runs.map((r) => `  ${r.logicalDate}: ${r.workflowId} (${r.status})`).join('\n');
  throw new Error(
    `these dates already ran; a schedule can only start first runs, and a refused run would pause the schedule:\n${listed}\n` +
      `rerun a date with: medallion run --pipeline ${pipeline} --date <YYYY-MM-DD> --rerun`,
  );
}
