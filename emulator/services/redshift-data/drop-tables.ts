/**
 * Redshift's DROP TABLE takes several names (`DROP TABLE [IF EXISTS] name [, ...] [CASCADE | RESTRICT]`,
 * https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_TABLE.html); DuckDB's takes one ("Can only drop
 * one object at a time"). The emulator runs such a statement as one DROP per name, in order, in the
 * same transaction, which is what Redshift's does.
 */
const DROP_TABLES = /^\s*DROP\s+TABLE\s+(IF\s+EXISTS\s+)?([\s\S]+?)(\s+(?:CASCADE|RESTRICT))?\s*;?\s*$/i;

export function dropTableStatements(sql: string): string[] {
  const match = DROP_TABLES.exec(sql);
  if (!match) return [sql];
  const names = namesOutsideQuotes(match[2]!);
  if (names.length < 2 || names.some((name) => name === '')) return [sql];
  return names.map((name) => `DROP TABLE ${match[1] ?? ''}${name}${match[3] ?? ''}`);
}

/** Splits a name list at the commas that are not inside a double-quoted identifier. */
function namesOutsideQuotes(list: string): string[] {
  const names: string[] = [];
  let quoted = false;
  let current = '';
  for (const ch of list) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      names.push(current.trim());
      current = '';
    } else current += ch;
  }
  names.push(current.trim());
  return names;
}
