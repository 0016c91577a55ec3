import {
  type Column,
  type DimensionSpec,
  type DimensionSpecInput,
  type LoadBatch,
  WarehouseSpecError,
  parseDimensionSpec,
  parseLoadBatch,
} from '../warehouse-spec';
import { type Dialect, qualified } from './dialect';
import {
  OPEN_VALID_TO,
  SCD2_STATS_TABLE,
  attributeColumns,
  businessKeyColumns,
  lateChangesTableName,
  stagingColumns,
  tempTableNames,
  trackedColumns,
  typeOneColumns,
  watermarkTableName,
} from './dimension-layout';
import { hashColumns } from './hashing';
import { dateLiteral, ledgerTable, ledgerTableName, timestampLiteral } from './ledger';
import { SCD2_STATS_COUNT_COLUMNS } from './scd2-stats';

/**
 * SCD2 merge of the change records of one or more consecutive logical dates (the batch's members, in
 * date order) into a dimension, as statements that run in ONE transaction (Redshift
 * BatchExecuteStatement, a DuckDB transaction). Merging members d1..dn at once yields exactly the rows,
 * watermarks, late changes, statistics and ledger rows of merging them one by one in date order.
 * Semantics (architecture rule 9), per member in date order:
 *
 * 1. Staging holds the member's change rows. Rows without a business key, orderBy or a valid operation
 *    (I, U, D) are rejected (counted). Among changes of one key with the same orderBy in one member only
 *    the one with the highest (sequence, operation, content hash) is kept: a version never lasts zero time.
 * 2. Each key has a watermark: the orderBy of the newest change ever applied to it. A change newer
 *    than the watermark is applied. One that is not is never applied: if the history already shows it
 *    (an upsert whose tracked values are those of the version covering its time, a delete at a time no
 *    live version covers) it is a replay; otherwise it is late and follows the late-arriving policy.
 *    Hence re-applying any batch's changes, under any batch id, changes no dimension row.
 * 3. A key's applied changes run in orderBy order, starting from its current row. An upsert (I or U)
 *    opens a version unless the key is live with the same tracked values (a no-op: its type-1 columns
 *    overwrite those of the version it hits); a delete ends the live version (policy 'close') or also
 *    opens an is_deleted version (policy 'tombstone'); a delete of an absent key is a no-op; an upsert
 *    after a delete opens a new version (the key came back).
 * 4. Version intervals are half-open [valid_from, valid_to); each version ends where the next begins,
 *    except after a delete under 'close' (a gap until the key returns); the current one ends at
 *    OPEN_VALID_TO. At most one row per key is current.
 *
 * Several members at once: member i's watermark is the larger of the stored one and the newest valid
 * change of the key in members before i (every such change was applied, or was older than the
 * watermark then), a running maximum over the changes in (member, orderBy) order. So a member's applied
 * changes are newer than everything earlier members staged: the applied changes of all members, in
 * orderBy order, are the members' changes in date order, and one pass over them is the one-by-one
 * merge. A change that is not applied is older than the next member's first applied change, so the
 * version covering it is the same in the history this merge leaves as after its own member: replays
 * and late changes are told apart against that history.
 *
 * Set-based: the applied changes of a key, preceded by its current row, form an event sequence; each
 * event's effect depends only on the event before it (an upsert leaves the key live with its hash, a
 * delete leaves it absent), so LAG decides which events are effective, and a running count of the
 * effective ones splits the sequence into islands: island 0 is the current row (plus no-ops that hit
 * it), island k >= 1 is the k-th new version (or tombstone) with the values of its last event. A
 * version belongs to the member of its first event (batch_id) and is ended by the member of the next
 * island's first event (closed_batch_id); statistics are counted per member the same way.
 *
 * Ledger: each member has its own row (its batch id). The members temp table lists the members whose
 * row is not there yet; only their changes are merged, and every statement but the temp tables'
 * creation, their COPYs and their DROP is guarded by it being non-empty. A replay of a committed batch
 * is a no-op, and a member merged before (a rerun of its date) is neither applied nor counted twice.
 */
export interface Scd2MergeStatements {
  /** Creates the session's staging tables (one per member; columns: see `stagingColumns`) and members table. */
  createStaging: string[];
  /** Fills each member's staging table from its Parquet files. Tests may replace this with their own INSERTs. */
  loadStaging: string[];
  /** Classifies, merges, records watermarks, statistics and ledger rows, drops the temp tables. */
  merge: string[];
}

/** The batch: one member (a daily merge) or several consecutive dates in date order (a catch-up merge). */
export type Scd2MergeBatch = LoadBatch | readonly LoadBatch[];

