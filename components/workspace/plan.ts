import { createHash } from "node:crypto";
import type * as databricks from "@pulumi/databricks";
import type * as pulumi from "@pulumi/pulumi";
import { cronEvery, replicationCadence } from "../../config/cron";
import {
  FENCE_CHECK_TASK,
  FENCE_NOTEBOOK,
  LAKE_PARAMETER,
  WORKSPACE_PARAMETER,
  landingJobName,
  replicationJobName,
} from "../../config/workspaceSchema";
import type {
  JobClusterSpec,
  JobSpec,
  PoolSpec,
  ReplicationSpec,
  WorkspaceSpec,
} from "../../config/workspaceSchema";
import type { FinalSyncRecord } from "../lastDeployment";
import { drainKey } from "../drain";
import { lakeUrl } from "../naming";
import type { Role, Site } from "../role";
import type { SyncedRun } from "./finalSync";

/**
 * The Workspace's decisions, as pure functions of the spec and the role. A passive site stands
 * down (seed 000, "pool config" and "job config" rows): pools keep no idle instances, jobs run
 * nothing and every schedule, continuous run and trigger is paused. An active site restores
 * exactly what was declared, never a blanket unpause.
 */

type PauseStatus = "PAUSED" | "UNPAUSED";
type JobArgs = databricks.JobArgs;
type JobCluster = databricks.types.input.JobJobCluster;
type JobTask = databricks.types.input.JobTask;

/** Idle instances a pool keeps: none on a passive site, as declared on an active one. */
export function poolMinIdle(declared: number, role: Role): number {
  return role === "passive" ? 0 : declared;
}

/**
 * How a job runs on this site. Concurrency 0 alone is no guarantee: the Terraform provider behind
 * @pulumi/databricks reads max_concurrent_runs with GetOk and may never send a 0, so a passive
 * job is also paused.
 */
export function jobRunState(
  declared: { maxConcurrentRuns: number; pauseStatus: PauseStatus },
  role: Role,
): { maxConcurrentRuns: number; pauseStatus: PauseStatus } {
  return role === "passive" ? { maxConcurrentRuns: 0, pauseStatus: "PAUSED" } : { ...declared };
}

/**
 * The key of this deployment's final sync (FinalSync), or undefined when it makes none. A site
 * that was active stands down while its peer is not active (the promotion's first step, the
 * planned path) and its copies run (the peer's lake exists): its writers stop, then each copy
 * runs once more, before the site records itself passive. After an unplanned failover the peer
 * is already active: the returned site's copies would be refused by the fence, and what it holds
 * that the peer lacks is listed by the peer's clones (issue 10), not copied over the peer's writes.
 * A site without copies has nothing to sync. The key names the active period that ends (a
 * site's epoch is new each time it is promoted), so a retried stand-down adopts its runs and a
 * later one runs again.
 */
export function finalSyncKey(
  site: Site,
  role: Role,
  last: { readonly role?: Role; readonly epoch?: number },
  peerRole: Role | undefined,
  peerLakeReady: boolean,
  copies: number,
): string | undefined {
  if (
    role !== "passive" ||
    last.role !== "active" ||
    peerRole === "active" ||
    !peerLakeReady ||
    copies === 0
  )
    return undefined;
  return drainKey(site, last);
}

/**
 * The final sync a deployment that makes none records: the one the site made when it last stood
 * down, while it stays passive; none once it is active again (a new active period), nor after a
 * stand-down without one.
 */
export function carriedFinalSync(
  role: Role,
  last: { readonly role?: Role; readonly finalSync?: FinalSyncRecord },
): FinalSyncRecord | undefined {
  return role === "passive" && last.role === "passive" ? last.finalSync : undefined;
}

/**
 * What a final sync records in the drained site's outputs: the copies whose last run succeeded
 * after the writers stopped and, from each deep clone's exit value, the source version it
 * cloned. The standby's promotion is checked against it (policies/promotion.ts).
 */
export function finalSyncRecord(
  key: string,
  epoch: number,
  synced: readonly SyncedRun[],
): FinalSyncRecord {
  const tables: Record<string, number> = {};
  for (const run of synced) {
    const { table, sourceVersion } = run.output ?? {};
    if (typeof table === "string" && Number.isSafeInteger(sourceVersion))
      tables[table] = sourceVersion as number;
  }
  return { key, epoch, jobs: synced.map((r) => r.name).sort(), tables };
}

