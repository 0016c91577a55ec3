/**
 * Which tables a warehouse statement reads and writes, for the serializable-isolation check
 * (serializable-isolation.ts). The SQL is parsed with libpg-query, PostgreSQL's own parser: Redshift's
 * SQL is PostgreSQL 8 lineage, and the generated SQL (core/sql) sticks to the subset both share.
 * Redshift's COPY (IAM_ROLE, FORMAT AS PARQUET, MANIFEST) is not PostgreSQL syntax; copy-from-parquet.ts
 * parses it and reports its target itself.
 */
import { loadModule, parseSync } from 'libpg-query';
import type { ColumnType } from '../../../core/warehouse-spec';

export interface TableAccess {
  reads: Set<string>;
  writes: Set<string>;
  /** Temp tables the statement creates: session-local, so never a conflict with another transaction. */
  createsTemp: Set<string>;
}

let loaded: Promise<void> | undefined;

/** The parser is WebAssembly: load it once before the first `tableAccess`. */
export function loadSqlParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

interface RangeVar {
  schemaname?: string;
  relname?: string;
  relpersistence?: string;
}

type Json = unknown;

function tableName(rv: RangeVar): string | undefined {
  if (!rv.relname) return undefined;
  return `${(rv.schemaname ?? 'public').toLowerCase()}.${rv.relname.toLowerCase()}`;
}

/**
 * The tables `sql` touches. `tempTables` are the unqualified names of temp tables the transaction
 * created earlier: references to them are left out. Unqualified names resolve to `public`, Redshift's
 * default search_path. A text the parser refuses touches nothing here (the engine reports its error).
 */
export function tableAccess(sql: string, tempTables: ReadonlySet<string>): TableAccess {
  const access: TableAccess = { reads: new Set(), writes: new Set(), createsTemp: new Set() };
  let parsed: { stmts?: { stmt?: Json }[] };
  try {
    parsed = parseSync(sql);
  } catch {
    return access;
  }
  const isTemp = (rv: RangeVar) =>
    rv.relpersistence === 't' ||
    (rv.schemaname === undefined && tempTables.has((rv.relname ?? '').toLowerCase()));
  const write = (rv: RangeVar | undefined) => {
    if (!rv) return;
    const name = tableName(rv);
    if (name && !isTemp(rv)) access.writes.add(name);
  };
  for (const { stmt } of parsed.stmts ?? []) {
    const [kind, body] = Object.entries((stmt ?? {}) as Record<string, Record<string, Json>>)[0] ?? [];
    if (!kind || !body) continue;
    switch (kind) {
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
        write(body.relation as RangeVar);
        break;
      case 'CreateStmt': {
        const rv = body.relation as RangeVar;
        if (rv.relpersistence === 't') access.createsTemp.add((rv.relname ?? '').toLowerCase());
        // CREATE TABLE IF NOT EXISTS of an existing table changes nothing; a real creation race is the
        // engine's catalog conflict, reported as a serialization failure too.
        else if (!body.if_not_exists) write(rv);
        break;
      }
      case 'CreateTableAsStmt': {
        const rv = (body.into as { rel: RangeVar }).rel;
        if (rv.relpersistence === 't') access.createsTemp.add((rv.relname ?? '').toLowerCase());
        else write(rv);
        break;
      }
      case 'TruncateStmt':
        for (const node of (body.relations as { RangeVar: RangeVar }[] | undefined) ?? [])
          write(node.RangeVar);
        break;
      case 'AlterTableStmt':
        write(body.relation as RangeVar);
        break;
      case 'DropStmt':
        if (body.removeType === 'OBJECT_TABLE') {
          for (const object of (body.objects as { List?: { items: { String: { sval: string } }[] } }[]) ??
            []) {
            const parts = (object.List?.items ?? []).map((item) => item.String.sval);
            const relname = parts.at(-1);
            if (!relname) continue;
            const rv: RangeVar = { relname, ...(parts.length > 1 ? { schemaname: parts.at(-2)! } : {}) };
            write(rv);
          }
        }
        break;
    }
    // Every relation named anywhere is read (UPDATE and DELETE read their target too); the target of a
    // plain INSERT is only written.
    const insertTarget = kind === 'InsertStmt' ? (body.relation as RangeVar) : undefined;
    collectRangeVars(body, (rv) => {
      if (rv === insertTarget || isTemp(rv) || access.createsTemp.has((rv.relname ?? '').toLowerCase()))
        return;
      const name = tableName(rv);
      if (name && kind !== 'CreateStmt' && kind !== 'DropStmt') access.reads.add(name);
    });
    if (kind === 'CreateTableAsStmt') {
      const target = tableName((body.into as { rel: RangeVar }).rel);
      if (target) access.reads.delete(target);
    }
  }
  return access;
}