export function scd2MergeStatements(
  specInput: DimensionSpecInput,
  batchInput: Scd2MergeBatch,
  dialect: Dialect,
): Scd2MergeStatements {
  const spec = parseDimensionSpec(specInput);
  const members = parseMembers(batchInput);
  return new Scd2MergeBuilder(spec, members, dialect).build();
}

/** All statements of the merge, in order, for one transaction. */
export function scd2MergeSql(
  specInput: DimensionSpecInput,
  batchInput: Scd2MergeBatch,
  dialect: Dialect,
): string[] {
  const { createStaging, loadStaging, merge } = scd2MergeStatements(specInput, batchInput, dialect);
  return [...createStaging, ...loadStaging, ...merge];
}

function parseMembers(batchInput: Scd2MergeBatch): LoadBatch[] {
  const inputs: readonly LoadBatch[] = 'logicalDate' in batchInput ? [batchInput] : batchInput;
  if (inputs.length === 0) {
    throw new WarehouseSpecError('invalid merge batch: it has no members; pass at least one load batch');
  }
  const members = inputs.map((input) => parseLoadBatch(input));
  members.forEach((member, index) => {
    const previous = members[index - 1];
    if (previous && previous.logicalDate >= member.logicalDate) {
      throw new WarehouseSpecError(
        `invalid merge batch: member ${index} (${member.logicalDate}) is not after member ${index - 1} ` +
          `(${previous.logicalDate}); list the members in date order, each date once`,
      );
    }
  });
  return members;
}

class Scd2MergeBuilder {
  private readonly q: (name: string) => string;
  private readonly dimension: string;
  private readonly watermarks: string;
  private readonly temp: ReturnType<typeof tempTableNames>;
  private readonly guard: string;
  private readonly keys: Column[];
  private readonly attributes: Column[];
  /** Member numbers 1..n, in date order. */
  private readonly memberNumbers: number[];

  constructor(
    private readonly spec: DimensionSpec,
    private readonly members: readonly LoadBatch[],
    private readonly dialect: Dialect,
  ) {
    this.q = (name) => dialect.ident(name);
    this.dimension = qualified(dialect, spec.schema, spec.table);
    this.watermarks = qualified(dialect, spec.schema, watermarkTableName(spec));
    this.temp = tempTableNames(spec);
    this.guard = `EXISTS (SELECT 1 FROM ${this.q(this.temp.members)})`;
    this.keys = businessKeyColumns(spec);
    this.attributes = attributeColumns(spec);
    this.memberNumbers = members.map((_, index) => index + 1);
  }

  build(): Scd2MergeStatements {
    const columns = stagingColumns(this.spec);
    const columnList = columns
      .map((column) => `${this.q(column.name)} ${this.dialect.columnType(column.type)}`)
      .join(', ');
    return {
      createStaging: [
        ...this.memberNumbers.map(
          (member) => `CREATE TEMP TABLE ${this.q(this.temp.staging(member))} (${columnList})`,
        ),
        this.createMembers(),
      ],
      loadStaging: this.members.map((batch, index) =>
        this.dialect.loadStagingSql(
          this.q(this.temp.staging(index + 1)),
          columns,
          batch.sourceUri,
          `EXISTS (SELECT 1 FROM ${this.q(this.temp.members)} WHERE ${this.q('_md_member')} = ${index + 1})`,
          batch.manifestUri,
        ),
      ),
      merge: [
        this.classifyChanges(),
        this.buildEvents(),
        this.buildVersions(),
        this.insertStats(),
        ...(typeOneColumns(this.spec).length > 0 ? [this.overwriteTypeOne()] : []),
        this.closeCurrentRows(),
        this.insertVersions(),
        this.advanceExistingWatermarks(),
        this.insertNewWatermarks(),
        ...(this.spec.lateArriving === 'quarantine' ? [this.quarantineLateChanges()] : []),
        this.insertLedgerRows(),
        ...this.dialect.dropTablesSql(
          [
            this.temp.versions,
            this.temp.events,
            this.temp.changes,
            this.temp.members,
            ...this.memberNumbers.map((member) => this.temp.staging(member)),
          ].map(this.q),
        ),
      ],
    };
  }

