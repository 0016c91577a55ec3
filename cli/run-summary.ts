/**
 * The end-of-run summary people read on the terminal: rows per layer and table, SCD2 versions,
 * quarantine, and a checksum per warehouse table (equal checksums = equal tables, row for row).
 */
import type { WarehouseQuery } from '../activities/warehouse-query';
import type { DailyRunReport } from '../core/run-report';

export const WAREHOUSE_TABLES = ['dim_customer', 'dim_product', 'fact_orders', 'fact_daily_revenue'] as const;
const SCHEMA = 'analytics';

export interface TableChecksum {
  table: string;
  rows: number;
  checksum: string;
}

/** Order-independent digest of every row of each table (DuckDB dialect: local mode). */
export async function warehouseChecksums(query: WarehouseQuery): Promise<TableChecksum[]> {
  const checksums: TableChecksum[] = [];
  for (const table of WAREHOUSE_TABLES) {
    const [row] = await query(
      `SELECT COUNT(*) AS n, COALESCE(md5(string_agg(md5(CAST(t AS VARCHAR)), '' ORDER BY md5(CAST(t AS VARCHAR)))), '-') AS digest
       FROM ${SCHEMA}.${table} t`,
    ).catch(() => [{ n: 0, digest: '(no table yet)' }]);
    checksums.push({ table: `${SCHEMA}.${table}`, rows: Number(row?.n ?? 0), checksum: String(row?.digest) });
  }
  return checksums;
}

export async function scd2Counts(
  query: WarehouseQuery,
  logicalDate: string,
): Promise<{ table: string; opened: number; closed: number; late: number }[]> {
  const rows = await query(
    // The latest merge of the date: on a rerun that is the replay, which must change nothing.
    `SELECT table_name, versions_opened AS opened, versions_closed AS closed, changes_late AS late
     FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY table_name ORDER BY merged_at DESC) AS newest
           FROM ${SCHEMA}.medallion_scd2_stats WHERE logical_date = DATE '${logicalDate}') latest
     WHERE newest = 1 ORDER BY table_name`,
  ).catch(() => []);
  return rows.map((r) => ({
    table: String(r.table_name),
    opened: Number(r.opened),
    closed: Number(r.closed),
    late: Number(r.late),
  }));
}

const LAYER: Record<string, string> = {
  dms: 'bronze',
  appflow: 'bronze',
  glue: 'silver',
  'emr-serverless': 'gold',
  scd2: 'warehouse',
  load: 'warehouse',
};

export function formatStageTable(report: DailyRunReport): string[] {
  const lines = [
    `  ${'layer'.padEnd(10)} ${'stage'.padEnd(26)} ${'rows in'.padStart(8)} ${'rows out'.padStart(9)} ${'quarantined'.padStart(12)}`,
  ];
  for (const stage of report.stages) {
    lines.push(
      `  ${(LAYER[stage.kind] ?? stage.kind).padEnd(10)} ${stage.id.padEnd(26)} ${String(stage.rowsIn ?? '-').padStart(8)} ${String(
        stage.rowsOut ?? '-',
      ).padStart(9)} ${String(stage.quarantined ?? '-').padStart(12)}`,
    );
  }
  lines.push(
    `  ${'total'.padEnd(37)} ${String(report.totals.rowsIn).padStart(8)} ${String(report.totals.rowsOut).padStart(9)} ${String(
      report.totals.quarantined,
    ).padStart(12)}`,
  );
  return lines;
}
