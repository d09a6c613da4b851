import { GCS_DEFAULT_RPO_MINUTES, GCS_TURBO_RPO_MINUTES } from "../../policies/rpo";
import type { BucketReplication } from "./gcs";
import type { TableLag } from "./lake";
import type { BackupMarker, RestoreRun } from "./metastore";
import type { GeoRestoreExposure, GroupState, LinkState } from "./sql";

/**
 * The status verdict (issue 14): per data class, what a failover now would lose against the
 * class's target, what is not yet replicated, and which sources could not be read. Pure.
 */

export type StatusClass = "lake" | "metastore" | "sql" | "sql-geo-restore" | "gcs";

export interface ClassStatus {
  readonly dataClass: StatusClass;
  readonly targetMinutes: number;
  /** What a failover now would lose, in minutes; null when a source could not be read. */
  readonly lossMinutes: number | null;
  /** What is not replicated now: tables, groups, databases, by name. */
  readonly unsynced: readonly string[];
  /** Sources that could not be read, each with why. */
  readonly errors: readonly string[];
}

export type Verdict = "ok" | "over" | "unknown";

/**
 * Over when the loss exceeds the target, even when a source could not be read (what was read is
 * a lower bound); unknown when a source could not be read and what was read is within it.
 */
export function verdict(c: ClassStatus): Verdict {
  if (c.lossMinutes !== null && c.lossMinutes > c.targetMinutes) return "over";
  if (c.errors.length > 0 || c.lossMinutes === null) return "unknown";
  return "ok";
}

/**
 * The command's exit status: 1 when a source could not be read, 4 when a class is over its
 * target or, with `requireSynced` (a planned switchover), when anything is unsynced, else 0.
 */
export function exitStatus(
  classes: readonly ClassStatus[],
  options: { readonly requireSynced: boolean },
): 0 | 1 | 4 {
  if (classes.some((c) => verdict(c) === "unknown")) return 1;
  if (classes.some((c) => verdict(c) === "over")) return 4;
  if (options.requireSynced && classes.some((c) => c.unsynced.length > 0)) return 4;
  return 0;
}

/**
 * The lake: the worst table's lag. A table never cloned, or whose copy's time is unknown, loses
 * everything it holds: its loss is unbounded, so the class is over. Tables that jobs write and
 * nothing replicates are unsynced by design (scratch tables), and listed as not protected.
 */
export function lakeStatus(
  lags: readonly TableLag[],
  targetMinutes: number,
  errors: readonly string[] = [],
): ClassStatus {
  const unsynced = lags.filter((l) => !l.synced).map((l) => l.table);
  const unbounded = lags.some((l) => !l.synced && l.minutesBehind === null);
  return {
    dataClass: "lake",
    targetMinutes,
    lossMinutes: unbounded
      ? Number.POSITIVE_INFINITY
      : Math.max(0, ...lags.map((l) => l.minutesBehind ?? 0)),
    unsynced,
    errors,
  };
}

/**
 * SQL failover groups: Azure replicates asynchronously and ARM reports no lag (only T-SQL's
 * sys.dm_geo_replication_link_status does), so the loss is Azure's stated 5 seconds while every
 * link catches up (a planned failover synchronizes first: not unsynced); a group or link that is
 * not CATCH_UP (PENDING, SEEDING, SUSPENDED) is unsynced, and its loss unbounded.
 */
export function sqlStatus(
  groups: readonly GroupState[],
  links: readonly LinkState[],
  targetMinutes: number,
  statedRpoMinutes: number,
  errors: readonly string[] = [],
): ClassStatus {
  const unsynced = [
    ...groups.filter((g) => g.replicationState !== "CATCH_UP").map((g) => g.group),
    ...links.filter((l) => l.replicationState !== "CATCH_UP").map((l) => l.database),
  ];
  return {
    dataClass: "sql",
    targetMinutes,
    lossMinutes: unsynced.length ? Number.POSITIVE_INFINITY : statedRpoMinutes,
    unsynced,
    errors,
  };
}

/**
 * Tenants without a replica: the oldest last geo-replicated backup; none yet is unbounded. Each
 * tenant whose backup is older than now is unsynced: a geo-restore would lose its writes since.
 */
