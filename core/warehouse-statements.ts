/**
 * The warehouse SQL of a stage, in the environment's dialect: the tables it needs (idempotent DDL)
 * followed by the merge or load itself, all of it one transaction (rules 8 and 9).
 */
import type { WarehouseBatch, WarehouseSql } from './plan';
import {
  createDimensionTablesSql,
  createFactTablesSql,
  type Dialect,
  factLoadSql,
  ledgerLookupAllSql,
  ledgerLookupSql,
  scd2MergeSql,
} from './sql';
import { warehouseDialect } from './sql/warehouse-dialect';

function dialectOf(batch: WarehouseBatch): Dialect {
  return warehouseDialect(batch);
}

export const warehouseSql: WarehouseSql = {
  scd2Statements(dimension, batches) {
    const members: readonly WarehouseBatch[] = 'logicalDate' in batches ? [batches] : batches;
    const dialect = dialectOf(members[0]!);
    return [...createDimensionTablesSql(dimension, dialect), ...scd2MergeSql(dimension, members, dialect)];
  },
  factLoadStatements(fact, batch) {
    const dialect = dialectOf(batch);
    return [...createFactTablesSql(fact, dialect), ...factLoadSql(fact, batch, dialect)];
  },
  ledgerLookup(table, batch) {
    return ledgerLookupSql(dialectOf(batch), table.schema, table.table, batch);
  },
  ledgerLookupAll(table, batches) {
    return ledgerLookupAllSql(dialectOf(batches[0]!), table.schema, table.table, batches);
  },
};
