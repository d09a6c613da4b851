import type { StackValidationPolicy } from "@pulumi/policy";
import { TYPE, findFacts } from "../contracts/facts";
import { ofType } from "./support";

/** The paid pools: `paid`, and `paid-02`... on fleets that need more (components/sql/placement.ts). */
const PAID_POOL = /\/elasticpools\/paid(-\d{2,})?$/i;
const DATABASE_ID = /\/servers\/([^/]+)\/databases\/([^/]+)$/i;

/**
 * azure-sql-paid-tenants-in-failover-groups
 *
 * Severity: critical. Topic: disaster recovery, RPO (paid SaaS tenants).
 *
 * Paid tenants are promised failover-group replication (RPO seconds); a paid-pool database left
 * out of every failover group would only come back by geo-restore, losing up to an hour. Every
 * database in the paid elastic pool, other than one this stack creates by restore (createMode),
 * is listed in some failover group of the stack (every paid pool: `paid`, `paid-02`, ...). A database matches a listed ARM id by server
 * and database name. While this stack's groups wait for the peer's server and pool (a first
 * deployment: facts.sql.awaitingPeer), the databases are not judged: the next deployment after
 * the peer's creates the groups, and the first-deployment runbook shows it converge.
 */
export const azureSqlPaidTenantsInFailoverGroups: StackValidationPolicy = {
  name: "azure-sql-paid-tenants-in-failover-groups",
  description: "Every database in the paid elastic pool is in a failover group.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, report) => {
    if ((findFacts(args.resources)?.sql.awaitingPeer.length ?? 0) > 0) return;
    const replicated = new Set<string>();
    for (const group of ofType(args.resources, TYPE.sqlFailoverGroup)) {
      for (const id of group.props.databases ?? []) {
        const m = DATABASE_ID.exec(String(id));
        if (m) replicated.add(key(m[1]!, m[2]!));
      }
    }
    for (const db of ofType(args.resources, TYPE.sqlDatabase)) {
      const poolId = db.props.elasticPoolId;
      if (typeof poolId !== "string" || !PAID_POOL.test(poolId)) continue;
      if (db.props.createMode != null) continue;
      // Outputs carry `name` and no serverName; the pool id names the server either way.
      const name: string = db.props.databaseName ?? db.props.name;
      const server: string =
        db.props.serverName ?? /\/servers\/([^/]+)\//i.exec(poolId)?.[1] ?? "unknown";
      if (!replicated.has(key(server, name))) {
        report(
          `Add paid-pool database '${db.name}' (${server}/${name}) to a failover group: it is in none`,
          db.urn,
        );
      }
    }
  },
};

function key(server: string, database: string): string {
  return `${server}/${database}`.toLowerCase();
}
