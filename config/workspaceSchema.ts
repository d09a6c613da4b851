import * as path from "node:path";
import { z } from "zod";
import { QUARTZ_RULE, REPLICATION_RPO_MINUTES, jobScheduleProblems } from "./cron";
import { INIT_SCRIPTS_DIR, WORKSPACE_DIR, type RepoFiles } from "./repoFiles";
import {
  bool,
  guid,
  int,
  keyName,
  namedMap,
  oneOf,
  oneOfStrings,
  quote,
  strictObject,
} from "./zod";

/** Permission levels each object type accepts for a group (IS_OWNER needs a single principal). */
export const PERMISSION_LEVELS = {
  pool: ["CAN_ATTACH_TO", "CAN_MANAGE"],
  clusterPolicy: ["CAN_USE"],
  job: ["CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE"],
  workspaceObject: ["CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"],
  secretScope: ["READ", "WRITE", "MANAGE"],
} as const;

/**
 * The tags every instance pool carries. They reach every cluster on the pool, and a cluster
 * that sets one of these keys itself fails to launch ("the following custom tag keys conflict
 * with the pool's custom tag keys": terraform-provider-databricks docs/resources/instance_pool.md,
 * PR #2242), so no cluster policy may set them.
 */
export const POOL_TAG_KEYS = [
  "platform",
  "managed-by",
  "paired-dr-site",
  "paired-dr-prefix",
] as const;
export type PoolTagKey = (typeof POOL_TAG_KEYS)[number];

/** Privileges on an external location (terraform-provider-databricks docs/resources/grants.md). */
export const LAKE_PRIVILEGES = [
  "READ_FILES",
  "WRITE_FILES",
  "CREATE_EXTERNAL_TABLE",
  "CREATE_EXTERNAL_VOLUME",
] as const;

export const STORAGE_SKUS = [
  "Standard_GRS",
  "Standard_RAGRS",
  "Standard_GZRS",
  "Standard_RAGZRS",
  "Standard_ZRS",
  "Standard_LRS",
] as const;
/** SKUs whose data lives in one region only: the loss of the region loses it. */
export const SINGLE_REGION_SKUS: readonly string[] = ["Standard_ZRS", "Standard_LRS"];

/**
 * Fencing (issue 10): every job checks both lakes' fences before it writes, with the notebook
 * below, as a first task named FENCE_CHECK_TASK or, in a continuous job (which allows no task
 * dependencies), as a `%run` cell of its notebooks. Its parameters carry the prefix.
 */
export const FENCE_NOTEBOOK = "fence/check";
/** Declared task names follow KEY_RULE, which has no '_': this one cannot collide with them. */
export const FENCE_CHECK_TASK = "fence_check";
export const FENCE_PARAMETER_PREFIX = "paired_dr_";

/** A task parameter "workspace:<path>" names a file of workspace/ by its deployed /Workspace path. */
export const WORKSPACE_PARAMETER = "workspace:";
/** A task parameter "lake:<path>" names a path in this site's lake by its abfss:// URL. */
export const LAKE_PARAMETER = "lake:";

const PAUSE_STATUSES = ["UNPAUSED", "PAUSED"] as const;
const pauseStatus = z
  .enum(PAUSE_STATUSES, { error: `must be ${oneOf(PAUSE_STATUSES)}` })
  .default("UNPAUSED");

const permissions = (levels: readonly string[]) =>
  z
    .record(keyName, oneOfStrings("a", "permission level", levels), {
      error: "must be a map of group: permission level",
    })
    .default({});

/** An absolute workspace folder, without "..". */
const WORKSPACE_PATH = /^(?!.*\/\.\.(\/|$))\/[A-Za-z0-9_.@-]+(\/[A-Za-z0-9_.@-]+)*$/;
const WORKSPACE_PATH_RULE =
  "an absolute workspace folder of letters, digits, '_', '.', '@', '-' and '/', e.g. \"/Users/<runAs>/paired-dr\"";

/** A path inside the lake container, relative, without "..". */
const LAKE_PATH_RULE =
  "a relative path inside the lake container (lowercase letters, digits, '_', '-', '.', '/'; no '..')";
const lakePath = z
  .string({ error: `must be ${LAKE_PATH_RULE}` })
  .refine((p) => /^[a-z0-9_][a-z0-9_./-]*$/.test(p) && !p.split("/").includes(".."), {
    error: `malformed lake path; allowed: ${LAKE_PATH_RULE}`,
  });

