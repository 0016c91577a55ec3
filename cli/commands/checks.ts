/**
 * `medallion checks --from D1 --to D2`: the data-quality checks that failed over a range of dates, from
 * the warehouse's record of check outcomes (`<schema>.medallion_check_results`, written by each run).
 */
import { checkResultsSchema } from '../../core/check-plan';
import { isIsoDate } from '../../core/dates';
import { checkFailuresSql } from '../../core/sql/check-results';
import { redshiftDialect } from '../../core/sql/redshift';
import type { PipelineSpec } from '../../core/pipeline-spec';
import type { WarehouseQuery } from '../../activities/warehouse-query';
import { loadPipelines } from '../../pipelines/registry';
import { connectCli } from '../connect';

export interface ChecksOptions {
  from: string;
  to: string;
  pipeline: string;
  warnings?: boolean;
  all?: boolean;
}

export async function checksCommand(options: ChecksOptions): Promise<void> {
  for (const field of ['from', 'to'] as const) {
    if (!isIsoDate(options[field]))
      throw new Error(`--${field} ${options[field]} is not a date; use YYYY-MM-DD`);
  }
  const spec = loadPipelines()[options.pipeline];
  if (!spec)
    throw new Error(
      `unknown pipeline "${options.pipeline}"; known: ${Object.keys(loadPipelines()).join(', ')}`,
    );
  const cli = await connectCli();
  try {
    if (!cli.warehouse)
      throw new Error('no warehouse to query: run `npm start` first, or set MEDALLION_CONFIG');
    for (const line of await checkResultLines(cli.warehouse, spec, options))
      process.stdout.write(`${line}\n`);
  } finally {
    await cli.close();
  }
}

/** What `medallion checks` prints: one line per recorded outcome the options select. */
export async function checkResultLines(
  warehouse: WarehouseQuery,
  spec: PipelineSpec,
  options: Omit<ChecksOptions, 'pipeline'>,
): Promise<string[]> {
  const schema = checkResultsSchema(spec);
  if (!schema)
    throw new Error(`pipeline ${spec.name} loads no warehouse table, so it records no check outcomes`);
  // Only quoting and literals differ by dialect here, and they are the same in both.
  const sql = checkFailuresSql(redshiftDialect({ iamRole: 'default' }), schema, {
    pipeline: spec.name,
    from: options.from,
    to: options.to,
    includeWarnings: options.warnings === true || options.all === true,
    includePassed: options.all === true,
  });
  const rows = await warehouse(sql).catch((error: unknown) => {
    if (String(error).includes(schema) || /does not exist/i.test(String(error))) return [];
    throw error;
  });
  if (rows.length === 0) {
    return [`no ${options.all ? '' : 'failed '}checks of ${spec.name} from ${options.from} to ${options.to}`];
  }
  return rows.map((row) => {
    const state =
      row.passed === true || row.passed === 'true'
        ? 'passed'
        : row.severity === 'block'
          ? 'BLOCKED'
          : 'warning';
    return `${String(row.logical_date).slice(0, 10)}  ${state.padEnd(8)} ${String(row.stage_id)}.${String(row.check_name)}: measured ${
      row.measured ?? 'nothing'
    }, bound ${String(row.bound)}`;
  });
}
