import { replicationCadence } from "../../config/cron";
import type { DrillSpec } from "../../config/drillSchema";
import type { ReplicationSpec } from "../../config/workspaceSchema";
import { lakeUrl } from "../naming";
import type { Role, Site } from "../role";

/**
 * The DR drill (issue 15, seed 000: "regular drills"; Azure Site Recovery's test failover is the
 * model): on the passive standby, without changing a role, a schedule or a production resource,
 * restore the newest metastore backup into a scratch service, deep-clone each replicated table's
 * standby copy into a scratch folder of the standby's lake, check each clone against the active
 * site's table, and report what was restored, how old it was and how long each step took.
 */

/** The scratch folder of every drill, in the standby's lake; the drill's notebook empties it. */
export const DRILL_DIR = "_paired-dr/drill";
/** The drill's notebook, a key of the repo's workspace/ notebooks. */
export const DRILL_NOTEBOOK = "drill/validate";
/** The notebook task's parameters' size limit: 1 MB as JSON (Jobs API, NotebookTask.base_parameters). */
export const MAX_PARAMETER_BYTES = 1_000_000;

export interface DrillTable {
  readonly table: string;
  /** The standby's copy: where the active site's deep clone writes, in this site's lake. */
  readonly replica: string;
  /** The active site's table, in the peer's lake: what the copy is compared with. */
  readonly source: string;
  readonly rpoMinutes: number;
}

export interface DrillDecision {
  readonly id: string;
  /** drill-<id>: the run's key, and the suffix of the records that a new id makes again. */
  readonly key: string;
  /** This drill's scratch folder (abfss://), removed by the run that fills it. */
  readonly scratch: string;
  readonly tables: readonly DrillTable[];
}

/**
 * The drill this deployment runs, or the problems that refuse it before anything is registered.
 * Config already holds it to the secondary while promote is false (config/schema.ts); here, from
 * the stacks' outputs: the standby was deployed passive before (a drill changes nothing of a
 * deployment that changes roles) and the peer is recorded active (the figures it compares with).
 */
export function decideDrill(
  spec: DrillSpec,
  args: {
    readonly site: Site;
    readonly role: Role;
    /** What this stack's last deployment recorded (components/lastDeployment.ts). */
    readonly last: { readonly role?: Role };
    readonly peerRole: Role | undefined;
    readonly replication: ReplicationSpec | undefined;
    readonly lake: {
      readonly account: string;
      readonly peerAccount: string;
      readonly container: string;
    };
  },
): { drill?: DrillDecision; problems: string[] } {
  if (spec === false) return { problems: [] };
  const given = `(given: ${JSON.stringify(spec)})`;
  const problems: string[] = [];
  if (args.role !== "passive" || args.last.role !== "passive")
    problems.push(
      `paired-dr:drill: a drill runs on a standby already deployed passive, but ${args.site}'s last deployment recorded ${args.last.role ?? "none (a first deployment)"}; deploy it once without drill first ${given}`,
    );
  if (args.peerRole !== "active")
    problems.push(
      `paired-dr:drill: a drill compares the standby with the active site, but the peer's outputs record ${args.peerRole ?? "no deployment"}; deploy the active site first ${given}`,
    );
  const tables = Object.entries(args.replication?.tables ?? {}).map(([table, t]) => ({
    table,
    replica: lakeUrl(args.lake.account, args.lake.container, t.path),
    source: lakeUrl(args.lake.peerAccount, args.lake.container, t.path),
    rpoMinutes: t.rpoMinutes,
  }));
  const bytes = Buffer.byteLength(JSON.stringify(tables));
  if (bytes > MAX_PARAMETER_BYTES - 10_000)
    problems.push(
      `paired-dr:drill: the ${tables.length} replicated tables take ${bytes} bytes as the drill run's parameter, above the ${MAX_PARAMETER_BYTES - 10_000} its run allows beside the rest (Jobs API: 1 MB of notebook parameters) ${given}`,
    );
  if (problems.length) return { problems };
  return {
    drill: {
      id: spec.id,
      key: `drill-${spec.id}`,
      scratch: lakeUrl(args.lake.account, args.lake.container, `${DRILL_DIR}/${spec.id}`),
      tables,
    },
    problems: [],
  };
}

