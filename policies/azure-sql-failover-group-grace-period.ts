import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPE } from "../contracts/facts";
import { resourceOfType, shown } from "./support";

export const DEFAULT_MIN_GRACE_PERIOD_MINUTES = 60;

export interface AzureSqlFailoverGroupGracePeriodConfig {
  /** The shortest grace period before an automatic failover may lose data. */
  minGracePeriodMinutes?: number;
}

/**
 * azure-sql-failover-group-grace-period
 *
 * Severity: high. Topic: disaster recovery, data loss (Azure SQL failover groups).
 *
 * With an Automatic read-write policy, Azure fails over with data loss once the grace period
 * has passed. A short grace period turns a transient outage into lost transactions and a
 * split between the sites, so it stays at or above a configurable minimum.
 */
export const azureSqlFailoverGroupGracePeriod: ResourceValidationPolicy = {
  name: "azure-sql-failover-group-grace-period",
  description:
    "Failover groups with automatic failover wait at least the minimum grace period before failing over with data loss.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: {
      minGracePeriodMinutes: {
        type: "integer",
        minimum: 1,
        default: DEFAULT_MIN_GRACE_PERIOD_MINUTES,
      },
    },
  },
  validateResource: resourceOfType(TYPE.sqlFailoverGroup, (group, args, report) => {
    const endpoint = group.readWriteEndpoint;
    if (endpoint?.failoverPolicy !== "Automatic") return;
    const min =
      args.getConfig<AzureSqlFailoverGroupGracePeriodConfig>().minGracePeriodMinutes ??
      DEFAULT_MIN_GRACE_PERIOD_MINUTES;
    const grace = endpoint.failoverWithDataLossGracePeriodMinutes;
    if (typeof grace !== "number" || grace < min) {
      report(
        `Set failoverWithDataLossGracePeriodMinutes to at least ${min} on failover group '${args.name}': it is ${shown(grace)}; change sql.failoverGroups.gracePeriodMinutes`,
      );
    }
  }),
};
