import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { JobManifest } from '../../core/job-manifest';
import type { JobMetrics } from '../../core/stage-io';
import type { RunJobManifest } from '../../emulator/jobs/job-runner-api';
import type {
  AppFlowRequest,
  AppFlowResult,
  DmsWindowRequest,
  DmsWindowResult,
  SourceSimulator,
} from '../../emulator/sources/source-api';

/** Runs one SQL text on a throwaway in-memory DuckDB. */
async function duck(sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * A small SourceSimulator that writes real parquet: per DMS window one file per table holding one change
 * per whole hour of the window (plus a LOAD file when the window starts with a full load); per AppFlow
 * snapshot `3 + seed % 5` accounts. It records every request so tests can check the windows asked for.
 */
export class FakeSources implements SourceSimulator {
  readonly dmsWindows: DmsWindowRequest[] = [];
  readonly snapshots: AppFlowRequest[] = [];
  /** When set, the next DMS window fails with this message. */
  failNextWindow: string | undefined;
  /** When set, CDC starts before it fail as a source whose log does not reach back that far. */
  changeLogStartUtc?: Date;

  async writeDmsWindow(request: DmsWindowRequest): Promise<DmsWindowResult> {
    this.dmsWindows.push(request);
    if (this.failNextWindow !== undefined) {
      const message = this.failNextWindow;
      this.failNextWindow = undefined;
      throw new Error(message);
    }
    const hours = Math.floor((request.toUtc.getTime() - request.fromUtc.getTime()) / 3_600_000);
    const day = request.fromUtc.toISOString().slice(0, 10).replaceAll('-', '/');
    const perTable: DmsWindowResult['perTable'] = {};
    for (const table of request.tables) {
      const folder = request.resolve(`${request.outputUri}${request.schema}/${table}/${day}/`);
      await mkdir(folder, { recursive: true });
      const files: string[] = [];
      if (request.fullLoad) {
        const file = join(folder, 'LOAD00000001.parquet');
        await duck(
          `COPY (SELECT 'I' AS Op, ${literal(request.fromUtc.toISOString())}::TIMESTAMP AS _commit_ts, 0 AS id) TO ${literal(file)} (FORMAT parquet)`,
        );
        files.push(file);
      }
      if (hours > 0) {
        const file = join(folder, `${request.fromUtc.getTime()}-${request.toUtc.getTime()}.parquet`);
        await duck(
          `COPY (SELECT 'U' AS Op, ${literal(request.fromUtc.toISOString())}::TIMESTAMP + INTERVAL (i) HOUR AS _commit_ts, i AS id FROM range(${hours}) t(i)) TO ${literal(file)} (FORMAT parquet)`,
        );
        files.push(file);
      }
      perTable[table] = { rows: hours + (request.fullLoad ? 1 : 0), files };
    }
    return { perTable, lastCommitUtc: request.toUtc.toISOString() };
  }

  async writeAppFlowSnapshot(request: AppFlowRequest): Promise<AppFlowResult> {
    this.snapshots.push(request);
    const count = 3 + (request.seed % 5);
    const file = join(request.resolve(request.outputUri), 'part-00000.parquet');
    await mkdir(dirname(file), { recursive: true });
    await duck(
      `COPY (SELECT 'acct-' || i AS account_id, ${literal(request.object)} AS object, ${literal(request.asOfUtc.toISOString())}::TIMESTAMP AS as_of FROM range(${count}) t(i)) TO ${literal(file)} (FORMAT parquet)`,
    );
    return { recordsProcessed: count, bytesWritten: (await stat(file)).size, files: [file] };
  }
}

/**
 * A small RunJobManifest: inputs become views over their parquet files, the SELECT's rows are written
 * to `<outputUri>part-00000.parquet` and the metrics JSON to metricsUri. It records every manifest run.
 */
export class FakeRunner {
  readonly manifests: JobManifest[] = [];

  readonly run: RunJobManifest = async (manifest, resolve) => {
    this.manifests.push(manifest);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const input of manifest.inputs) {
        const folder = resolve(input.uri);
        const hasFiles = await readdir(folder, { recursive: true }).then(
          (names) => names.some((n) => n.endsWith('.parquet')),
          () => false,
        );
        if (!hasFiles) throw new Error(`input ${input.name} has no parquet files under ${input.uri}`);
        await connection.run(
          `CREATE VIEW ${input.name} AS SELECT * FROM read_parquet(${literal(join(folder, '**', '*.parquet'))})`,
        );
      }
      const sql = manifest.sql.replaceAll('${logical_date}', manifest.logicalDate);
      const output = join(resolve(manifest.outputUri), 'part-00000.parquet');
      await mkdir(dirname(output), { recursive: true });
      await connection.run(`COPY (${sql}) TO ${literal(output)} (FORMAT parquet)`);
      const count = await connection.runAndReadAll(
        `SELECT count(*)::INTEGER FROM read_parquet(${literal(output)})`,
      );
      const rows = count.getRows()[0]![0] as number;
      const metrics: JobMetrics = { rowsIn: rows, rowsOut: rows, quarantined: 0 };
      const metricsPath = resolve(manifest.metricsUri);
      await mkdir(dirname(metricsPath), { recursive: true });
      await writeFile(metricsPath, JSON.stringify(metrics));
      return metrics;
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  };
}