/** Each copy job's run limit in minutes (copyJobArgs' task timeout). */
export function copyRunLimitsMinutes(replication: ReplicationSpec | undefined): number[] {
  return [
    ...Object.values(replication?.tables ?? {}),
    ...Object.values(replication?.landing ?? {}),
  ].map((c) => replicationCadence(c.rpoMinutes).timeoutMinutes);
}

/** What the final sync allows the writers' cancelled runs to end in. */
export const WRITER_CANCEL_MINUTES = 10;

/**
 * The final sync's deadline: the writers' cancellation, then the slowest copy twice (a scheduled
 * run still in flight goes first; the final run queues behind it), each within its run limit.
 */
export function finalSyncTimeoutMinutes(copyRunLimitsMinutes: readonly number[]): number {
  return WRITER_CANCEL_MINUTES + 2 * Math.max(0, ...copyRunLimitsMinutes);
}

/** The copy jobs a final sync runs: one per replicated table and per landing folder. */
export function copyJobNames(replication: ReplicationSpec | undefined): string[] {
  return [
    ...Object.keys(replication?.tables ?? {}).map(replicationJobName),
    ...Object.keys(replication?.landing ?? {}).map(landingJobName),
  ].sort();
}

export function poolArgs(
  key: string,
  pool: PoolSpec,
  role: Role,
  tags: Record<string, string>,
): databricks.InstancePoolArgs {
  return {
    instancePoolName: key,
    nodeTypeId: pool.nodeTypeId,
    minIdleInstances: poolMinIdle(pool.minIdleInstances, role),
    maxCapacity: pool.maxCapacity,
    idleInstanceAutoterminationMinutes: pool.idleInstanceAutoterminationMinutes,
    preloadedSparkVersions: [pool.sparkVersion],
    azureAttributes: { availability: pool.availability },
    customTags: tags,
  };
}

/** What job and replication args need from the workspace: pool and policy IDs, lake, folders. */
export interface JobContext {
  readonly site: Site;
  readonly role: Role;
  /**
   * The peer's lake exists (its deployed outputs show it). A deep clone into a lake that does
   * not exist fails every run, so replication waits for it: on a first deployment the next
   * deployment after the peer's starts it.
   */
  readonly peerLakeReady: boolean;
  readonly pools: Readonly<
    Record<string, { readonly id: pulumi.Input<string>; readonly sparkVersion: string }>
  >;
  /** Each cluster policy's ID and what it fixes (policyFixedValues). */
  readonly policies: Readonly<
    Record<string, { readonly id: pulumi.Input<string>; readonly fixed: PolicyFixed }>
  >;
  readonly workspaceRoot: string;
  /** The service principal (application ID) every job runs as. */
  readonly runAs: string;
  /** Who hears of a failed run of a job that names nobody itself (notifications). */
  readonly emailOnFailure: readonly string[];
  readonly lake: {
    readonly account: string;
    readonly peerAccount: string;
    readonly container: string;
  };
}

export const JOB_CLUSTER_KEY = "main";

/** The cluster maps a policy can fix, by the prefix of their attributes in its definition. */
const FIXED_MAPS = {
  "custom_tags.": "customTags",
  "spark_conf.": "sparkConf",
  "spark_env_vars.": "sparkEnvVars",
} as const;
export type PolicyFixed = Partial<
  Record<(typeof FIXED_MAPS)[keyof typeof FIXED_MAPS], Record<string, string>>
>;

/**
 * The tags, Spark conf and environment a cluster policy fixes. A cluster under the policy repeats
 * them: the provider reads the policy's values back from the cluster, and a field the config
 * leaves out is drift on every plan (terraform-provider-databricks docs/resources/cluster.md on
 * policy_id; databricks/cli#6512 for custom_tags).
 */
