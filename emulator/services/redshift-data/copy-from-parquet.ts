/**
 * Redshift's `COPY <table> FROM 's3://…' IAM_ROLE … FORMAT AS PARQUET [MANIFEST]` on the emulator, at
 * least as strict as AWS (https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html):
 * - columns are loaded BY POSITION; the file's column count must equal the table's (or the column
 *   list's); a Parquet type the column cannot take fails the load (names are not compared, as on AWS);
 * - without MANIFEST every object whose key starts with the FROM prefix is read, Spark's `_SUCCESS`
 *   marker too, which is no Parquet file: the load fails;
 * - with MANIFEST (https://docs.aws.amazon.com/redshift/latest/dg/loading-data-files-using-manifest.html)
 *   exactly the listed files; for Parquet each entry needs `meta.content_length`, which must be the
 *   object's size; a missing `mandatory` file fails the load;
 * - only the parameters columnar COPY takes (ACCEPTINVCHARS, FILLRECORD, FROM, IAM_ROLE, CREDENTIALS,
 *   STATUPDATE, MANIFEST, EXPLICIT_IDS); TRUNCATECOLUMNS, MAXERROR, REGION and the rest fail;
 * - VARCHAR(n) counts BYTES (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html):
 *   a longer UTF-8 value fails the load.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseS3Uri } from '../../../core/lake-layout';
import { describeParquetColumn, type ParquetLeaf, parquetFits } from '../../../core/sql/parquet-columns';
import type { ColumnType } from '../../../core/warehouse-spec';
import type { Lake } from '../../lake';
import { quoteIdentifier, quoteLiteral } from '../../sources/sql-quote';

export interface RedshiftCopy {
  /** The target as written (already quoted where it was). */
  table: string;
  /** schema.table, lower case, unqualified = no schema. */
  tableName: { schema?: string; name: string };
  columns?: string[];
  from: string;
  options: Map<string, string | true>;
}

/** A column of the target, with its portable type when the emulator knows it. */
export interface TargetColumn {
  name: string;
  type?: ColumnType;
}

export class CopyError extends Error {}

const COLUMNAR_PARAMETERS = new Set([
  'ACCEPTINVCHARS',
  'FILLRECORD',
  'IAM_ROLE',
  'CREDENTIALS',
  'STATUPDATE',
  'MANIFEST',
  'EXPLICIT_IDS',
  'FORMAT',
]);

type Token = { kind: 'word' | 'ident' | 'string' | 'punct' | 'number'; text: string };

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (/\s/.test(ch)) i += 1;
    else if (ch === "'" || ch === '"') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= sql.length)
          throw new CopyError(`ERROR: unterminated ${ch === "'" ? 'string' : 'identifier'}`);
        if (sql[j] === ch && sql[j + 1] === ch) {
          text += ch;
          j += 2;
        } else if (sql[j] === ch) break;
        else text += sql[j++];
      }
      tokens.push({ kind: ch === "'" ? 'string' : 'ident', text });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i))![0];
      tokens.push({ kind: 'word', text: word });
      i += word.length;
    } else if (/[0-9]/.test(ch)) {
      const number = /^[0-9.]+/.exec(sql.slice(i))![0];
      tokens.push({ kind: 'number', text: number });
      i += number.length;
    } else if (ch === ';' && sql.slice(i + 1).trim() === '') i = sql.length;
    else {
      tokens.push({ kind: 'punct', text: ch });
      i += 1;
    }
  }
  return tokens;
}