function collectRangeVars(node: Json, found: (rv: RangeVar) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) collectRangeVars(item, found);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, Json>)) {
    if (key === 'RangeVar') found(value as RangeVar);
    else if (key === 'relation' && isRangeVarShape(value)) found(value as RangeVar);
    else collectRangeVars(value, found);
  }
}

/** `relation` fields hold a bare RangeVar (not wrapped in { RangeVar: ... }). */
function isRangeVarShape(value: Json): boolean {
  return value !== null && typeof value === 'object' && 'relname' in value;
}

/** A table a CREATE TABLE statement declares, with its columns' portable types where they map. */
export interface DeclaredTable {
  schema?: string;
  name: string;
  temp: boolean;
  columns: { name: string; type?: ColumnType }[];
}

/**
 * The columns of a `CREATE [TEMP] TABLE t (...)`, typed as core/warehouse-spec.ts names them, so COPY can
 * check Parquet types and VARCHAR byte lengths (DuckDB keeps no VARCHAR length). Redshift's VARCHAR and
 * TEXT without a length hold 256 bytes; NUMERIC without one is NUMERIC(18,0).
 */
export function declaredTable(sql: string): DeclaredTable | undefined {
  let parsed: { stmts?: { stmt?: Json }[] };
  try {
    parsed = parseSync(sql);
  } catch {
    return undefined;
  }
  const create = (parsed.stmts?.[0]?.stmt as { CreateStmt?: Record<string, Json> } | undefined)?.CreateStmt;
  if (!create) return undefined;
  const rv = create.relation as RangeVar;
  if (!rv.relname) return undefined;
  const columns: DeclaredTable['columns'] = [];
  for (const element of (create.tableElts as { ColumnDef?: Record<string, Json> }[] | undefined) ?? []) {
    const def = element.ColumnDef;
    if (!def) continue;
    const typeName = def.typeName as { names?: { String: { sval: string } }[]; typmods?: Json[] };
    const base = typeName.names?.at(-1)?.String.sval.toLowerCase() ?? '';
    const mods = (typeName.typmods ?? []).map(
      (mod) => (mod as { A_Const?: { ival?: { ival?: number } } }).A_Const?.ival?.ival ?? 0,
    );
    const type = portableType(base, mods);
    columns.push({ name: String(def.colname), ...(type ? { type } : {}) });
  }
  return {
    ...(rv.schemaname ? { schema: rv.schemaname.toLowerCase() } : {}),
    name: rv.relname.toLowerCase(),
    temp: rv.relpersistence === 't',
    columns,
  };
}

function portableType(base: string, mods: number[]): ColumnType | undefined {
  switch (base) {
    case 'int8':
      return 'bigint';
    case 'int4':
    case 'int2':
      return 'integer';
    case 'varchar':
    case 'bpchar':
    case 'text':
      return `varchar(${mods[0] ?? 256})` as ColumnType;
    case 'bool':
      return 'boolean';
    case 'timestamp':
      return 'timestamp';
    case 'date':
      return 'date';
    case 'float8':
    case 'float4':
      return 'double';
    case 'numeric':
      return `decimal(${mods[0] ?? 18},${mods[1] ?? 0})` as ColumnType;
    default:
      return undefined;
  }
}
