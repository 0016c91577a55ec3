import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBDataChunkWriter, JSToDuckDBValueConverter, type DuckDBConnection } from '@duckdb/node-api';
import type { ColumnDef } from './shop-schema';
import { quoteIdentifier, quoteLiteral } from './sql-quote';

export type CellValue = string | number | Date | null;

const STAGING_TABLE = 'parquet_staging';

/**
 * Writes rows to one Parquet file with DuckDB (COPY ... TO ... (FORMAT parquet)), in the given row
 * order. Written to a temporary name and renamed, so readers never see half a file. Returns its size.
 */
export async function writeParquetFile(
  connection: DuckDBConnection,
  filePath: string,
  columns: readonly ColumnDef[],
  rows: readonly (readonly CellValue[])[],
): Promise<number> {
  await mkdir(dirname(filePath), { recursive: true });
  const columnList = columns.map((column) => `${quoteIdentifier(column.name)} ${column.type}`).join(', ');
  await connection.run(`CREATE OR REPLACE TABLE ${STAGING_TABLE} (${columnList})`);
  const appender = await connection.createAppender(STAGING_TABLE);
  const writer = DuckDBDataChunkWriter.forAppender(appender, { converter: JSToDuckDBValueConverter });
  for (const row of rows) writer.appendRow(row);
  writer.flush();
  appender.closeSync();
  const temporaryPath = `${filePath}.tmp`;
  await connection.run(`COPY ${STAGING_TABLE} TO ${quoteLiteral(temporaryPath)} (FORMAT parquet)`);
  await connection.run(`DROP TABLE ${STAGING_TABLE}`);
  await rename(temporaryPath, filePath);
  return (await stat(filePath)).size;
}
