import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { CHECKED_OUTPUT_VIEW, type JobManifest } from '../../core/job-manifest';
import type { JobMetrics } from '../../core/stage-io';
import { withScratchConnection } from '../runtime/scratch-duckdb';
import type { RunJobManifest } from './job-runner-api';
import { containsParquet, emptyDirectory, parquetGlob, writeFileAtomically } from './lake-files';
import { parseJobManifest, type ValidJobManifest } from './manifest-schema';
import type { S3PathResolver } from '../sources/source-api';
import { quoteIdentifier, quoteLiteral } from '../sources/sql-quote';

/** The only placeholder the runner substitutes (see core/job-manifest.ts). */
const LOGICAL_DATE_PLACEHOLDER = '${logical_date}';
/** A SELECT column with this name is the per-row quarantine reason (else the predicate text is). */
const QUARANTINE_REASON_COLUMN = '_quarantine_reason';
const PART_FILE = 'part-00000.parquet';
/** The empty marker Spark writes into an output prefix when the job commits. */
const SUCCESS_MARKER = '_SUCCESS';

const RESULT = '__medallion_result';
const FLAGGED = '__medallion_flagged';
const FLAG = '__medallion_quarantined';

/** A failed job run; the message names the stage, what the runner was doing, and the cause. */
class JobRunError extends Error {
  constructor(
    readonly stageId: string,
    readonly phase: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`job ${stageId} failed while ${phase}: ${reason}`, { cause });
    this.name = 'JobRunError';
  }
}

/**
 * Executes a JobManifest on the emulator's in-memory DuckDB (its own connection, TEMP tables), with
 * the semantics of core/job-manifest.ts (the local twin of jobs/sql_runner.py):
 * 1. inputs become views over read_parquet('<dir>/**\/*.parquet', hive_partitioning, union_by_name);
 *    an absent optional input becomes an empty table typed by its `columns` hint;
 * 2. `${logical_date}` is substituted; any other `${...}` left in the SQL is an error;
 * 3. the SELECT is materialised once; rows where quarantineWhen is TRUE (NULL counts as false) go to
 *    the quarantine prefix with `_quarantine_reason`, the others to the output prefix;
 * 4. both prefixes are deleted and rewritten as one part-00000.parquet each, even when empty, plus
 *    Spark's empty `_SUCCESS` marker;
 * 5. each check SELECT runs over the view of the written rows (`_medallion_output`) and the inputs;
 *    what it measured goes into the metrics as `checks` (the activity judges it);
 * 6. metrics JSON is written last, only on success.
 */
export const runJobManifest: RunJobManifest = async (manifest: JobManifest, resolve: S3PathResolver) => {
  const stageId = typeof manifest?.stageId === 'string' && manifest.stageId ? manifest.stageId : '<unnamed>';
  const job = await phase(stageId, 'validating the manifest', () =>
    Promise.resolve(parseJobManifest(manifest)),
  );
  return withScratchConnection(async (connection) => {
    for (const input of job.inputs) {
      await phase(stageId, `registering input '${input.name}' (${input.uri})`, () =>
        registerInput(connection, input, resolve),
      );
    }
    // The job's SQL runs in UTC, as jobs/sql_runner.py sets Spark's session zone: comparing a TIMESTAMP
    // WITH TIME ZONE read from silver with a TIMESTAMP literal must not depend on the machine's zone.
    await connection.run(`SET TimeZone = 'UTC'`);
    const sql = await phase(stageId, 'preparing the SQL', () => prepareSql(connection, job));
    await runSql(connection, stageId, sql);
    const predicate = job.quarantineWhen ?? 'FALSE';
    const columns = await resultColumns(connection);
    await phase(stageId, `evaluating quarantineWhen (${predicate})`, () =>
      connection.run(
        `CREATE TEMP TABLE ${FLAGGED} AS SELECT *${asInstants(columns)}, COALESCE((${predicate}), FALSE) AS ${FLAG} FROM ${RESULT}`,
      ),
    );
    const { outputSelect, quarantineSelect } = splitQueries(
      columns.map((column) => column.name),
      predicate,
      job.quarantineWhen !== undefined,
    );
    await phase(stageId, `writing the output (${job.outputUri})`, () =>
      overwritePrefix(connection, resolve(job.outputUri), outputSelect),
    );
    await phase(stageId, `writing the quarantine (${job.quarantineUri})`, () =>
      overwritePrefix(connection, resolve(job.quarantineUri), quarantineSelect),
    );
    const counts = await phase(stageId, 'counting rows', () => countRows(connection));
    await connection.run(`CREATE TEMP VIEW ${CHECKED_OUTPUT_VIEW} AS ${outputSelect}`);
    const checks: Record<string, number | null> = {};
    for (const check of job.checks ?? []) {
      checks[check.name] = await phase(stageId, `measuring check '${check.name}'`, () =>
        measure(connection, check.sql.replaceAll(LOGICAL_DATE_PLACEHOLDER, job.logicalDate)),
      );
    }
    const metrics: JobMetrics = job.checks?.length ? { ...counts, checks } : counts;
    await phase(stageId, `writing metrics (${job.metricsUri})`, () =>
      writeFileAtomically(resolve(job.metricsUri), `${JSON.stringify(metrics)}\n`),
    );
    return metrics;
  });
};