const FORBIDDEN_CLUSTER =
  "jobs must run in either region: an existing interactive cluster exists in one workspace only " +
  "(and a passive site keeps no interactive clusters); use the job's `cluster` (a job cluster on a pool)";
const forbidden = z.never({ error: FORBIDDEN_CLUSTER }).optional();
const HIDDEN_KEYS = ["existingClusterId", "existing_cluster_id"];

/** A job cluster built from a pool: either a fixed worker count or autoscale. */
export const jobClusterSchema = strictObject({
  /** The pool the cluster's driver and workers come from. */
  pool: keyName,
  /** Fixed number of workers. Give this or autoscale. */
  workers: int("workers", 0, 500).optional(),
  autoscale: strictObject({ min: int("workers", 1, 500), max: int("workers", 1, 500) })
    .refine((a) => a.min <= a.max, {
      error: "autoscale.min must not exceed autoscale.max",
      path: ["max"],
    })
    .optional(),
  /** Cluster policy the job cluster is created under. Default none. */
  policy: keyName.optional(),
}).refine((c) => (c.workers === undefined) !== (c.autoscale === undefined), {
  error: "give exactly one of workers or autoscale",
});
export type JobClusterSpec = z.output<typeof jobClusterSchema>;

const TABLE_RULE = "schema.table in lowercase letters, digits and '_'";
const tableName = z.string().regex(/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/, {
  error: `malformed table name; allowed: ${TABLE_RULE}`,
});

const taskSchema = strictObject(
  {
    /** Notebook under workspace/, without extension: "etl/ingest_orders". */
    notebook: z.string({ error: 'must be a notebook key such as "etl/ingest_orders"' }),
    parameters: z
      .record(z.string(), z.string(), { error: "must be a map of name: string value" })
      .default({}),
    dependsOn: z.array(keyName, { error: "must be a list of task names" }).default([]),
    timeoutSeconds: int("seconds", 0, 172_800).default(0),
    maxRetries: int("retries", 0, 10).default(0),
    existingClusterId: forbidden,
    existing_cluster_id: forbidden,
  },
  HIDDEN_KEYS,
);
export type TaskSpec = z.output<typeof taskSchema>;

const jobSchema = strictObject(
  {
    description: z.string().optional(),
    /** Concurrent runs on the active site. A passive site runs none. Default 1. */
    maxConcurrentRuns: int("runs", 1, 1000).default(1),
    schedule: strictObject({
      cron: z.string({ error: `must be ${QUARTZ_RULE}` }),
      timezone: z.string({ error: "must be an IANA time zone name" }).default("UTC"),
      pauseStatus,
    })
      .superRefine((s, ctx) => {
        for (const problem of jobScheduleProblems(s.cron, s.timezone))
          ctx.addIssue({ code: "custom", path: [problem.key], message: problem.message });
      })
      .optional(),
    continuous: strictObject({ pauseStatus }).optional(),
    trigger: strictObject({
      fileArrival: strictObject({
        /** Lake path watched for new files. */
        path: lakePath,
        minTimeBetweenTriggersSeconds: int("seconds", 60, 86_400).default(60),
      }),
      pauseStatus,
    }).optional(),
    cluster: jobClusterSchema,
    tasks: namedMap(taskSchema).refine((t) => Object.keys(t).length > 0, {
      error: "a job needs at least one task",
    }),
    /**
     * A streaming job's checkpoint folder in this site's lake, outside the replicated path: a
     * checkpoint is never replicated (a deep clone copies Delta tables, not folders), so each
     * site keeps its own, one per fence epoch. Required for continuous jobs.
     */
    checkpointLocation: lakePath.optional(),
    /**
     * The tables (replication.tables or scratchTables) the job writes. Each must be replicated
     * or marked rebuildable scratch: after a failover the other site reads what this one wrote.
     */
    writes: z.array(tableName, { error: `must be a list of ${TABLE_RULE}` }).default([]),
    permissions: permissions(PERMISSION_LEVELS.job),
    /** Who hears of a failed run. Default: notifications.emailOnFailure. */
    emailOnFailure: z.array(z.email({ error: "must be an email address" })).default([]),
    existingClusterId: forbidden,
    existing_cluster_id: forbidden,
  },
  HIDDEN_KEYS,
).superRefine((job, ctx) => {
  const modes = (["schedule", "continuous", "trigger"] as const).filter(
    (m) => job[m] !== undefined,
  );
  if (modes.length !== 1) {
    ctx.addIssue({
      code: "custom",
      input: modes,
      message:
        "give exactly one of schedule, continuous or trigger; a passive site stands a job down by pausing it, which needs one",
    });
  }
  if (job.continuous && job.maxConcurrentRuns > 1) {
    // control_run_state (which stops the active run when the site stands down) allows only
    // max_concurrent_runs 1 (terraform-provider-databricks jobs/resource_job.go CustomizeDiff).
    ctx.addIssue({
      code: "custom",
      path: ["maxConcurrentRuns"],
      input: job.maxConcurrentRuns,
      message:
        "a continuous job runs one run at a time: stopping its run when the site stands down (control_run_state) allows max_concurrent_runs 1 only; allowed: 1",
    });
  }
  if (job.continuous && !job.checkpointLocation) {
    ctx.addIssue({
      code: "custom",
      path: ["checkpointLocation"],
      message:
        "a continuous (streaming) job needs a checkpointLocation: a lake folder outside the replicated path",
    });
  }
  for (const [key, task] of Object.entries(job.tasks)) {
    for (const p of Object.keys(task.parameters).filter((p) =>
      p.startsWith(FENCE_PARAMETER_PREFIX),
    ))
      ctx.addIssue({
        code: "custom",
        path: ["tasks", key, "parameters", p],
        input: p,
        message: `parameter names starting with ${quote(FENCE_PARAMETER_PREFIX)} are reserved for the fence check; rename it`,
      });
    for (const dep of task.dependsOn) {
      if (dep === key || !(dep in job.tasks)) {
        ctx.addIssue({
          code: "custom",
          path: ["tasks", key, "dependsOn"],
          input: dep,
          message: `unknown task ${quote(dep)}; allowed: ${oneOf(Object.keys(job.tasks).filter((k) => k !== key))}`,
        });
      }
    }
  }
});
export type JobSpec = z.output<typeof jobSchema>;

