/**
 * Azure SQL limits this program plans within, each with its source. Dependency-free: the policy
 * pack reads them too.
 */

/**
 * Azure geo-restores at most this many databases at once into one elastic pool; more requests
 * queue behind them (DESIGN, facts checked against MicrosoftDocs/sql-docs recovery-using-backups.md).
 */
export const GEO_RESTORES_PER_POOL = 4;
