/**
 * Azure SQL limits this program plans within, each with its source. Dependency-free: the policy
 * pack reads them too.
 */

/**
 * Azure geo-restores at most this many databases at once into one elastic pool; more requests
 * queue behind them (DESIGN, facts checked against MicrosoftDocs/sql-docs recovery-using-backups.md).
 */
export const GEO_RESTORES_PER_POOL = 4;

/**
 * Most databases one logical server holds, geo-secondaries included
 * (MicrosoftDocs/sql-docs azure-sql/database/resource-limits-logical-server.md).
 */
export const DATABASES_PER_SERVER = 5000;

/**
 * Most databases one General Purpose Gen5 elastic pool holds, by its vCores: 100 at 2, 200 at 4,
 * 500 from 6 up ("Max number DBs per pool", sql-docs resource-limits-vcore-elastic-pools.md).
 */
export function databasesPerPool(vcores: number): number {
  return vcores <= 2 ? 100 : vcores <= 4 ? 200 : 500;
}