export function geoRestoreStatus(
  exposure: readonly GeoRestoreExposure[],
  targetMinutes: number,
  errors: readonly string[] = [],
  /**
   * A planned switchover after its drain: the promotion makes each tenant a geo-secondary of its
   * live database and fails the link over planned, synchronized (components/sql/plan.ts,
   * recoveryMode), so no geo-restore, and nothing lost.
   */
  linked = false,
): ClassStatus {
  if (linked)
    return { dataClass: "sql-geo-restore", targetMinutes, lossMinutes: 0, unsynced: [], errors };
  const none = exposure.filter((e) => e.minutesLost === null).map((e) => e.database);
  return {
    dataClass: "sql-geo-restore",
    targetMinutes,
    lossMinutes: none.length
      ? Number.POSITIVE_INFINITY
      : Math.max(0, ...exposure.map((e) => e.minutesLost!)),
    unsynced: exposure.filter((e) => e.minutesLost !== 0).map((e) => e.database),
    errors,
  };
}

/** What the metastore readers found (tools/status/metastore.ts). */
export interface MetastoreReading {
  readonly standby: "hot" | "cold";
  /** The active site's newest completed backup; undefined when there is none. */
  readonly newest: BackupMarker | undefined;
  /** A hot standby's last successful restore; null when none is found (a cold standby has none). */
  readonly lastRestore: RestoreRun | null;
}

const minutesSince = (iso: string, now: Date) =>
  Math.max(0, (now.getTime() - Date.parse(iso)) / 60_000);

/**
 * The metastore: a promotion restores the active site's newest completed backup (hot or cold,
 * issue 13), so what it would lose now is that backup's age; with no backup, a hot standby keeps
 * its last restore, and a cold one has nothing. Changes after the newest backup are unsynced
 * (they are in no backup), and so is a hot standby that does not hold it: it is what the site
 * keeps if the backups cannot be read at promotion.
 */
export function metastoreStatus(
  reading: MetastoreReading | undefined,
  targetMinutes: number,
  now: Date,
  errors: readonly string[] = [],
  /**
   * The drained site's final backup (a planned switchover, issue 15): taken after the drain's
   * fence stopped every Hive client, and the one backup the promotion restores, so nothing
   * written is in no backup, and nothing is lost.
   */
  finalBackup?: string,
): ClassStatus {
  if (finalBackup !== undefined)
    return { dataClass: "metastore", targetMinutes, lossMinutes: 0, unsynced: [], errors };
  if (!reading)
    return { dataClass: "metastore", targetMinutes, lossMinutes: null, unsynced: [], errors };
  const { newest, lastRestore, standby } = reading;
  const unsynced: string[] = [];
  if (!newest) unsynced.push("no completed backup of the active site");
  // What changed since the newest backup is in none: nothing reads the metastore's own writes.
  else
    unsynced.push(
      `changes after ${newest.folder} (${Math.round(minutesSince(newest.completedAt, now))} min old) are in no backup yet`,
    );
  if (standby === "hot") {
    if (!lastRestore) unsynced.push("the standby has no successful restore");
    else if (newest && lastRestore.restored !== newest.folder)
      unsynced.push(
        `the standby holds ${lastRestore.restored} (${Math.round(minutesSince(lastRestore.backupTime, now))} min old), not the newest backup ${newest.folder}`,
      );
  }
  return {
    dataClass: "metastore",
    targetMinutes,
    // No backup to restore: a hot standby keeps its last restore (the promotion's allowNoBackup).
    lossMinutes: newest
      ? minutesSince(newest.completedAt, now)
      : standby === "hot" && lastRestore
        ? minutesSince(lastRestore.backupTime, now)
        : Number.POSITIVE_INFINITY,
    unsynced,
    errors,
  };
}

/**
 * Dual-region buckets: the bucket API has no replication lag, so the loss is Google's stated
 * objective for the rpo the bucket has now (turbo 15 minutes, default 60). A bucket whose rpo is
 * not the one declared, or that is not dual-region, is unsynced.
 */
export function gcsStatus(
  buckets: readonly BucketReplication[],
  declaredTurbo: Readonly<Record<string, boolean>>,
  targetMinutes: number,
  errors: readonly string[] = [],
): ClassStatus {
  const unsynced = buckets.flatMap((b) => {
    const problems: string[] = [];
    if (b.locationType !== "dual-region")
      problems.push(`${b.bucket}: location type ${b.locationType ?? "unknown"}, not dual-region`);
    const turbo = declaredTurbo[b.bucket];
    if (turbo !== undefined && turbo !== (b.rpo === "ASYNC_TURBO"))
      problems.push(`${b.bucket}: rpo ${b.rpo}, declared ${turbo ? "ASYNC_TURBO" : "DEFAULT"}`);
    return problems;
  });
  const slow = buckets.some((b) => b.rpo !== "ASYNC_TURBO");
  return {
    dataClass: "gcs",
    targetMinutes,
    lossMinutes: buckets.length ? (slow ? GCS_DEFAULT_RPO_MINUTES : GCS_TURBO_RPO_MINUTES) : null,
    unsynced,
    errors,
  };
}
