import {
  type Column,
  type DimensionSpec,
  type DimensionSpecInput,
  type LoadBatch,
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
import { dateLiteral, insertLedgerRowSql, ledgerGuard, ledgerTableName, timestampLiteral } from './ledger';
import { SCD2_STATS_COUNT_COLUMNS } from './scd2-stats';

/**
 * SCD2 merge of one batch of change records into a dimension, as statements that run in ONE
 * transaction (Redshift BatchExecuteStatement, a DuckDB transaction). Semantics (architecture rule 9):
 *
 * 1. Staging holds the batch's change rows. Rows without a business key, orderBy or a valid operation
 *    (I, U, D) are rejected (counted). Among changes of one key with the same orderBy only the one with
 *    the highest (sequence, operation, content hash) is kept: a version never lasts zero time.
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
 * Set-based: the applied changes of a key, preceded by its current row, form an event sequence; each
 * event's effect depends only on the event before it (an upsert leaves the key live with its hash, a
 * delete leaves it absent), so LAG decides which events are effective, and a running count of the
 * effective ones splits the sequence into islands: island 0 is the current row (plus no-ops that hit
 * it), island k >= 1 is the k-th new version (or tombstone) with the values of its last event.
 *
 * Every statement but the temp table's creation, its COPY and its DROP is guarded by NOT EXISTS on the
 * batch's ledger row, so a replay of a committed batch (same table, date, batch id) is a no-op.
 */
export interface Scd2MergeStatements {
  /** Creates the session's staging table (columns: see `stagingColumns`). */
  createStaging: string[];
  /** Fills it from the batch's Parquet files. Tests may replace this with their own INSERTs. */
  loadStaging: string[];
  /** Classifies, merges, records watermarks, statistics and the ledger row, drops the temp tables. */
  merge: string[];
}

export function scd2MergeStatements(
  specInput: DimensionSpecInput,
  batchInput: LoadBatch,
  dialect: Dialect,
): Scd2MergeStatements {
  const spec = parseDimensionSpec(specInput);
  const batch = parseLoadBatch(batchInput);
  return new Scd2MergeBuilder(spec, batch, dialect).build();
}

/** All statements of the merge, in order, for one transaction. */
export function scd2MergeSql(
  specInput: DimensionSpecInput,
  batchInput: LoadBatch,
  dialect: Dialect,
): string[] {
  const { createStaging, loadStaging, merge } = scd2MergeStatements(specInput, batchInput, dialect);
  return [...createStaging, ...loadStaging, ...merge];
}

class Scd2MergeBuilder {
  private readonly q: (name: string) => string;
  private readonly dimension: string;
  private readonly watermarks: string;
  private readonly temp: ReturnType<typeof tempTableNames>;
  private readonly guard: string;
  private readonly keys: Column[];
  private readonly attributes: Column[];
  private readonly batchId: string;

  constructor(
    private readonly spec: DimensionSpec,
    private readonly batch: LoadBatch,
    private readonly dialect: Dialect,
  ) {
    this.q = (name) => dialect.ident(name);
    this.dimension = qualified(dialect, spec.schema, spec.table);
    this.watermarks = qualified(dialect, spec.schema, watermarkTableName(spec));
    this.temp = tempTableNames(spec);
    this.guard = ledgerGuard(dialect, spec.schema, spec.table, batch);
    this.keys = businessKeyColumns(spec);
    this.attributes = attributeColumns(spec);
    this.batchId = dialect.literal(batch.batchId);
  }

  build(): Scd2MergeStatements {
    const staging = this.q(this.temp.staging);
    const columns = stagingColumns(this.spec);
    const columnList = columns
      .map((column) => `${this.q(column.name)} ${this.dialect.columnType(column.type)}`)
      .join(', ');
    return {
      createStaging: [`CREATE TEMP TABLE ${staging} (${columnList})`],
      loadStaging: [
        this.dialect.loadStagingSql(
          staging,
          columns,
          this.batch.sourceUri,
          this.guard,
          this.batch.manifestUri,
        ),
      ],
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
        insertLedgerRowSql(
          this.dialect,
          this.spec.schema,
          this.spec.table,
          this.batch,
          `SELECT COUNT(*) AS ${this.q('n')} FROM ${staging}`,
        ),
        ...[this.temp.versions, this.temp.events, this.temp.changes, this.temp.staging].map(
          (name) => `DROP TABLE ${this.q(name)}`,
        ),
      ],
    };
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
   * Valid, deduplicated changes with their kind: 'apply', 'replay' or 'late'. The version covering a
   * change's time (`h`, at most one: intervals do not overlap) only matters for changes that are not
   * newer than the watermark; its join condition must not mention `w`, or engines fall back to a
   * nested-loop join.
   */
  private classifyChanges(): string {
    const { q, spec } = this;
    const staging = q(this.temp.staging);
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
    )} FROM ${staging} s WHERE ${valid}`;
    const ranked = `SELECT v.*, ROW_NUMBER() OVER (PARTITION BY ${this.keyList('v')}, v.${q('_md_ts')} ORDER BY v.${q(
      '_md_seq',
    )} DESC NULLS LAST, v.${q('_md_op')} DESC, v.${q('_md_content_hash')} DESC) AS ${q('_md_rank')} FROM (${validChanges}) v`;
    const kind = `CASE WHEN w.${q('last_change_at')} IS NULL OR r.${q('_md_ts')} > w.${q('last_change_at')} THEN 'apply' WHEN (r.${q(
      '_md_op',
    )} = 'D' AND (h.${q('surrogate_key')} IS NULL OR h.${q('is_deleted')})) OR (r.${q('_md_op')} <> 'D' AND h.${q(
      'surrogate_key',
    )} IS NOT NULL AND NOT h.${q('is_deleted')} AND h.${q('row_hash')} = r.${q('_md_hash')}) THEN 'replay' ELSE 'late' END`;
    return `CREATE TEMP TABLE ${q(this.temp.changes)} AS SELECT ${this.keyList('r')}, ${this.attributeList('r')}, r.${q(
      '_md_ts',
    )}, r.${q('_md_seq')}, r.${q('_md_op')}, r.${q('_md_hash')}, ${kind} AS ${q('_md_kind')} FROM (${ranked}) r LEFT JOIN ${
      this.watermarks
    } w ON ${this.keysEqual('w', 'r')} LEFT JOIN ${this.dimension} h ON ${this.keysEqual('h', 'r')} AND h.${q(
      'valid_from',
    )} <= r.${q('_md_ts')} AND r.${q('_md_ts')} < h.${q('valid_to')} WHERE r.${q('_md_rank')} = 1 AND ${this.guard}`;
  }

  /** The current rows of touched keys followed by the applied changes, with effective flags and islands. */
  private buildEvents(): string {
    const { q } = this;
    const changes = q(this.temp.changes);
    const currentRows = `SELECT ${this.keyList('d')}, ${this.attributeList('d')}, d.${q('valid_from')} AS ${q(
      '_md_ts',
    )}, d.${q('is_deleted')} AS ${q('_md_is_delete')}, d.${q('row_hash')} AS ${q('_md_hash')}, TRUE AS ${q(
      '_md_is_prior',
    )} FROM ${this.dimension} d WHERE d.${q('is_current')} AND EXISTS (SELECT 1 FROM ${changes} c WHERE c.${q(
      '_md_kind',
    )} = 'apply' AND ${this.keysEqual('c', 'd')})`;
    const appliedChanges = `SELECT ${this.keyList('c')}, ${this.attributeList('c')}, c.${q('_md_ts')}, c.${q(
      '_md_op',
    )} = 'D', c.${q('_md_hash')}, FALSE FROM ${changes} c WHERE c.${q('_md_kind')} = 'apply'`;
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

  /** One row per island: its start, the values of its last event, the next island's start, the previous values. */
  private buildVersions(): string {
    const { q } = this;
    const island = `PARTITION BY ${this.keyList('e')}, e.${q('_md_island')}`;
    const perIsland = `SELECT e.*, ROW_NUMBER() OVER (${island} ORDER BY e.${q('_md_ts')} DESC) AS ${q(
      '_md_last',
    )}, MIN(e.${q('_md_ts')}) OVER (${island}) AS ${q('_md_island_ts')}, COUNT(*) OVER (${island}) AS ${q(
      '_md_events',
    )}, MAX(CASE WHEN e.${q('_md_is_prior')} THEN 1 ELSE 0 END) OVER (${island}) AS ${q('_md_has_prior')} FROM ${q(
      this.temp.events,
    )} e`;
    const sequence = `OVER (PARTITION BY ${this.keyList('y')} ORDER BY y.${q('_md_island')})`;
    const previousValues = this.attributes.map(
      (column, index) => `LAG(y.${q(column.name)}) ${sequence} AS ${q(`_md_prev_${index}`)}`,
    );
    return `CREATE TEMP TABLE ${q(this.temp.versions)} AS SELECT ${this.keyList('y')}, ${this.attributeList('y')}, y.${q(
      '_md_island',
    )}, y.${q('_md_island_ts')}, y.${q('_md_is_delete')}, y.${q('_md_has_prior')}, y.${q('_md_events')}, y.${q(
      '_md_hash',
    )}, LEAD(y.${q('_md_island_ts')}) ${sequence} AS ${q('_md_next_ts')}, ${[
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

  private insertStats(): string {
    const { q } = this;
    const staging = q(this.temp.staging);
    const changes = q(this.temp.changes);
    const versions = q(this.temp.versions);
    const validCondition = [
      ...this.keys.map((column) => `${q(column.name)} IS NOT NULL`),
      `${q(this.spec.orderBy)} IS NOT NULL`,
      `${q(this.spec.operationColumn)} IN ('I', 'U', 'D')`,
    ].join(' AND ');
    const countIf = (condition: string) => `COALESCE(SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END), 0)`;
    const typeOneUpdates =
      typeOneColumns(this.spec).length > 0
        ? `(SELECT COUNT(*) AS ${q('n')} FROM ${versions} v JOIN ${this.dimension} ${q(
            this.spec.table,
          )} ON ${this.typeOneTarget('v')})`
        : `(SELECT 0 AS ${q('n')})`;
    const closed = `(v.${q('_md_next_ts')} IS NOT NULL AND ((v.${q('_md_island')} = 0 AND v.${q(
      '_md_has_prior',
    )} = 1) OR (${this.insertedVersionsFilter('v')})))`;
    const values = [
      `staged.${q('n')}`,
      `staged.${q('n')} - valid.${q('n')}`,
      `valid.${q('n')} - classified.${q('n')}`,
      `classified.${q('replayed')}`,
      `classified.${q('late')}`,
      `events.${q('n')}`,
      `islands.${q('opened')}`,
      `islands.${q('closed')}`,
      `type_one.${q('n')}`,
    ];
    return `INSERT INTO ${qualified(this.dialect, this.spec.schema, SCD2_STATS_TABLE)} (${[
      'table_name',
      'logical_date',
      'batch_id',
      ...SCD2_STATS_COUNT_COLUMNS,
      'merged_at',
    ]
      .map(q)
      .join(
        ', ',
      )}) SELECT ${this.dialect.literal(ledgerTableName(this.spec.schema, this.spec.table))}, ${dateLiteral(
      this.dialect,
      this.batch.logicalDate,
    )}, ${this.batchId}, ${values.join(', ')}, ${this.dialect.currentUtcTimestamp()} FROM (SELECT COUNT(*) AS ${q(
      'n',
    )} FROM ${staging}) staged CROSS JOIN (SELECT COUNT(*) AS ${q('n')} FROM ${staging} WHERE ${validCondition}) valid CROSS JOIN (SELECT COUNT(*) AS ${q(
      'n',
    )}, ${countIf(`${q('_md_kind')} = 'replay'`)} AS ${q('replayed')}, ${countIf(`${q('_md_kind')} = 'late'`)} AS ${q(
      'late',
    )} FROM ${changes}) classified CROSS JOIN (SELECT COUNT(*) AS ${q('n')} FROM ${q(this.temp.events)} WHERE NOT ${q(
      '_md_is_prior',
    )} AND NOT ${q('_md_effective')}) events CROSS JOIN (SELECT ${countIf(this.insertedVersionsFilter('v'))} AS ${q(
      'opened',
    )}, ${countIf(closed)} AS ${q('closed')} FROM ${versions} v) islands CROSS JOIN ${typeOneUpdates} type_one WHERE ${
      this.guard
    }`;
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
    )} = ${this.batchId} FROM ${q(this.temp.versions)} v WHERE ${this.keysEqual(target, 'v')} AND ${target}.${q(
      'is_current',
    )} AND v.${q('_md_island')} = 0 AND v.${q('_md_next_ts')} IS NOT NULL AND ${this.guard}`;
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
      this.batchId,
      `CASE WHEN v.${q('_md_next_ts')} IS NULL THEN NULL ELSE ${this.batchId} END`,
    ];
    return `INSERT INTO ${this.dimension} (${columns.map(q).join(', ')}) SELECT ${select.join(', ')} FROM ${q(
      this.temp.versions,
    )} v WHERE ${this.insertedVersionsFilter('v')} AND ${this.guard}`;
  }

  private newestAppliedPerKey(): string {
    const { q } = this;
    return `SELECT ${this.keyList('c')}, MAX(c.${q('_md_ts')}) AS ${q('_md_ts')} FROM ${q(this.temp.changes)} c WHERE c.${q(
      '_md_kind',
    )} = 'apply' GROUP BY ${this.keyList('c')}`;
  }

  private advanceExistingWatermarks(): string {
    const { q } = this;
    const target = q(watermarkTableName(this.spec));
    return `UPDATE ${this.watermarks} SET ${q('last_change_at')} = m.${q('_md_ts')}, ${q('batch_id')} = ${
      this.batchId
    } FROM (${this.newestAppliedPerKey()}) m WHERE ${this.keysEqual(target, 'm')} AND ${this.guard}`;
  }

  private insertNewWatermarks(): string {
    const { q } = this;
    return `INSERT INTO ${this.watermarks} (${[...this.spec.businessKey, 'last_change_at', 'batch_id']
      .map(q)
      .join(
        ', ',
      )}) SELECT ${this.keyList('m')}, m.${q('_md_ts')}, ${this.batchId} FROM (${this.newestAppliedPerKey()}) m WHERE NOT EXISTS (SELECT 1 FROM ${
      this.watermarks
    } w WHERE ${this.keysEqual('w', 'm')}) AND ${this.guard}`;
  }

  /**
   * Copies late changes, once each (identified by key, orderBy, operation and sequence). The "not yet
   * copied" test is an anti-join (LEFT JOIN, then no match) rather than a correlated NOT EXISTS: the
   * sequence comparison must be NULL-safe, which on Redshift is an OR (no IS NOT DISTINCT FROM), and a
   * correlated subquery whose correlation is not a conjunction of equalities is a pattern Redshift's
   * decorrelation need not accept (docs: r_correlated_subqueries). A join condition may hold any
   * predicate. A match has a non-NULL business key (it equals the change's), so "no match" is exactly
   * the first key column being NULL; matched changes are dropped however many rows match, so no row is
   * multiplied.
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
    return `INSERT INTO ${late} (${[...columns.map((column) => column.name), 'batch_id'].map(q).join(', ')}) SELECT ${[
      ...columns.map((column) => valueOf(column.name)),
      this.batchId,
    ].join(', ')} FROM ${q(this.temp.changes)} c LEFT JOIN ${late} l ON ${sameChange} WHERE c.${q(
      '_md_kind',
    )} = 'late' AND l.${firstKey} IS NULL AND ${this.guard}`;
  }
}
