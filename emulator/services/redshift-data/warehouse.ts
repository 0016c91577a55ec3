import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/**
 * The emulated Redshift: one DuckDB database file, opened on first use, with one connection per
 * Redshift database name so each database's statements run on their own serial lane.
 */
export class Warehouse {
  private instance: Promise<DuckDBInstance> | undefined;
  private readonly connections = new Map<string, Promise<DuckDBConnection>>();

  constructor(private readonly path: string) {}

  connection(database: string): Promise<DuckDBConnection> {
    let connection = this.connections.get(database);
    if (!connection) {
      if (!this.instance) {
        const opening = DuckDBInstance.create(this.path);
        opening.catch(() => (this.instance = undefined));
        this.instance = opening;
      }
      connection = this.instance.then(async (instance) => {
        const opened = await instance.connect();
        await opened.run("SET TimeZone = 'UTC'");
        return opened;
      });
      connection.catch(() => this.connections.delete(database));
      this.connections.set(database, connection);
    }
    return connection;
  }

  async close(): Promise<void> {
    for (const connection of this.connections.values()) {
      try {
        (await connection).closeSync();
      } catch {
        // a connection that never opened has nothing to close
      }
    }
    this.connections.clear();
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
