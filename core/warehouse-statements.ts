/**
 * The warehouse SQL of a stage, in the environment's dialect: the tables it needs (idempotent DDL)
 * followed by the merge or load itself, all of it one transaction (rules 8 and 9).
 */
import type { WarehouseBatch, WarehouseSql } from './plan';
import {
  createDimensionTablesSql,
  createFactTablesSql,
  type Dialect,
  duckdbDialect,
  factLoadSql,
  ledgerLookupSql,
  redshiftDialect,
  scd2MergeSql,
} from './sql';

function dialectOf(batch: WarehouseBatch): Dialect {
  return batch.dialect === 'redshift' ? redshiftDialect({ iamRole: batch.copyRoleArn }) : duckdbDialect();
}

export const warehouseSql: WarehouseSql = {
  scd2Statements(dimension, batch) {
    const dialect = dialectOf(batch);
    return [...createDimensionTablesSql(dimension, dialect), ...scd2MergeSql(dimension, batch, dialect)];
  },
  factLoadStatements(fact, batch) {
    const dialect = dialectOf(batch);
    return [...createFactTablesSql(fact, dialect), ...factLoadSql(fact, batch, dialect)];
  },
  ledgerLookup(table, batch) {
    return ledgerLookupSql(dialectOf(batch), table.schema, table.table, batch);
  },
};
