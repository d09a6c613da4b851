import { revealed, type CapturedResource } from "../plan/capture";
import { FENCE_BLOB, fenceObject } from "../../components/fence";
import {
  HMS_FENCE,
  HMS_RESTORE,
  JOB_CONCURRENCY_KIND,
  concurrencyName,
} from "../../components/naming";
import { FINAL_SYNC_KIND } from "../../components/workspace/finalSync";
import { FENCE_PARAMETER_PREFIX } from "../../config/workspaceSchema";
import { TYPE } from "../../contracts/facts";

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
  /**
   * Failover group, or a tenant database's geo-replication link (`link:<database>`, cloud.ts) ->
   * the site whose server is its primary (changed only by ARM calls).
   */
  readonly groupPrimary: Readonly<Record<string, Site>>;
}

export const SITES: readonly Site[] = ["primary", "secondary"];

export const LINK_PREFIX = "link:";
/** A geo-replication link's entry among the groups' primaries: one per database name. */
export const linkKey = (database: string) => `${LINK_PREFIX}${database}`;
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
  /**
   * Can start a run at all, "Run now" by anyone allowed included: Databricks reports a
   * max_concurrent_runs above 0 (a 0 skips every new run: Jobs API jobs/create). Read from the
   * job's concurrency resource; without one the job keeps the API's default of 1.
   */
  readonly runnable: boolean;
  /** The storage accounts it writes: its own lake, or for a deep clone the target's. */
  readonly writes: readonly string[];
  /**
   * A copy into another site's lake: a Delta deep clone (CREATE OR REPLACE ... DEEP CLONE) of a
   * table, or a landing folder's files.
   */
  readonly replication: boolean;
  /** It reads both fences before it writes: its tasks carry the fence parameters. */
  readonly fenced: boolean;
  /** The lake URLs its parameters name (for a deep clone, its source table). */
  readonly paths: readonly string[];
  /** For a deep clone, the table it replicates and the root of the lake it writes into. */
  readonly table?: string;
  readonly targetLake?: string;
}

const ACCOUNT = /abfss:\/\/[^@/]+@([a-z0-9]+)\.dfs\.core\.windows\.net/;
const lakeUrlsIn = (v: unknown): string[] => {
  const out: string[] = [];
  const walk = (x: unknown) => {
    if (typeof x === "string") {
      if (ACCOUNT.test(x)) out.push(x);
    } else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === "object") Object.values(x).forEach(walk);
  };
  walk(v);
  return [...new Set(out)];
};
const accountsIn = (v: unknown): string[] => [
  ...new Set(lakeUrlsIn(v).map((u) => ACCOUNT.exec(u)![1]!)),
];
/** A task's parameters but the fence's, which name both lakes without writing either. */
const withoutFence = (params: Record<string, unknown> | undefined) =>
  Object.fromEntries(
    Object.entries(params ?? {}).filter(([k]) => !k.startsWith(FENCE_PARAMETER_PREFIX)),
  );

/**
 * A job runs when any of its schedule, continuous or file-arrival trigger is UNPAUSED: a paused
 * trigger starts no runs (Databricks docs, jobs/schedule-jobs). It is runnable (by hand too)
 * while the max_concurrent_runs Databricks reports for it is above 0: the provider never sends a
 * 0 (`omitempty` on MaxConcurrentRuns, terraform-provider-databricks common/reflect_resource.go),
 * so only the job's concurrency resource (`concurrency`, its deployed outputs) makes it 0. A
 * deep clone writes its `target` (CREATE OR REPLACE TABLE ... DEEP CLONE replaces the target
 * table: Databricks SQL reference, delta-clone); any other job writes the lake its parameters
 * name.
 */