  /** The members whose ledger row is not there yet: (member number, logical date, batch id). */
  private createMembers(): string {
    const { q, dialect } = this;
    const listed = this.members
      .map(
        (batch, index) =>
          `SELECT ${index + 1} AS ${q('_md_member')}, ${dateLiteral(dialect, batch.logicalDate)} AS ${q(
            'logical_date',
          )}, CAST(${dialect.literal(batch.batchId)} AS VARCHAR(128)) AS ${q('batch_id')}`,
      )
      .join(' UNION ALL ');
    return `CREATE TEMP TABLE ${q(this.temp.members)} AS SELECT m.${q('_md_member')}, m.${q('logical_date')}, m.${q(
      'batch_id',
    )} FROM (${listed}) m WHERE NOT EXISTS (SELECT 1 FROM ${ledgerTable(dialect, this.spec.schema)} l WHERE l.${q(
      'table_name',
    )} = ${dialect.literal(ledgerTableName(this.spec.schema, this.spec.table))} AND l.${q('logical_date')} = m.${q(
      'logical_date',
    )} AND l.${q('batch_id')} = m.${q('batch_id')})`;
  }

  /** Every member's staged rows with its member number (`_md_member`). */
  private stagedRows(): string {
    const names = stagingColumns(this.spec)
      .map((column) => `s.${this.q(column.name)}`)
      .join(', ');
    return this.memberNumbers
      .map(
        (member) =>
          `SELECT ${member} AS ${this.q('_md_member')}, ${names} FROM ${this.q(this.temp.staging(member))} s`,
      )
      .join(' UNION ALL ');
  }

  /** The batch id of a member number (a version's opening or closing member, a watermark's last one). */
  private batchIdOf(memberExpression: string): string {
    const branches = this.members
      .map((batch, index) => `WHEN ${index + 1} THEN ${this.dialect.literal(batch.batchId)}`)
      .join(' ');
    return `CASE ${memberExpression} ${branches} END`;
  }

  /** `alias."k1", alias."k2"` */
  private keyList(alias: string): string {
    return this.keys.map((column) => `${alias}.${this.q(column.name)}`).join(', ');
  }

  private attributeList(alias: string): string {
    return this.attributes.map((column) => `${alias}.${this.q(column.name)}`).join(', ');
  }

  private keysEqual(left: string, right: string): string {
    return this.keys
      .map((column) => `${left}.${this.q(column.name)} = ${right}.${this.q(column.name)}`)
      .join(' AND ');
  }

  private trackedHash(alias: string): string {
    return hashColumns(this.dialect, trackedColumns(this.spec), (name) => `${alias}.${this.q(name)}`);
  }