const poolSchema = strictObject({
  nodeTypeId: z
    .string({ error: 'must be an Azure VM size such as "Standard_DS3_v2"' })
    .regex(/^Standard_[A-Za-z0-9_]+$/, {
      error: 'malformed VM size; allowed: an Azure VM size such as "Standard_DS3_v2"',
    }),
  /** Idle instances kept warm on the active site. A passive site keeps none. Default 0. */
  minIdleInstances: int("instances", 0, 1000).default(0),
  maxCapacity: int("instances", 1, 10_000),
  idleInstanceAutoterminationMinutes: int("minutes", 0, 10_000).default(15),
  /** Databricks runtime preloaded on the pool's instances, and used by job clusters on it. */
  sparkVersion: z.string().regex(/^\d+\.\d+\.x-[a-z0-9-]*scala\d+\.\d+$/, {
    error: 'malformed runtime; allowed: a Databricks runtime key such as "15.4.x-scala2.12"',
  }),
  availability: z.enum(["ON_DEMAND_AZURE", "SPOT_AZURE"]).default("ON_DEMAND_AZURE"),
  permissions: permissions(PERMISSION_LEVELS.pool),
}).refine((p) => p.minIdleInstances <= p.maxCapacity, {
  error: "minIdleInstances must not exceed maxCapacity",
  path: ["minIdleInstances"],
});
export type PoolSpec = z.output<typeof poolSchema>;

const clusterPolicySchema = strictObject({
  description: z.string().optional(),
  /** The policy definition (Databricks policy JSON as an object). */
  definition: z.record(z.string(), z.unknown(), { error: "must be a policy definition object" }),
  maxClustersPerUser: int("clusters", 1, 1000).optional(),
  permissions: permissions(PERMISSION_LEVELS.clusterPolicy),
});
export type ClusterPolicySpec = z.output<typeof clusterPolicySchema>;

const rpoMinutes = z
  .number({ error: `must be one of ${REPLICATION_RPO_MINUTES.join(", ")} (minutes)` })
  .refine((m) => (REPLICATION_RPO_MINUTES as readonly number[]).includes(m), {
    error: `no schedule for this RPO (a copy runs at most half of it apart, on an even interval); allowed: ${REPLICATION_RPO_MINUTES.join(", ")} (minutes)`,
  });

