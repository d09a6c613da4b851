import type { TableLag } from "./lake";
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

/** Over when the loss exceeds the target, unknown when a source could not be read. */
export function verdict(c: ClassStatus): Verdict {
  if (c.errors.length > 0 || c.lossMinutes === null) return "unknown";
  return c.lossMinutes > c.targetMinutes ? "over" : "ok";
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
): ClassStatus {
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
