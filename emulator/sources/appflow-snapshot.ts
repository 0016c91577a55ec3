import { withScratchConnection } from '../runtime/scratch-duckdb';
import { writeParquetFile, type CellValue } from './parquet-file';
import type { ShopSimulationOptions } from './shop-options';
import { ACCOUNT_COLUMNS, CRM_OBJECT } from './shop-schema';
import { crmAccountsAt } from './shop-timeline';
import type { AppFlowRequest, AppFlowResult } from './source-api';

const RECORDS_PER_FILE = 1_000;

/**
 * Writes the CRM object as of `asOfUtc` under the execution's prefix as part-00000.parquet,
 * part-00001.parquet, ... (accounts sorted by id). An empty object writes no file, like AppFlow.
 */
export async function writeAppFlowSnapshot(
  request: AppFlowRequest,
  options?: ShopSimulationOptions,
): Promise<AppFlowResult> {
  if (request.object !== CRM_OBJECT) {
    throw new Error(`object: the simulated CRM serves '${CRM_OBJECT}' only, got '${request.object}'`);
  }
  if (!(request.asOfUtc instanceof Date) || Number.isNaN(request.asOfUtc.getTime())) {
    throw new Error(`asOfUtc must be a valid Date, got ${String(request.asOfUtc)}`);
  }
  if (!/^s3:\/\/[^/]+\//.test(request.outputUri)) {
    throw new Error(
      `outputUri must be an s3:// prefix such as s3://lake/bronze/saas/_appflow/crm/<run>/, got '${request.outputUri}'`,
    );
  }
  const outputUri = request.outputUri.endsWith('/') ? request.outputUri : `${request.outputUri}/`;
  const rows: CellValue[][] = crmAccountsAt(request.seed, request.asOfUtc, options).map((version) =>
    ACCOUNT_COLUMNS.map((column) => version.row[column.name as keyof typeof version.row]),
  );

  return withScratchConnection(async (connection) => {
    const files: string[] = [];
    let bytesWritten = 0;
    for (let start = 0; start < rows.length; start += RECORDS_PER_FILE) {
      const uri = `${outputUri}part-${String(files.length).padStart(5, '0')}.parquet`;
      bytesWritten += await writeParquetFile(
        connection,
        request.resolve(uri),
        ACCOUNT_COLUMNS,
        rows.slice(start, start + RECORDS_PER_FILE),
      );
      files.push(uri);
    }
    return { recordsProcessed: rows.length, bytesWritten, files };
  });
}
