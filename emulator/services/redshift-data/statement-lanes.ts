import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type DuckDBConnection, ResultReturnType } from '@duckdb/node-api';
import { parseS3Uri } from '../../../core/lake-layout';
import type { RecordStore } from '../../runtime/record-store';
import type { StateFile } from '../../runtime/state-file';
import type { ServiceContext } from '../service-context';
import type { ResultStore } from './result-store';
import { encodeResult, type StatementResult } from './result-encoding';
import { laneOf, type StatementRecord, type StatementsState } from './statement-record';
import { rewriteSql } from './sql-rewrite';
import type { Warehouse } from './warehouse';

interface ActiveStatement {
  record: StatementRecord;
  connection?: DuckDBConnection;
  transactionOpen: boolean;
  /** A DuckDB call is running (a cancel interrupts it). */
  executing: boolean;
  /** Every sub-statement ran; the transaction waits for the scripted duration before COMMIT. */
  holding: boolean;
  cancelRequested: boolean;
}

interface Lane {
  queue: string[];
  active?: ActiveStatement;
}

/**
 * Runs statements on their database's serial lane: SUBMITTED -> PICKED -> STARTED -> FINISHED | FAILED |
 * ABORTED. A statement's sub-statements run in ONE transaction (BEGIN ... COMMIT, ROLLBACK on any
 * error); the transaction stays open for the statement's scripted duration before it commits, so a
 * cancel during that time rolls everything back, as on Redshift.
 */
export class StatementLanes {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly state: StateFile<StatementsState>,
    private readonly records: RecordStore<StatementRecord>,
    private readonly warehouse: Warehouse,
    private readonly results: ResultStore,
  ) {}

  submit(record: StatementRecord): void {
    this.lane(laneOf(record)).queue.push(record.id);
    this.pump(laneOf(record));
  }

  /** Cancels a statement that has not finished; returns false when it already had. */
  async cancel(record: StatementRecord): Promise<boolean> {
    const lane = this.lane(laneOf(record));
    const active = lane.active?.record === record ? lane.active : undefined;
    if (record.status === 'SUBMITTED' || record.status === 'PICKED') {
      lane.queue = lane.queue.filter((id) => id !== record.id);
      this.ctx.scheduler.cancel(this.key(record));
      await this.end(record, 'ABORTED');
      if (active) this.release(lane, record);
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
      this.release(lane, record);
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
    for (const lane of this.lanes.values()) {
      if (!lane.active) continue;
      await this.rollback(lane.active);
      resetToSubmitted(lane.active.record);
      await this.records.save(lane.active.record);
      lane.active = undefined;
    }
    const picked = this.state.data.statements.filter((record) => record.status === 'PICKED');
    for (const record of picked) resetToSubmitted(record);
    await Promise.all(picked.map((record) => this.records.save(record)));
  }

  private pump(laneName: string): void {
    const lane = this.lane(laneName);
    if (lane.active || this.ctx.scheduler.isStopped) return;
    const id = lane.queue.shift();
    if (id === undefined) return;
    const record = this.state.data.statements.find((s) => s.id === id);
    if (!record || record.status !== 'SUBMITTED') return this.pump(laneName);
    lane.active = {
      record,
      transactionOpen: false,
      executing: false,
      holding: false,
      cancelRequested: false,
    };
    const step = this.ctx.config.timing.transitionMs;
    this.ctx.scheduler.at(this.key(record), this.ctx.clock.now() + step, async () => {
      this.touch(record, 'PICKED');
      await this.records.save(record);
      this.ctx.scheduler.at(this.key(record), this.ctx.clock.now() + step, () =>
        this.execute(lane, lane.active!),
      );
    });
  }

  private async execute(lane: Lane, active: ActiveStatement): Promise<void> {
    const { record } = active;
    this.touch(record, 'STARTED');
    record.startedAt = this.ctx.clock.now();
    await this.records.save(record);
    const configured = this.databasesOf(record);
    if (!configured.includes(record.database)) {
      return this.fail(lane, active, `FATAL: database "${record.database}" does not exist`, 0);
    }
    try {
      active.connection = await this.warehouse.connection(record.database);
      await active.connection.run('BEGIN TRANSACTION');
      active.transactionOpen = true;
    } catch (error) {
      return this.fail(lane, active, `FATAL: cannot open the warehouse: ${message(error)}`, 0);
    }
    const parameters = new Map((record.parameters ?? []).map((p) => [p.name, p.value]));
    for (const [index, sub] of record.subs.entries()) {
      if (active.cancelRequested) break;
      sub.status = 'STARTED';
      sub.startedAt = this.ctx.clock.now();
      sub.updatedAt = sub.startedAt;
      let result: StatementResult | undefined;
      try {
        const rewritten = rewriteSql(
          sub.sql,
          this.ctx.lake.resolve,
          record.parameters ? (n) => parameters.get(n) : undefined,
        );
        await this.prepareFolders(rewritten.s3Uris);
        active.executing = true;
        const output = await active.connection.run(rewritten.sql);
        active.executing = false;
        sub.hasResultSet = output.returnType === ResultReturnType.QUERY_RESULT;
        if (sub.hasResultSet) {
          result = await encodeResult(output);
          sub.resultRows = result.records.length;
        } else {
          sub.resultRows = output.rowsChanged;
        }
      } catch (error) {
        active.executing = false;
        if (active.cancelRequested) break;
        return this.fail(lane, active, `ERROR: ${message(error).split('\n')[0]}`, index);
      }
      if (result) sub.resultSize = await this.results.write(`${record.id}:${index + 1}`, result);
      sub.status = 'FINISHED';
      sub.endedAt = this.ctx.clock.now();
      sub.updatedAt = sub.endedAt;
    }
    if (active.cancelRequested) {
      await this.rollback(active);
      await this.end(record, 'ABORTED');
      return this.release(lane, record);
    }
    active.holding = true;
    await this.records.save(record);
    this.ctx.scheduler.at(this.key(record), record.startedAt + record.runMs, () => this.commit(lane, active));
  }

  /** Creates the folders of plain (glob-free) lake paths in existing buckets, as S3 needs no folders. */
  private async prepareFolders(uris: string[]): Promise<void> {
    for (const uri of uris.filter((u) => !/[*?[{]/.test(u))) {
      const { bucket } = parseS3Uri(uri);
      if (await this.ctx.lake.bucketExists(bucket))
        await mkdir(dirname(this.ctx.lake.resolve(uri)), { recursive: true });
    }
  }

  private async commit(lane: Lane, active: ActiveStatement): Promise<void> {
    const { record } = active;
    if (!active.holding) return;
    active.holding = false;
    if (record.scriptedFailure !== undefined)
      return this.fail(lane, active, record.scriptedFailure, record.subs.length - 1);
    try {
      await active.connection!.run('COMMIT');
      active.transactionOpen = false;
    } catch (error) {
      return this.fail(lane, active, `ERROR: ${message(error).split('\n')[0]}`, record.subs.length - 1);
    }
    await this.end(record, 'FINISHED');
    this.release(lane, record);
  }

  /** Rolls back and marks the failing sub-statement FAILED and the ones after it ABORTED. */
  private async fail(lane: Lane, active: ActiveStatement, error: string, failedIndex: number): Promise<void> {
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
    this.release(lane, record);
  }

  private async rollback(active: ActiveStatement): Promise<void> {
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

  private release(lane: Lane, record: StatementRecord): void {
    if (lane.active?.record === record) lane.active = undefined;
    this.pump(laneOf(record));
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

  private lane(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = { queue: [] };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  private key(record: StatementRecord): string {
    return `redshift:${record.id}`;
  }
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
