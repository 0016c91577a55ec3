/**
 * Records a run's check outcomes in the warehouse (`<schema>.medallion_check_results`, one row per
 * pipeline, date, stage and check), replacing the date's earlier rows of the stages evaluated again.
 * One BatchExecuteStatement: one transaction, so a reader never sees a stage half-recorded. The
 * ClientToken makes a retried attempt attach to the statement it already submitted.
 */
import { createHash } from 'node:crypto';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { Context } from '@temporalio/activity';
import type { RecordCheckOutcomesRequest } from '../core/activity-contracts';
import { recordCheckOutcomesSql } from '../core/sql/check-results';
import { warehouseDialect } from '../core/sql/warehouse-dialect';
import { awsCall } from './aws-call';
import { targetParameters } from './redshift-data';

const POLL_MS = 500;

export function createCheckResultActivities(clients: { redshiftData: RedshiftDataClient }) {
  const { redshiftData } = clients;

  async function recordCheckOutcomes(request: RecordCheckOutcomesRequest): Promise<void> {
    const { recording, pipeline, logicalDate, stageIds, outcomes } = request;
    const dialect = warehouseDialect(recording);
    const sqls = recordCheckOutcomesSql(dialect, recording.schema, pipeline, logicalDate, stageIds, outcomes);
    const subject = { service: 'Redshift Data' as const, job: `check results ${pipeline}/${logicalDate}` };
    const token = createHash('sha256').update(JSON.stringify(sqls)).digest('hex').slice(0, 64);
    const { Id } = await awsCall(subject, 'BatchExecuteStatement', (options) =>
      redshiftData.send(
        new BatchExecuteStatementCommand({
          ...targetParameters(recording.target),
          Sqls: sqls,
          ClientToken: token,
        }),
        options,
      ),
    );
    if (!Id) throw new Error('Redshift Data BatchExecuteStatement returned no statement Id');
    for (;;) {
      const status = await awsCall(subject, 'DescribeStatement', (options) =>
        redshiftData.send(new DescribeStatementCommand({ Id }), options),
      );
      if (status.Status === 'FINISHED') return;
      if (status.Status === 'FAILED' || status.Status === 'ABORTED') {
        throw new Error(
          `recording check outcomes: statement ${Id} ${status.Status}: ${status.Error ?? 'no message'}`,
        );
      }
      Context.current().heartbeat(Id);
      await Context.current().sleep(POLL_MS);
    }
  }

  return { recordCheckOutcomes };
}
