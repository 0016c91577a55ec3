import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type DuckDBConnection, ResultReturnType } from '@duckdb/node-api';
import { parseS3Uri } from '../../../core/lake-layout';
import type { RecordStore } from '../../runtime/record-store';
import type { StateFile } from '../../runtime/state-file';
import type { ServiceContext } from '../service-context';
import type { ResultStore } from './result-store';
import { encodeResult, type StatementResult } from './result-encoding';
import {
  SerializableIsolation,
  serializationViolationMessage,
  type TrackedTransaction,
} from './serializable-isolation';
import { dropTableStatements } from './drop-tables';
import { rewriteSql } from './sql-rewrite';
import { type StatementRecord, type StatementsState, warehouseOf } from './statement-record';
import { declaredTable, tableAccess } from './table-access';
import {
  CopyError,
  parseRedshiftCopy,
  type RedshiftCopy,
  runRedshiftCopy,
  type TargetColumn,
} from './copy-from-parquet';
import type { ColumnType } from '../../../core/warehouse-spec';
import { quoteLiteral } from '../../sources/sql-quote';
import type { Warehouse } from './warehouse';

interface ActiveStatement {
  record: StatementRecord;
  connection?: DuckDBConnection;
  transaction?: TrackedTransaction;
  /** Unqualified names of the temp tables this transaction created (session-local). */
  tempTables: Set<string>;
  /** Their declared columns (for COPY's checks). */
  tempColumns: Map<string, TargetColumn[]>;
  transactionOpen: boolean;
  /** A DuckDB call is running (a cancel interrupts it). */
  executing: boolean;
  /** Every sub-statement ran; the transaction waits for the scripted duration before COMMIT. */
  holding: boolean;
  cancelRequested: boolean;
}

/**
 * Runs statements CONCURRENTLY, each in its own session (DuckDB connection) and transaction, as a
 * Redshift workgroup does: SUBMITTED -> PICKED -> STARTED -> FINISHED | FAILED | ABORTED. A statement's
 * sub-statements run in ONE transaction (BEGIN ... COMMIT, ROLLBACK on any error); the transaction
 * stays open for the statement's scripted duration before it commits, so a cancel during that time rolls
 * everything back, and concurrent transactions overlap as they would on a busy cluster.
 *
 * Serializable isolation: DuckDB gives each transaction a snapshot; serializable-isolation.ts adds
 * Redshift's table-level check at COMMIT, so transactions that read and write the same table
 * concurrently end with `ERROR: 1023 ... Serializable isolation violation`. A write-write conflict
 * DuckDB detects itself (same rows, concurrent CREATE of one table) is reported the same way.
 */