  /**
   * Valid changes of the pending members, deduplicated per (key, member, orderBy), with their kind.
   * 'apply': newer than the key's watermark as member i sees it, the stored one and every valid change
   * of earlier members (`_md_before`: the newest change before it in (member, orderBy) order; changes
   * of the same member before it are older anyway). Otherwise 'replay' or 'late', told apart by the
   * state of the key at the change's time in the history this merge leaves: the last change applied in
   * this merge at or before that time (`_md_after` counts them; a delete leaves the key absent, an
   * upsert live with its tracked hash), or, when there is none, the stored version covering the time
   * (`h`, at most one: intervals do not overlap). Its join condition must not mention `w`, or engines
   * fall back to a nested-loop join.
   */
  private classifyChanges(): string {
    const { q, spec } = this;
    const valid = [
      ...this.keys.map((column) => `s.${q(column.name)} IS NOT NULL`),
      `s.${q(spec.orderBy)} IS NOT NULL`,
      `s.${q(spec.operationColumn)} IN ('I', 'U', 'D')`,
    ].join(' AND ');
    const contentHash = hashColumns(this.dialect, this.attributes, (name) => `s.${q(name)}`);
    const validChanges = `SELECT ${this.keyList('s')}, ${this.attributeList('s')}, CAST(s.${q(
      spec.orderBy,
    )} AS TIMESTAMP) AS ${q('_md_ts')}, s.${q(spec.sequenceColumn)} AS ${q('_md_seq')}, s.${q(
      spec.operationColumn,
    )} AS ${q('_md_op')}, ${this.trackedHash('s')} AS ${q('_md_hash')}, ${contentHash} AS ${q(
      '_md_content_hash',
    )}, s.${q('_md_member')} FROM (${this.stagedRows()}) s WHERE ${valid} AND s.${q('_md_member')} IN (SELECT ${q(
      '_md_member',
    )} FROM ${q(this.temp.members)})`;
    const ranked = `SELECT v.*, ROW_NUMBER() OVER (PARTITION BY ${this.keyList('v')}, v.${q('_md_member')}, v.${q(
      '_md_ts',
    )} ORDER BY v.${q('_md_seq')} DESC NULLS LAST, v.${q('_md_op')} DESC, v.${q('_md_content_hash')} DESC) AS ${q(
      '_md_rank',
    )} FROM (${validChanges}) v`;
    const kept = `SELECT r.*, MAX(r.${q('_md_ts')}) OVER (PARTITION BY ${this.keyList('r')} ORDER BY r.${q(
      '_md_member',
    )}, r.${q('_md_ts')} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ${q('_md_before')} FROM (${ranked}) r WHERE r.${q(
      '_md_rank',
    )} = 1`;
    const applied = `CASE WHEN (w.${q('last_change_at')} IS NULL OR k.${q('_md_ts')} > w.${q('last_change_at')}) AND (k.${q(
      '_md_before',
    )} IS NULL OR k.${q('_md_ts')} > k.${q('_md_before')}) THEN 1 ELSE 0 END`;
    const flagged = `SELECT k.*, ${applied} AS ${q('_md_applied')} FROM (${kept}) k LEFT JOIN ${
      this.watermarks
    } w ON ${this.keysEqual('w', 'k')}`;
    // At equal times the applied change comes first: it is part of the history at that time.
    const counted = `SELECT f.*, SUM(f.${q('_md_applied')}) OVER (PARTITION BY ${this.keyList('f')} ORDER BY f.${q(
      '_md_ts',
    )}, f.${q('_md_applied')} DESC, f.${q('_md_member')} ROWS UNBOUNDED PRECEDING) AS ${q('_md_after')} FROM (${flagged}) f`;
    const ofLastApplied = (column: string) =>
      `MAX(CASE WHEN g.${q('_md_applied')} = 1 THEN g.${q(column)} END) OVER (PARTITION BY ${this.keyList('g')}, g.${q(
        '_md_after',
      )})`;
    const stated = `SELECT g.*, ${ofLastApplied('_md_op')} AS ${q('_md_after_op')}, ${ofLastApplied('_md_hash')} AS ${q(
      '_md_after_hash',
    )} FROM (${counted}) g`;
    const shownByThisMerge = `(c.${q('_md_op')} = 'D' AND c.${q('_md_after_op')} = 'D') OR (c.${q('_md_op')} <> 'D' AND c.${q(
      '_md_after_op',
    )} <> 'D' AND c.${q('_md_after_hash')} = c.${q('_md_hash')})`;
    const shownByStoredRows = `(c.${q('_md_op')} = 'D' AND (h.${q('surrogate_key')} IS NULL OR h.${q(
      'is_deleted',
    )})) OR (c.${q('_md_op')} <> 'D' AND h.${q('surrogate_key')} IS NOT NULL AND NOT h.${q('is_deleted')} AND h.${q(
      'row_hash',
    )} = c.${q('_md_hash')})`;
    const kind = `CASE WHEN c.${q('_md_applied')} = 1 THEN 'apply' WHEN c.${q('_md_after')} > 0 THEN CASE WHEN ${shownByThisMerge} THEN 'replay' ELSE 'late' END WHEN ${shownByStoredRows} THEN 'replay' ELSE 'late' END`;
    return `CREATE TEMP TABLE ${q(this.temp.changes)} AS SELECT ${this.keyList('c')}, ${this.attributeList('c')}, c.${q(
      '_md_ts',
    )}, c.${q('_md_seq')}, c.${q('_md_op')}, c.${q('_md_hash')}, c.${q('_md_member')}, ${kind} AS ${q(
      '_md_kind',
    )} FROM (${stated}) c LEFT JOIN ${this.dimension} h ON ${this.keysEqual('h', 'c')} AND h.${q(
      'valid_from',
    )} <= c.${q('_md_ts')} AND c.${q('_md_ts')} < h.${q('valid_to')} WHERE ${this.guard}`;
  }

  /**
   * The current rows of touched keys (member 0) followed by the applied changes, with effective flags
   * and islands.
   */
  private buildEvents(): string {
    const { q } = this;
    const changes = q(this.temp.changes);
    const currentRows = `SELECT ${this.keyList('d')}, ${this.attributeList('d')}, d.${q('valid_from')} AS ${q(
      '_md_ts',
    )}, d.${q('is_deleted')} AS ${q('_md_is_delete')}, d.${q('row_hash')} AS ${q('_md_hash')}, TRUE AS ${q(
      '_md_is_prior',
    )}, 0 AS ${q('_md_member')} FROM ${this.dimension} d WHERE d.${q('is_current')} AND EXISTS (SELECT 1 FROM ${changes} c WHERE c.${q(
      '_md_kind',
    )} = 'apply' AND ${this.keysEqual('c', 'd')})`;
    const appliedChanges = `SELECT ${this.keyList('c')}, ${this.attributeList('c')}, c.${q('_md_ts')}, c.${q(
      '_md_op',
    )} = 'D', c.${q('_md_hash')}, FALSE, c.${q('_md_member')} FROM ${changes} c WHERE c.${q('_md_kind')} = 'apply'`;
    const previous = (column: string) =>
      `LAG(u.${q(column)}) OVER (PARTITION BY ${this.keyList('u')} ORDER BY u.${q('_md_ts')})`;
    const effective = `CASE WHEN u.${q('_md_is_prior')} THEN FALSE WHEN u.${q('_md_is_delete')} THEN COALESCE(NOT ${previous(
      '_md_is_delete',
    )}, FALSE) ELSE COALESCE(${previous('_md_is_delete')}, TRUE) OR ${previous('_md_hash')} <> u.${q('_md_hash')} END`;
    const flagged = `SELECT u.*, ${effective} AS ${q('_md_effective')} FROM (${currentRows} UNION ALL ${appliedChanges}) u`;
    return `CREATE TEMP TABLE ${q(this.temp.events)} AS SELECT x.*, SUM(CASE WHEN x.${q(
      '_md_effective',
    )} THEN 1 ELSE 0 END) OVER (PARTITION BY ${this.keyList('x')} ORDER BY x.${q(
      '_md_ts',
    )} ROWS UNBOUNDED PRECEDING) AS ${q('_md_island')} FROM (${flagged}) x WHERE ${this.guard}`;
  }

