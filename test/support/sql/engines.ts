import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, LIST, VARCHAR } from '@duckdb/node-api';
import { PGlite } from '@electric-sql/pglite';
import { type Dialect, type StagingColumn, duckdbDialect, redshiftDialect } from '../../../core/sql';

/**
 * The two warehouse engines the generated SQL runs on in tests: the Redshift dialect on PostgreSQL
 * (PGlite, in process) and the DuckDB dialect on DuckDB. `transaction` plays the role of Redshift's
 * BatchExecuteStatement / the emulator's DuckDB transaction: all statements or none.
 */
export interface WarehouseEngine {
  readonly name: string;
  readonly dialect: Dialect;
  /** True when staging can read real Parquet files (DuckDB); otherwise tests stage with INSERTs. */
  readonly readsParquet: boolean;
  transaction(statements: readonly Statement[]): Promise<void>;
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Writes rows as one Parquet file under a fresh directory; returns the directory ('/'-terminated). */
  writeParquet(columns: readonly StagingColumn[], rows: readonly Row[]): Promise<string>;
  close(): Promise<void>;
}

export type Value = string | number | boolean | null;
export type Row = Record<string, Value>;

/** A generated SQL statement, or a test's parameterised one (staging rows bound as lists). */
export type Statement = string | { sql: string; lists: (string | null)[][] };

export const TEST_IAM_ROLE = 'arn:aws:iam::123456789012:role/medallion-redshift-copy';

/** A literal of the given portable type, for test INSERTs and Parquet fixtures. */
function typedLiteral(dialect: Dialect, value: Value, type: string): string {
  const sqlType = dialect.columnType(type as StagingColumn['type']);
  if (value === null) return `CAST(NULL AS ${sqlType})`;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return `CAST(${dialect.literal(String(value))} AS ${sqlType})`;
}

/**
 * INSERTs of test rows into a staging table. On DuckDB the rows are bound as one VARCHAR list per
 * column and unnested (parsing thousands of literal rows costs DuckDB more than the merge itself).
 */
export function insertRowsStatements(
  dialect: Dialect,
  table: string,
  columns: readonly StagingColumn[],
  rows: readonly Row[],
): Statement[] {
  if (rows.length === 0) return [];
  const names = columns.map((column) => dialect.ident(column.name)).join(', ');
  if (dialect.name === 'duckdb') {
    const select = columns
      .map(
        (column, index) =>
          `CAST(unnest(CAST($${index + 1} AS VARCHAR[])) AS ${dialect.columnType(column.type)})`,
      )
      .join(', ');
    const lists = columns.map((column) =>
      rows.map((row) => {
        const value = row[column.name] ?? null;
        return value === null ? null : String(value);
      }),
    );
    return [{ sql: `INSERT INTO ${dialect.ident(table)} (${names}) SELECT ${select}`, lists }];
  }
  const values = rows.map(
    (row) =>
      `(${columns.map((column) => typedLiteral(dialect, row[column.name] ?? null, column.type)).join(', ')})`,
  );
  return [`INSERT INTO ${dialect.ident(table)} (${names}) VALUES ${values.join(', ')}`];
}

/** Redshift built-ins PostgreSQL lacks, defined with Redshift's semantics so the dialect's SQL runs unchanged. */
const REDSHIFT_BUILTINS_ON_POSTGRES = `CREATE FUNCTION getdate() RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT (now() AT TIME ZONE 'UTC')::timestamp $$`;

export async function createPostgresEngine(): Promise<WarehouseEngine> {
  const db = await PGlite.create();
  await db.exec(REDSHIFT_BUILTINS_ON_POSTGRES);
  return {
    name: 'redshift dialect on PostgreSQL',
    dialect: redshiftDialect({ iamRole: TEST_IAM_ROLE }),
    readsParquet: false,
    async transaction(statements) {
      await db.transaction(async (tx) => {
        for (const statement of statements) {
          if (typeof statement !== 'string')
            throw new Error('parameterised statements are a DuckDB test path');
          await tx.exec(statement);
        }
      });
    },
    async query(sql) {
      const result = await db.query<Record<string, unknown>>(sql);
      return result.rows;
    },
    writeParquet() {
      return Promise.reject(new Error('PostgreSQL cannot read Parquet: stage with INSERTs'));
    },
    async close() {
      await db.close();
    },
  };
}

export async function createDuckDbEngine(): Promise<WarehouseEngine> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection: DuckDBConnection = await instance.connect();
  const directory = await mkdtemp(join(tmpdir(), 'medallion-sql-'));
  let files = 0;
  const dialect = duckdbDialect();
  return {
    name: 'duckdb dialect on DuckDB',
    dialect,
    readsParquet: true,
    async transaction(statements) {
      await connection.run('BEGIN TRANSACTION');
      try {
        for (const statement of statements) {
          if (typeof statement === 'string') {
            await connection.run(statement);
          } else {
            const prepared = await connection.prepare(statement.sql);
            statement.lists.forEach((list, index) => prepared.bindList(index + 1, list, LIST(VARCHAR)));
            await prepared.run();
          }
        }
        await connection.run('COMMIT');
      } catch (error) {
        await connection.run('ROLLBACK');
        throw error;
      }
    },
    async query(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJS();
    },
    async writeParquet(columns, rows) {
      files += 1;
      const prefix = join(directory, `batch-${files}`);
      await mkdir(prefix, { recursive: true });
      const select = (row: Row | null) =>
        `SELECT ${columns
          .map(
            (column) =>
              `${typedLiteral(dialect, row ? (row[column.name] ?? null) : null, column.type)} AS ${dialect.ident(column.name)}`,
          )
          .join(', ')}`;
      const query = rows.length === 0 ? `${select(null)} LIMIT 0` : rows.map(select).join(' UNION ALL ');
      await connection.run(
        `COPY (${query}) TO ${dialect.literal(join(prefix, 'part-00000.parquet'))} (FORMAT parquet)`,
      );
      return `${prefix}/`;
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export const ENGINE_FACTORIES: readonly { name: string; create: () => Promise<WarehouseEngine> }[] = [
  { name: 'redshift dialect on PostgreSQL', create: createPostgresEngine },
  { name: 'duckdb dialect on DuckDB', create: createDuckDbEngine },
];
