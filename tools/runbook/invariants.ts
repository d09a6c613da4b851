import type { PlanDiff } from "../plan/diff";
import {
  DATA_CLASSES,
  activeSites,
  deployedRole,
  metastoreModel,
  runnableJobs,
  runningClones,
  writers,
  type DataClass,
  type Platform,
  type Site,
  SITES,
  peerOf,
} from "./model";

/** One way an invariant is broken, with the data class (or "stacks") it concerns. */
export interface Breach {
  readonly scope: DataClass | "stacks";
  readonly message: string;
}

export const INVARIANTS = [
  "one-writer",
  "no-stale-overwrite",
  "passive-cannot-run",
  "no-stateful-loss",
  "converged",
  "rpo-zero",
  "drill-leaves-production",
] as const;
/** Held where a runbook asks for them: a forced failover loses data by design. */
export const OPT_IN_INVARIANTS = ["rpo-zero"] as const;
export type InvariantName = (typeof INVARIANTS)[number];

/** At most one site writes each data set of each data class, now. */
export function oneWriter(p: Platform): Breach[] {
  const w = writers(p);
  const out: Breach[] = [];
  for (const cls of DATA_CLASSES) {
    const split = Object.entries(w[cls]).filter(([, sites]) => sites.length > 1);
    if (!split.length) continue;
    const shown = split.slice(0, 3).map(([set]) => set);
    const more = split.length > shown.length ? ` and ${split.length - shown.length} more` : "";
    out.push({
      scope: cls,
      message: `${cls}: ${split[0]![1].join(" and ")} both write ${shown.join(", ")}${more}`,
    });
  }
  return out;
}

/**
 * No replication writes into a site that holds newer data: a deep clone or a landing copy into an
 * active site's lake, or a restore into an active site's metastore, overwrites what that site wrote.
 */
export function noStaleOverwrite(p: Platform): Breach[] {
  const out: Breach[] = [];
  for (const c of runningClones(p)) {
    if (c.target && deployedRole(p.stacks[c.target].deployed) === "active")
      out.push({
        scope: "lake",
        message: `lake: ${c.site}'s ${c.job} ${c.table ? "deep-clones" : "copies landing files"} into ${c.target}'s lake (${c.account}), which is active`,
      });
  }
  for (const site of SITES) {
    const { deployed, reachable } = p.stacks[site];
    if (!reachable || !metastoreModel(deployed).restoring) continue;
    if (deployedRole(deployed) === "active")
      out.push({
        scope: "metastore",
        message: `metastore: ${site}'s service, which is active, restores ${peerOf(site)}'s backups over its own metadata`,
      });
  }
  return out;
}

/**
 * A passive site's jobs cannot start a run, by schedule or by hand: Databricks reports
 * max_concurrent_runs 0 for each (a paused schedule alone still lets anyone allowed "Run now").
 */
export function passiveCannotRun(p: Platform): Breach[] {
  const runnable = runnableJobs(p);
  return SITES.filter(
    (site) => deployedRole(p.stacks[site].deployed) === "passive" && runnable[site].length,
  ).map((site) => ({
    scope: "lake" as const,
    message: `lake: passive ${site} can still run ${runnable[site].join(", ")} (Databricks reports max_concurrent_runs above 0)`,
  }));
}

/** No stateful resource deleted or replaced by the step. */
export function noStatefulLoss(diff: PlanDiff | undefined): Breach[] {
  return (diff?.dangerous ?? []).map((r) => ({
    scope: "stacks" as const,
    message: `${diff!.stack}: stateful ${r.type} '${r.name}' deleted or replaced`,
  }));
}

/**
 * drill-leaves-production (issue 15, a drill without touching production): a deployment that
 * runs a drill, or turns it off, creates, changes and deletes only the drill's own resources
 * (`drill`: those its facts name before and after; null when neither deployment has a drill).
 */
export function drillLeavesProduction(
  diff: PlanDiff | undefined,
  drill: ReadonlySet<string> | null,
  isFacts: (name: string) => boolean,
): Breach[] {
  if (!diff || !drill) return [];
  const touched = [
    ...diff.created.map((r) => ["created", r.name] as const),
    ...diff.deleted.map((r) => ["deleted", r.name] as const),
    ...diff.replaced.map((r) => ["replaced", r.before.name] as const),
    ...diff.updated.map((u) => ["changed", u.resource.name] as const),
  ].filter(([, name]) => !drill.has(name) && !isFacts(name));
  return touched.map(([what, name]) => ({
    scope: "stacks" as const,
    message: `${diff.stack}: the drill's deployment ${what} production resource '${name}'`,
  }));
}

/**
 * At the end: exactly one active site, and each stack deployed with the current config (a new
 * `pulumi up` of it would change nothing). `pending` lists the stacks whose next `up` would.
 */
export function converged(p: Platform, pending: readonly string[]): Breach[] {
  const out: Breach[] = [];
  const active = activeSites(p);
  if (active.length !== 1)
    out.push({
      scope: "stacks",
      message: `${active.length} active sites (${active.join(", ") || "none"}); exactly one is required`,
    });
  for (const s of pending)
    out.push({ scope: "stacks", message: `${s}: not deployed with the current config` });
  return out;
}

/** Per data class, what the old active site wrote that a promotion's new active site lacks. */
export interface Unsynced {
  /** Replicated tables with commits never cloned to the promoted site. */
  readonly lake: readonly string[];
  /** Metadata written after the old site's newest backup, which the promotion restores. */
  readonly metastore: boolean;
  /** Databases outside the failover groups the old site wrote and the promoted one holds too. */
  readonly sql: readonly string[];
  /** Objects written within the bucket's replication objective, its other region being down. */
  readonly gcs: boolean;
}

/**
 * rpo-zero (issue 15, seed 004: a planned switch waits for a fully synced moment): when a site is
 * promoted, nothing the old active site wrote is missing on it, in any data class.
 */
export function rpoZero(promoted: Site, old: Site, u: Unsynced): Breach[] {
  const out: Breach[] = [];
  if (u.lake.length)
    out.push({
      scope: "lake",
      message: `lake: ${old}'s ${u.lake.join(", ")} hold commits ${promoted} never received`,
    });
  if (u.metastore)
    out.push({
      scope: "metastore",
      message: `metastore: ${old}'s metadata written after its newest backup is not in what ${promoted} restored`,
    });
  if (u.sql.length) {
    const shown = u.sql.slice(0, 3).join(", ");
    const more = u.sql.length > 3 ? ` and ${u.sql.length - 3} more` : "";
    out.push({
      scope: "sql",
      message: `sql: ${promoted}'s own copies of ${shown}${more} lack what ${old} wrote to them (geo-restored from backups, or originals left behind: no failover group replicates them)`,
    });
  }
  if (u.gcs)
    out.push({
      scope: "gcs",
      message: `gcs: ${old}'s region is down; objects it wrote within the buckets' replication objective may be missing`,
    });
  return out;
}
