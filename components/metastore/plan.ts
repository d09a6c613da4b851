import type * as gcp from "@pulumi/gcp";
import type * as pulumi from "@pulumi/pulumi";
import { unixCronEvery } from "../../config/cron";
import { BACKUP_MIN_AGE_MINUTES, type MetastoreSpec } from "../../config/metastoreSchema";
import { fenceObject } from "../fence";
import type { LastDeployment } from "../lastDeployment";
import { peerSite, type Role, type Site } from "../role";

/** What exists on this site, decided from the standby mode, the role and the last deployment. */
export interface MetastoreDecision {
  /** A metastore service exists on this site. */
  readonly service: boolean;
  /** scheduledBackup.enabled on this site's service. */
  readonly backups: boolean;
  /** The restore scheduler: absent (no service to restore into), paused, or running. */
  readonly restoreSchedule: "none" | "paused" | "running";
  /** Restore the new service once: a cold standby that was promoted (kept while it stays active). */
  readonly restoreOnce: boolean;
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
  return {
    service,
    backups: role === "active",
    restoreSchedule: !service ? "none" : role === "active" ? "paused" : "running",
    restoreOnce: promotedCold || (role === "active" && last.metastoreRestoredOnce === true),
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
  decision: MetastoreDecision,
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

/** What a promotion's one restore reports in the stack's outputs (workflows/metastore-restore.yaml). */
export interface PromotionRestoreReport {
  readonly restored: string;
  readonly backupTime: string;
  readonly ageMinutes: number;
  readonly rpoBreached: boolean;
}

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
