import type { CapturedResource } from "./capture";
import type { DeploymentFacts } from "../../contracts/facts";
import { TYPE } from "../../contracts/facts";
import { WRITER_CANCEL_MINUTES, finalSyncTimeoutMinutes } from "../../components/workspace/plan";
import {
  FINAL_BACKUP_MINUTES,
  finalBackupRunMinutes,
  promotionRunMinutes,
} from "../../components/metastore/plan";
import { HOLD_TIMEOUT_SECONDS } from "../../components/sql/failover/hold";

/**
 * The expected duration of a planned switchover (issue 15), step by step, from the documented
 * figures and this config's own bounds. Not a measurement: `npm run status` and the drill measure.
 */

export interface RtoPart {
  readonly step: 1 | 2;
  /** A short name: "the drain". */
  readonly label: string;
  readonly work: string;
  /** What the documentation says it typically takes; null where it states no figure. */
  readonly expectedMinutes: number | null;
  /** What the deployment allows it before it fails; null where nothing bounds it. */
  readonly atMostMinutes: number | null;
  readonly basis: string;
}

export interface RtoEstimate {
  readonly parts: readonly RtoPart[];
  /** Step 1, then step 2 (its parts run at once); null when a part states no figure. */
  readonly expectedMinutes: number | null;
  /** The same of the bounds, without the parts nothing bounds but their size. */
  readonly atMostMinutes: number;
  /** Parts whose duration no document states. */
  readonly unstated: readonly string[];
  /** Parts nothing bounds but their own size: left out of both totals. */
  readonly unbounded: readonly string[];
}

/**
 * Customer-initiated failover of a failover group, planned or forced: "typically up to 60
 * seconds" (azure-docs, articles/reliability/reliability-sql-database.md).
 */
export const FAILOVER_GROUP_FAILOVER_MINUTES = 1;
/** A new Dataproc Metastore service: 30-60 minutes (components/metastore/plan.ts, promotionRun). */
export const METASTORE_CREATE_MINUTES = { expected: 30, atMost: 60 } as const;

const copyRunLimitMinutes = (job: CapturedResource): number | null => {
  const tasks = (job.inputs.tasks ?? []) as { timeoutSeconds?: unknown }[];
  const limits = tasks
    .map((t) => t.timeoutSeconds)
    .filter((s): s is number => typeof s === "number" && s > 0);
  return limits.length ? Math.max(...limits) / 60 : null;
};

/**
 * `drained`: the registrations and facts of the site that drains (step 1); `promoted`: those of
 * the site promoted (step 2). Each copy's final run is bounded by its own run limit; a scheduled
 * run still in flight runs first (the final run queues behind it). The failover groups are the
 * pair's (the primary's stack owns them all); only the secondary makes the tenants without a
 * replica, and the primary takes them back over their links while the secondary keeps them. The
 * promoted site's parts run at once.
 */