async function phase<T>(stageId: string, description: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new JobRunError(stageId, description, error);
  }
}

async function registerInput(
  connection: DuckDBConnection,
  input: ValidJobManifest['inputs'][number],
  resolve: S3PathResolver,
): Promise<void> {
  const dir = resolve(input.uri);
  const view = quoteIdentifier(input.name);
  if (await containsParquet(dir)) {
    await connection.run(
      `CREATE TEMP VIEW ${view} AS SELECT * FROM read_parquet(${quoteLiteral(parquetGlob(dir))}, hive_partitioning = true, union_by_name = true)`,
    );
    return;
  }
  if (!input.optional) {
    throw new Error(
      `required input has no Parquet files; check the stage that writes ${input.uri} or mark the input optional`,
    );
  }
  const columns = Object.entries(input.columns ?? {});
  if (columns.length === 0) {
    throw new Error(
      'optional input is absent and declares no `columns`; add a columns hint so its empty view has a schema',
    );
  }
  await connection.run(
    `CREATE TEMP TABLE ${view} (${columns.map(([name, type]) => `${quoteIdentifier(name)} ${type}`).join(', ')})`,
  );
}

/** Substitutes the logical date and checks the text parses as exactly one statement. */
async function prepareSql(connection: DuckDBConnection, job: ValidJobManifest): Promise<string> {
  const sql = job.sql.replaceAll(LOGICAL_DATE_PLACEHOLDER, job.logicalDate).trim().replace(/;\s*$/, '');
  const leftover = /\$\{[^}]*\}/.exec(sql);
  if (leftover) {
    throw new Error(
      `unresolved placeholder ${leftover[0]}; the runner substitutes only ${LOGICAL_DATE_PLACEHOLDER}, bind others when building the manifest`,
    );
  }
  const statements = await connection.extractStatements(sql);
  if (statements.count !== 1)
    throw new Error(`sql must be ONE SELECT statement, found ${statements.count} statements`);
  return sql;
}

/**
 * Materialises the SELECT. Binding reads the metadata of every input file, so the SQL is bound once,
 * here; only when it fails is it prepared on its own, to tell a statement that is not a SELECT or does
 * not bind (a 'preparing the SQL' failure) from one that failed while running.
 */
async function runSql(connection: DuckDBConnection, stageId: string, sql: string): Promise<void> {
  try {
    await connection.run(`CREATE TEMP TABLE ${RESULT} AS ${sql}`);
  } catch (error) {
    await phase(stageId, 'preparing the SQL', async () => {
      const statements = await connection.extractStatements(sql);
      const prepared = await statements.prepare(0);
      if (prepared.statementType !== StatementType.SELECT) throw new Error('sql must be a SELECT statement');
    });
    throw new JobRunError(stageId, 'running the SQL', error);
  }
}