  /**
   * One row per island: its start, the values of its last event, the next island's start, the previous
   * values, the member of its first event (`_md_open_member`; 0 for the current row) and that of the
   * next island (`_md_next_member`). Applied changes of later members are newer, so the first event's
   * member is the island's smallest.
   */
  private buildVersions(): string {
    const { q } = this;
    const island = `PARTITION BY ${this.keyList('e')}, e.${q('_md_island')}`;
    const perIsland = `SELECT e.*, ROW_NUMBER() OVER (${island} ORDER BY e.${q('_md_ts')} DESC) AS ${q(
      '_md_last',
    )}, MIN(e.${q('_md_ts')}) OVER (${island}) AS ${q('_md_island_ts')}, COUNT(*) OVER (${island}) AS ${q(
      '_md_events',
    )}, MAX(CASE WHEN e.${q('_md_is_prior')} THEN 1 ELSE 0 END) OVER (${island}) AS ${q('_md_has_prior')}, MIN(e.${q(
      '_md_member',
    )}) OVER (${island}) AS ${q('_md_open_member')} FROM ${q(this.temp.events)} e`;
    const sequence = `OVER (PARTITION BY ${this.keyList('y')} ORDER BY y.${q('_md_island')})`;
    const previousValues = this.attributes.map(
      (column, index) => `LAG(y.${q(column.name)}) ${sequence} AS ${q(`_md_prev_${index}`)}`,
    );
    return `CREATE TEMP TABLE ${q(this.temp.versions)} AS SELECT ${this.keyList('y')}, ${this.attributeList('y')}, y.${q(
      '_md_island',
    )}, y.${q('_md_island_ts')}, y.${q('_md_is_delete')}, y.${q('_md_has_prior')}, y.${q('_md_events')}, y.${q(
      '_md_hash',
    )}, y.${q('_md_open_member')}, LEAD(y.${q('_md_island_ts')}) ${sequence} AS ${q('_md_next_ts')}, LEAD(y.${q(
      '_md_open_member',
    )}) ${sequence} AS ${q('_md_next_member')}, ${[
      ...previousValues,
      `LAG(y.${q('_md_hash')}) ${sequence} AS ${q('_md_prev_hash')}`,
    ].join(', ')} FROM (${perIsland}) y WHERE y.${q('_md_last')} = 1 AND ${this.guard}`;
  }

  /** Islands >= 1 become rows; delete islands only under the tombstone policy. */
  private insertedVersionsFilter(alias: string): string {
    const { q } = this;
    return `${alias}.${q('_md_island')} >= 1${
      this.spec.deletePolicy === 'close' ? ` AND NOT ${alias}.${q('_md_is_delete')}` : ''
    }`;
  }

  /** Island 0 of a key that has a current row and more events: the current row's type-1 values change. */
  private typeOneTarget(versionAlias: string): string {
    const { q } = this;
    const differs = typeOneColumns(this.spec)
      .map((column) =>
        this.dialect.nullSafeEqual(
          `${q(this.spec.table)}.${q(column.name)}`,
          `${versionAlias}.${q(column.name)}`,
        ),
      )
      .join(' AND ');
    return `${this.keysEqual(q(this.spec.table), versionAlias)} AND ${q(this.spec.table)}.${q(
      'is_current',
    )} AND ${versionAlias}.${q('_md_island')} = 0 AND ${versionAlias}.${q('_md_has_prior')} = 1 AND NOT ${versionAlias}.${q(
      '_md_is_delete',
    )} AND ${versionAlias}.${q('_md_events')} > 1 AND NOT (${differs})`;
  }