export function switchoverRto(
  drained: { resources: readonly CapturedResource[]; facts: DeploymentFacts },
  promoted: { resources: readonly CapturedResource[]; facts: DeploymentFacts },
): RtoEstimate {
  const activeFacts = drained.facts;
  const standbyFacts = promoted.facts;
  const copies = new Set(activeFacts.lakeCopies);
  const jobs = drained.resources.filter((r) => r.type === TYPE.databricksJob);
  const limits = jobs
    .filter((j) => copies.has(String(j.inputs.name)))
    .map(copyRunLimitMinutes)
    .filter((m): m is number => m !== null);
  const longest = limits.length ? Math.max(...limits) : 0;
  const groups = [...drained.resources, ...promoted.resources].filter(
    (r) => r.type === TYPE.sqlFailoverGroup,
  ).length;
  const ms = standbyFacts.metastore;
  const hot = ms.standby === "hot";
  const tenants = standbyFacts.site === "secondary" ? standbyFacts.sql.geoRestoredTenants : 0;
  // The switchback's links (components/sql/failover/replica.ts): the peer keeps geo-secondaries.
  const links =
    standbyFacts.site === "primary"
      ? promoted.resources.filter(
          (r) => r.type === TYPE.dynamicResource && typeof r.inputs.databaseId === "string",
        ).length
      : 0;
  const parts: RtoPart[] = [];
  if (copies.size)
    parts.push({
      step: 1,
      label: "the drain",
      work: `drain: ${jobs.length - copies.size} writers cancelled, then ${copies.size} copies run once more, at once`,
      expectedMinutes: null,
      atMostMinutes: finalSyncTimeoutMinutes(limits),
      basis: `the final sync's deadline: ${WRITER_CANCEL_MINUTES} min for the writers' runs to end, then the longest copy's run limit (${longest} min) twice, a scheduled run in flight going first`,
    });
  // Every active site has a metastore service: a planned drain always backs it up.
  const m = FINAL_BACKUP_MINUTES;
  parts.push({
    step: 1,
    label: "the final metastore backup",
    work: "metastore: the Hive cluster stopped by its fence, then one on-demand backup",
    expectedMinutes: null,
    atMostMinutes: finalBackupRunMinutes(),
    basis: `the final backup's deadline: ${m.stop} min for the cluster to stop, ${m.idle} for an update or scheduled backup in flight, ${m.backup} each for an earlier attempt's delete and the backup (the server's one-hour job limit, dataproc-metastore troubleshooting), + 5`,
  });
  if (groups)
    parts.push({
      step: 2,
      label: "the failovers",
      work: `${groups} failover groups fail over, planned, at once`,
      expectedMinutes: FAILOVER_GROUP_FAILOVER_MINUTES,
      atMostMinutes: HOLD_TIMEOUT_SECONDS / 60,
      basis: `customer-initiated failover: typically up to 60 s (azure-docs reliability-sql-database.md); each hold's limit ${HOLD_TIMEOUT_SECONDS / 60} min`,
    });
  const restoreBound = promotionRunMinutes(ms.restoreTimeoutMinutes, hot);
  parts.push({
    step: 2,
    label: "the metastore restore",
    work: hot
      ? "metastore: the hot standby's scheduled restores stopped, then one restore"
      : "metastore: a new service, then one restore",
    expectedMinutes: hot ? null : METASTORE_CREATE_MINUTES.expected,
    atMostMinutes: hot ? restoreBound : METASTORE_CREATE_MINUTES.atMost + restoreBound,
    basis: `the promotion run's deadline (${restoreBound} min: restore.timeoutMinutes ${ms.restoreTimeoutMinutes} × ${hot ? 3 : 2} + 5)${hot ? "" : "; a new service takes 30-60 min"}`,
  });
  if (tenants)
    parts.push({
      step: 2,
      label: "the tenant geo-secondaries",
      work: `${tenants} tenants without a replica geo-replicated from the drained site, 4 at a time per pool, each link then failed over planned`,
      expectedMinutes: null,
      atMostMinutes: null,
      basis:
        "seeding depends on the database's size, and a planned failover on the log still to synchronize; no figure is documented (sql-docs active-geo-replication-overview.md)",
    });
  if (links)
    parts.push({
      step: 2,
      label: "the tenant links",
      work: `${links} tenants without a replica failed back over their geo-replication links, planned`,
      expectedMinutes: null,
      atMostMinutes: null,
      basis:
        "a planned failover synchronizes the log not yet replicated first; no figure is documented (sql-docs active-geo-replication-overview.md)",
    });
  const stepSum = (pick: (p: RtoPart) => number | null) =>
    [1, 2]
      .map((step) => Math.max(0, ...parts.filter((p) => p.step === step).map((p) => pick(p) ?? 0)))
      .reduce((a, b) => a + b, 0);
  return {
    parts,
    expectedMinutes: parts.every((p) => p.expectedMinutes !== null)
      ? stepSum((p) => p.expectedMinutes)
      : null,
    atMostMinutes: stepSum((p) => p.atMostMinutes),
    unstated: parts.filter((p) => p.expectedMinutes === null).map((p) => p.label),
    unbounded: parts.filter((p) => p.atMostMinutes === null).map((p) => p.label),
  };
}