/** Provider (camelCase) cluster fields and their Jobs API names. */
const REST_CLUSTER_KEYS: Readonly<Record<string, string>> = {
  sparkVersion: "spark_version",
  instancePoolId: "instance_pool_id",
  driverInstancePoolId: "driver_instance_pool_id",
  numWorkers: "num_workers",
  autoscale: "autoscale",
  policyId: "policy_id",
  applyPolicyDefaultValues: "apply_policy_default_values",
  customTags: "custom_tags",
  sparkConf: "spark_conf",
  sparkEnvVars: "spark_env_vars",
  dataSecurityMode: "data_security_mode",
  singleUserName: "single_user_name",
};

/**
 * A job cluster as the program declares it for the provider (workspace/plan.ts, jobClusterArgs),
 * in the Jobs API's names for a one-time run's new_cluster. A field it does not know is refused,
 * never dropped: the drill's cluster is the replication jobs' cluster.
 */
export function restCluster(cluster: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cluster)) {
    if (v === undefined) continue;
    const name = REST_CLUSTER_KEYS[k];
    if (!name) throw new Error(`drill cluster: no Jobs API name for the cluster field ${k}`);
    out[name] =
      k === "autoscale"
        ? {
            min_workers: (v as { minWorkers: number }).minWorkers,
            max_workers: (v as { maxWorkers: number }).maxWorkers,
          }
        : v;
  }
  return out;
}

/**
 * The drill's run deadline: the tables one after another, each clone and count within its
 * replication run's limit (config/cron.ts, replicationCadence), plus an hour for the cluster's
 * start and the scratch's removal.
 */
export function drillRunMinutes(replication: ReplicationSpec | undefined): number {
  return (
    Object.values(replication?.tables ?? {}).reduce(
      (sum, t) => sum + replicationCadence(t.rpoMinutes).timeoutMinutes,
      0,
    ) + 60
  );
}

/**
 * The one-time run (Jobs API runs/submit) of the drill's notebook, as the jobs' service principal
 * on the replication jobs' cluster. Nothing schedules it and no job holds it: the standby's jobs
 * stay paused with concurrency 0 throughout.
 */
export function drillSubmit(
  drill: DrillDecision,
  args: {
    readonly cluster: Record<string, unknown>;
    readonly workspaceRoot: string;
    readonly runAs: string;
    readonly timeoutSeconds: number;
  },
) {
  return {
    run_name: `paired-dr drill ${drill.id}`,
    run_as: { service_principal_name: args.runAs },
    timeout_seconds: args.timeoutSeconds,
    tasks: [
      {
        task_key: "drill",
        new_cluster: args.cluster,
        notebook_task: {
          notebook_path: `${args.workspaceRoot}/${DRILL_NOTEBOOK}`,
          source: "WORKSPACE",
          base_parameters: {
            drill: drill.id,
            scratch: drill.scratch,
            tables: JSON.stringify(drill.tables),
            paired_dr_drill_dir: `/Workspace${args.workspaceRoot}/drill`,
            paired_dr_fence_dir: `/Workspace${args.workspaceRoot}/fence`,
          },
        },
        timeout_seconds: args.timeoutSeconds,
      },
    ],
  };
}

/** One table's figures, as the drill's notebook returns them (workspace/drill/validate.py). */
export interface DrillTableResult {
  readonly table: string;
  readonly pass: boolean;
  /** Why it failed; absent when it passed. */
  readonly reason?: string;
  /** The standby copy's version the scratch clone copied, and the active version that holds. */
  readonly replicaVersion: number | null;
  readonly sourceVersion: number | null;
  /** Rows in the scratch clone, and in the active table at sourceVersion. */
  readonly rows: number | null;
  readonly activeRows: number | null;
  /** The active table's newest version now. */
  readonly activeVersion: number | null;
  /** How old the oldest active commit the standby lacks is: the table's measured RPO (0: none). */
  readonly lagMinutes: number | null;
  readonly rpoMinutes: number;
  readonly cloneSeconds: number | null;
  readonly validateSeconds: number | null;
}

/** What the drill's run recorded (components/drill/drillRun.ts). */
export interface DrillRunRecord {
  readonly runId: number;
  /** Epoch milliseconds. */
  readonly startTime: number;
  readonly endTime: number;
  readonly setupSeconds: number;
  readonly output: Readonly<Record<string, unknown>> | null;
}

