import type { Dialect } from './dialect';
import { duckdbDialect } from './duckdb';
import { redshiftDialect } from './redshift';

/** The environment's warehouse dialect: Redshift (COPY assumes `copyRoleArn`) or DuckDB. */
export function warehouseDialect(warehouse: {
  dialect: 'redshift' | 'duckdb';
  copyRoleArn: string;
}): Dialect {
  return warehouse.dialect === 'redshift'
    ? redshiftDialect({ iamRole: warehouse.copyRoleArn })
    : duckdbDialect();
}