export function policyFixedValues(definition: Readonly<Record<string, unknown>>): PolicyFixed {
  const fixed: PolicyFixed = {};
  for (const [attribute, rule] of Object.entries(definition)) {
    const r = rule as { type?: unknown; value?: unknown } | null;
    if (r?.type !== "fixed" || r.value === undefined) continue;
    for (const [prefix, field] of Object.entries(FIXED_MAPS)) {
      if (attribute.startsWith(prefix))
        (fixed[field] ??= {})[attribute.slice(prefix.length)] = String(r.value);
    }
  }
  return fixed;
}

/** A job cluster on a pool (driver and workers), portable across regions: no cluster IDs. */
export function jobClusterArgs(cluster: JobClusterSpec, ctx: JobContext): JobCluster {
  const pool = ctx.pools[cluster.pool];
  if (!pool) throw new Error(`unknown pool ${JSON.stringify(cluster.pool)}`);
  const policy = cluster.policy === undefined ? undefined : ctx.policies[cluster.policy];
  return {
    jobClusterKey: JOB_CLUSTER_KEY,
    newCluster: {
      sparkVersion: pool.sparkVersion,
      instancePoolId: pool.id,
      driverInstancePoolId: pool.id,
      ...(cluster.workers !== undefined
        ? { numWorkers: cluster.workers }
        : {
            autoscale: { minWorkers: cluster.autoscale!.min, maxWorkers: cluster.autoscale!.max },
          }),
      ...(policy && { policyId: policy.id, applyPolicyDefaultValues: true, ...policy.fixed }),
      // Unity Catalog reaches the lakes only from an access mode it allows; a dedicated cluster
      // names its one user, the principal the job runs as (provider docs, cluster.md).
      dataSecurityMode: "SINGLE_USER",
      singleUserName: ctx.runAs,
      // No tags of its own: the pool's tags reach every cluster on it, and a cluster that repeats
      // a pool tag key fails to launch (terraform-provider-databricks docs/resources/instance_pool.md, PR #2242).
    },
  };
}

/** The job's declared pause status, whichever of schedule, continuous or trigger it uses. */
export function declaredPauseStatus(job: JobSpec): PauseStatus {
  return (job.schedule ?? job.continuous ?? job.trigger)!.pauseStatus;
}

/**
 * Task parameters may name a lake path as "lake:<path>" (this site's abfss:// URL) and a file of
 * workspace/ as "workspace:<path>" (its /Workspace path under the workspace root).
 */
export function expandParameters(
  params: Readonly<Record<string, string>>,
  ctx: JobContext,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [
      k,
      v.startsWith(LAKE_PARAMETER)
        ? lakeUrl(ctx.lake.account, ctx.lake.container, v.slice(LAKE_PARAMETER.length))
        : v.startsWith(WORKSPACE_PARAMETER)
          ? `/Workspace${ctx.workspaceRoot}/${v.slice(WORKSPACE_PARAMETER.length)}`
          : v,
    ]),
  );
}
export const FENCE_CHECK_TIMEOUT_SECONDS = 600;

/**
 * What the fence notebook and the deep clone read (fencing, issue 10): this site, both lakes and
 * the fence module. The notebook refuses a site that is not active, or that a later promotion of
 * the peer made stale.
 */
export function fenceParameters(ctx: JobContext): Record<string, string> {
  return {
    paired_dr_site: ctx.site,
    paired_dr_lake: lakeUrl(ctx.lake.account, ctx.lake.container),
    paired_dr_peer_lake: lakeUrl(ctx.lake.peerAccount, ctx.lake.container),
    // Absolute: a notebook that runs the check with %run keeps its own working directory.
    paired_dr_fence_dir: `/Workspace${ctx.workspaceRoot}/fence`,
  };
}

