/**
 * Which Parquet columns Redshift COPY ... FORMAT AS PARQUET can load into which warehouse columns, and
 * the message when a file's columns do not fit the staging layout. COPY maps by POSITION and needs
 * the same number of columns
 * (https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html).
 * Shared by the load activity (its pre-COPY check) and the emulator's COPY. Pure: the caller reads the
 * footer (hyparquet's SchemaElement has this shape).
 */
import type { ColumnType } from '../warehouse-spec';
import { parseColumnType } from './column-types';

/** A leaf of a Parquet footer's schema (the fields hyparquet and the Parquet spec name so). */
export interface ParquetLeaf {
  name: string;
  type?: string;
  converted_type?: string;
  scale?: number;
  num_children?: number;
  logical_type?: {
    type: string;
    unit?: string;
    precision?: number;
    scale?: number;
    bitWidth?: number;
    isSigned?: boolean;
  };
}

type SchemaElement = ParquetLeaf;

/** A Parquet leaf column as people read it: "INT64 TIMESTAMP(MICROS)", "BYTE_ARRAY STRING", ... */
export function describeParquetColumn(element: SchemaElement): string {
  const logical = element.logical_type;
  let detail: string | undefined;
  if (logical?.type === 'TIMESTAMP') detail = `TIMESTAMP(${logical.unit})`;
  else if (logical?.type === 'DECIMAL') detail = `DECIMAL(${logical.precision},${logical.scale})`;
  else if (logical?.type === 'INTEGER')
    detail = `INTEGER(${logical.bitWidth},${logical.isSigned ? 'signed' : 'unsigned'})`;
  else if (logical) detail = logical.type;
  else if (element.converted_type) detail = element.converted_type;
  return [element.type ?? 'GROUP', detail].filter(Boolean).join(' ');
}

/** Whether COPY can put this Parquet column into a column of the portable type. */
export function parquetFits(element: SchemaElement, type: ColumnType): boolean {
  const parsed = parseColumnType(type);
  const logical = element.logical_type;
  const converted = element.converted_type;
  const integerBits = logical?.type === 'INTEGER' ? logical.bitWidth : undefined;
  switch (parsed.kind) {
    case 'bigint':
      return (element.type === 'INT64' || element.type === 'INT32') && isPlainInteger(element);
    case 'integer':
      return element.type === 'INT32' && isPlainInteger(element) && (integerBits ?? 32) <= 32;
    case 'varchar':
    case 'varchar-n':
      return (
        element.type === 'BYTE_ARRAY' &&
        (logical === undefined ||
          logical.type === 'STRING' ||
          logical.type === 'ENUM' ||
          logical.type === 'JSON') &&
        (converted === undefined || converted === 'UTF8' || converted === 'ENUM' || converted === 'JSON')
      );
    case 'boolean':
      return element.type === 'BOOLEAN';
    case 'double':
      return element.type === 'DOUBLE' || element.type === 'FLOAT';
    case 'date':
      return element.type === 'INT32' && (logical?.type === 'DATE' || converted === 'DATE');
    case 'timestamp':
      return (
        element.type === 'INT96' ||
        (element.type === 'INT64' &&
          (logical?.type === 'TIMESTAMP' ||
            converted === 'TIMESTAMP_MILLIS' ||
            converted === 'TIMESTAMP_MICROS'))
      );
    case 'decimal': {
      const scale =
        logical?.type === 'DECIMAL' ? logical.scale : converted === 'DECIMAL' ? element.scale : undefined;
      return scale === parsed.scale;
    }
  }
}

function isPlainInteger(element: SchemaElement): boolean {
  const logical = element.logical_type;
  if (logical) return logical.type === 'INTEGER' && logical.isSigned === true;
  return element.converted_type === undefined || /^INT_(8|16|32|64)$/.test(element.converted_type);
}

/**
 * The staging layout against the file's columns: a message naming the first column (by position) that
 * COPY would load wrongly, or undefined when every column fits.
 */
export function schemaMismatch(
  file: string,
  leaves: readonly SchemaElement[],
  columns: readonly { name: string; type: string }[],
): string | undefined {
  const expected = columns.map((c) => c.name).join(', ');
  const fix = `COPY ... FORMAT AS PARQUET maps columns by position: make the job write exactly these columns in this order: ${expected}`;
  if (leaves.length !== columns.length) {
    const found = leaves.map((leaf) => leaf.name).join(', ');
    return `${file} has ${leaves.length} columns (${found}) where the staging table has ${columns.length}; ${fix}`;
  }
  for (const [index, column] of columns.entries()) {
    const leaf = leaves[index]!;
    const position = index + 1;
    if (leaf.name.toLowerCase() !== column.name.toLowerCase()) {
      return (
        `${file} column ${position} is "${leaf.name}" (${describeParquetColumn(leaf)}) where the staging table's ` +
        `column ${position} is "${column.name}" ${column.type}; ${fix}`
      );
    }
    if (!parquetFits(leaf, column.type as ColumnType)) {
      return (
        `${file} column ${position} "${leaf.name}" is ${describeParquetColumn(leaf)}, which COPY cannot load into ` +
        `${column.type}; cast it in the job's SELECT to match the staging column`
      );
    }
  }
  return undefined;
}