/** "sales.orders" -> "sales-orders": the table's part of its replication job's name. */
export const tableSlug = (table: string) => table.replace(/[._]/g, "-");
/** Replication jobs' names; the RPO budget finds them by the prefix (policies/rpo.ts). */
export const replicationJobName = (table: string) => `replicate-${tableSlug(table)}`;
export const landingJobName = (key: string) => `replicate-landing-${key}`;

const replicationSchema = strictObject({
  /** The deep-clone notebook. Default "replication/deep_clone". */
  notebook: z.string().default("replication/deep_clone"),
  /** The notebook that copies a landing folder's files. Default "replication/copy_files". */
  landingNotebook: z.string().default("replication/copy_files"),
  cluster: jobClusterSchema,
  /** Tables replicated by Delta deep clone to the peer's lake, each on the schedule of its RPO. */
  tables: z.record(
    tableName,
    strictObject({
      /** The table's Delta location: a lake path under the replicated path. */
      path: lakePath,
      rpoMinutes,
    }),
    { error: `must be a map of ${TABLE_RULE}: {path, rpoMinutes}` },
  ),
  /**
   * Landing folders whose files are copied, file by file, to the same folder in the peer's lake
   * on the schedule of their RPO: what a promoted site's streams and loads read.
   */
  landing: namedMap(strictObject({ path: lakePath, rpoMinutes })).default({}),
});
export type ReplicationSpec = z.output<typeof replicationSchema>;

const storageSku = (fallback: (typeof STORAGE_SKUS)[number]) =>
  z.enum(STORAGE_SKUS, { error: `must be ${oneOf(STORAGE_SKUS)}` }).default(fallback);

