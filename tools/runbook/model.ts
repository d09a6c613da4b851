import type { CapturedResource } from "../plan/capture";
import { TYPE } from "../../policies/facts";

/**
 * A small model of what runs, derived from each stack's last deployed resources: not a simulator
 * of the clouds, one function per data class, each rule with the cloud behaviour it encodes.
 */

export type Site = "primary" | "secondary";
export type Role = "active" | "passive";
export const DATA_CLASSES = ["lake", "metastore", "sql", "gcs"] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

/** What a stack last deployed, as the state backend keeps it. */
export interface Deployed {
  readonly resources: readonly CapturedResource[];
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** The platform between steps: per stack its deployment, reachability, and SQL group primaries. */
export interface Platform {
  readonly stacks: Readonly<Record<Site, { deployed?: Deployed; reachable: boolean }>>;
  /** Failover group -> the site whose server is its primary (changed only by ARM calls). */
  readonly groupPrimary: Readonly<Record<string, Site>>;
}

export const SITES: readonly Site[] = ["primary", "secondary"];
export const peerOf = (s: Site): Site => (s === "primary" ? "secondary" : "primary");

/** The role a stack's last outputs record; null when never deployed. */
export function recordedRole(outputs: Readonly<Record<string, unknown>> | undefined): Role | null {
  const r = outputs?.role;
  return r === "active" || r === "passive" ? r : null;
}

/** The role a stack's last deployment recorded; null when never deployed. */
export const deployedRole = (d: Deployed | undefined): Role | null => recordedRole(d?.outputs);

const ofType = (d: Deployed | undefined, type: string) =>
  (d?.resources ?? []).filter((r) => r.type === type);

// ---------------------------------------------------------------------------------------------
// Lake (Azure Databricks jobs, seeds 000/001)

export interface JobModel {
  readonly name: string;
  /** Starts runs by itself: a schedule, continuous run or trigger that is UNPAUSED. */
  readonly runs: boolean;
  /** The storage accounts it writes: its own lake, or for a deep clone the target's. */
  readonly writes: readonly string[];
  /** A Delta deep clone (CREATE OR REPLACE ... DEEP CLONE) into another site's lake. */
  readonly replication: boolean;
}

const ACCOUNT = /abfss:\/\/[^@/]+@([a-z0-9]+)\.dfs\.core\.windows\.net/;
const accountsIn = (v: unknown): string[] => {
  const out: string[] = [];
  const walk = (x: unknown) => {
    if (typeof x === "string") {
      const m = ACCOUNT.exec(x);
      if (m) out.push(m[1]!);
    } else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === "object") Object.values(x).forEach(walk);
  };
  walk(v);
  return [...new Set(out)];
};

/**
 * A job runs when any of its schedule, continuous or file-arrival trigger is UNPAUSED: a paused
 * trigger starts no runs (Databricks docs, jobs/schedule-jobs; a run by hand is outside the
 * model). Concurrency is not counted: the provider never sends max_concurrent_runs = 0
 * (`omitempty` on MaxConcurrentRuns, terraform-provider-databricks jobs/resource_job.go), so
 * the API's default of 1 applies. A deep clone writes its `target` (CREATE OR REPLACE TABLE ...
 * DEEP CLONE replaces the target table: Databricks SQL reference, delta-clone); any other job
 * writes the lake its parameters name.
 */
export function jobModel(job: CapturedResource): JobModel {
  const i = job.inputs as Record<string, any>;
  const runs = ["schedule", "continuous", "trigger"].some(
    (k) => i[k] !== undefined && i[k]?.pauseStatus !== "PAUSED",
  );
  const tasks = (i.tasks ?? []) as any[];
  const clone = tasks.find((t) => t?.notebookTask?.baseParameters?.target !== undefined);
  return clone
    ? {
        name: String(i.name),
        runs,
        writes: accountsIn(clone.notebookTask.baseParameters.target),
        replication: true,
      }
    : { name: String(i.name), runs, writes: accountsIn(tasks), replication: false };
}

export interface LakeModel {
  /** The site's own storage account(s) named as the lake. */
  readonly accounts: readonly string[];
  readonly jobs: readonly JobModel[];
}

export function lakeModel(d: Deployed | undefined): LakeModel {
  const lake = d?.outputs.deployment as { lake?: unknown } | undefined;
  return {
    accounts: typeof lake?.lake === "string" ? [lake.lake] : [],
    jobs: ofType(d, TYPE.databricksJob).map(jobModel),
  };
}

// ---------------------------------------------------------------------------------------------
// Metastore (Dataproc Metastore, seed 003)

export interface MetastoreModel {
  readonly service: boolean;
  /** scheduledBackup.enabled: backups into the backup bucket on the service's schedule. */
  readonly backups: boolean;
  /** The restore schedule runs: the service's metadata is replaced by the peer's backups. */
  readonly restoring: boolean;
}

