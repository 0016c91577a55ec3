import {
  DuckDBBlobValue,
  DuckDBDecimalType,
  type DuckDBMaterializedResult,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
} from '@duckdb/node-api';

/** One value of a GetStatementResult record: exactly one member set, as in the Field union. */
export type Field =
  | { isNull: true }
  | { booleanValue: boolean }
  | { longValue: number }
  | { doubleValue: number }
  | { stringValue: string }
  | { blobValue: string };

interface ColumnMetadata {
  name: string;
  label: string;
  typeName: string;
  nullable: number;
  isSigned: boolean;
  isCaseSensitive: boolean;
  isCurrency: boolean;
  precision: number;
  scale: number;
  length: number;
  schemaName: string;
  tableName: string;
}

export interface StatementResult {
  columns: ColumnMetadata[];
  records: Field[][];
}

const INTEGERS = new Set([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/** Redshift's type names for DuckDB's types, as ColumnMetadata.typeName reports them. */
const REDSHIFT_TYPE_NAMES: Partial<Record<DuckDBTypeId, string>> = {
  [DuckDBTypeId.BOOLEAN]: 'bool',
  [DuckDBTypeId.TINYINT]: 'int2',
  [DuckDBTypeId.SMALLINT]: 'int2',
  [DuckDBTypeId.UTINYINT]: 'int2',
  [DuckDBTypeId.INTEGER]: 'int4',
  [DuckDBTypeId.USMALLINT]: 'int4',
  [DuckDBTypeId.BIGINT]: 'int8',
  [DuckDBTypeId.UINTEGER]: 'int8',
  [DuckDBTypeId.UBIGINT]: 'numeric',
  [DuckDBTypeId.HUGEINT]: 'numeric',
  [DuckDBTypeId.UHUGEINT]: 'numeric',
  [DuckDBTypeId.FLOAT]: 'float4',
  [DuckDBTypeId.DOUBLE]: 'float8',
  [DuckDBTypeId.DECIMAL]: 'numeric',
  [DuckDBTypeId.VARCHAR]: 'varchar',
  [DuckDBTypeId.DATE]: 'date',
  [DuckDBTypeId.TIME]: 'time',
  [DuckDBTypeId.TIME_TZ]: 'timetz',
  [DuckDBTypeId.TIMESTAMP]: 'timestamp',
  [DuckDBTypeId.TIMESTAMP_S]: 'timestamp',
  [DuckDBTypeId.TIMESTAMP_MS]: 'timestamp',
  [DuckDBTypeId.TIMESTAMP_NS]: 'timestamp',
  [DuckDBTypeId.TIMESTAMP_TZ]: 'timestamptz',
  [DuckDBTypeId.BLOB]: 'varbyte',
  [DuckDBTypeId.INTERVAL]: 'interval',
  [DuckDBTypeId.UUID]: 'varchar',
  [DuckDBTypeId.ENUM]: 'varchar',
};

/** Reads a DuckDB result into Redshift Data API records and column metadata. */
export async function encodeResult(result: DuckDBMaterializedResult): Promise<StatementResult> {
  const types = result.columnTypes();
  const columns = result.columnNames().map((name, index) => columnMetadata(name, types[index]!));
  const rows = await result.getRows();
  return {
    columns,
    records: rows.map((row) => row.map((value, index) => encodeField(value, types[index]!))),
  };
}

function columnMetadata(name: string, type: DuckDBType): ColumnMetadata {
  const decimal = type instanceof DuckDBDecimalType ? type : undefined;
  const typeName = REDSHIFT_TYPE_NAMES[type.typeId] ?? 'super';
  return {
    name,
    label: name,
    typeName,
    nullable: 1,
    isSigned:
      INTEGERS.has(type.typeId) ||
      type.typeId === DuckDBTypeId.DECIMAL ||
      type.typeId === DuckDBTypeId.FLOAT ||
      type.typeId === DuckDBTypeId.DOUBLE,
    isCaseSensitive: typeName === 'varchar',
    isCurrency: false,
    precision: decimal?.width ?? 0,
    scale: decimal?.scale ?? 0,
    length: 0,
    schemaName: '',
    tableName: '',
  };
}

/**
 * Integers become longValue (stringValue beyond 2^53, where JSON numbers lose digits), floats
 * doubleValue, DECIMAL stringValue (as Redshift sends NUMERIC), BLOB base64 blobValue, everything
 * else (dates, timestamps, lists, structs) its text form.
 */
function encodeField(value: DuckDBValue, type: DuckDBType): Field {
  if (value === null) return { isNull: true };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (INTEGERS.has(type.typeId) && (typeof value === 'number' || typeof value === 'bigint')) {
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? { longValue: asNumber } : { stringValue: value.toString() };
  }
  if (typeof value === 'number')
    return Number.isFinite(value) ? { doubleValue: value } : { stringValue: String(value) };
  if (value instanceof DuckDBBlobValue) return { blobValue: Buffer.from(value.bytes).toString('base64') };
  return { stringValue: typeof value === 'string' ? value : value.toString() };
}