export function jobModel(job: CapturedResource, concurrency?: CapturedResource): JobModel {
  const i = job.inputs as Record<string, any>;
  const runs = ["schedule", "continuous", "trigger"].some(
    (k) => i[k] !== undefined && i[k]?.pauseStatus !== "PAUSED",
  );
  const reported = concurrency?.outputs.effectiveMaxConcurrentRuns;
  const runnable = typeof reported === "number" ? reported > 0 : true;
  const tasks = (i.tasks ?? []) as any[];
  const params = tasks.map((t) => t?.notebookTask?.baseParameters as Record<string, unknown>);
  const fenced = params.some((p) =>
    Object.keys(p ?? {}).some((k) => k.startsWith(FENCE_PARAMETER_PREFIX)),
  );
  const clone = params.find((p) => p?.target !== undefined);
  if (clone)
    return {
      name: String(i.name),
      runs,
      runnable,
      writes: accountsIn(clone.target),
      replication: true,
      fenced,
      paths: lakeUrlsIn(clone.source),
      ...(typeof clone.table === "string" && { table: clone.table }),
      ...(typeof clone.target === "string" && {
        targetLake: clone.target.replace(/(\.dfs\.core\.windows\.net\/).*$/, "$1"),
      }),
    };
  const named = params.map(withoutFence);
  return {
    name: String(i.name),
    runs,
    runnable,
    writes: accountsIn(named),
    replication: false,
    fenced,
    paths: lakeUrlsIn(named),
  };
}

// ---------------------------------------------------------------------------------------------
// Fences (issue 10): workspace/fence/paired_dr_fence.py's rules, on the same cases (test/fixtures)

export interface Fence {
  readonly site: Site;
  readonly role: Role;
  readonly epoch: number;
}
export type FenceRead = Fence | "missing" | "unreadable";
export type FencePurpose = "business" | "replication";

/** A fence record's text as the readers parse it (paired_dr_fence.py, workflows/metastore-fence.yaml). */
export function parseFence(text: unknown): FenceRead {
  if (typeof text !== "string") return "missing";
  try {
    const f = JSON.parse(text) as Fence;
    return (f.site === "primary" || f.site === "secondary") &&
      (f.role === "active" || f.role === "passive") &&
      Number.isSafeInteger(f.epoch) &&
      f.epoch >= 0
      ? { site: f.site, role: f.role, epoch: f.epoch }
      : "unreadable";
  } catch {
    return "unreadable";
  }
}

/** The fence record a stack last wrote into its lake (its Blob's text), or "missing". */
export function fenceOf(d: Deployed | undefined): FenceRead {
  const blob = ofType(d, TYPE.storageBlob).find((b) => (b.inputs as any).blobName === FENCE_BLOB);
  return parseFence((blob?.inputs as any)?.source?.text);
}

/** May a job of `site` write now, given its own lake's fence and the peer lake's? (paired_dr_fence.py check) */
export function fenceCheck(
  purpose: FencePurpose,
  site: Site,
  own: FenceRead,
  target: FenceRead,
): { allowed: boolean; reason: string } {
  const peer = peerOf(site);
  if (own === "missing" || own === "unreadable")
    return { allowed: false, reason: `${site}'s own fence record is ${own}` };
  if (own.site !== site)
    return { allowed: false, reason: `${site}'s lake holds ${own.site}'s fence record` };
  if (own.role !== "active")
    return { allowed: false, reason: `${site} is fenced as ${own.role} (epoch ${own.epoch})` };
  if (target === "missing" || target === "unreadable")
    return purpose === "business"
      ? { allowed: true, reason: `${peer}'s fence is ${target}; ${site} runs as active` }
      : {
          allowed: false,
          reason: `${peer}'s fence is ${target}; replication needs it to say passive`,
        };
  if (target.site !== peer)
    return { allowed: false, reason: `${peer}'s lake holds ${target.site}'s fence record` };
  if (target.epoch > own.epoch)
    return {
      allowed: false,
      reason: `${peer} was promoted after ${site}: epoch ${target.epoch} > ${own.epoch}; ${site} is stale`,
    };
  if (purpose === "replication" && target.role !== "passive")
    return {
      allowed: false,
      reason: `${peer} is still fenced as active (epoch ${target.epoch}); replication waits until its stack stands it down`,
    };
  return { allowed: true, reason: `${site} active at epoch ${own.epoch}` };
}

