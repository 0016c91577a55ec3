/**
 * Which tables a warehouse statement reads and writes, for the serializable-isolation check
 * (serializable-isolation.ts). The SQL is parsed with libpg-query, PostgreSQL's own parser: Redshift's
 * SQL is PostgreSQL 8 lineage, and the generated SQL (core/sql) sticks to the subset both share.
 * Redshift's COPY (IAM_ROLE, FORMAT AS PARQUET, MANIFEST) is not PostgreSQL syntax; copy-from-parquet.ts
 * parses it and reports its target itself.
 */
import { loadModule, parseSync } from 'libpg-query';

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