/**
 * A restore replaces the service's metadata with the backup's (metastore.proto: RestoreService,
 * METADATA_ONLY by default); while restores keep coming the service is a standby, and whatever is
 * written to it is lost at the next restore. A service that is not being restored into takes the
 * writes of its clients.
 */
export function metastoreModel(d: Deployed | undefined): MetastoreModel {
  const service = ofType(d, TYPE.metastoreService)[0];
  const schedule = ofType(d, TYPE.schedulerJob)[0];
  return {
    service: service !== undefined,
    backups: (service?.inputs as any)?.scheduledBackup?.enabled === true,
    restoring:
      service !== undefined && schedule !== undefined && (schedule.inputs as any).paused !== true,
  };
}

// ---------------------------------------------------------------------------------------------
// SQL (Azure SQL elastic pools and failover groups, seed 002)

export interface SqlModel {
  /** Failover groups this stack created: name -> database names. */
  readonly groups: Readonly<Record<string, readonly string[]>>;
  /** Databases with a primary copy registered on this site's server. */
  readonly databases: readonly string[];
}

const lastSegment = (id: unknown) => String(id).split("/").pop()!;

export function sqlModel(d: Deployed | undefined): SqlModel {
  return {
    groups: Object.fromEntries(
      ofType(d, TYPE.sqlFailoverGroup).map((g) => [
        String((g.inputs as any).failoverGroupName),
        ((g.inputs as any).databases ?? []).map(lastSegment),
      ]),
    ),
    databases: ofType(d, TYPE.sqlDatabase).map((db) => String((db.inputs as any).databaseName)),
  };
}

// ---------------------------------------------------------------------------------------------
// Writers per data class

/** Per data class, per data set (a lake, a database...), the sites that write it now. */
export type Writers = Record<DataClass, Record<string, Site[]>>;

const add = (m: Record<string, Site[]>, key: string, site: Site) => {
  const list = (m[key] ??= []);
  if (!list.includes(site)) list.push(site);
};

/**
 * Who writes what now. A site whose region is down writes nothing (what it deployed is frozen,
 * not running); a site that recovered runs again exactly as it was last deployed.
 */
export function writers(p: Platform): Writers {
  const w: Writers = { lake: {}, metastore: {}, sql: {}, gcs: {} };
  const grouped = new Map<string, string>();
  for (const site of SITES) {
    for (const [g, dbs] of Object.entries(sqlModel(p.stacks[site].deployed).groups))
      for (const db of dbs) grouped.set(db, g);
  }
  for (const site of SITES) {
    const { deployed, reachable } = p.stacks[site];
    if (!deployed || !reachable) continue;
    // Lake: the tables are one data set in two lakes; a site that runs any job writes it.
    if (lakeModel(deployed).jobs.some((j) => j.runs)) add(w.lake, "tables", site);
    // Metastore: a service not being restored into takes its clients' writes. The Hive
    // warehouse it points at is the one dual-region bucket, so it is also the GCS writer.
    const ms = metastoreModel(deployed);
    if (ms.service && !ms.restoring) {
      add(w.metastore, "hive", site);
      add(w.gcs, "warehouse", site);
    }
    // SQL: a database in a failover group is written only on the group's primary server (the
    // other copy is a read-only geo-secondary; after a forced failover the old primary rejoins
    // as a secondary: sql-docs, includes/failover-group-terminology.md). A database outside
    // every group (trial tenants, geo-restored copies) is written wherever it exists: a
    // geo-restore makes an independent database (Databases.json, createMode Recovery).
    for (const db of sqlModel(deployed).databases) {
      const g = grouped.get(db);
      if (g === undefined) add(w.sql, db, site);
      else if (p.groupPrimary[g] === site) add(w.sql, db, site);
    }
  }
  // A group's databases are written on its primary even when that stack registered no copy.
  for (const [db, g] of grouped) {
    const primary = p.groupPrimary[g];
    if (primary && p.stacks[primary].reachable) add(w.sql, db, primary);
  }
  return w;
}

/** The deep clones that run now, each with the site it writes into. */
export function runningClones(
  p: Platform,
): { site: Site; job: string; target: Site | undefined; account: string }[] {
  const owner = new Map<string, Site>();
  for (const site of SITES)
    for (const a of lakeModel(p.stacks[site].deployed).accounts) owner.set(a, site);
  const out: { site: Site; job: string; target: Site | undefined; account: string }[] = [];
  for (const site of SITES) {
    const { deployed, reachable } = p.stacks[site];
    if (!deployed || !reachable) continue;
    for (const j of lakeModel(deployed).jobs.filter((x) => x.runs && x.replication))
      for (const account of j.writes)
        out.push({ site, job: j.name, target: owner.get(account), account });
  }
  return out;
}

/** The sites whose deployed role is active (what the state backend says, reachable or not). */
export function activeSites(p: Platform): Site[] {
  return SITES.filter((s) => deployedRole(p.stacks[s].deployed) === "active");
}