export class StatementExecutor {
  private readonly active = new Map<string, ActiveStatement>();
  private readonly isolation = new Map<string, SerializableIsolation>();
  /** Columns of permanent tables as declared by CREATE TABLE (warehouse|schema.table). */
  private readonly declared = new Map<string, TargetColumn[]>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly state: StateFile<StatementsState>,
    private readonly records: RecordStore<StatementRecord>,
    private readonly warehouse: Warehouse,
    private readonly results: ResultStore,
  ) {}

  /** Serialization failures detected per warehouse (workgroup/cluster and database). */
  conflictCounts(): Record<string, number> {
    return Object.fromEntries([...this.isolation].map(([name, model]) => [name, model.conflicts]));
  }

  submit(record: StatementRecord): void {
    if (this.ctx.scheduler.isStopped || this.active.has(record.id)) return;
    const active: ActiveStatement = {
      record,
      tempTables: new Set(),
      tempColumns: new Map(),
      transactionOpen: false,
      executing: false,
      holding: false,
      cancelRequested: false,
    };
    this.active.set(record.id, active);
    const step = this.ctx.config.timing.transitionMs;
    this.ctx.scheduler.at(this.key(record), this.ctx.clock.now() + step, async () => {
      this.touch(record, 'PICKED');
      await this.records.save(record);
      // A CancelStatement during that save has ended the statement: it must not start.
      if (record.status !== 'PICKED') return;
      this.ctx.scheduler.at(this.key(record), this.ctx.clock.now() + step, () => this.execute(active));
    });
  }

  /** Cancels a statement that has not finished; returns false when it already had. */
  async cancel(record: StatementRecord): Promise<boolean> {
    const active = this.active.get(record.id);
    if (record.status === 'SUBMITTED' || record.status === 'PICKED') {
      this.ctx.scheduler.cancel(this.key(record));
      await this.end(record, 'ABORTED');
      if (active) await this.release(active);
      return true;
    }
    if (record.status !== 'STARTED' || !active) return false;
    active.cancelRequested = true;
    if (active.executing) active.connection?.interrupt();
    else if (active.holding) {
      active.holding = false;
      this.ctx.scheduler.cancel(this.key(record));
      await this.rollback(active);
      await this.end(record, 'ABORTED');
      await this.release(active);
    }
    return true;
  }

  /** After a restart: statements that had not finished run again from the start, in submission order. */
  resume(): void {
    for (const record of this.state.data.statements) {
      if (['SUBMITTED', 'PICKED', 'STARTED'].includes(record.status)) {
        resetToSubmitted(record);
        this.submit(record);
      }
    }
  }

  /** On stop (timers already stopped, in-flight SQL settled): roll back open transactions for a rerun. */
  async close(): Promise<void> {
    for (const active of [...this.active.values()]) {
      await this.rollback(active);
      resetToSubmitted(active.record);
      await this.records.save(active.record);
      await this.release(active);
    }
    const picked = this.state.data.statements.filter((record) => record.status === 'PICKED');
    for (const record of picked) resetToSubmitted(record);
    await Promise.all(picked.map((record) => this.records.save(record)));
  }

  private model(record: StatementRecord): SerializableIsolation {
    const name = warehouseOf(record);
    let model = this.isolation.get(name);
    if (!model) {
      model = new SerializableIsolation();
      this.isolation.set(name, model);
    }
    return model;
  }

  private async execute(active: ActiveStatement): Promise<void> {
    const { record } = active;
    if (this.active.get(record.id) !== active || record.status !== 'PICKED') return;
    this.touch(record, 'STARTED');
    record.startedAt = this.ctx.clock.now();
    await this.records.save(record);
    const configured = this.databasesOf(record);
    if (!configured.includes(record.database)) {
      return this.fail(active, `FATAL: database "${record.database}" does not exist`, 0);
    }
    try {
      active.connection = await this.warehouse.connect();
      await active.connection.run('BEGIN TRANSACTION');
      active.transactionOpen = true;
      active.transaction = this.model(record).begin(record.id);
    } catch (error) {
      return this.fail(active, `FATAL: cannot open the warehouse: ${message(error)}`, 0);
    }
    const parameters = new Map((record.parameters ?? []).map((p) => [p.name, p.value]));
    for (const [index, sub] of record.subs.entries()) {
      if (active.cancelRequested) break;
      sub.status = 'STARTED';
      sub.startedAt = this.ctx.clock.now();
      sub.updatedAt = sub.startedAt;
      let result: StatementResult | undefined;
      try {
        const copy = parseRedshiftCopy(sub.sql);
        if (copy) {
          const target = await this.copyTarget(active, copy);
          if (!target.temp) this.model(record).touch(active.transaction, { reads: [], writes: [target.key] });
          active.executing = true;
          sub.resultRows = await runRedshiftCopy(active.connection, copy, target.columns, this.ctx.lake);
          active.executing = false;
          sub.hasResultSet = false;
        } else {
          const rewritten = rewriteSql(
            sub.sql,
            this.ctx.lake.resolve,
            record.parameters ? (n) => parameters.get(n) : undefined,
          );
          const access = tableAccess(sub.sql, active.tempTables);
          for (const name of access.createsTemp) active.tempTables.add(name);
          this.model(record).touch(active.transaction, access);
          await this.prepareFolders(rewritten.s3Uris);
          active.executing = true;
          const [first, ...more] = dropTableStatements(rewritten.sql);
          let output = await active.connection.run(first!);
          for (const next of more) output = await active.connection.run(next);
          active.executing = false;
          this.rememberDeclared(active, sub.sql);
          sub.hasResultSet = output.returnType === ResultReturnType.QUERY_RESULT;
          if (sub.hasResultSet) {
            result = await encodeResult(output);
            sub.resultRows = result.records.length;
          } else {
            sub.resultRows = output.rowsChanged;
          }
        }
      } catch (error) {
        active.executing = false;
        if (active.cancelRequested) break;
        return this.fail(
          active,
          error instanceof CopyError ? error.message : engineError(error, active),
          index,
        );
      }
      if (result) sub.resultSize = await this.results.write(`${record.id}:${index + 1}`, result);
      sub.status = 'FINISHED';
      sub.endedAt = this.ctx.clock.now();
      sub.updatedAt = sub.endedAt;
    }
    if (active.cancelRequested) {
      await this.rollback(active);
      await this.end(record, 'ABORTED');
      return this.release(active);
    }
    active.holding = true;
    await this.records.save(record);
    this.ctx.scheduler.at(this.key(record), record.startedAt + record.runMs, () => this.commit(active));
  }

  /** Column types a CREATE TABLE declared (DuckDB forgets VARCHAR lengths; COPY checks them). */
  private rememberDeclared(active: ActiveStatement, sql: string): void {
    if (!/^\s*CREATE\b/i.test(sql)) return;
    const declared = declaredTable(sql);
    if (!declared) return;
    if (declared.temp) active.tempColumns.set(declared.name, declared.columns);
    else
      this.declared.set(
        `${warehouseOf(active.record)}|${declared.schema ?? 'public'}.${declared.name}`,
        declared.columns,
      );
  }

  /** The COPY target's columns: declared in this session (temp), declared earlier, else DuckDB's catalog. */
  private async copyTarget(
    active: ActiveStatement,
    copy: RedshiftCopy,
  ): Promise<{ key: string; temp: boolean; columns: TargetColumn[] }> {
    const { schema, name } = copy.tableName;
    const key = `${schema ?? 'public'}.${name}`;
    if (schema === undefined) {
      const temp = active.tempColumns.get(name);
      if (temp) return { key, temp: true, columns: temp };
    }
    const declared = this.declared.get(`${warehouseOf(active.record)}|${key}`);
    if (declared) return { key, temp: false, columns: declared };
    const reader = await active.connection!.runAndReadAll(
      `SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ${quoteLiteral(name)}` +
        (schema === undefined ? '' : ` AND schema_name = ${quoteLiteral(schema)}`) +
        ' ORDER BY column_index',
    );
    const rows = reader.getRowObjectsJson() as { column_name: string; data_type: string }[];
    const columns = rows.map((row) => ({ name: row.column_name, ...catalogType(row.data_type) }));
    if (columns.length === 0) throw new CopyError(`ERROR: relation "${key}" does not exist`);
    return { key, temp: schema === undefined && active.tempTables.has(name), columns };
  }

  /** Creates the folders of plain (glob-free) lake paths in existing buckets, as S3 needs no folders. */
  private async prepareFolders(uris: string[]): Promise<void> {
    for (const uri of uris.filter((u) => !/[*?[{]/.test(u))) {
      const { bucket } = parseS3Uri(uri);
      if (await this.ctx.lake.bucketExists(bucket))
        await mkdir(dirname(this.ctx.lake.resolve(uri)), { recursive: true });
    }
  }

  private async commit(active: ActiveStatement): Promise<void> {
    const { record } = active;
    if (!active.holding) return;
    active.holding = false;
    const last = record.subs.length - 1;
    if (record.scriptedFailure !== undefined) return this.fail(active, record.scriptedFailure, last);
    const conflict = this.model(record).commit(active.transaction!);
    if (conflict) return this.fail(active, serializationViolationMessage(conflict), last);
    try {
      await active.connection!.run('COMMIT');
      active.transactionOpen = false;
    } catch (error) {
      this.model(record).abort(active.transaction!);
      return this.fail(active, engineError(error, active), last);
    }
    await this.end(record, 'FINISHED');
    await this.release(active);
  }

  /** Rolls back and marks the failing sub-statement FAILED and the ones after it ABORTED. */
  private async fail(active: ActiveStatement, error: string, failedIndex: number): Promise<void> {
    await this.rollback(active);
    const { record } = active;
    const now = this.ctx.clock.now();
    record.subs.forEach((sub, index) => {
      if (index === failedIndex)
        Object.assign(sub, { status: 'FAILED', error, endedAt: now, updatedAt: now });
      else if (index > failedIndex) Object.assign(sub, { status: 'ABORTED', updatedAt: now });
    });
    record.error = error;
    await this.end(record, 'FAILED');
    await this.release(active);
  }

  private async rollback(active: ActiveStatement): Promise<void> {
    if (active.transaction) this.model(active.record).abort(active.transaction);
    if (!active.transactionOpen || !active.connection) return;
    active.transactionOpen = false;
    try {
      await active.connection.run('ROLLBACK');
    } catch (error) {
      this.ctx.log.warn({ err: error, statement: active.record.id }, 'rollback failed');
    }
  }

  private async end(record: StatementRecord, status: 'FINISHED' | 'FAILED' | 'ABORTED'): Promise<void> {
    this.touch(record, status);
    record.endedAt = record.updatedAt;
    if (status !== 'FINISHED') {
      for (const sub of record.subs) {
        if (sub.status === 'SUBMITTED' || sub.status === 'PICKED' || sub.status === 'STARTED') {
          Object.assign(sub, { status: 'ABORTED', updatedAt: record.updatedAt });
        }
      }
    }
    await this.records.save(record);
  }

  /** The session ends with its statement: its temp tables go with it, as on Redshift. */
  private async release(active: ActiveStatement): Promise<void> {
    if (this.active.get(active.record.id) === active) this.active.delete(active.record.id);
    const connection = active.connection;
    active.connection = undefined;
    if (connection) await this.warehouse.disconnect(connection);
  }

  private touch(record: StatementRecord, status: StatementRecord['status']): void {
    record.status = status;
    record.updatedAt = this.ctx.clock.now();
  }

  private databasesOf(record: StatementRecord): string[] {
    const { redshift } = this.ctx.config;
    if (record.workgroupName !== undefined)
      return redshift.workgroups.find((w) => w.name === record.workgroupName)?.databases ?? [];
    return redshift.clusters.find((c) => c.identifier === record.clusterIdentifier)?.databases ?? [];
  }

  private key(record: StatementRecord): string {
    return `redshift:${record.id}`;
  }
}

/** A DuckDB catalog type as a portable one (no VARCHAR length: DuckDB keeps none). */
function catalogType(type: string): { type?: ColumnType } {
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(type);
  if (decimal) return { type: `decimal(${decimal[1]},${decimal[2]})` as ColumnType };
  const known: Record<string, ColumnType> = {
    BIGINT: 'bigint',
    INTEGER: 'integer',
    VARCHAR: 'varchar',
    BOOLEAN: 'boolean',
    TIMESTAMP: 'timestamp',
    DATE: 'date',
    DOUBLE: 'double',
  };
  const portable = known[type];
  return portable ? { type: portable } : {};
}

/**
 * DuckDB's own transaction conflicts (concurrent changes to the same rows, two transactions creating
 * one table) are serialization failures: reported as Redshift reports them, so clients retry them.
 */
function engineError(error: unknown, active: ActiveStatement): string {
  const text = message(error).split('\n')[0]!;
  if (/TransactionContext Error|write-write conflict|Conflict on /i.test(text)) {
    const xid = active.transaction?.xid ?? 0;
    return `ERROR: 1023 DETAIL: Serializable isolation violation (transaction ${xid}): ${text}`;
  }
  return `ERROR: ${text}`;
}

function resetToSubmitted(record: StatementRecord): void {
  record.status = 'SUBMITTED';
  delete record.startedAt;
  delete record.error;
  for (const sub of record.subs) {
    sub.status = 'SUBMITTED';
    sub.resultRows = 0;
    sub.resultSize = 0;
    sub.hasResultSet = false;
    delete sub.startedAt;
    delete sub.endedAt;
    delete sub.error;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