/**
 * Whether a job that runs gets past its fence now. A lake whose region is down, or that was
 * never deployed, cannot be read. A job without the fence parameters is not fenced.
 */
export function passesFence(p: Platform, site: Site, job: JobModel): boolean {
  if (!job.fenced) return true;
  const peer = p.stacks[peerOf(site)];
  const target: FenceRead = peer.reachable && peer.deployed ? fenceOf(peer.deployed) : "unreadable";
  return fenceCheck(
    job.replication ? "replication" : "business",
    site,
    fenceOf(p.stacks[site].deployed),
    target,
  ).allowed;
}

/** The jobs of a reachable site that run now and get past their fence. */
function writingJobs(p: Platform, site: Site): JobModel[] {
  const { deployed, reachable } = p.stacks[site];
  if (!deployed || !reachable) return [];
  return lakeModel(deployed).jobs.filter((j) => j.runs && passesFence(p, site, j));
}

export interface LakeModel {
  /** The site's own storage account(s) named as the lake. */
  readonly accounts: readonly string[];
  readonly jobs: readonly JobModel[];
}

export function lakeModel(d: Deployed | undefined): LakeModel {
  const lake = d?.outputs.deployment as { lake?: unknown } | undefined;
  const concurrency = new Map(
    ofType(d, TYPE.dynamicResource)
      .filter((r) => r.inputs.kind === JOB_CONCURRENCY_KIND)
      .map((r) => [r.name, r]),
  );
  return {
    accounts: typeof lake?.lake === "string" ? [lake.lake] : [],
    jobs: ofType(d, TYPE.databricksJob).map((j) =>
      jobModel(j, concurrency.get(concurrencyName(j.name))),
    ),
  };
}

/**
 * Faults a runbook seeds into a site's next final sync: a writer whose run will not stop after
 * jobs/runs/cancel-all, or a copy whose run fails. Each fails the deployment as FinalSync does.
 */
export const FAULTS = ["writer-keeps-running", "copy-fails"] as const;
export type Fault = (typeof FAULTS)[number];

/** The final sync a deployment declares (components/workspace/finalSync.ts), if any. */
export interface FinalSyncModel {
  readonly urn: string;
  readonly key: string;
  /** The copy jobs it runs once more, and the writers it stops first, by name. */
  readonly jobs: readonly string[];
  readonly writers: readonly string[];
  /** Its deadline (the writers' cancellation included). */
  readonly timeoutSeconds: number;
}

