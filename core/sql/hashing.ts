import type { Column } from '../warehouse-spec';
import type { Dialect } from './dialect';

/**
 * NULL-safe, injective row hashing that both engines compute the same way: each column becomes
 * md5(text) or the marker 'null' (md5 never yields it, so NULL and '' hash differently), and the
 * fixed-width tokens are joined with ',' (which neither contains) and hashed again. Hashing each column
 * first keeps the input of the outer md5 short whatever the column widths (Redshift's VARCHAR limit).
 */
function columnToken(dialect: Dialect, expr: string, column: Column): string {
  return `COALESCE(md5(${dialect.textOf(expr, column.type)}), 'null')`;
}

export function hashColumns(
  dialect: Dialect,
  columns: readonly Column[],
  exprOf: (name: string) => string,
): string {
  if (columns.length === 0) return `md5('')`;
  const tokens = columns.map((column) => columnToken(dialect, exprOf(column.name), column));
  return `md5(${tokens.join(` || ',' || `)})`;
}
