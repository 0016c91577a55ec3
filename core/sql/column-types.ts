import type { ColumnType } from '../warehouse-spec';

/** The parts of a portable column type, for dialects to map. */
export type ParsedColumnType =
  | { kind: 'bigint' | 'integer' | 'varchar' | 'boolean' | 'timestamp' | 'date' | 'double' }
  | { kind: 'varchar-n'; length: number }
  | { kind: 'decimal'; precision: number; scale: number };

export function parseColumnType(type: ColumnType): ParsedColumnType {
  const decimal = /^decimal\((\d+),(\d+)\)$/.exec(type);
  if (decimal) return { kind: 'decimal', precision: Number(decimal[1]), scale: Number(decimal[2]) };
  const varchar = /^varchar\((\d+)\)$/.exec(type);
  if (varchar) return { kind: 'varchar-n', length: Number(varchar[1]) };
  switch (type) {
    case 'bigint':
    case 'integer':
    case 'varchar':
    case 'boolean':
    case 'timestamp':
    case 'date':
    case 'double':
      return { kind: type };
    default:
      throw new Error(`unsupported column type "${type}"`);
  }
}