export function finalSyncOf(d: Deployed | undefined): FinalSyncModel | undefined {
  const r = ofType(d, TYPE.dynamicResource).find((x) => x.inputs.kind === FINAL_SYNC_KIND);
  if (!r) return undefined;
  const names = (v: unknown) => ((v ?? []) as { name: string }[]).map((j) => String(j.name));
  return {
    urn: r.urn,
    key: String(r.inputs.syncKey),
    jobs: names(r.inputs.jobs),
    writers: names(r.inputs.writers),
    timeoutSeconds: Number(r.inputs.timeoutSeconds),
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
  /** The site's Hive cluster, the metastore's client that the program declares. */
  readonly hiveCluster: boolean;
  /** The Hive cluster's fence runs on a schedule (workflows/metastore-fence.yaml). */
  readonly hiveFence: boolean;
}

const scheduleRuns = (job: CapturedResource | undefined) =>
  job !== undefined && (job.inputs as any).paused !== true;

/**
 * A restore replaces the service's metadata with the backup's (metastore.proto: RestoreService,
 * METADATA_ONLY by default); while restores keep coming the service is a standby, and whatever is
 * written to it is lost at the next restore. A service that is not being restored into takes the
 * writes of its clients.
 */
export function metastoreModel(d: Deployed | undefined): MetastoreModel {
  const service = ofType(d, TYPE.metastoreService)[0];
  const jobs = ofType(d, TYPE.schedulerJob);
  const named = (suffix: string) =>
    jobs.find((j) => String((j.inputs as any).name).endsWith(suffix));
  return {
    service: service !== undefined,
    backups: (service?.inputs as any)?.scheduledBackup?.enabled === true,
    restoring: service !== undefined && scheduleRuns(named(HMS_RESTORE)),
    hiveCluster: ofType(d, TYPE.dataprocCluster).length > 0,
    hiveFence: scheduleRuns(named(HMS_FENCE)),
  };
}

/**
 * A site's fence record in the dual-region backup bucket (its object's content, which the
 * provider keeps secret), or "missing".
 */
export function bucketFenceOf(d: Deployed | undefined, site: Site): FenceRead {
  const object = ofType(d, TYPE.bucketObject).find(
    (o) => (o.inputs as any).name === fenceObject(site),
  );
  return parseFence(revealed(object?.wireInputs.content));
}

export type HiveClusterAction = "stop" | "start" | "none" | "hold";

/**
 * What the Hive cluster's fence does on one run (workflows/metastore-fence.yaml, on the same
 * cases: test/fixtures/hive-fence-cases.json). `cluster` is the cluster's Dataproc state,
 * "absent" when the declared cluster does not exist, null when the deployment declares none.
 */
export function hiveClusterAction(
  site: Site,
  own: FenceRead,
  peer: FenceRead,
  cluster: string | null,
): HiveClusterAction {
  if (typeof own === "string" || own.site !== site) return "hold";
  const stale =
    own.role === "active" &&
    typeof peer !== "string" &&
    peer.site === peerOf(site) &&
    peer.epoch > own.epoch;
  const drained = drainedPair(site, own, peer);
  if ((stale || drained) && cluster === "RUNNING") return "stop";
  // A peer whose record cannot be read may have been promoted: never start on a guess.
  if (!stale && !drained && typeof peer !== "string" && cluster === "STOPPED") return "start";
  return "none";
}

/** Both records passive: a drain, in which nothing may write (workflows/metastore-fence.yaml). */
function drainedPair(site: Site, own: Fence, peer: FenceRead): boolean {
  return (
    own.role === "passive" &&
    typeof peer !== "string" &&
    peer.site === peerOf(site) &&
    peer.role === "passive"
  );
}

/** The Hive clusters their fence stops now, each with why (the workflow's own wording). */
export function stoppedClusters(p: Platform): { site: Site; reason: string }[] {
  return SITES.flatMap((site) => {
    const { deployed, reachable } = p.stacks[site];
    const stop = deployed && reachable ? hiveFenceStop(p, site) : undefined;
    if (!stop) return [];
    const reason = drainedPair(site, stop.own, stop.peer)
      ? `${site} and ${stop.peer.site} are both passive: a drain, nothing writes`
      : `${site} is stale, ${stop.peer.site} holds epoch ${stop.peer.epoch} > ${stop.own.epoch}`;
    return [{ site, reason }];
  });
}

/**
 * Both fence records, when the Hive cluster's fence stops the site's cluster now (it reads them
 * from the dual-region bucket, which either region serves); undefined while the cluster runs. A
 * site whose config declares no cluster has its clients outside the program: nothing fences them.
 */
function hiveFenceStop(p: Platform, site: Site): { own: Fence; peer: Fence } | undefined {
  const d = p.stacks[site].deployed;
  const ms = metastoreModel(d);
  if (!ms.hiveCluster || !ms.hiveFence) return undefined;
  const own = bucketFenceOf(d, site);
  const peer = bucketFenceOf(p.stacks[peerOf(site)].deployed, peerOf(site));
  return typeof own !== "string" &&
    typeof peer !== "string" &&
    hiveClusterAction(site, own, peer, "RUNNING") === "stop"
    ? { own, peer }
    : undefined;
}

/** Whether the metastore's clients on a site write: unless its Hive cluster's fence stops them. */
const hiveClientsWrite = (p: Platform, site: Site): boolean => !hiveFenceStop(p, site);

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

/**
 * The databases a site holds outside every failover group: a geo-restored copy, or an original
 * that a peer's geo-restore left behind. Each is its own database, replicated to nothing.
 */
export function unreplicatedCopies(p: Platform, site: Site): string[] {
  const grouped = new Set(
    SITES.flatMap((s) => Object.values(sqlModel(p.stacks[s].deployed).groups).flat()),
  );
  return sqlModel(p.stacks[site].deployed).databases.filter((db) => !grouped.has(db));
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
    // Lake: the tables are one data set in two lakes; a site that runs any job past its fence
    // writes it.
    if (writingJobs(p, site).length) add(w.lake, "tables", site);
    // Metastore: a service not being restored into takes its clients' writes. The Hive
    // warehouse it points at is the one dual-region bucket, so it is also the GCS writer.
    const ms = metastoreModel(deployed);
    if (ms.service && !ms.restoring && hiveClientsWrite(p, site)) {
      add(w.metastore, "hive", site);
      add(w.gcs, "warehouse", site);
    }
    // SQL: a database in a failover group, or in a geo-replication link, is written only on
    // its primary server (the other copy is a read-only geo-secondary; after a forced failover
    // the old primary rejoins as a secondary: sql-docs, includes/failover-group-terminology.md,
    // active-geo-replication-overview.md). Any other database (trial tenants, geo-restored
    // copies) is written wherever it exists: a geo-restore makes an independent database
    // (Databases.json, createMode Recovery).
    for (const db of sqlModel(deployed).databases) {
      const g = grouped.get(db) ?? linkKey(db);
      const primary = p.groupPrimary[g];
      if (primary === undefined ? !grouped.has(db) : primary === site) add(w.sql, db, site);
    }
  }
  // A group's databases are written on its primary even when that stack registered no copy.
  for (const [db, g] of grouped) {
    const primary = p.groupPrimary[g];
    if (primary && p.stacks[primary].reachable) add(w.sql, db, primary);
  }
  return w;
}

