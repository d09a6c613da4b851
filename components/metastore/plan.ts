import type * as gcp from "@pulumi/gcp";
import type * as pulumi from "@pulumi/pulumi";
import { unixCronEvery } from "../../config/cron";
import { BACKUP_MIN_AGE_MINUTES } from "../../config/cron";
import type { MetastoreSpec } from "../../config/metastoreSchema";
import { fenceObject } from "../fence";
import { BACKUP_NAME, type LastDeployment, type PromotionSource } from "../lastDeployment";
import { drainKey } from "../drain";
import { peerSite, type Role, type Site } from "../role";

/** What exists on this site, decided from the standby mode, the role and the last deployment. */
export interface MetastoreDecision {
  /** A metastore service exists on this site. */
  readonly service: boolean;
  /** scheduledBackup.enabled on this site's service. */
  readonly backups: boolean;
  /** The restore scheduler: absent (no service to restore into), paused, or running. */
  readonly restoreSchedule: "none" | "paused" | "running";
  /** Restore the service once on promotion (kept while the site stays active). */
  readonly restoreOnce: boolean;
  /**
   * Into what: "new-service", the service a cold standby's promotion creates (the run waits for
   * it); "standby", a hot standby's own service, which the run quiesces and restores before the
   * service's update enables backups (issue 13).
   */
  readonly promotionRestore: "none" | "new-service" | "standby";
  readonly dataprocCluster: boolean;
}

/**
 * The MetastorePair's decision. A role flip never removes a service: a site that ever had one
 * (read from its own last deployment) keeps it, and as a passive site runs as a hot standby from
 * then on. Promotion of a cold site is told apart from a first deployment by the last role.
 */
export function decideMetastore(
  spec: MetastoreSpec,
  role: Role,
  last: LastDeployment,
): MetastoreDecision {
  const hadService = last.metastoreProvisioned === true;
  const service = role === "active" || spec.standby === "hot" || hadService;
  const promotedCold =
    spec.standby === "cold" && role === "active" && !hadService && last.role === "passive";
  // A standby that had a service restores the newest backup once more: its last scheduled
  // restore is up to a backup interval, a restore interval and a restore old.
  const promotedHot = role === "active" && hadService && last.role === "passive";
  const kept = role === "active" && last.metastoreRestoredOnce === true;
  // A run recorded by the last deployment is kept first: a deployment rebuilt from its own
  // outputs (tools/runbook/state.ts) reads its earlier role with this deployment's records.
  const promotionRestore = kept
    ? (last.metastorePromotionRestore ?? "new-service")
    : promotedCold
      ? "new-service"
      : promotedHot
        ? "standby"
        : "none";
  return {
    service,
    backups: role === "active",
    restoreSchedule: !service ? "none" : role === "active" ? "paused" : "running",
    restoreOnce: promotionRestore !== "none",
    promotionRestore,
    dataprocCluster:
      service && spec.cluster.enabled && (role === "active" || spec.cluster.keepWarm),
  };
}

/** The folder of both sites' scheduled backups in the dual-region backup bucket. */
export const BACKUPS_PREFIX = "metastore/";

/** Where a site's scheduled backups go: its own folder in the dual-region backup bucket. */
export function backupFolder(site: Site): string {
  return `${BACKUPS_PREFIX}${site}/`;
}

/**
 * The service's scheduledBackup.backupLocation: the folder, without a trailing slash (the API
 * puts each backup in a sub-folder below it: magic-modules mmv1/products/metastore/Service.yaml,
 * scheduledBackup.backupLocation).
 */
export function backupLocation(bucket: string, site: Site): string {
  return `gs://${bucket}/${backupFolder(site).replace(/\/$/, "")}`;
}

/** The service's network: a VPC name in this project as the API names it, or a full path. */
export function metastoreNetwork(vpc: string, projectNumber: string): string {
  return vpc.includes("/") ? vpc : `projects/${projectNumber}/global/networks/${vpc}`;
}