export interface DrillReport {
  readonly id: string;
  readonly site: Site;
  readonly verdict: "pass" | "fail";
  /** When the first of the drill's runs started and the last ended (ISO 8601), as they report. */
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly metastore: {
    readonly pass: boolean;
    readonly reason?: string;
    readonly restored: string | null;
    readonly backupTime: string | null;
    readonly ageMinutes: number | null;
    readonly rpoMinutes: number;
    readonly restoreSeconds: number | null;
  };
  readonly lake: {
    readonly runId: number | null;
    readonly setupSeconds: number | null;
    readonly scratch: string;
    readonly scratchRemoved: boolean;
    readonly tables: readonly DrillTableResult[];
  };
  /** The standby's measured RPO per data class, and RTO: the slowest of the drill's two paths. */
  readonly measured: {
    readonly rpoMinutes: { readonly metastore: number | null; readonly lake: number | null };
    readonly rtoMinutes: number;
  };
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const seconds = (from: unknown, to: unknown) => {
  const a = typeof from === "string" ? Date.parse(from) : NaN;
  const b = typeof to === "string" ? Date.parse(to) : NaN;
  return Number.isFinite(a) && Number.isFinite(b) && b >= a ? Math.round((b - a) / 1000) : null;
};

function tableResult(t: DrillTable, raw: unknown): DrillTableResult {
  const r = (raw ?? {}) as Record<string, unknown>;
  const pass = r.pass === true;
  return {
    table: t.table,
    pass,
    ...(!pass && {
      reason:
        typeof r.reason === "string" && r.reason
          ? r.reason
          : "the drill's run reported no result for it",
    }),
    replicaVersion: num(r.replicaVersion),
    sourceVersion: num(r.sourceVersion),
    rows: num(r.rows),
    activeRows: num(r.activeRows),
    activeVersion: num(r.activeVersion),
    lagMinutes: num(r.lagMinutes),
    rpoMinutes: t.rpoMinutes,
    cloneSeconds: num(r.cloneSeconds),
    validateSeconds: num(r.validateSeconds),
  };
}

/**
 * The drill's report from what its two runs returned: the metastore restore's result (a JSON
 * string, workflows/metastore-restore.yaml) and the lake run's record (undefined without
 * replicated tables). A table passes when its clone has the active table's rows at the version
 * it copied and the standby lags no more than the table's RPO; the metastore when a backup no
 * older than its RPO was restored; the drill when every part passes and the scratch is gone.
 */
export function drillReport(args: {
  readonly drill: DrillDecision;
  readonly site: Site;
  readonly metastoreRpoMinutes: number;
  readonly restoreResult: string;
  readonly lakeRun: DrillRunRecord | undefined;
}): DrillReport {
  let restore: Record<string, unknown> = {};
  try {
    restore = (JSON.parse(args.restoreResult) ?? {}) as Record<string, unknown>;
  } catch {
    restore = {};
  }
  const restored = typeof restore.restored === "string" ? restore.restored : null;
  const ageMinutes = num(restore.ageMinutes);
  const inner = (restore.restore ?? {}) as Record<string, unknown>;
  const restoreSeconds = seconds(inner.startTime, inner.endTime);
  const metastorePass =
    restored !== null && ageMinutes !== null && ageMinutes <= args.metastoreRpoMinutes;
  const metastore = {
    pass: metastorePass,
    ...(!metastorePass && {
      reason:
        restored === null
          ? typeof restore.reason === "string"
            ? restore.reason
            : "no backup was restored"
          : `the newest backup was ${ageMinutes} minutes old, beyond the metastore RPO of ${args.metastoreRpoMinutes}`,
    }),
    restored,
    backupTime: typeof restore.backupTime === "string" ? restore.backupTime : null,
    ageMinutes,
    rpoMinutes: args.metastoreRpoMinutes,
    restoreSeconds,
  };
  const out = (args.lakeRun?.output ?? {}) as Record<string, unknown>;
  const byTable = new Map(
    (Array.isArray(out.tables) ? out.tables : []).map((t) => [(t as { table?: unknown }).table, t]),
  );
  const tables = args.drill.tables.map((t) => tableResult(t, byTable.get(t.table)));
  const scratchRemoved = args.drill.tables.length === 0 || out.scratchRemoved === true;
  const lags = tables.map((t) => t.lagMinutes).filter((l): l is number => l !== null);
  const lakeSeconds = args.lakeRun
    ? Math.max(0, Math.round((args.lakeRun.endTime - args.lakeRun.startTime) / 1000))
    : 0;
  const rto = Math.max(restoreSeconds ?? 0, lakeSeconds);
  const times = (pick: (t: number[]) => number, ...ts: unknown[]) => {
    const ms = ts
      .map((t) =>
        typeof t === "string" ? Date.parse(t) : typeof t === "number" && t > 0 ? t : NaN,
      )
      .filter(Number.isFinite);
    return ms.length ? new Date(pick(ms)).toISOString() : null;
  };
  const verdict = metastore.pass && tables.every((t) => t.pass) && scratchRemoved ? "pass" : "fail";
  return {
    id: args.drill.id,
    site: args.site,
    verdict,
    startedAt: times((t) => Math.min(...t), inner.startTime, args.lakeRun?.startTime),
    endedAt: times((t) => Math.max(...t), inner.endTime, args.lakeRun?.endTime),
    metastore,
    lake: {
      runId: args.lakeRun?.runId ?? null,
      setupSeconds: args.lakeRun?.setupSeconds ?? null,
      scratch: args.drill.scratch,
      scratchRemoved,
      tables,
    },
    measured: {
      rpoMinutes: { metastore: ageMinutes, lake: lags.length ? Math.max(...lags) : null },
      rtoMinutes: Math.ceil(rto / 60),
    },
  };
}

/** What a stack keeps of its last drill, after the drill is turned off: `npm run status` shows it. */
export interface DrillSummary {
  readonly id: string;
  /** When it ended; null when its runs reported no time. */
  readonly at: string | null;
  readonly verdict: "pass" | "fail";
  readonly rpoMinutes: { readonly metastore: number | null; readonly lake: number | null };
  readonly rtoMinutes: number;
}

export function drillSummary(report: DrillReport): DrillSummary {
  return {
    id: report.id,
    at: report.endedAt,
    verdict: report.verdict,
    rpoMinutes: { ...report.measured.rpoMinutes },
    rtoMinutes: report.measured.rtoMinutes,
  };
}

const shown = (v: number | null, unit = "") => (v === null ? "—" : `${v}${unit}`);

/** The report as markdown, for the drill's record and the pull request that turns it off. */
export function drillMarkdown(r: DrillReport): string {
  const lines = [
    `# DR drill ${r.id} on ${r.site}: ${r.verdict.toUpperCase()}`,
    "",
    `Started ${r.startedAt ?? "—"}, ended ${r.endedAt ?? "—"}. Measured RTO ${r.measured.rtoMinutes} min; ` +
      `RPO: metastore ${shown(r.measured.rpoMinutes.metastore, " min")}, lake ${shown(r.measured.rpoMinutes.lake, " min")}.`,
    "",
    "## Metastore",
    "",
    r.metastore.restored
      ? `Restored ${r.metastore.restored} (backup of ${r.metastore.backupTime}, ${r.metastore.ageMinutes} min old; RPO ${r.metastore.rpoMinutes}) into the scratch service in ${shown(r.metastore.restoreSeconds, " s")}: ${r.metastore.pass ? "pass" : `FAIL, ${r.metastore.reason}`}.`
      : `Nothing restored: FAIL, ${r.metastore.reason}.`,
    "",
    "## Lake",
    "",
  ];
  if (!r.lake.tables.length) lines.push("No replicated tables.");
  else {
    lines.push(
      `Cluster start ${shown(r.lake.setupSeconds, " s")}; scratch ${r.lake.scratch} ${r.lake.scratchRemoved ? "removed" : "NOT removed"}.`,
      "",
      "| table | result | standby version | active version copied | rows (clone / active) | active now | lag (min) | RPO (min) | clone (s) | check (s) |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      ...r.lake.tables.map(
        (t) =>
          `| ${t.table} | ${t.pass ? "pass" : `FAIL: ${t.reason}`} | ${shown(t.replicaVersion)} | ${shown(t.sourceVersion)} | ${shown(t.rows)} / ${shown(t.activeRows)} | ${shown(t.activeVersion)} | ${shown(t.lagMinutes)} | ${t.rpoMinutes} | ${shown(t.cloneSeconds)} | ${shown(t.validateSeconds)} |`,
      ),
    );
  }
  return lines.join("\n") + "\n";
}