  /**
   * Type-1 overwrites per member: merged one by one, member i overwrites the current row's type-1
   * values when the live version current at its start has events in member i whose last one carries
   * other type-1 values than the version's last event before member i. Here: the last event of each
   * (island, member), compared with that of the island's previous member.
   */
  private typeOneUpdatesPerMember(): string {
    const { q } = this;
    const columns = typeOneColumns(this.spec);
    const perMember = `SELECT e.*, ROW_NUMBER() OVER (PARTITION BY ${this.keyList('e')}, e.${q('_md_island')}, e.${q(
      '_md_member',
    )} ORDER BY e.${q('_md_ts')} DESC) AS ${q('_md_last_of_member')} FROM ${q(this.temp.events)} e`;
    const sequence = `OVER (PARTITION BY ${this.keyList('g')}, g.${q('_md_island')} ORDER BY g.${q('_md_member')})`;
    const compared = `SELECT g.${q('_md_member')}, g.${q('_md_is_delete')}, ROW_NUMBER() ${sequence} AS ${q(
      '_md_group',
    )}, ${columns
      .map(
        (column, index) =>
          `g.${q(column.name)} AS ${q(`_md_t1_${index}`)}, LAG(g.${q(column.name)}) ${sequence} AS ${q(`_md_t1_prev_${index}`)}`,
      )
      .join(', ')} FROM (${perMember}) g WHERE g.${q('_md_last_of_member')} = 1`;
    const same = columns
      .map((_, index) =>
        this.dialect.nullSafeEqual(`t.${q(`_md_t1_${index}`)}`, `t.${q(`_md_t1_prev_${index}`)}`),
      )
      .join(' AND ');
    return `SELECT t.${q('_md_member')}, COUNT(*) AS ${q('n')} FROM (${compared}) t WHERE t.${q(
      '_md_group',
    )} > 1 AND NOT t.${q('_md_is_delete')} AND NOT (${same}) GROUP BY t.${q('_md_member')}`;
  }

  /** One statistics row per pending member (scd2-stats.ts). */
  private insertStats(): string {
    const { q } = this;
    const member = q('_md_member');
    const changes = q(this.temp.changes);
    const versions = q(this.temp.versions);
    const validCondition = [
      ...this.keys.map((column) => `${q(column.name)} IS NOT NULL`),
      `${q(this.spec.orderBy)} IS NOT NULL`,
      `${q(this.spec.operationColumn)} IN ('I', 'U', 'D')`,
    ].join(' AND ');
    const countIf = (condition: string) => `COALESCE(SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END), 0)`;
    const closed = `v.${q('_md_next_ts')} IS NOT NULL AND ((v.${q('_md_island')} = 0 AND v.${q(
      '_md_has_prior',
    )} = 1) OR (${this.insertedVersionsFilter('v')}))`;
    const count = (alias: string, column = 'n') => `COALESCE(${alias}.${q(column)}, 0)`;
    const values = [
      count('staged'),
      `${count('staged')} - ${count('staged', 'valid')}`,
      `${count('staged', 'valid')} - ${count('classified')}`,
      count('classified', 'replayed'),
      count('classified', 'late'),
      count('noop'),
      count('opened'),
      count('closed'),
      count('type_one'),
    ];
    const joined = (alias: string, query: string) =>
      `LEFT JOIN (${query}) ${alias} ON ${alias}.${member} = m.${member}`;
    const joins = [
      joined(
        'staged',
        `SELECT s.${member}, COUNT(*) AS ${q('n')}, ${countIf(validCondition)} AS ${q('valid')} FROM (${this.stagedRows()}) s GROUP BY s.${member}`,
      ),
      joined(
        'classified',
        `SELECT c.${member}, COUNT(*) AS ${q('n')}, ${countIf(`c.${q('_md_kind')} = 'replay'`)} AS ${q(
          'replayed',
        )}, ${countIf(`c.${q('_md_kind')} = 'late'`)} AS ${q('late')} FROM ${changes} c GROUP BY c.${member}`,
      ),
      joined(
        'noop',
        `SELECT e.${member}, COUNT(*) AS ${q('n')} FROM ${q(this.temp.events)} e WHERE NOT e.${q(
          '_md_is_prior',
        )} AND NOT e.${q('_md_effective')} GROUP BY e.${member}`,
      ),
      joined(
        'opened',
        `SELECT v.${q('_md_open_member')} AS ${member}, COUNT(*) AS ${q('n')} FROM ${versions} v WHERE ${this.insertedVersionsFilter(
          'v',
        )} GROUP BY v.${q('_md_open_member')}`,
      ),
      joined(
        'closed',
        `SELECT v.${q('_md_next_member')} AS ${member}, COUNT(*) AS ${q('n')} FROM ${versions} v WHERE ${closed} GROUP BY v.${q(
          '_md_next_member',
        )}`,
      ),
      ...(typeOneColumns(this.spec).length > 0 ? [joined('type_one', this.typeOneUpdatesPerMember())] : []),
    ];
    const typeOneJoined = typeOneColumns(this.spec).length > 0;
    return `INSERT INTO ${qualified(this.dialect, this.spec.schema, SCD2_STATS_TABLE)} (${[
      'table_name',
      'logical_date',
      'batch_id',
      ...SCD2_STATS_COUNT_COLUMNS,
      'merged_at',
    ]
      .map(q)
      .join(', ')}) SELECT ${this.dialect.literal(ledgerTableName(this.spec.schema, this.spec.table))}, m.${q(
      'logical_date',
    )}, m.${q('batch_id')}, ${(typeOneJoined ? values : [...values.slice(0, -1), '0']).join(
      ', ',
    )}, ${this.dialect.currentUtcTimestamp()} FROM ${q(this.temp.members)} m ${joins.join(' ')} WHERE ${this.guard}`;
  }