export function jobArgs(key: string, job: JobSpec, ctx: JobContext): JobArgs {
  const state = jobRunState(
    { maxConcurrentRuns: job.maxConcurrentRuns, pauseStatus: declaredPauseStatus(job) },
    ctx.role,
  );
  const checkpoint: Record<string, string> =
    job.checkpointLocation === undefined
      ? {}
      : {
          checkpoint_location: lakeUrl(
            ctx.lake.account,
            ctx.lake.container,
            job.checkpointLocation,
          ),
        };
  const fence = fenceParameters(ctx);
  // A continuous job cannot have task dependencies (Databricks docs, jobs/continuous): its
  // notebooks run the fence notebook themselves (%run, checked in config/workspaceSchema.ts),
  // with the fence parameters beside their own. So do the notebooks of a job with a checkpoint,
  // which is kept per fence epoch. Any other job runs it as a first task that every other task
  // waits for (run_if defaults to ALL_SUCCESS).
  const inline = job.continuous !== undefined || job.checkpointLocation !== undefined;
  const declared: JobTask[] = Object.entries(job.tasks).map(([taskKey, task]) => {
    const dependsOn = task.dependsOn.length || inline ? task.dependsOn : [FENCE_CHECK_TASK];
    return {
      taskKey,
      jobClusterKey: JOB_CLUSTER_KEY,
      notebookTask: {
        notebookPath: `${ctx.workspaceRoot}/${task.notebook}`,
        source: "WORKSPACE",
        baseParameters: {
          ...expandParameters(task.parameters, ctx),
          ...checkpoint,
          ...(inline && fence),
        },
      },
      ...(dependsOn.length && { dependsOns: dependsOn.map((d) => ({ taskKey: d })) }),
      timeoutSeconds: task.timeoutSeconds,
      maxRetries: task.maxRetries,
    };
  });
  const check: JobTask = {
    taskKey: FENCE_CHECK_TASK,
    jobClusterKey: JOB_CLUSTER_KEY,
    notebookTask: {
      notebookPath: `${ctx.workspaceRoot}/${FENCE_NOTEBOOK}`,
      source: "WORKSPACE",
      baseParameters: fence,
    },
    // The peer's fence is read with a bounded wait (workspace/fence/paired_dr_fence.py); this bounds the rest.
    timeoutSeconds: FENCE_CHECK_TIMEOUT_SECONDS,
    maxRetries: 0,
  };
  const tasks = inline ? declared : [check, ...declared];
  return {
    name: key,
    ...(job.description !== undefined && { description: job.description }),
    maxConcurrentRuns: state.maxConcurrentRuns,
    ...(job.schedule && {
      schedule: {
        quartzCronExpression: job.schedule.cron,
        timezoneId: job.schedule.timezone,
        pauseStatus: state.pauseStatus,
      },
    }),
    ...(job.continuous && { continuous: { pauseStatus: state.pauseStatus } }),
    // Pausing a continuous job does not stop its active run; with controlRunState the provider
    // stops it (provider docs for control_run_state; issue #2130), and restarts it on an update,
    // which runs the fence check again.
    ...(job.continuous && { controlRunState: true }),
    ...(job.trigger && {
      trigger: {
        fileArrival: {
          url: lakeUrl(ctx.lake.account, ctx.lake.container, job.trigger.fileArrival.path),
          minTimeBetweenTriggersSeconds: job.trigger.fileArrival.minTimeBetweenTriggersSeconds,
        },
        pauseStatus: state.pauseStatus,
      },
    }),
    jobClusters: [jobClusterArgs(job.cluster, ctx)],
    tasks,
    runAs: { servicePrincipalName: ctx.runAs },
    ...failureNotifications(job.emailOnFailure.length ? job.emailOnFailure : ctx.emailOnFailure),
  };
}

/** A job's email on failure; none when nobody is named (config refuses that for any job). */
function failureNotifications(emails: readonly string[]): Partial<JobArgs> {
  return emails.length ? { emailNotifications: { onFailures: [...emails] } } : {};
}

/**
 * The Delta deep clone of one table (seed 000, "data replication"). Each site clones its own lake
 * to its peer's, on the schedule of the table's RPO; only the active site's job runs, so a
 * promotion reverses the direction without a new resource.
 */
export function replicationJobArgs(
  table: string,
  spec: ReplicationSpec["tables"][string],
  replication: ReplicationSpec,
  ctx: JobContext,
): JobArgs {
  return copyJobArgs(
    {
      name: replicationJobName(table),
      description: `Delta deep clone of ${table} to the peer site's lake, within its RPO of ${spec.rpoMinutes} minutes.`,
      notebook: replication.notebook,
      taskKey: "deep_clone",
      parameters: { table },
      tags: { "replicated-table": table },
    },
    spec,
    replication,
    ctx,
  );
}

/**
 * The copy of one landing folder's files to the same folder in the peer's lake, on the schedule
 * of its RPO: the raw files a promoted site's streams and loads read (issue 12). Only the active
 * site's job runs, like a deep clone.
 */