async function resultColumns(connection: DuckDBConnection): Promise<{ name: string; type: string }[]> {
  const reader = await connection.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE ${RESULT})`);
  const rows = reader.getRowObjectsJson() as { column_name: string; column_type: string }[];
  return rows.map((row) => ({ name: row.column_name, type: row.column_type }));
}

/**
 * The lake stores timestamps as instants: Parquet TIMESTAMP(isAdjustedToUTC=true, MICROS), what Spark
 * (jobs/sql_runner.py on Glue and EMR) writes for its TIMESTAMP type. Change times (`_commit_ts`,
 * `updated_at`, `ordered_at`) are moments, not wall-clock readings, so a reader in any zone (Spark,
 * Athena, Redshift COPY) must see the same moment. The SQL's zone-less TIMESTAMPs hold UTC (the SQL runs
 * in UTC), so each becomes a TIMESTAMP WITH TIME ZONE read as UTC; DuckDB writes that as an instant.
 */
function asInstants(columns: { name: string; type: string }[]): string {
  const local = columns.filter((column) => /^TIMESTAMP(_S|_MS|_NS)?$/.test(column.type));
  if (local.length === 0) return '';
  const replaced = local.map(
    ({ name }) => `timezone('UTC', CAST(${quoteIdentifier(name)} AS TIMESTAMP)) AS ${quoteIdentifier(name)}`,
  );
  return ` REPLACE (${replaced.join(', ')})`;
}

function splitQueries(columns: string[], predicate: string, hasPredicate: boolean) {
  const perRowReason = hasPredicate && columns.includes(QUARANTINE_REASON_COLUMN);
  const reasonText = quoteLiteral(predicate);
  const outputColumns = perRowReason ? `${FLAG}, ${QUARANTINE_REASON_COLUMN}` : FLAG;
  return {
    outputSelect: `SELECT * EXCLUDE (${outputColumns}) FROM ${FLAGGED} WHERE NOT ${FLAG}`,
    quarantineSelect: perRowReason
      ? `SELECT * EXCLUDE (${FLAG}) REPLACE (COALESCE(${QUARANTINE_REASON_COLUMN}, ${reasonText}) AS ${QUARANTINE_REASON_COLUMN}) FROM ${FLAGGED} WHERE ${FLAG}`
      : `SELECT * EXCLUDE (${FLAG}), ${reasonText} AS ${QUARANTINE_REASON_COLUMN} FROM ${FLAGGED} WHERE ${FLAG}`,
  };
}

/**
 * Rewrites the prefix as Spark does: the part file, then an empty `_SUCCESS` marker (Hadoop's
 * FileOutputCommitter writes one on job commit). Readers of the prefix must skip it: Redshift COPY
 * reads every object under a prefix, so the loads name their part files in a manifest.
 */
async function overwritePrefix(connection: DuckDBConnection, dir: string, select: string): Promise<void> {
  await emptyDirectory(dir);
  const target = join(dir, PART_FILE);
  await connection.run(`COPY (${select}) TO ${quoteLiteral(`${target}.tmp`)} (FORMAT parquet)`);
  await rename(`${target}.tmp`, target);
  await writeFileAtomically(join(dir, SUCCESS_MARKER), '');
}

async function countRows(connection: DuckDBConnection): Promise<JobMetrics> {
  const reader = await connection.runAndReadAll(
    `SELECT COUNT(*)::INTEGER AS rows_in, COUNT(*) FILTER (WHERE ${FLAG})::INTEGER AS quarantined FROM ${FLAGGED}`,
  );
  const [row] = reader.getRowObjectsJson() as { rows_in: number; quarantined: number }[];
  const rowsIn = row!.rows_in;
  return { rowsIn, rowsOut: rowsIn - row!.quarantined, quarantined: row!.quarantined };
}

/** One check SELECT's `measured` value (a number, or null when the SELECT gave NULL or no row). */
async function measure(connection: DuckDBConnection, sql: string): Promise<number | null> {
  const reader = await connection.runAndReadAll(sql);
  const [row] = reader.getRowObjectsJson() as Record<string, unknown>[];
  const value = row?.measured;
  if (value === undefined) {
    if (!row) return null;
    throw new Error('a check SELECT must return a column named measured');
  }
  return value === null ? null : Number(value);
}