  private overwriteTypeOne(): string {
    const { q } = this;
    const assignments = typeOneColumns(this.spec)
      .map((column) => `${q(column.name)} = v.${q(column.name)}`)
      .join(', ');
    return `UPDATE ${this.dimension} SET ${assignments} FROM ${q(this.temp.versions)} v WHERE ${this.typeOneTarget(
      'v',
    )} AND ${this.guard}`;
  }

  private closeCurrentRows(): string {
    const { q } = this;
    const target = q(this.spec.table);
    return `UPDATE ${this.dimension} SET ${q('valid_to')} = v.${q('_md_next_ts')}, ${q('is_current')} = FALSE, ${q(
      'closed_batch_id',
    )} = ${this.batchIdOf(`v.${q('_md_next_member')}`)} FROM ${q(this.temp.versions)} v WHERE ${this.keysEqual(
      target,
      'v',
    )} AND ${target}.${q('is_current')} AND v.${q('_md_island')} = 0 AND v.${q('_md_next_ts')} IS NOT NULL AND ${this.guard}`;
  }

  private insertVersions(): string {
    const { q, dialect } = this;
    const keyTokens = hashColumns(dialect, this.keys, (name) => `v.${q(name)}`);
    const surrogateKey = `md5(${keyTokens} || '|' || ${dialect.textOf(`v.${q('_md_island_ts')}`, 'timestamp')})`;
    const values = this.attributes.map(
      (column, index) =>
        `CASE WHEN v.${q('_md_is_delete')} THEN v.${q(`_md_prev_${index}`)} ELSE v.${q(column.name)} END`,
    );
    const columns = [
      'surrogate_key',
      ...this.keys.map((column) => column.name),
      ...this.attributes.map((column) => column.name),
      'valid_from',
      'valid_to',
      'is_current',
      'is_deleted',
      'row_hash',
      'batch_id',
      'closed_batch_id',
    ];
    const select = [
      surrogateKey,
      this.keyList('v'),
      ...values,
      `v.${q('_md_island_ts')}`,
      `COALESCE(v.${q('_md_next_ts')}, ${timestampLiteral(dialect, OPEN_VALID_TO)})`,
      `v.${q('_md_next_ts')} IS NULL`,
      `v.${q('_md_is_delete')}`,
      `CASE WHEN v.${q('_md_is_delete')} THEN v.${q('_md_prev_hash')} ELSE v.${q('_md_hash')} END`,
      this.batchIdOf(`v.${q('_md_open_member')}`),
      `CASE WHEN v.${q('_md_next_ts')} IS NULL THEN NULL ELSE ${this.batchIdOf(`v.${q('_md_next_member')}`)} END`,
    ];
    return `INSERT INTO ${this.dimension} (${columns.map(q).join(', ')}) SELECT ${select.join(', ')} FROM ${q(
      this.temp.versions,
    )} v WHERE ${this.insertedVersionsFilter('v')} AND ${this.guard}`;
  }

  /** Per key: the newest applied change and its member (later members' applied changes are newer). */
  private newestAppliedPerKey(): string {
    const { q } = this;
    return `SELECT ${this.keyList('c')}, MAX(c.${q('_md_ts')}) AS ${q('_md_ts')}, MAX(c.${q('_md_member')}) AS ${q(
      '_md_member',
    )} FROM ${q(this.temp.changes)} c WHERE c.${q('_md_kind')} = 'apply' GROUP BY ${this.keyList('c')}`;
  }