export interface ServiceContext {
  readonly serviceId: string;
  /** projects/<number>/global/networks/<name> (metastoreNetwork). */
  readonly network: string;
  readonly region: string;
  readonly site: Site;
  readonly warehouseBucket: string;
  readonly backupBucket: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The Dataproc Metastore service; only scheduledBackup.enabled depends on the role. */
export function metastoreServiceArgs(
  spec: MetastoreSpec,
  decision: Pick<MetastoreDecision, "backups">,
  ctx: ServiceContext,
): gcp.dataproc.MetastoreServiceArgs {
  return {
    serviceId: ctx.serviceId,
    location: ctx.region,
    network: ctx.network,
    tier: spec.tier,
    databaseType: "MYSQL",
    releaseChannel: "STABLE",
    hiveMetastoreConfig: {
      version: spec.hiveVersion,
      configOverrides: {
        "hive.metastore.warehouse.dir": `gs://${ctx.warehouseBucket}/hive-warehouse`,
      },
    },
    scheduledBackup: {
      enabled: decision.backups,
      cronSchedule: unixCronEvery(spec.backupEveryMinutes),
      timeZone: "UTC",
      backupLocation: backupLocation(ctx.backupBucket, ctx.site),
    },
    deletionProtection: true,
    deletionPolicy: "PREVENT",
    labels: { ...ctx.labels },
  };
}

/**
 * A drill's scratch service (issue 15): the site's service as declared, under its own ID, with no
 * scheduled backups (nothing of it is kept), deletable (turning the drill off deletes it), and
 * labelled scratch. The newest backup is restored into it, never into the standby's own service.
 */
export function drillServiceArgs(
  spec: MetastoreSpec,
  ctx: ServiceContext & { readonly drillServiceId: string },
): gcp.dataproc.MetastoreServiceArgs {
  const { scheduledBackup: _backups, ...service } = metastoreServiceArgs(
    spec,
    { backups: false },
    ctx,
  );
  return {
    ...service,
    serviceId: ctx.drillServiceId,
    deletionProtection: false,
    deletionPolicy: "DELETE",
    labels: { ...ctx.labels, "paired-dr-scratch": "drill" },
  };
}

/** A drill's run of the restore workflow: the newest backup into the scratch service, whatever its age. */
export function drillRestoreRun(
  spec: MetastoreSpec,
  args: { project: string; region: string; drillServiceId: string; key: string },
) {
  return {
    target: `projects/${args.project}/locations/${args.region}/services/${args.drillServiceId}`,
    runKey: args.key,
    // The report says how old it was; the service is new, so the run waits for it to be ACTIVE.
    argument: { restoreWhateverAge: true, waitForIdle: true },
    quiesceSchedule: "",
    timeoutSeconds: 60 * promotionRunMinutes(spec.restore.timeoutMinutes, true),
  };
}

/** What the restore workflow reads from its environment (see workflows/metastore-restore.yaml). */
export function restoreEnvironment(
  spec: MetastoreSpec,
  args: {
    project: string;
    region: string;
    serviceId: string;
    backupBucket: string;
    peerSite: Site;
  },
): Record<string, string> {
  return {
    METASTORE_SERVICE: `projects/${args.project}/locations/${args.region}/services/${args.serviceId}`,
    BACKUP_BUCKET: args.backupBucket,
    BACKUP_PREFIX: backupFolder(args.peerSite),
    RPO_MINUTES: String(spec.rpoMinutes),
    RESTORE_TIMEOUT_SECONDS: String(spec.restore.timeoutMinutes * 60),
    BACKUP_MIN_AGE_SECONDS: String(BACKUP_MIN_AGE_MINUTES * 60),
    POLL_SECONDS: "15",
  };
}

/**
 * Restores start this many minutes past the backups' slots (every backup interval divides the
 * hour or the day from :00), so that the backup started at the slot has finished and aged.
 */
export const RESTORE_OFFSET_MINUTES = 7;

/** A Cloud Scheduler target that starts an execution of a workflow, as `serviceAccountEmail`. */
function startsWorkflow(args: {
  project: string;
  region: string;
  workflow: string;
  serviceAccountEmail: pulumi.Input<string>;
}): gcp.types.input.cloudscheduler.JobHttpTarget {
  return {
    httpMethod: "POST",
    uri: `https://workflowexecutions.googleapis.com/v1/projects/${args.project}/locations/${args.region}/workflows/${args.workflow}/executions`,
    body: Buffer.from(JSON.stringify({ argument: "{}", callLogLevel: "LOG_ERRORS_ONLY" })).toString(
      "base64",
    ),
    headers: { "Content-Type": "application/json" },
    oauthToken: {
      serviceAccountEmail: args.serviceAccountEmail,
      scope: "https://www.googleapis.com/auth/cloud-platform",
    },
  };
}

interface ScheduleContext {
  name: string;
  project: string;
  region: string;
  workflow: string;
  serviceAccountEmail: pulumi.Input<string>;
}

/** A Cloud Scheduler job that starts the workflow every `everyMinutes`, `offset` minutes past. */
function workflowSchedule(
  args: ScheduleContext & {
    description: string;
    everyMinutes: number;
    offsetMinutes?: number;
    paused: boolean;
  },
): gcp.cloudscheduler.JobArgs {
  return {
    name: args.name,
    region: args.region,
    description: args.description,
    schedule: unixCronEvery(args.everyMinutes, args.offsetMinutes ?? 0),
    timeZone: "UTC",
    paused: args.paused,
    attemptDeadline: "180s",
    httpTarget: startsWorkflow(args),
  };
}

/** The Cloud Scheduler job that starts a restore run, paused while this site is active. */
export function restoreScheduleArgs(
  spec: MetastoreSpec,
  decision: MetastoreDecision,
  args: ScheduleContext,
): gcp.cloudscheduler.JobArgs {
  return workflowSchedule({
    ...args,
    description:
      "Restores the peer site's latest completed metastore backup into this site's service.",
    everyMinutes: spec.restore.everyMinutes,
    offsetMinutes: Math.min(RESTORE_OFFSET_MINUTES, spec.restore.everyMinutes - 1),
    paused: decision.restoreSchedule !== "running",
  });
}

/**
 * The Hive cluster's fence (issue 10): on every site whose config has a cluster, in every role,
 * so that a role flip changes only what it reads. A site whose region comes back after a
 * promotion it missed runs it as it was last deployed, and no deployment is needed for the fence
 * to stop its cluster.
 */
export function hasHiveFence(spec: MetastoreSpec): boolean {
  return spec.cluster.enabled;
}

/** What the fence workflow reads from its environment (see workflows/metastore-fence.yaml). */
export function fenceEnvironment(args: {
  site: Site;
  project: string;
  region: string;
  backupBucket: string;
  /** The cluster this deployment declares, if any. */
  hiveCluster: string | undefined;
}): Record<string, string> {
  return {
    SITE: args.site,
    PEER_SITE: peerSite(args.site),
    PROJECT: args.project,
    REGION: args.region,
    FENCE_BUCKET: args.backupBucket,
    OWN_FENCE: fenceObject(args.site),
    PEER_FENCE: fenceObject(peerSite(args.site)),
    HIVE_CLUSTER: args.hiveCluster ?? "",
  };
}

/** The Cloud Scheduler job that runs the fence: never paused, whatever the role. */
export function fenceScheduleArgs(
  spec: MetastoreSpec,
  args: ScheduleContext,
): gcp.cloudscheduler.JobArgs {
  return workflowSchedule({
    ...args,
    description:
      "Stops this site's Hive cluster while the peer site holds a higher fencing epoch; starts it again once it does not.",
    everyMinutes: spec.fenceEveryMinutes,
    paused: false,
  });
}

/** What a promotion's one run of the restore workflow is given (components/metastore/workflowRun.ts). */
export interface PromotionRun {
  readonly target: string;
  readonly runKey: string;
  readonly argument: Record<string, boolean | string>;
  readonly quiesceSchedule: string;
  readonly timeoutSeconds: number;
}

/**
 * A promotion run's deadline: the restore and a fallback to the next older backup, each within
 * the restore timeout, plus (into a standby) the wait for a restore in flight, plus 5 minutes.
 */
export function promotionRunMinutes(restoreTimeoutMinutes: number, intoStandby: boolean): number {
  return restoreTimeoutMinutes * (intoStandby ? 3 : 2) + 5;
}

/**
 * A promotion's run of the restore workflow, or undefined without one.
 * - The target is the service by its ID (into a standby, the service exists and waits for the
 *   run: naming its output would order the run after it).
 * - One run per promotion: the promotion's epoch is its key, which a retried deployment finds.
 * - A promoted site needs a metastore however old the newest backup: a new service takes 30-60
 *   minutes, past most RPOs, so the run restores it and reports the breach. Into a standby, it
 *   first stops the scheduled restores and waits for one in flight, and a backup it cannot read
 *   leaves the standby's last restore in place (workflows/metastore-restore.yaml).
 * - Its deadline: the restore and a fallback to the next older backup, each bounded by the
 *   restore timeout, plus the wait for a restore in flight into a standby, plus 5 minutes.
 */
export function promotionRun(
  spec: MetastoreSpec,
  decision: MetastoreDecision,
  args: {
    project: string;
    region: string;
    serviceId: string;
    schedule: string;
    epoch: number;
    /** What it restores (promotionRestoreSource); default the newest backup. */
    source?: PromotionSource;
  },
): PromotionRun | undefined {
  if (decision.promotionRestore === "none") return undefined;
  const intoStandby = decision.promotionRestore === "standby";
  const at = `projects/${args.project}/locations/${args.region}`;
  return {
    target: `${at}/services/${args.serviceId}`,
    runKey: `promotion-e${args.epoch}`,
    argument: {
      ...(intoStandby
        ? { restoreWhateverAge: true, waitForIdle: true, allowNoBackup: true }
        : { restoreWhateverAge: true }),
      ...args.source,
    },
    quiesceSchedule: intoStandby ? `${at}/jobs/${args.schedule}` : "",
    timeoutSeconds: 60 * promotionRunMinutes(spec.restore.timeoutMinutes, intoStandby),
  };
}

/**
 * What a promotion's restore restores, decided once, when the site is promoted, and kept from
 * its outputs while it stays active (a later deployment reads newer epochs, and what the run
 * was told must not change): the peer's final backup by name (promotionBackup), nothing over a
 * peer not promoted since this site was active (peerPromotedSince), or the newest backup ({}).
 */
export function promotionRestoreSource(
  last: Pick<
    LastDeployment,
    "role" | "epoch" | "metastoreRestoredOnce" | "metastorePromotionSource"
  >,
  peer: Parameters<typeof promotionBackup>[0],
  forcedFailover: boolean,
): PromotionSource {
  if (last.role === "active" && last.metastoreRestoredOnce === true)
    return last.metastorePromotionSource ?? {};
  if (!peerPromotedSince(last, peer)) return { restoreNothing: true };
  const backup = promotionBackup(peer, last, forcedFailover);
  return backup ? { backup } : {};
}

/**
 * Whether the peer was promoted since this site was last active: its epoch is above the one this
 * site recorded (a promotion raises it above both: components/fence.ts). Not after a switchover
 * called off once this site drained: the peer's backups are then older than what this site
 * holds, and a promotion restores none of them (dr-promotion-gate judges the same way).
 */
export function peerPromotedSince(
  own: { readonly epoch?: number },
  peer: { readonly epoch?: number },
): boolean {
  return peer.epoch === undefined || peer.epoch > (own.epoch ?? 0);
}

/**
 * The backup a promotion restores by name: the final backup of a peer that drained (recorded
 * passive, with a final sync that ended the active period it holds the epoch of) after it was
 * promoted above this site (its epoch above this site's last), so that the backup holds what it
 * wrote since this site was active. None after an unplanned failover, nor over a peer not
 * promoted since (an aborted switchover: its old backup would overwrite this site's newer
 * metadata), nor when a forced failover is acknowledged: the drained site's region may be gone
 * since, and the newest scheduled backup, in the dual-region bucket, is what is left.
 */
export function promotionBackup(
  peer: {
    readonly role?: Role;
    readonly epoch?: number;
    readonly finalSync?: { readonly epoch: number; readonly metastoreBackup?: string };
  },
  own: { readonly epoch?: number },
  forcedFailover: boolean,
): string | undefined {
  const sync = peer.finalSync;
  const epoch = peer.epoch ?? 0;
  return peer.role === "passive" &&
    !forcedFailover &&
    sync &&
    sync.epoch === epoch &&
    peerPromotedSince(own, peer)
    ? sync.metastoreBackup
    : undefined;
}

/**
 * The key of this deployment's final metastore backup (components/drain.ts), or undefined when it
 * takes none: a site that was active, and had its service, stands down while its peer is passive
 * (the planned path). After an unplanned failover the peer is active already and restored what
 * it could; a peer never deployed has no one to restore it.
 */
export function finalBackupKey(
  site: Site,
  role: Role,
  last: Pick<LastDeployment, "role" | "epoch" | "metastoreProvisioned">,
  peerRole: Role | undefined,
): string | undefined {
  return role === "passive" &&
    last.role === "active" &&
    peerRole === "passive" &&
    last.metastoreProvisioned === true
    ? drainKey(site, last)
    : undefined;
}

/**
 * The final backup's deadlines, in minutes: the Hive cluster's stop, one Dataproc operation; an
 * update or a scheduled backup in flight; and each delete and the backup itself, each within the
 * server's one-hour job limit (dataproc-metastore/docs/troubleshooting: a backup or restore of a
 * large service "can take more than the one hour job timeout limit").
 */
export const FINAL_BACKUP_MINUTES = { stop: 15, idle: 60, backup: 60 } as const;

/** How many backups a service holds; an eighth fails (dataproc-metastore/docs/backup-metadata). */
export const MAX_METASTORE_BACKUPS = 7;

/**
 * The final backup run's deadline: the stop, the wait for an idle service, then a delete of an
 * earlier attempt's backup and the backup, plus 5 minutes.
 */
export function finalBackupRunMinutes(): number {
  const m = FINAL_BACKUP_MINUTES;
  return m.stop + m.idle + 2 * m.backup + 5;
}

/** What the final backup workflow reads from its environment (workflows/metastore-final-backup.yaml). */
export function finalBackupEnvironment(args: {
  site: Site;
  project: string;
  region: string;
  serviceId: string;
  /** The Hive cluster to stop first, and its fence workflow; undefined without a cluster. */
  hiveCluster?: { readonly name: string; readonly fenceWorkflow: string };
}): Record<string, string> {
  const m = FINAL_BACKUP_MINUTES;
  const at = `projects/${args.project}`;
  return {
    METASTORE_SERVICE: `${at}/locations/${args.region}/services/${args.serviceId}`,
    SITE: args.site,
    HIVE_CLUSTER: args.hiveCluster
      ? `${at}/regions/${args.region}/clusters/${args.hiveCluster.name}`
      : "",
    FENCE_WORKFLOW: args.hiveCluster
      ? `${at}/locations/${args.region}/workflows/${args.hiveCluster.fenceWorkflow}`
      : "",
    STOP_TIMEOUT_SECONDS: String(m.stop * 60),
    IDLE_TIMEOUT_SECONDS: String(m.idle * 60),
    BACKUP_TIMEOUT_SECONDS: String(m.backup * 60),
    MAX_BACKUPS: String(MAX_METASTORE_BACKUPS),
    POLL_SECONDS: "30",
    FENCE_EVERY_SECONDS: "120",
  };
}

/** The stand-down's one run of the final backup workflow (components/metastore/workflowRun.ts). */
export function finalBackupRun(args: {
  project: string;
  region: string;
  serviceId: string;
  key: string;
}) {
  return {
    target: `projects/${args.project}/locations/${args.region}/services/${args.serviceId}`,
    runKey: args.key,
    argument: { backupId: args.key },
    // Never an earlier attempt's result: only a backup this run starts after the cluster stopped
    // is known to hold every write (a drain called off and retried keeps its key).
    fresh: true,
    timeoutSeconds: 60 * finalBackupRunMinutes(),
  };
}

/** The service a backup belongs to, from the backup's resource name (metastore.proto, Backup.name). */
export function backupService(
  backup: string,
): { project: string; location: string; serviceId: string } | undefined {
  const m = BACKUP_NAME.exec(backup);
  return m ? { project: m[1]!, location: m[2]!, serviceId: m[3]! } : undefined;
}

/** The backup a final backup run made, from its result (a JSON string); undefined without one. */
export function finalBackupMade(result: string | undefined): string | undefined {
  try {
    const backup = (JSON.parse(result ?? "") as { backup?: unknown } | null)?.backup;
    return typeof backup === "string" && backupService(backup) ? backup : undefined;
  } catch {
    return undefined;
  }
}

/** What a promotion's one restore reports in the stack's outputs (workflows/metastore-restore.yaml). */
export type PromotionRestoreReport =
  | {
      readonly restored: string;
      readonly backupTime: string;
      readonly ageMinutes: number;
      readonly rpoBreached: boolean;
    }
  /** A hot promotion that found no readable backup: the standby keeps its last scheduled restore. */
  | { readonly restored: null; readonly reason: string };

/**
 * The report of a promotion's restore from its run's result (a JSON string), or undefined when the
 * result is not a restore's (none yet, or a run that restored nothing).
 */
export function promotionRestoreReport(
  result: string | undefined,
): PromotionRestoreReport | undefined {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(result ?? "") as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (r?.restored === null && typeof r.reason === "string")
    return { restored: null, reason: r.reason };
  if (
    typeof r?.restored !== "string" ||
    typeof r.backupTime !== "string" ||
    typeof r.ageMinutes !== "number" ||
    typeof r.rpoBreached !== "boolean"
  )
    return undefined;
  return {
    restored: r.restored,
    backupTime: r.backupTime,
    ageMinutes: r.ageMinutes,
    rpoBreached: r.rpoBreached,
  };
}

/**
 * Cloud Monitoring's longest alignment period for an alert policy: 25 hours
 * (googleapis google/monitoring/v3/common.proto, Aggregation.alignment_period).
 */
export const MAX_ALERT_WINDOW_MINUTES = 1500;

/** The restore alerts: which exist on a site, and what each policy says. */
export interface RestoreAlert {
  readonly key: "failed-runs" | "standby-behind";
  readonly policy: Omit<gcp.monitoring.AlertPolicyArgs, "notificationChannels">;
}

/**
 * The restore workflow's alert policies, on the built-in Workflows metric
 * workflows.googleapis.com/finished_execution_count (labels status and revision_id, on the
 * monitored resource workflows.googleapis.com/Workflow, labelled workflow_id: Google Cloud
 * metrics list, "workflows"). A built-in metric exists before the first run; a log-based metric
 * created in the same deployment as its alert policy fails the policy's create with 404 for up to
 * ten minutes (hashicorp/terraform-provider-google#11102).
 * - failed-runs, on every site: any failed run (a scheduled restore, a promotion's).
 * - standby-behind, on a hot standby: no successful run within the RPO. A run succeeds only when
 *   it restored a backup within the RPO, or skipped while a restore runs and the last successful
 *   restore ended within the RPO (workflows/metastore-restore.yaml); so no success in that long
 *   means the standby may be older than its RPO, or that nothing starts the runs. No data at all
 *   counts as such (EVALUATION_MISSING_DATA_ACTIVE), as on a new standby before its first run.
 */
export function restoreAlerts(
  spec: MetastoreSpec,
  decision: MetastoreDecision,
  args: { site: Site; workflowId: string; labels: Readonly<Record<string, string>> },
): RestoreAlert[] {
  const runs =
    `resource.type="workflows.googleapis.com/Workflow" AND resource.labels.workflow_id="${args.workflowId}" AND ` +
    `metric.type="workflows.googleapis.com/finished_execution_count"`;
  const windowMinutes = Math.min(spec.rpoMinutes, MAX_ALERT_WINDOW_MINUTES);
  const sum = (minutes: number) => ({
    alignmentPeriod: `${minutes * 60}s`,
    perSeriesAligner: "ALIGN_SUM",
    crossSeriesReducer: "REDUCE_SUM",
  });
  const common = { combiner: "OR", userLabels: { ...args.labels } };
  const alerts: RestoreAlert[] = [
    {
      key: "failed-runs",
      policy: {
        ...common,
        displayName: `paired-dr ${args.site}: metastore restore run failed`,
        severity: "ERROR",
        conditions: [
          {
            displayName: `${args.workflowId}: a run failed`,
            conditionThreshold: {
              filter: `${runs} AND metric.labels.status="FAILED"`,
              aggregations: [sum(5)],
              comparison: "COMPARISON_GT",
              thresholdValue: 0,
              duration: "0s",
            },
          },
        ],
        documentation: {
          mimeType: "text/markdown",
          subject: `paired-dr ${args.site}: a metastore restore run failed`,
          content:
            `A run of the workflow ${args.workflowId} failed: the ${args.site} site's metastore was not restored. ` +
            "The execution's error says why (no completed backup, a backup older than the RPO, a restore that failed " +
            "or outlived its timeout, or a standby whose last successful restore is older than the RPO). " +
            `See \`gcloud workflows executions list ${args.workflowId}\`.`,
        },
      },
    },
  ];
  if (decision.restoreSchedule === "running")
    alerts.push({
      key: "standby-behind",
      policy: {
        ...common,
        displayName: `paired-dr ${args.site}: metastore standby behind its RPO`,
        severity: "CRITICAL",
        conditions: [
          {
            displayName: `${args.workflowId}: no successful run in ${windowMinutes} minutes`,
            conditionThreshold: {
              filter: `${runs} AND metric.labels.status="SUCCEEDED"`,
              aggregations: [sum(windowMinutes)],
              comparison: "COMPARISON_LT",
              thresholdValue: 1,
              duration: "0s",
              evaluationMissingData: "EVALUATION_MISSING_DATA_ACTIVE",
            },
          },
        ],
        documentation: {
          mimeType: "text/markdown",
          subject: `paired-dr ${args.site}: the metastore standby may be older than its RPO`,
          content:
            `No run of ${args.workflowId} succeeded in ${windowMinutes} minutes (the metastore RPO is ${spec.rpoMinutes}): ` +
            `the ${args.site} standby may hold metadata older than its RPO. Check that the restore schedule is not ` +
            "paused, and the runs' errors.",
        },
      },
    });
  return alerts;
}