/** A Redshift COPY from S3, or undefined for any other statement (DuckDB's COPY ... TO included). */
export function parseRedshiftCopy(sql: string): RedshiftCopy | undefined {
  if (!/^\s*COPY\s+[^(]/i.test(sql) || !/\bFROM\s+'s3:\/\//i.test(sql)) return undefined;
  const tokens = tokenize(sql);
  let at = 1;
  const next = () => tokens[at++];
  const peek = () => tokens[at];
  const nameToken = (token: Token | undefined) => {
    if (!token || (token.kind !== 'word' && token.kind !== 'ident'))
      throw new CopyError('ERROR: syntax error in COPY: expected a table name');
    return {
      written: token.kind === 'ident' ? quoteIdentifier(token.text) : token.text,
      name: token.kind === 'ident' ? token.text : token.text.toLowerCase(),
    };
  };
  const first = nameToken(next());
  let table = first.written;
  let tableName: RedshiftCopy['tableName'] = { name: first.name };
  if (peek()?.text === '.') {
    at += 1;
    const second = nameToken(next());
    table = `${first.written}.${second.written}`;
    tableName = { schema: first.name, name: second.name };
  }
  let columns: string[] | undefined;
  if (peek()?.text === '(') {
    at += 1;
    columns = [];
    for (;;) {
      columns.push(nameToken(next()).name);
      const separator = next();
      if (separator?.text === ')') break;
      if (separator?.text !== ',') throw new CopyError('ERROR: syntax error in COPY column list');
    }
  }
  if (next()?.text.toUpperCase() !== 'FROM')
    throw new CopyError('ERROR: syntax error in COPY: expected FROM');
  const from = next();
  if (from?.kind !== 'string')
    throw new CopyError("ERROR: syntax error in COPY: FROM takes a quoted 's3://' URI");
  const options = new Map<string, string | true>();
  while (at < tokens.length) {
    const word = next()!;
    if (word.kind !== 'word') throw new CopyError(`ERROR: syntax error at or near "${word.text}" in COPY`);
    const option = word.text.toUpperCase();
    if (peek()?.kind === 'word' && peek()!.text.toUpperCase() === 'AS') at += 1;
    const value = peek();
    const takesWord = ['FORMAT', 'IAM_ROLE', 'STATUPDATE'].includes(option);
    if (
      value &&
      (value.kind === 'string' || value.kind === 'number' || (takesWord && value.kind === 'word'))
    ) {
      options.set(option, value.text);
      at += 1;
    } else options.set(option, true);
  }
  return { table, tableName, ...(columns ? { columns } : {}), from: from.text, options };
}

interface SourceFile {
  uri: string;
  path: string;
}

/** Checks the parameters and finds the files; then loads them, file by file, by position. */
export async function runRedshiftCopy(
  connection: DuckDBConnection,
  copy: RedshiftCopy,
  target: readonly TargetColumn[],
  lake: Lake,
): Promise<number> {
  const format = copy.options.get('FORMAT');
  if (typeof format !== 'string' || format.toUpperCase() !== 'PARQUET') {
    throw new CopyError(
      'ERROR: the emulator COPYs FORMAT AS PARQUET only (got ' +
        (typeof format === 'string' ? format : 'no FORMAT') +
        '); write the data as Parquet',
    );
  }
  for (const option of copy.options.keys()) {
    if (!COLUMNAR_PARAMETERS.has(option))
      throw new CopyError(`ERROR: ${option} argument is not supported for PARQUET based COPY`);
  }
  if (!copy.options.has('IAM_ROLE') && !copy.options.has('CREDENTIALS'))
    throw new CopyError('ERROR: COPY needs IAM_ROLE (or CREDENTIALS) to read from Amazon S3');
  const loaded = copy.columns ? target.filter((c) => copy.columns!.includes(c.name.toLowerCase())) : target;
  if (copy.columns && loaded.length !== copy.columns.length) {
    const missing = copy.columns.filter((name) => !target.some((c) => c.name.toLowerCase() === name));
    throw new CopyError(`ERROR: column "${missing[0]}" of relation ${copy.table} does not exist`);
  }
  const ordered = copy.columns
    ? copy.columns.map((name) => target.find((c) => c.name.toLowerCase() === name)!)
    : loaded;
  const files = copy.options.has('MANIFEST')
    ? await manifestFiles(copy.from, lake)
    : await prefixFiles(copy.from, lake);
  const { parquetMetadata } = await import('hyparquet');
  let rows = 0;
  for (const file of files) {
    let leaves: ParquetLeaf[];
    try {
      const bytes = await readFile(file.path);
      leaves = parquetMetadata(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      ).schema.slice(1);
    } catch (error) {
      throw new CopyError(
        `ERROR: Spectrum Scan Error: file '${file.uri}' is not a Parquet file (${message(error)}); ` +
          'COPY from a prefix reads every object under it (Spark writes _SUCCESS there): load from a manifest',
      );
    }
    if (leaves.length !== ordered.length) {
      throw new CopyError(
        `ERROR: Spectrum Scan Error: file '${file.uri}' has ${leaves.length} columns, the COPY loads ${ordered.length} ` +
          `into ${copy.table}: COPY from Parquet maps columns by position and the counts must match`,
      );
    }
    for (const [index, column] of ordered.entries()) {
      const leaf = leaves[index]!;
      if (column.type && !parquetFits(leaf, column.type)) {
        throw new CopyError(
          `ERROR: Spectrum Scan Error: incompatible Parquet schema for column ${index + 1} "${column.name}" of ${copy.table}: ` +
            `column type ${column.type.toUpperCase()}, Parquet column "${leaf.name}" ${describeParquetColumn(leaf)} in '${file.uri}'`,
        );
      }
    }
    const source = `read_parquet(${quoteLiteral(file.path)})`;
    const positional = leaves.map((leaf) => quoteIdentifier(leaf.name));
    // One scan of the file measures every VARCHAR column's longest value in bytes.
    const limited = ordered.flatMap((column, index) => {
      const limit = column.type ? /^varchar\((\d+)\)$/.exec(column.type) : null;
      return limit ? [{ column, index, bytes: Number(limit[1]) }] : [];
    });
    if (limited.length > 0) {
      const measures = limited.map(({ index }) => `max(strlen(${positional[index]!}))::BIGINT AS c${index}`);
      const reader = await connection.runAndReadAll(`SELECT ${measures.join(', ')} FROM ${source}`);
      const longest = reader.getRowObjectsJS()[0] ?? {};
      for (const { column, index, bytes } of limited) {
        const length = Number((longest[`c${index}`] as bigint | null) ?? 0);
        if (length > bytes) {
          throw new CopyError(
            `ERROR: Load into table ${copy.table} failed: a value of column ${index + 1} "${column.name}" is ${length} bytes, ` +
              `longer than VARCHAR(${bytes}) (Redshift counts bytes, and columnar COPY cannot TRUNCATECOLUMNS) in '${file.uri}'`,
          );
        }
      }
    }
    const list = ordered.map((c) => quoteIdentifier(c.name)).join(', ');
    const output = await connection.run(
      `INSERT INTO ${copy.table} (${list}) SELECT ${positional.join(', ')} FROM ${source}`,
    );
    rows += output.rowsChanged;
  }
  return rows;
}

async function manifestFiles(manifestUri: string, lake: Lake): Promise<SourceFile[]> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(lake.resolve(manifestUri), 'utf8'));
  } catch (error) {
    throw new CopyError(`ERROR: could not read the manifest ${manifestUri}: ${message(error)}`);
  }
  const entries = (document as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) throw new CopyError(`ERROR: manifest ${manifestUri} has no "entries" array`);
  const files: SourceFile[] = [];
  for (const [index, entry] of entries.entries()) {
    const { url, mandatory, meta } = (entry ?? {}) as {
      url?: unknown;
      mandatory?: unknown;
      meta?: { content_length?: unknown };
    };
    if (typeof url !== 'string' || !url.startsWith('s3://'))
      throw new CopyError(`ERROR: manifest ${manifestUri} entry ${index + 1} has no s3:// "url"`);
    const length = meta?.content_length;
    if (typeof length !== 'number')
      throw new CopyError(
        `ERROR: manifest ${manifestUri} entry ${index + 1} (${url}) has no meta.content_length, which COPY needs for Parquet files`,
      );
    const path = lake.resolve(url);
    let size: number | undefined;
    try {
      size = (await stat(path)).size;
    } catch {
      size = undefined;
    }
    if (size === undefined) {
      if (mandatory === true)
        throw new CopyError(`ERROR: Manifest file entry ${url} is mandatory but was not found`);
      continue;
    }
    if (size !== length)
      throw new CopyError(
        `ERROR: manifest ${manifestUri} entry ${url} says content_length ${length} but the object has ${size} bytes`,
      );
    files.push({ uri: url, path });
  }
  return files;
}

/** Every object whose key starts with the prefix, as S3 lists them (not only a "folder"). */
async function prefixFiles(prefixUri: string, lake: Lake): Promise<SourceFile[]> {
  const { bucket, key } = parseS3Uri(prefixUri);
  const root = lake.bucketDir(bucket);
  let names: string[];
  try {
    names = (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'));
  } catch {
    names = [];
  }
  const files = names
    .filter((name) => name.startsWith(key))
    .sort()
    .map((name) => ({ uri: `s3://${bucket}/${name}`, path: join(root, ...name.split('/')) }));
  if (files.length === 0) throw new CopyError(`ERROR: The specified S3 prefix '${prefixUri}' does not exist`);
  return files;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