export function landingJobArgs(
  key: string,
  spec: ReplicationSpec["landing"][string],
  replication: ReplicationSpec,
  ctx: JobContext,
): JobArgs {
  return copyJobArgs(
    {
      name: landingJobName(key),
      description: `Copies new files of the landing folder ${spec.path} to the peer site's lake, within its RPO of ${spec.rpoMinutes} minutes.`,
      notebook: replication.landingNotebook,
      taskKey: "copy_files",
      parameters: { landing: key },
      tags: { "replicated-landing": key },
    },
    spec,
    replication,
    ctx,
  );
}

/**
 * A job that copies one lake path to the same path in the peer's lake within its RPO: on the
 * schedule and with the run limit of replicationCadence, and no retry within a run (the next
 * slot is the retry; a retry in the run would outlast the slot, which Databricks then skips).
 */
function copyJobArgs(
  job: {
    name: string;
    description: string;
    notebook: string;
    taskKey: string;
    parameters: Record<string, string>;
    tags: Record<string, string>;
  },
  spec: { readonly path: string; readonly rpoMinutes: number },
  replication: ReplicationSpec,
  ctx: JobContext,
): JobArgs {
  const state = jobRunState(
    { maxConcurrentRuns: 1, pauseStatus: "UNPAUSED" },
    ctx.peerLakeReady ? ctx.role : "passive",
  );
  const cadence = replicationCadence(spec.rpoMinutes);
  return {
    name: job.name,
    description: job.description,
    maxConcurrentRuns: state.maxConcurrentRuns,
    schedule: {
      quartzCronExpression: cronEvery(cadence.everyMinutes),
      timezoneId: "UTC",
      pauseStatus: state.pauseStatus,
    },
    jobClusters: [jobClusterArgs(replication.cluster, ctx)],
    runAs: { servicePrincipalName: ctx.runAs },
    tasks: [
      {
        taskKey: job.taskKey,
        jobClusterKey: JOB_CLUSTER_KEY,
        notebookTask: {
          notebookPath: `${ctx.workspaceRoot}/${job.notebook}`,
          source: "WORKSPACE",
          // The notebook checks both fences itself, right before it writes (fencing, issue 10).
          baseParameters: {
            ...job.parameters,
            source: lakeUrl(ctx.lake.account, ctx.lake.container, spec.path),
            target: lakeUrl(ctx.lake.peerAccount, ctx.lake.container, spec.path),
            ...fenceParameters(ctx),
          },
        },
        // No maxRetries: the Jobs API's default is no retry (a 0 is never sent by the provider).
        timeoutSeconds: cadence.timeoutMinutes * 60,
      },
    ],
    ...failureNotifications(ctx.emailOnFailure),
    // Job tags reach the job's clusters too: none of the pool's keys (POOL_TAG_KEYS).
    tags: job.tags,
  };
}

/** A global init script: its position only when given (a 0 is never sent; config refuses it). */
export function initScriptArgs(
  key: string,
  script: WorkspaceSpec["initScripts"][string],
): databricks.GlobalInitScriptArgs {
  return {
    name: key,
    source: script.source,
    enabled: script.enabled,
    ...(script.position !== undefined && { position: script.position }),
  };
}

/**
 * A digest of a job's settings as the provider sends them: it changes exactly when the Job is
 * updated, which is when the job's concurrency must be set again (jobConcurrency.ts).
 */
export function jobSettingsDigest(settings: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash("sha256")
    .update(JSON.stringify(canonical(settings)))
    .digest("hex")
    .slice(0, 16);
}

export type AccessControl =
  | { groupName: string; permissionLevel: string }
  | { servicePrincipalName: string; permissionLevel: string };

/**
 * Group permissions as Databricks access controls, in a stable order, then the service
 * principal's (`principal`: its application ID and level), when one is given.
 */
export function accessControls(
  perms: Readonly<Record<string, string>>,
  principal?: { readonly servicePrincipalName: string; readonly permissionLevel: string },
): AccessControl[] {
  return [
    ...Object.entries(perms)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([groupName, permissionLevel]) => ({ groupName, permissionLevel })),
    ...(principal ? [{ ...principal }] : []),
  ];
}
