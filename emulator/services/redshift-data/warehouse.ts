import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/**
 * Redshift built-ins DuckDB lacks, as per-session macros with Redshift's semantics, so the Redshift
 * dialect's SQL (core/sql/redshift.ts) runs unchanged: GETDATE() is the current UTC timestamp without
 * zone (https://docs.aws.amazon.com/redshift/latest/dg/r_GETDATE.html).
 */
const REDSHIFT_BUILTINS = [
  `CREATE TEMP MACRO getdate() AS CAST(timezone('UTC', current_timestamp) AS TIMESTAMP)`,
];

/**
 * The emulated Redshift: one DuckDB database file, opened on first use. Each statement gets a session
 * of its own (a connection: its transaction, its temp tables), so statements run concurrently and
 * DuckDB's MVCC gives each its snapshot.
 */
export class Warehouse {
  private instance: Promise<DuckDBInstance> | undefined;
  private readonly open = new Set<DuckDBConnection>();

  constructor(private readonly path: string) {}

  async connect(): Promise<DuckDBConnection> {
    if (!this.instance) {
      const opening = DuckDBInstance.create(this.path);
      opening.catch(() => (this.instance = undefined));
      this.instance = opening;
    }
    const connection = await (await this.instance).connect();
    this.open.add(connection);
    await connection.run("SET TimeZone = 'UTC'");
    for (const sql of REDSHIFT_BUILTINS) await connection.run(sql);
    return connection;
  }

  disconnect(connection: DuckDBConnection): Promise<void> {
    this.open.delete(connection);
    try {
      connection.closeSync();
    } catch {
      // already closed with the instance
    }
    return Promise.resolve();
  }

  async close(): Promise<void> {
    for (const connection of this.open) {
      try {
        connection.closeSync();
      } catch {
        // a connection that never opened has nothing to close
      }
    }
    this.open.clear();
    if (this.instance) {
      try {
        (await this.instance).closeSync();
      } catch {
        // an instance that never opened has nothing to close
      }
    }
    this.instance = undefined;
  }
}
