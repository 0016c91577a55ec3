import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBDataChunkWriter, JSToDuckDBValueConverter, type DuckDBConnection } from '@duckdb/node-api';
import type { ColumnDef } from './shop-schema';
import { quoteIdentifier, quoteLiteral } from './sql-quote';

export type CellValue = string | number | Date | null;

const STAGING_TABLE = 'parquet_staging';
const FILE_COLUMN = '__medallion_file';
const ROW_COLUMN = '__medallion_row';

export interface ParquetFileRows {
  filePath: string;
  rows: readonly (readonly CellValue[])[];
}

/** Writes rows to one Parquet file; see writeParquetFiles. Returns its size. */
export async function writeParquetFile(
  connection: DuckDBConnection,
  filePath: string,
  columns: readonly ColumnDef[],
  rows: readonly (readonly CellValue[])[],
): Promise<number> {
  await writeParquetFiles(connection, columns, [{ filePath, rows }]);
  return (await stat(filePath)).size;
}

/**
 * Writes Parquet files of the same columns with DuckDB, each in its given row order: every row goes
 * into one staging table once (a DMS window writes dozens of small files), then one
 * COPY (SELECT ...) TO ... (FORMAT parquet) per file. Each file is written to a temporary name and
 * renamed, so readers never see half a file.
 */
export async function writeParquetFiles(
  connection: DuckDBConnection,
  columns: readonly ColumnDef[],
  files: readonly ParquetFileRows[],
): Promise<void> {
  if (files.length === 0) return;
  const columnList = columns.map((column) => `${quoteIdentifier(column.name)} ${column.type}`).join(', ');
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${STAGING_TABLE} (${FILE_COLUMN} INTEGER, ${ROW_COLUMN} INTEGER, ${columnList})`,
  );
  const appender = await connection.createAppender(STAGING_TABLE, 'main', 'temp');
  const writer = DuckDBDataChunkWriter.forAppender(appender, { converter: JSToDuckDBValueConverter });
  files.forEach((file, fileIndex) => {
    file.rows.forEach((row, rowIndex) => writer.appendRow([fileIndex, rowIndex, ...row]));
  });
  writer.flush();
  appender.closeSync();
  const selected = columns.map((column) => quoteIdentifier(column.name)).join(', ');
  for (const folder of new Set(files.map((file) => dirname(file.filePath))))
    await mkdir(folder, { recursive: true });
  for (const [fileIndex, file] of files.entries()) {
    const temporaryPath = `${file.filePath}.tmp`;
    await connection.run(
      `COPY (SELECT ${selected} FROM ${STAGING_TABLE} WHERE ${FILE_COLUMN} = ${fileIndex} ORDER BY ${ROW_COLUMN}) ` +
        `TO ${quoteLiteral(temporaryPath)} (FORMAT parquet)`,
    );
    await rename(temporaryPath, file.filePath);
  }
  await connection.run(`DROP TABLE ${STAGING_TABLE}`);
}