/** The copies into the peer's lake that run now (deep clones name their table), by target. */
export function runningClones(p: Platform): {
  site: Site;
  job: string;
  table?: string;
  target: Site | undefined;
  account: string;
}[] {
  const owner = new Map<string, Site>();
  for (const site of SITES)
    for (const a of lakeModel(p.stacks[site].deployed).accounts) owner.set(a, site);
  const out: ReturnType<typeof runningClones> = [];
  for (const site of SITES) {
    for (const j of writingJobs(p, site).filter((x) => x.replication))
      for (const account of j.writes)
        out.push({
          site,
          job: j.name,
          ...(j.table && { table: j.table }),
          target: owner.get(account),
          account,
        });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writes that were never replicated (seed 004's unsynced list; issue 10)

/** Per site, the replicated tables its jobs wrote since they were last cloned to the peer. */
export type Unreplicated = Record<Site, readonly string[]>;

/** The list a fenced deep clone makes before it overwrites commits it would hide. */
export interface LostWrites {
  /** The site whose lake holds the commits; `by` is the site whose clone would hide them. */
  readonly site: Site;
  readonly by: Site;
  readonly epoch: number;
  readonly tables: readonly string[];
  /** Where the tables are kept readable until released: <table>/version-<n> under this folder. */
  readonly preservedAt: string;
}

/**
 * One step of the lake's traffic. A site whose jobs run past their fence writes the replicated
 * tables they name; its own clones never catch up with a stream that keeps writing, so the
 * tables stay unreplicated until it stops. A clone into a site that holds unreplicated tables
 * lists and preserves them before each overwrite (workspace/replication/deep_clone.py), so
 * what it lists are the commits since the last list.
 */
export function lakeTraffic(
  p: Platform,
  before: Unreplicated,
): { unreplicated: Unreplicated; lost: LostWrites[] } {
  const now: Record<Site, string[]> = {
    primary: [...before.primary],
    secondary: [...before.secondary],
  };
  const lost: LostWrites[] = [];
  for (const site of SITES) {
    const clones = writingJobs(p, site).filter((j) => j.replication && j.targetLake);
    const target = peerOf(site);
    if (!clones.length || !now[target].length) continue;
    // A clone without the fence runs the deep clone as it was before issue 10: it overwrites
    // the tables and lists nothing; the writes are gone.
    if (!clones.some((j) => j.fenced)) {
      now[target] = [];
      continue;
    }
    const own = fenceOf(p.stacks[site].deployed);
    const epoch = typeof own === "string" ? 0 : own.epoch;
    lost.push({
      site: target,
      by: site,
      epoch,
      tables: now[target],
      preservedAt: `${clones[0]!.targetLake}_paired-dr/preserved/`,
    });
    now[target] = [];
  }
  for (const site of SITES) {
    // The site's own tables, by the source paths of its deep clones, running or not.
    const tables = new Map<string, string>();
    for (const j of lakeModel(p.stacks[site].deployed).jobs)
      if (j.replication && j.table) for (const path of j.paths) tables.set(path, j.table);
    for (const j of writingJobs(p, site).filter((x) => !x.replication))
      for (const path of j.paths) {
        const table = tables.get(path);
        if (table && !now[site].includes(table)) now[site].push(table);
      }
    now[site].sort();
  }
  return { unreplicated: now, lost };
}

/** The sites whose deployed role is active (what the state backend says, reachable or not). */
/** Per site, the jobs that can start a run now (Databricks concurrency above 0), by job name. */
export function runnableJobs(p: Platform): Record<Site, string[]> {
  const out = { primary: [], secondary: [] } as Record<Site, string[]>;
  for (const site of SITES) {
    const { deployed, reachable } = p.stacks[site];
    if (!reachable) continue;
    out[site] = lakeModel(deployed)
      .jobs.filter((j) => j.runnable)
      .map((j) => j.name);
  }
  return out;
}

export function activeSites(p: Platform): Site[] {
  return SITES.filter((s) => deployedRole(p.stacks[s].deployed) === "active");
}

// ---------------------------------------------------------------------------------------------
// What `npm run status -- --require-synced` finds now (tools/status/report.ts)

/** A site stood down with the final sync of the period it ended: its record at its own epoch. */
export function drainedSite(p: Platform): Site | undefined {
  if (activeSites(p).length) return undefined;
  return SITES.find((s) => {
    const d = p.stacks[s].deployed?.outputs.deployment as
      { role?: unknown; epoch?: unknown; finalSync?: { epoch?: unknown } } | undefined;
    return d?.role === "passive" && d.finalSync !== undefined && d.finalSync.epoch === d.epoch;
  });
}

/**
 * What the status command would list as unsynced now, by its rules: measured from the active
 * site, or from a drained one (a planned switchover between its drain and the promotion); with
 * neither, or two active sites, it cannot say (exit 1). While writers run, the metastore's changes
 * since its newest backup and the tenants without a replica are never synced; once drained, the
 * final backup covers the metastore and the trial tenants move over links. Replicated tables
 * written since their last copy are unsynced either way. Empty: `--require-synced` passes.
 */
export function unsyncedNow(
  p: Platform,
  unreplicated: Unreplicated,
  metastoreUnbacked: Readonly<Record<Site, boolean>>,
): string[] {
  const active = activeSites(p);
  if (active.length === 2) return ["both stacks' outputs say active (exit 1)"];
  const drained = drainedSite(p);
  const from = active[0] ?? drained;
  if (!from) return ["no stack's outputs say active, and none is drained (exit 1)"];
  const out: string[] = [];
  if (unreplicated[from].length)
    out.push(`lake: ${from}'s ${unreplicated[from].join(", ")} hold commits never copied`);
  const record = (p.stacks[from].deployed?.outputs.deployment ?? {}) as {
    finalSync?: { metastoreBackup?: unknown };
  };
  if (active.length) {
    if (writers(p).metastore.hive?.includes(from))
      out.push(`metastore: ${from}'s changes after its newest backup are in no backup yet`);
    const ungrouped = unreplicatedCopies(p, from);
    if (ungrouped.length)
      out.push(
        `sql-geo-restore: ${ungrouped.length} databases without a replica on ${from}: a geo-restore is never current`,
      );
  } else if (typeof record.finalSync?.metastoreBackup !== "string" && metastoreUnbacked[from])
    out.push(`metastore: ${from} drained without a final backup after its clients' last writes`);
  return out;
}