  private advanceExistingWatermarks(): string {
    const { q } = this;
    const target = q(watermarkTableName(this.spec));
    return `UPDATE ${this.watermarks} SET ${q('last_change_at')} = m.${q('_md_ts')}, ${q('batch_id')} = ${this.batchIdOf(
      `m.${q('_md_member')}`,
    )} FROM (${this.newestAppliedPerKey()}) m WHERE ${this.keysEqual(target, 'm')} AND ${this.guard}`;
  }

  private insertNewWatermarks(): string {
    const { q } = this;
    return `INSERT INTO ${this.watermarks} (${[...this.spec.businessKey, 'last_change_at', 'batch_id']
      .map(q)
      .join(', ')}) SELECT ${this.keyList('m')}, m.${q('_md_ts')}, ${this.batchIdOf(
      `m.${q('_md_member')}`,
    )} FROM (${this.newestAppliedPerKey()}) m WHERE NOT EXISTS (SELECT 1 FROM ${
      this.watermarks
    } w WHERE ${this.keysEqual('w', 'm')}) AND ${this.guard}`;
  }

  /**
   * Copies late changes, once each (identified by key, orderBy, operation and sequence): the first
   * member's copy when several members hold the same change, and none that an earlier merge copied.
   * The "not yet copied" test is an anti-join (LEFT JOIN, then no match) rather than a correlated NOT
   * EXISTS: the sequence comparison must be NULL-safe, which on Redshift is an OR (no IS NOT DISTINCT
   * FROM), and a correlated subquery whose correlation is not a conjunction of equalities is a pattern
   * Redshift's decorrelation need not accept (docs: r_correlated_subqueries). A join condition may hold
   * any predicate. A match has a non-NULL business key (it equals the change's), so "no match" is
   * exactly the first key column being NULL; matched changes are dropped however many rows match, so no
   * row is multiplied.
   */
  private quarantineLateChanges(): string {
    const { q, spec } = this;
    const late = qualified(this.dialect, spec.schema, lateChangesTableName(spec));
    const columns = stagingColumns(spec);
    const valueOf = (name: string) => {
      if (name === spec.operationColumn) return `c.${q('_md_op')}`;
      if (name === spec.sequenceColumn) return `c.${q('_md_seq')}`;
      if (name === spec.orderBy) return `c.${q('_md_ts')}`;
      return `c.${q(name)}`;
    };
    const sameChange = [
      this.keysEqual('l', 'c'),
      `l.${q(spec.orderBy)} = c.${q('_md_ts')}`,
      `l.${q(spec.operationColumn)} = c.${q('_md_op')}`,
      this.dialect.nullSafeEqual(`l.${q(spec.sequenceColumn)}`, `c.${q('_md_seq')}`),
    ].join(' AND ');
    const firstKey = q(spec.businessKey[0]!);
    const firstCopies = `SELECT f.*, ROW_NUMBER() OVER (PARTITION BY ${this.keyList('f')}, f.${q('_md_ts')}, f.${q(
      '_md_op',
    )}, f.${q('_md_seq')} ORDER BY f.${q('_md_member')}) AS ${q('_md_copy')} FROM ${q(this.temp.changes)} f WHERE f.${q(
      '_md_kind',
    )} = 'late'`;
    return `INSERT INTO ${late} (${[...columns.map((column) => column.name), 'batch_id'].map(q).join(', ')}) SELECT ${[
      ...columns.map((column) => valueOf(column.name)),
      this.batchIdOf(`c.${q('_md_member')}`),
    ].join(', ')} FROM (${firstCopies}) c LEFT JOIN ${late} l ON ${sameChange} WHERE c.${q(
      '_md_copy',
    )} = 1 AND l.${firstKey} IS NULL AND ${this.guard}`;
  }

  /** One ledger row per pending member: its rows are the member's staged rows. */
  private insertLedgerRows(): string {
    const { q, dialect } = this;
    const member = q('_md_member');
    return `INSERT INTO ${ledgerTable(dialect, this.spec.schema)} (${q('table_name')}, ${q('logical_date')}, ${q(
      'batch_id',
    )}, ${q('rows')}, ${q('loaded_at')}) SELECT ${dialect.literal(ledgerTableName(this.spec.schema, this.spec.table))}, m.${q(
      'logical_date',
    )}, m.${q('batch_id')}, COALESCE(staged.${q('n')}, 0), ${dialect.currentUtcTimestamp()} FROM ${q(
      this.temp.members,
    )} m LEFT JOIN (SELECT s.${member}, COUNT(*) AS ${q('n')} FROM (${this.stagedRows()}) s GROUP BY s.${member}) staged ON staged.${member} = m.${member} WHERE ${this.guard}`;
  }
}
