import type { S3PathResolver } from '../../sources/source-api';

export interface SqlRewrite {
  sql: string;
  /** The s3:// URIs the SQL referred to (so the caller can create their folders before a COPY ... TO). */
  s3Uris: string[];
}

/**
 * Prepares warehouse SQL for DuckDB: every `'s3://bucket/key'` string literal becomes the local lake
 * path, and Redshift Data named parameters (`:name`) become string literals, which Redshift and DuckDB
 * both cast to the column's type. Quotes, comments and `::` casts are left alone.
 */
export function rewriteSql(
  sql: string,
  resolve: S3PathResolver,
  /** Looks up a named parameter's value; undefined = the request has no Parameters (leave `:x` alone). */
  parameter: ((name: string) => string | undefined) | undefined,
): SqlRewrite {
  const s3Uris: string[] = [];
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === "'") {
      const end = endOfQuoted(sql, i, "'");
      const literal = sql.slice(i + 1, end).replaceAll("''", "'");
      if (literal.startsWith('s3://')) {
        const path = resolve(literal);
        s3Uris.push(literal);
        out += quote(path);
      } else {
        out += sql.slice(i, end + 1);
      }
      i = end + 1;
    } else if (ch === '"') {
      const end = endOfQuoted(sql, i, '"');
      out += sql.slice(i, end + 1);
      i = end + 1;
    } else if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (ch === ':' && next === ':') {
      out += '::';
      i += 2;
    } else if (ch === ':' && parameter !== undefined && /[A-Za-z_]/.test(next ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))![0];
      const value = parameter(name);
      if (value === undefined) throw new MissingParameterError(name);
      out += quote(value);
      i += 1 + name.length;
    } else {
      out += ch;
      i += 1;
    }
  }
  return { sql: out, s3Uris };
}

/** The names of the `:name` parameters an SQL text uses. */
export function parameterNames(sql: string): Set<string> {
  const used = new Set<string>();
  rewriteSql(
    sql,
    (uri) => uri,
    (name) => {
      used.add(name);
      return '';
    },
  );
  return used;
}

class MissingParameterError extends Error {
  constructor(readonly parameter: string) {
    super(`the SQL uses :${parameter} but Parameters has no "${parameter}"`);
  }
}

function endOfQuoted(sql: string, start: number, quoteChar: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quoteChar) {
      if (sql[i + 1] === quoteChar) i += 2;
      else return i;
    } else i += 1;
  }
  return sql.length - 1;
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