/** Checks every name a spec refers to against what the spec and the repo define. */
function checkReferences(spec: WorkspaceSpecInput, repo: RepoFiles, ctx: z.RefinementCtx) {
  const groups = Object.keys(spec.groups ?? {});
  const pools = Object.keys(spec.pools ?? {});
  const policies = Object.keys(spec.clusterPolicies ?? {});
  const notebooks = Object.keys(repo.notebooks);
  const replicated = `${spec.lake?.replicatedPath}/`;
  const issue = (path: PropertyKey[], input: unknown, message: string) =>
    ctx.addIssue({ code: "custom", path, input, message });
  const checkGroups = (perms: Record<string, unknown> | undefined, path: PropertyKey[]) => {
    for (const g of Object.keys(perms ?? {})) {
      if (!groups.includes(g))
        issue([...path, g], g, `unknown group ${quote(g)}; allowed: ${oneOf(groups)}`);
    }
  };
  const checkCluster = (c: JobClusterSpec | undefined, path: PropertyKey[]) => {
    if (typeof c?.pool === "string" && !pools.includes(c.pool))
      issue([...path, "pool"], c.pool, `unknown pool ${quote(c.pool)}; allowed: ${oneOf(pools)}`);
    if (c?.policy && !policies.includes(c.policy)) {
      issue(
        [...path, "policy"],
        c.policy,
        `unknown cluster policy ${quote(c.policy)}; allowed: ${oneOf(policies)}`,
      );
    }
  };
  const checkNotebook = (nb: unknown, path: PropertyKey[]) => {
    if (typeof nb === "string" && !notebooks.includes(nb)) {
      issue(
        path,
        nb,
        `no notebook ${quote(nb)} in ${WORKSPACE_DIR}/; allowed: ${oneOf(notebooks)}`,
      );
    }
  };
  const checkReplicated = (p: unknown, path: PropertyKey[], what: string) => {
    if (typeof p === "string" && !p.startsWith(replicated)) {
      issue(
        path,
        p,
        `${what} must be under the replicated lake path ${quote(replicated)}, or it is lost with this region`,
      );
    }
  };

  for (const [k, pool] of Object.entries(spec.pools ?? {}))
    checkGroups(pool.permissions, ["pools", k, "permissions"]);
  for (const [k, p] of Object.entries(spec.clusterPolicies ?? {})) {
    checkGroups(p.permissions, ["clusterPolicies", k, "permissions"]);
    for (const attribute of Object.keys(p.definition ?? {})) {
      const tag = attribute.startsWith("custom_tags.")
        ? attribute.slice("custom_tags.".length)
        : "";
      if ((POOL_TAG_KEYS as readonly string[]).includes(tag))
        issue(
          ["clusterPolicies", k, "definition", attribute],
          attribute,
          `every pool already tags its clusters with ${quote(tag)}, and a cluster that repeats a pool's tag key fails to launch; ` +
            `use a tag key other than ${oneOf(POOL_TAG_KEYS)}`,
        );
    }
  }
  for (const [k, s] of Object.entries(spec.secretScopes ?? {}))
    checkGroups(s.permissions, ["secretScopes", k, "permissions"]);
  checkGroups(spec.folderPermissions, ["folderPermissions"]);
  checkGroups(spec.lakeGrants, ["lakeGrants"]);
  for (const [nb, perms] of Object.entries(spec.notebookPermissions ?? {})) {
    checkNotebook(nb, ["notebookPermissions", nb]);
    checkGroups(perms, ["notebookPermissions", nb]);
  }
  for (const [k, job] of Object.entries(spec.jobs ?? {})) {
    checkGroups(job.permissions, ["jobs", k, "permissions"]);
    checkCluster(job.cluster, ["jobs", k, "cluster"]);
    for (const [t, task] of Object.entries(job.tasks ?? {})) {
      checkNotebook(task.notebook, ["jobs", k, "tasks", t, "notebook"]);
      for (const [p, v] of Object.entries(task.parameters ?? {})) {
        if (typeof v !== "string" || !v.startsWith(WORKSPACE_PARAMETER)) continue;
        const rel = v.slice(WORKSPACE_PARAMETER.length);
        const deployed = [
          ...repo.workspaceFiles.map((f) => path.posix.relative(WORKSPACE_DIR, f)),
          ...notebooks,
        ];
        if (!deployed.includes(rel))
          issue(
            ["jobs", k, "tasks", t, "parameters", p],
            v,
            `no file ${quote(rel)} in ${WORKSPACE_DIR}/ to deploy; allowed: ${oneOf(deployed.map((d) => WORKSPACE_PARAMETER + d))}`,
          );
      }
      const nb = typeof task.notebook === "string" ? repo.notebooks[task.notebook] : undefined;
      if ((job.continuous || job.checkpointLocation) && nb && !nb.runs?.includes(FENCE_NOTEBOOK)) {
        const rel = path.posix.relative(path.posix.dirname(nb.key), FENCE_NOTEBOOK);
        const why = job.continuous
          ? "a continuous job allows no task dependencies (Databricks docs, jobs/continuous)"
          : "a job's checkpoint is kept per fence epoch, which its notebooks read from the fence check";
        issue(
          ["jobs", k, "tasks", t, "notebook"],
          task.notebook,
          `${why}, so ${nb.source} must run the fence check itself before it writes: add a cell "%run ${rel}"`,
        );
      }
    }
  }
  checkLakeLocations(spec, ctx);
  const fallback = spec.notifications?.emailOnFailure ?? [];
  if (!fallback.length) {
    const silent = Object.entries(spec.jobs ?? {})
      .filter(([, j]) => !j.emailOnFailure?.length)
      .map(([k]) => k);
    if (spec.replication) silent.push("the replication jobs");
    if (silent.length)
      issue(
        ["notifications", "emailOnFailure"],
        [],
        `nobody hears of a failed run of ${silent.join(", ")}: the active site depends on every job; give notifications.emailOnFailure (or each job its own emailOnFailure)`,
      );
  }
  const fenced = Object.keys(spec.jobs ?? {}).length > 0 || spec.replication !== undefined;
  if (fenced && !notebooks.includes(FENCE_NOTEBOOK))
    issue(
      ["jobs"],
      FENCE_NOTEBOOK,
      `every job runs the fence check, but there is no notebook ${quote(FENCE_NOTEBOOK)} in ${WORKSPACE_DIR}/`,
    );
  const scripts = Object.entries(spec.initScripts ?? {});
  for (const [k, s] of scripts) {
    // A position past the last script reads back as the last one's (Global Init Scripts API).
    if (typeof s?.position === "number" && s.position >= scripts.length)
      issue(
        ["initScripts", k, "position"],
        s.position,
        `past the last of the ${scripts.length} global init script(s): Databricks would store ${scripts.length - 1} and every refresh would show a diff; allowed: ${scripts.length > 1 ? `1 to ${scripts.length - 1}` : "no position (a single script runs first)"}`,
      );
  }
  for (const [k, s] of scripts) {
    if (typeof s?.source === "string" && !repo.initScripts.includes(s.source)) {
      issue(
        ["initScripts", k, "source"],
        s.source,
        `no file ${quote(s.source)}; ${repo.initScripts.length ? `allowed: ${oneOf(repo.initScripts)}` : `${INIT_SCRIPTS_DIR}/ holds no file: add the script there`}`,
      );
    }
  }
  if (spec.replication) {
    checkCluster(spec.replication.cluster, ["replication", "cluster"]);
    checkNotebook(spec.replication.notebook, ["replication", "notebook"]);
    if (Object.keys(spec.replication.landing ?? {}).length)
      checkNotebook(spec.replication.landingNotebook, ["replication", "landingNotebook"]);
    for (const [t, table] of Object.entries(spec.replication.tables ?? {})) {
      checkReplicated(table.path, ["replication", "tables", t, "path"], "a replicated table");
    }
  }
  for (const sku of ["storageAccountSku", "lakeSku"] as const) {
    const value = sku === "lakeSku" ? spec.lake?.sku : spec.storageAccountSku;
    if (value && SINGLE_REGION_SKUS.includes(value) && !spec.allowSingleRegionStorage) {
      issue(
        sku === "lakeSku" ? ["lake", "sku"] : ["storageAccountSku"],
        value,
        `${value} keeps data in one region; allowed: ${oneOf(STORAGE_SKUS.filter((s) => !SINGLE_REGION_SKUS.includes(s)))}, ` +
          "or set allowSingleRegionStorage: true to accept the loss",
      );
    }
  }
}

const folder = (p: string) => p.replace(/\/+$/, "");

/**
 * Everything a job touches in the lake is declared: a replicated table, a rebuildable scratch
 * table or a landing folder copied to the peer. A table a job writes that is neither replicated
 * nor scratch would be missing after a failover (seed 000: every data class the platform needs
 * after a failover is replicated on its RPO).
 */
function checkLakeLocations(spec: WorkspaceSpecInput, ctx: z.RefinementCtx) {
  const issue = (path: PropertyKey[], input: unknown, message: string) =>
    ctx.addIssue({ code: "custom", path, input, message });
  const replicatedPath = `${spec.lake?.replicatedPath}/`;
  const replicated = spec.replication?.tables ?? {};
  const scratch = spec.scratchTables ?? {};
  const landing = Object.values(spec.replication?.landing ?? {})
    .filter((l) => typeof l?.path === "string")
    .map((l) => folder(l.path));
  const tableAt = new Map<string, string>();
  for (const [where, tables] of [
    ["replication.tables", replicated],
    ["scratchTables", scratch],
  ] as const) {
    for (const [t, table] of Object.entries(tables)) {
      const path = where === "scratchTables" ? ["scratchTables", t] : ["replication", "tables", t];
      if (where === "scratchTables" && t in replicated)
        issue(
          path,
          t,
          `${t} is in replication.tables too: a table is replicated or scratch, not both`,
        );
      if (typeof table?.path !== "string") continue;
      const other = tableAt.get(folder(table.path));
      if (other && other !== t)
        issue(
          [...path, "path"],
          table.path,
          `${other} is at the same lake path; each table has its own`,
        );
      else tableAt.set(folder(table.path), t);
      if (where === "scratchTables" && table.path.startsWith(replicatedPath))
        issue(
          [...path, "path"],
          table.path,
          `a scratch table is not replicated: keep it outside the replicated lake path ${quote(replicatedPath)}, which holds what is copied to the peer`,
        );
    }
  }
  const names = new Map<string, string>();
  const uniqueJob = (name: string, what: string, path: PropertyKey[]) => {
    const other = names.get(name);
    if (other)
      issue(
        path,
        name,
        `its replication job would be named ${quote(name)}, like ${other}'s; rename one`,
      );
    else names.set(name, what);
  };
  for (const t of Object.keys(replicated))
    uniqueJob(replicationJobName(t), t, ["replication", "tables", t]);
  for (const [k, l] of Object.entries(spec.replication?.landing ?? {})) {
    uniqueJob(landingJobName(k), `landing ${k}`, ["replication", "landing", k]);
    checkUnder(l?.path, ["replication", "landing", k, "path"], "a landing folder");
  }
  function checkUnder(p: unknown, path: PropertyKey[], what: string) {
    if (typeof p === "string" && !p.startsWith(replicatedPath))
      issue(
        path,
        p,
        `${what} must be under the replicated lake path ${quote(replicatedPath)}, or it is lost with this region`,
      );
  }
  const inLanding = (p: string) => landing.some((l) => folder(p) === l || p.startsWith(`${l}/`));
  const declared = [
    ...[...tableAt.keys()].map((p) => `${LAKE_PARAMETER}${p}`),
    ...landing.map((l) => `${LAKE_PARAMETER}${l}/...`),
  ];
  const written = new Set<string>();
  for (const [k, job] of Object.entries(spec.jobs ?? {})) {
    if (
      typeof job.checkpointLocation === "string" &&
      job.checkpointLocation.startsWith(replicatedPath)
    )
      issue(
        ["jobs", k, "checkpointLocation"],
        job.checkpointLocation,
        `a checkpoint is never replicated (a deep clone copies Delta tables, not checkpoint folders) and each site's stream keeps its own; use a folder outside the replicated lake path ${quote(replicatedPath)}, e.g. "checkpoints/${k}"`,
      );
    const watched = job.trigger?.fileArrival?.path;
    if (typeof watched === "string" && !inLanding(watched))
      issue(
        ["jobs", k, "trigger", "fileArrival", "path"],
        watched,
        `a file-arrival trigger watches a landing folder copied to the peer (replication.landing), or a promoted site has nothing to load; allowed: ${landing.length ? oneOf(landing.map((l) => `${l}/...`)) : "none declared"}`,
      );
    const given = new Set<string>();
    for (const [t, task] of Object.entries(job.tasks ?? {})) {
      for (const [p, v] of Object.entries(task?.parameters ?? {})) {
        if (typeof v !== "string" || !v.startsWith(LAKE_PARAMETER)) continue;
        const rel = folder(v.slice(LAKE_PARAMETER.length));
        given.add(rel);
        if (!tableAt.has(rel) && !inLanding(rel))
          issue(
            ["jobs", k, "tasks", t, "parameters", p],
            v,
            `names no declared lake location: a table (replication.tables, scratchTables) or a folder under replication.landing; after a failover nobody would know whether the other site has it; allowed: ${declared.length ? oneOf(declared) : "none declared"}`,
          );
      }
    }
    for (const t of job.writes ?? []) {
      written.add(t);
      const table = replicated[t] ?? scratch[t];
      if (!table)
        issue(
          ["jobs", k, "writes"],
          t,
          `job ${k} writes ${t}, which is neither replicated (replication.tables) nor marked rebuildable scratch (scratchTables): a failover would lose it; replicate it, or mark it scratch if ${k} rebuilds it from replicated data`,
        );
      else if (typeof table.path === "string" && !given.has(folder(table.path)))
        issue(
          ["jobs", k, "writes"],
          t,
          `job ${k} says it writes ${t}, but none of its tasks is given ${LAKE_PARAMETER}${folder(table.path)}`,
        );
    }
  }
  for (const t of Object.keys(scratch))
    if (!written.has(t))
      issue(
        ["scratchTables", t],
        t,
        `no job writes ${t} (jobs.<job>.writes), so nothing rebuilds it after a failover; replicate it, or name the job that rebuilds it`,
      );
}

const shape = {
  /** Workspace (DBFS root) storage redundancy, parameters.storageAccountSkuName. Default Standard_GRS. */
  storageAccountSku: storageSku("Standard_GRS"),
  /** Allow ZRS or LRS for workspace or lake storage. Default false. */
  allowSingleRegionStorage: bool().default(false),
  lake: strictObject({
    /** The ADLS Gen2 lake's redundancy. Default Standard_RAGZRS (readable from the paired region). */
    sku: storageSku("Standard_RAGZRS"),
    container: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/, { error: "malformed container name" })
      .default("lake"),
    /** Lake path whose data is replicated to the peer: deep-cloned tables and copied landing folders. */
    replicatedPath: z
      .string()
      .regex(/^[a-z0-9_-]+$/, { error: "must be one folder name" })
      .default("replicated"),
  }).default({ sku: "Standard_RAGZRS", container: "lake", replicatedPath: "replicated" }),
  /**
   * The application (client) ID of the Entra ID service principal every job runs as and that
   * owns every job. Without it a job runs as, and is owned by, whoever last ran `pulumi up`
   * (the provider makes the current principal IS_OWNER: terraform-provider-databricks
   * permissions/resource_permissions.go). The program adds it to each workspace.
   */
  runAs: guid,
  /**
   * Workspace folder that receives workspace/. Default /Users/<runAs>/paired-dr: the service
   * principal's home. Never under /Shared, where every user has CAN_MANAGE on every item and a
   * permission set on it restricts nothing (provider docs, permissions.md).
   */
  workspaceRoot: z
    .string()
    .regex(WORKSPACE_PATH, { error: `malformed folder; allowed: ${WORKSPACE_PATH_RULE}` })
    .refine((p) => !/^\/(Shared|Repos)(\/|$)/.test(p), {
      error:
        "every user has CAN_MANAGE on everything under /Shared (and /Repos holds Git folders), so permissions there restrict nothing; use a folder elsewhere, e.g. the default /Users/<runAs>/paired-dr",
    })
    .optional(),
  groups: namedMap(
    strictObject({ workspaceAccess: bool().default(true), sqlAccess: bool().default(false) }),
  ).default({}),
  pools: namedMap(poolSchema).default({}),
  clusterPolicies: namedMap(clusterPolicySchema).default({}),
  jobs: namedMap(jobSchema).default({}),
  secretScopes: namedMap(
    strictObject({ permissions: permissions(PERMISSION_LEVELS.secretScope) }),
  ).default({}),
  initScripts: namedMap(
    strictObject({
      /** Repo path under init-scripts/. */
      source: z.string().refine((s) => s.startsWith(`${INIT_SCRIPTS_DIR}/`), {
        error: `must be a file under ${INIT_SCRIPTS_DIR}/`,
      }),
      /**
       * Where the script runs among the workspace's global scripts, from 1 (the second). Omitted:
       * after the others. 0 is refused: the provider never sends a zero (databricks-sdk-go
       * compute GlobalInitScriptCreateRequest `position,omitempty`), so the script would run
       * last and read back as a diff on every refresh.
       */
      position: z
        .number()
        .refine((p) => p !== 0, {
          error:
            "0 is never sent to Databricks (the provider drops zero values), so the script would run last and show a diff on every refresh; omit position to run the script after the others, or give 1 or more",
        })
        .pipe(int("position", 1, 1000))
        .optional(),
      enabled: bool().default(true),
    }),
  ).default({}),
  /**
   * What each group may do through the external location on this site's own lake (Unity
   * Catalog). The jobs' service principal gets READ_FILES, WRITE_FILES and
   * CREATE_EXTERNAL_TABLE on both lakes' locations regardless.
   */
  lakeGrants: z
    .record(
      keyName,
      z.array(z.enum(LAKE_PRIVILEGES, { error: `must be ${oneOf(LAKE_PRIVILEGES)}` }), {
        error: "must be a list of privileges",
      }),
      { error: "must be a map of group: privileges" },
    )
    .default({}),
  /** Permissions on the workspace root folder. */
  folderPermissions: permissions(PERMISSION_LEVELS.workspaceObject),
  /** Permissions per notebook key. */
  notebookPermissions: z
    .record(z.string(), permissions(PERMISSION_LEVELS.workspaceObject))
    .default({}),
  replication: replicationSchema.optional(),
  /**
   * Tables that are not replicated because the jobs that write them rebuild them from replicated
   * data (a mart rebuilt by the next nightly run). They are lost with their region, by decision.
   */
  scratchTables: z
    .record(tableName, strictObject({ path: lakePath }), {
      error: `must be a map of ${TABLE_RULE}: {path}`,
    })
    .default({}),
  /**
   * Who hears of a failed run of any job that names nobody itself, and of every replication job:
   * the active site depends on all of them, and a deep clone that fails silently lets the RPO
   * slip unseen (seed 000).
   */
  notifications: strictObject({
    emailOnFailure: z.array(z.email({ error: "must be an email address" })).default([]),
  }).default({ emailOnFailure: [] }),
};

type WorkspaceSpecInput = Partial<z.output<z.ZodObject<typeof shape>>>;

/** The service principal's home folder: where the workspace objects go unless told otherwise. */
export const defaultWorkspaceRoot = (runAs: string) => `/Users/${runAs}/paired-dr`;

/** The shared workspace spec, checked against the repo's notebooks and init scripts. */
export function workspaceSpecSchema(repo: RepoFiles) {
  return strictObject(shape)
    .superRefine((spec, ctx) => checkReferences(spec, repo, ctx), {
      // References are checked even when other parts of the spec are wrong, so all are reported.
      when: () => true,
    })
    .transform((spec) => ({
      ...spec,
      workspaceRoot: spec.workspaceRoot ?? defaultWorkspaceRoot(spec.runAs),
    }));
}

export type WorkspaceSpec = z.output<ReturnType<typeof workspaceSpecSchema>>;
