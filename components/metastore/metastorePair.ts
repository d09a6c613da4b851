import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { emailSlug, type MetastoreSpec } from "../../config/metastoreSchema";
import type { DualRegionBucket } from "../dualRegionBucket";
import type { LastDeployment, PromotionSource } from "../lastDeployment";
import { fenceObject, fenceRecord, fenceWrittenBeforeJobs } from "../fence";
import { gcpNames } from "../naming";
import { ownsSingletons, peerSite, type Role, type Site } from "../role";
import {
  backupLocation,
  backupService,
  decideMetastore,
  drillRestoreRun,
  drillServiceArgs,
  finalBackupEnvironment,
  finalBackupMade,
  finalBackupRun,
  fenceEnvironment,
  fenceScheduleArgs,
  hasHiveFence,
  metastoreNetwork,
  metastoreServiceArgs,
  promotionRun,
  promotionRestoreReport,
  restoreAlerts,
  restoreEnvironment,
  restoreScheduleArgs,
  type MetastoreDecision,
  type PromotionRestoreReport,
} from "./plan";
import { WorkflowRun } from "./workflowRun";

/** The restore workflow's source, in the repo. */
export const RESTORE_WORKFLOW_FILE = path.join("workflows", "metastore-restore.yaml");
/** The Hive cluster fence's source, in the repo. */
export const FENCE_WORKFLOW_FILE = path.join("workflows", "metastore-fence.yaml");
/** A drain's final backup's source, in the repo. */
export const FINAL_BACKUP_WORKFLOW_FILE = path.join("workflows", "metastore-final-backup.yaml");

export interface MetastorePairArgs {
  readonly site: Site;
  readonly role: Role;
  readonly prefix: string;
  readonly gcp: {
    readonly project: string;
    readonly projectNumber: string;
    readonly region: string;
    readonly network: { readonly vpc: string; readonly subnetwork: string };
  };
  readonly spec: MetastoreSpec;
  /**
   * The dual-region buckets: Hive data, and metastore backups. Every child that names one waits
   * for it: on the owner site it is created in the same deployment (issue 9).
   */
  readonly warehouseBucket: DualRegionBucket;
  readonly backupBucket: DualRegionBucket;
  /** What this stack's last deployment left (a service, a one-time restore). */
  readonly last: LastDeployment;
  /** This deployment's fencing epoch (components/fence.ts), written to the site's fence record. */
  readonly epoch: number;
  /** The final backup this stand-down takes (plan.ts, finalBackupKey), if any. */
  readonly finalBackupKey?: string;
  /** What a promotion restores (plan.ts, promotionRestoreSource). */
  readonly promotionSource: PromotionSource;
  /** Directory holding workflows/. */
  readonly projectDir: string;
  /** A drill on this standby (components/drill/plan.ts): its ID and key. */
  readonly drill?: { readonly id: string; readonly key: string };
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * This site's half of the Hive metastore pair (seed 003). The active site's service backs up on a
 * schedule into its folder of the backup bucket; a hot standby restores the peer's latest
 * completed backup on a schedule, through a Cloud Workflow that fails loudly; a cold standby has
 * no service until promoted, then creates one and restores it once.
 */
export class MetastorePair extends pulumi.ComponentResource {
  public readonly decision: MetastoreDecision;
  public readonly serviceId: string;
  public readonly endpointUri: pulumi.Output<string | undefined>;
  public readonly backupLocation: string;
  public readonly restoreFrom: string;
  public readonly syncServiceAccount: pulumi.Output<string>;
  /**
   * A promotion's one restore (a cold standby's): which backup, how old, and whether that age
   * breaches the RPO. Undefined without one.
   */
  public readonly promotionRestore: pulumi.Output<PromotionRestoreReport | undefined>;
  /** This stand-down's final backup (its resource name); undefined without one. */
  public readonly finalBackup: pulumi.Output<string | undefined> | undefined;
  /** A drill's restore into the scratch service: the workflow's result (a JSON string). */
  public readonly drillRestore: pulumi.Output<string> | undefined;
  /** The drill's stateful scratch resources, by name: unprotected on purpose (deployment facts). */
  public readonly drillScratch: string[] = [];
  /** Every resource the drill registers here, by name (deployment facts). */
  public readonly drillResources: string[] = [];

  constructor(name: string, args: MetastorePairArgs, opts?: pulumi.ComponentResourceOptions) {
    super("paired-dr:components:MetastorePair", name, {}, opts);
    const { site, role, prefix, spec, last } = args;
    const { project, projectNumber, region } = args.gcp;
    const names = gcpNames(prefix, site);
    const decision = decideMetastore(spec, role, last);
    const labels = { ...args.labels, "paired-dr-site": site };
    const child = { parent: this };

    const sync = new gcp.serviceaccount.Account(
      `${name}-sync`,
      {
        accountId: names.syncAccount,
        displayName: `paired-dr metastore sync (${site})`,
        description:
          "Runs the metastore restore workflow: reads backups, restores the local service.",
      },
      child,
    );
    const member = pulumi.interpolate`serviceAccount:${sync.email}`;
    const backupBucket = args.backupBucket.bucketName;
    // Everything a run of the restore workflow needs before it starts (a run before them gets 403).
    const syncGrants: pulumi.Resource[] = [
      new gcp.storage.BucketIAMMember(
        `${name}-sync-reads-backups`,
        { bucket: args.backupBucket.name, role: "roles/storage.objectViewer", member },
        child,
      ),
      new gcp.projects.IAMMember(
        `${name}-sync-writes-logs`,
        { project, role: "roles/logging.logWriter", member },
        child,
      ),
    ];
    // The workflows poll their long-running operations (restore, backup, delete), which live
    // under the location, not the service: a grant on the service does not reach them
    // (metastore.operations.get, Dataproc Metastore audit logging, GetOperation). A role of this
    // site's own with that one permission; the provider undeletes a soft-deleted role of the
    // same ID (terraform-provider-google, google_project_iam_custom_role docs).
    const operationsRole = new gcp.projects.IAMCustomRole(
      `${name}-operations-role`,
      {
        project,
        roleId: names.operationsRole,
        title: `paired-dr ${site}: read Dataproc Metastore operations`,
        description: "Lets the metastore workflows poll the operations they start.",
        permissions: ["metastore.operations.get"],
      },
      child,
    );
    syncGrants.push(
      new gcp.projects.IAMMember(
        `${name}-sync-reads-operations`,
        { project, role: `projects/${project}/roles/${names.operationsRole}`, member },
        { parent: this, dependsOn: [operationsRole] },
      ),
    );
    if (hasHiveFence(spec))
      // The final backup reads whether the Hive cluster has stopped (clusters.get); its fence,
      // which it starts, does the stopping.
      syncGrants.push(
        new gcp.projects.IAMMember(
          `${name}-sync-reads-clusters`,
          { project, role: "roles/dataproc.viewer", member },
          child,
        ),
      );
    let agentGrant: pulumi.Resource | undefined;
    if (ownsSingletons(site)) {
      // One project-wide service agent writes and reads every site's backups: one stack owns the
      // grant. Google creates the agent lazily, so it is created here before it is granted
      // anything (issue 13); the API may return no email, and the agent's name is fixed.
      const agent = new gcp.projects.ServiceIdentity(
        `${name}-service-agent`,
        { project, service: "metastore.googleapis.com" },
        child,
      );
      agentGrant = new gcp.storage.BucketIAMMember(
        `${name}-agent-writes-backups`,
        {
          bucket: args.backupBucket.name,
          role: "roles/storage.objectAdmin",
          member: agent.email.apply(
            (email) =>
              `serviceAccount:${email || `service-${projectNumber}@gcp-sa-metastore.iam.gserviceaccount.com`}`,
          ),
        },
        child,
      );
    }

    // A hot standby's promotion restores into the service before its update enables backups:
    // the service then waits for the run, not the run for the service (issue 13).
    const intoStandby = decision.promotionRestore === "standby";
    // Standing down with a final backup, the service's update (backups off) waits for the backup:
    // the API refuses an update while a backup runs (dataproc-metastore/docs/backup-metadata).
    const draining = args.finalBackupKey !== undefined && decision.service;
    const serviceContext = {
      serviceId: names.metastoreService,
      network: metastoreNetwork(args.gcp.network.vpc, projectNumber),
      region,
      site,
      warehouseBucket: args.warehouseBucket.bucketName,
      backupBucket,
      labels,
    };
    const createService = (after: pulumi.Resource[]) =>
      new gcp.dataproc.MetastoreService(
        `${name}-service`,
        metastoreServiceArgs(spec, decision, serviceContext),
        // The agent writes the scheduled backups: its grant comes first where this stack makes it.
        {
          parent: this,
          protect: true,
          dependsOn: [
            args.warehouseBucket,
            args.backupBucket,
            ...(agentGrant ? [agentGrant] : []),
            ...after,
          ],
        },
      );
    let service = decision.service && !intoStandby && !draining ? createService([]) : undefined;

    const workflow = new gcp.workflows.Workflow(
      `${name}-restore-workflow`,
      {
        name: names.restoreWorkflow,
        region,
        description:
          "Restores the peer site's latest completed metastore backup into this site's service; fails loudly.",
        serviceAccount: sync.email,
        sourceContents: fs.readFileSync(path.join(args.projectDir, RESTORE_WORKFLOW_FILE), "utf8"),
        userEnvVars: restoreEnvironment(spec, {
          project,
          region,
          serviceId: names.metastoreService,
          backupBucket,
          peerSite: peerSite(site),
        }),
        callLogLevel: "LOG_ERRORS_ONLY",
        deletionProtection: true,
        labels,
      },
      // A scheduled run must find the service and the bucket it names.
      { parent: this, dependsOn: [args.backupBucket, ...(service ? [service] : [])] },
    );
    // Unconditional: Workflows does not evaluate resource attributes in IAM conditions (IAM docs,
    // conditions-resource-attributes), so a condition on the workflow's name never matches and
    // every scheduled start would get 403. The account is this site's and runs nothing else.
    syncGrants.push(
      new gcp.projects.IAMMember(
        `${name}-sync-invokes-restore`,
        { project, role: "roles/workflows.invoker", member },
        { parent: this, dependsOn: [workflow] },
      ),
    );

    this.alerts(name, {
      spec,
      decision,
      site,
      workflow,
      workflowId: names.restoreWorkflow,
      labels,
    });

    const fence = hasHiveFence(spec)
      ? this.hiveFence(name, {
          site,
          project,
          region,
          backupBucket: args.backupBucket,
          // A drain's fence still names the cluster the deployment removes at its end: it stops
          // it before the final backup.
          hiveCluster: decision.dataprocCluster || draining ? names.hiveCluster : undefined,
          projectDir: args.projectDir,
          names,
          labels,
        })
      : undefined;
    // The site's fence record beside its peer's, in the dual-region backup bucket. The provider
    // deletes an object by name, without a generation (terraform-provider-google
    // resource_storage_bucket_object.go, resourceStorageBucketObjectDelete): a replacement (a new
    // name or content type) created before the delete would be deleted by it.
    const writeRecord = (workflow: gcp.workflows.Workflow, after: pulumi.Resource[]) =>
      new gcp.storage.BucketObject(
        `${name}-fence-record`,
        {
          bucket: backupBucket,
          name: fenceObject(site),
          content: fenceRecord(site, role, args.epoch),
          contentType: "application/json",
        },
        {
          parent: this,
          deleteBeforeReplace: true,
          // The fence workflow names the cluster this deployment declares before the record
          // changes what it does with it.
          dependsOn: [args.backupBucket, workflow, ...after],
        },
      );
    let recordFirst: gcp.storage.BucketObject | undefined;
    let hiveCluster: gcp.dataproc.Cluster | undefined;

    let endpointUri: pulumi.Output<string | undefined> = pulumi.output(undefined);
    let promotionRestore: pulumi.Output<PromotionRestoreReport | undefined> =
      pulumi.output(undefined);
    let restoredOnce: WorkflowRun | undefined;
    let finalBackup: pulumi.Output<string | undefined> | undefined;
    if (decision.service) {
      // Into a standby, the service is there already: naming it by its ID orders nothing after it.
      const restoresService = new gcp.dataproc.MetastoreServiceIamMember(
        `${name}-sync-restores-service`,
        {
          location: region,
          serviceId: service ? service.serviceId : names.metastoreService,
          role: "roles/metastore.editor",
          member,
        },
        child,
      );

      const run = promotionRun(spec, decision, {
        project,
        region,
        serviceId: names.metastoreService,
        schedule: names.restoreSchedule,
        epoch: args.epoch,
        source: args.promotionSource,
      });
      if (run) {
        const peerBackup = args.promotionSource.backup;
        const peerService = peerBackup ? backupService(peerBackup) : undefined;
        // Restoring another service's backup takes metastore.backups.use on it: Editor on that
        // service (dataproc-metastore/docs/restore-metadata, "Required roles").
        const usesPeerBackup = peerService
          ? [
              new gcp.dataproc.MetastoreServiceIamMember(
                `${name}-sync-uses-peer-backup`,
                { ...peerService, role: "roles/metastore.editor", member },
                child,
              ),
            ]
          : [];
        restoredOnce = new WorkflowRun(
          `${name}-promotion-restore`,
          { workflow: workflow.id, ...run },
          {
            parent: this,
            dependsOn: [
              workflow,
              restoresService,
              ...syncGrants,
              ...usesPeerBackup,
              ...(service ? [service] : []),
            ],
          },
        );
        promotionRestore = restoredOnce.result.apply(promotionRestoreReport);
      }
      const backupWorkflow = this.finalBackupWorkflow(name, {
        site,
        spec,
        project,
        region,
        account: sync.email,
        names,
        projectDir: args.projectDir,
        labels,
        // It names the service and the fence's workflow: a run must find both. Draining or
        // promoting into a standby, the service exists already and waits for the run.
        after: [...(service ? [service] : []), ...(fence ? [fence.workflow] : [])],
      });
      let backedUp: WorkflowRun | undefined;
      if (draining) {
        // The record says passive first: with both sites passive, the fence stops the Hive
        // cluster, which the run waits for before it backs up.
        if (fence) recordFirst = writeRecord(fence.workflow, []);
        backedUp = new WorkflowRun(
          `${name}-final-backup`,
          {
            workflow: backupWorkflow.id,
            ...finalBackupRun({
              project,
              region,
              serviceId: names.metastoreService,
              key: args.finalBackupKey!,
            }),
          },
          {
            parent: this,
            dependsOn: [
              backupWorkflow,
              restoresService,
              ...syncGrants,
              ...(recordFirst ? [recordFirst] : []),
            ],
          },
        );
        finalBackup = backedUp.result.apply(finalBackupMade);
      }
      new gcp.cloudscheduler.Job(
        `${name}-restore-schedule`,
        restoreScheduleArgs(spec, decision, {
          name: names.restoreSchedule,
          project,
          region,
          workflow: names.restoreWorkflow,
          serviceAccountEmail: sync.email,
        }),
        // Standing down, the scheduled restores start only once the final backup is made: one in
        // flight would overwrite the metastore being backed up.
        { parent: this, dependsOn: [workflow, ...(backedUp ? [backedUp] : [])] },
      );
      service ??= createService([
        ...(restoredOnce ? [restoredOnce] : []),
        ...(backedUp ? [backedUp] : []),
      ]);
      endpointUri = service.endpointUri;
      // Promoting, the record says active once the metastore holds the newest backup: the fence
      // starts the Hive cluster on that, never on the metastore a restore is about to overwrite.
      if (fence && fenceWrittenBeforeJobs(role))
        recordFirst = writeRecord(fence.workflow, restoredOnce ? [restoredOnce] : []);
      if (decision.dataprocCluster) {
        hiveCluster = new gcp.dataproc.Cluster(
          `${name}-hive-cluster`,
          {
            name: names.hiveCluster,
            region,
            labels,
            clusterConfig: {
              softwareConfig: { imageVersion: spec.cluster.imageVersion },
              masterConfig: { numInstances: 1, machineType: spec.cluster.masterMachineType },
              workerConfig: {
                numInstances: spec.cluster.workers,
                machineType: spec.cluster.workerMachineType,
              },
              metastoreConfig: { dataprocMetastoreService: service.name },
              gceClusterConfig: { subnetwork: args.gcp.network.subnetwork },
            },
          },
          // Promoting, the record says active before the cluster exists; a cold standby's
          // cluster serves only the restored metastore, not the empty one about to be overwritten.
          {
            parent: this,
            dependsOn: [
              ...(recordFirst ? [recordFirst] : []),
              ...(restoredOnce ? [restoredOnce] : []),
              // A warm cluster kept through a drain changes only once it is backed up.
              ...(backedUp ? [backedUp] : []),
            ],
          },
        );
      }
    }
    if (fence) {
      const grants = [...fence.grants];
      if (hiveCluster)
        // Dataproc granular IAM: Editor on a cluster holds clusters.get, start and stop, for this
        // cluster only (cloud.google.com/dataproc/docs/concepts/iam/granular-iam).
        grants.push(
          new gcp.dataproc.ClusterIAMMember(
            `${name}-fence-controls-cluster`,
            {
              project,
              region,
              cluster: hiveCluster.name,
              role: "roles/editor",
              member: fence.member,
            },
            child,
          ),
        );
      new gcp.cloudscheduler.Job(
        `${name}-fence-schedule`,
        fenceScheduleArgs(spec, {
          name: names.fenceSchedule,
          project,
          region,
          workflow: names.fenceWorkflow,
          serviceAccountEmail: fence.account.email,
        }),
        // Every run needs the grants: a run before them fails on a 403.
        { parent: this, dependsOn: [fence.workflow, ...grants] },
      );
      // Standing down, the record says passive once the cluster is as the role declares.
      if (!recordFirst) writeRecord(fence.workflow, hiveCluster ? [hiveCluster] : []);
    }

    // A drill restores the newest backup into a scratch service of its own: the standby's service,
    // its schedules and its backups are not touched. The run is a record named by the drill, so
    // a new drill runs again into the same service.
    if (args.drill) {
      this.drillScratch.push(`${name}-drill-service`);
      const scratch = new gcp.dataproc.MetastoreService(
        `${name}-drill-service`,
        drillServiceArgs(spec, { ...serviceContext, drillServiceId: names.drillService }),
        { parent: this, dependsOn: [args.warehouseBucket, args.backupBucket] },
      );
      const restoresScratch = new gcp.dataproc.MetastoreServiceIamMember(
        `${name}-sync-restores-drill`,
        { location: region, serviceId: scratch.serviceId, role: "roles/metastore.editor", member },
        child,
      );
      const drillRun = new WorkflowRun(
        `${name}-drill-restore-${args.drill.id}`,
        {
          workflow: workflow.id,
          ...drillRestoreRun(spec, {
            project,
            region,
            drillServiceId: names.drillService,
            key: args.drill.key,
          }),
        },
        { parent: this, dependsOn: [workflow, scratch, restoresScratch, ...syncGrants] },
      );
      this.drillRestore = drillRun.result;
      this.drillResources.push(
        `${name}-drill-service`,
        `${name}-sync-restores-drill`,
        `${name}-drill-restore-${args.drill.id}`,
      );
    }

    this.decision = decision;
    this.serviceId = names.metastoreService;
    this.endpointUri = endpointUri;
    this.backupLocation = backupLocation(backupBucket, site);
    this.restoreFrom = backupLocation(backupBucket, peerSite(site));
    this.syncServiceAccount = sync.email;
    this.promotionRestore = promotionRestore;
    this.finalBackup = finalBackup;
    this.registerOutputs({
      promotionRestore,
      finalBackup,
      serviceId: this.serviceId,
      provisioned: decision.service,
      endpointUri: this.endpointUri,
      backupLocation: this.backupLocation,
      restoreFrom: this.restoreFrom,
      syncServiceAccount: this.syncServiceAccount,
    });
  }

  /** Who is told when restores fail or a standby falls behind: email channels and alert policies. */
  private alerts(
    name: string,
    args: {
      spec: MetastoreSpec;
      decision: MetastoreDecision;
      site: Site;
      workflow: gcp.workflows.Workflow;
      workflowId: string;
      labels: Record<string, string>;
    },
  ) {
    const child = { parent: this };
    const channels = args.spec.alerts.emails.map(
      (email) =>
        new gcp.monitoring.NotificationChannel(
          `${name}-notify-${emailSlug(email)}`,
          {
            displayName: `paired-dr ${args.site}: ${email}`,
            type: "email",
            labels: { email_address: email },
            userLabels: args.labels,
          },
          child,
        ),
    );
    for (const alert of restoreAlerts(args.spec, args.decision, args))
      new gcp.monitoring.AlertPolicy(
        `${name}-alert-${alert.key}`,
        { ...alert.policy, notificationChannels: channels.map((c) => c.name) },
        { parent: this, dependsOn: [args.workflow] },
      );
  }

  /**
   * The workflow a drain's final backup runs (workflows/metastore-final-backup.yaml), as the sync
   * account, which is Editor on this site's service. Declared wherever a service is, run only by
   * a drain.
   */
  private finalBackupWorkflow(
    name: string,
    args: {
      site: Site;
      spec: MetastoreSpec;
      project: string;
      region: string;
      account: pulumi.Output<string>;
      names: ReturnType<typeof gcpNames>;
      projectDir: string;
      labels: Record<string, string>;
      after: pulumi.Resource[];
    },
  ) {
    const { names } = args;
    return new gcp.workflows.Workflow(
      `${name}-final-backup-workflow`,
      {
        name: names.finalBackupWorkflow,
        region: args.region,
        description:
          "A drain's final metastore backup: stops this site's Hive cluster through its fence, then backs the service up; fails loudly.",
        serviceAccount: args.account,
        sourceContents: fs.readFileSync(
          path.join(args.projectDir, FINAL_BACKUP_WORKFLOW_FILE),
          "utf8",
        ),
        userEnvVars: finalBackupEnvironment({
          site: args.site,
          project: args.project,
          region: args.region,
          serviceId: names.metastoreService,
          hiveCluster: hasHiveFence(args.spec)
            ? { name: names.hiveCluster, fenceWorkflow: names.fenceWorkflow }
            : undefined,
        }),
        callLogLevel: "LOG_ERRORS_ONLY",
        // It holds nothing: the backups are the service's.
        deletionProtection: false,
        labels: args.labels,
      },
      { parent: this, dependsOn: args.after },
    );
  }

  /** The Hive cluster's fence: its own service account, what it may read, and its workflow. */
  private hiveFence(
    name: string,
    args: {
      site: Site;
      project: string;
      region: string;
      backupBucket: DualRegionBucket;
      hiveCluster: string | undefined;
      projectDir: string;
      names: ReturnType<typeof gcpNames>;
      labels: Record<string, string>;
    },
  ) {
    const { site, project, region, names } = args;
    const child = { parent: this };
    const account = new gcp.serviceaccount.Account(
      `${name}-fence`,
      {
        accountId: names.fenceAccount,
        displayName: `paired-dr Hive cluster fence (${site})`,
        description: "Reads both sites' fence records; stops and starts this site's Hive cluster.",
      },
      child,
    );
    const member = pulumi.interpolate`serviceAccount:${account.email}`;
    const grants: pulumi.Resource[] = [
      new gcp.storage.BucketIAMMember(
        `${name}-fence-reads-records`,
        { bucket: args.backupBucket.name, role: "roles/storage.objectViewer", member },
        child,
      ),
      // Reads clusters, so that one not created yet answers 404: with only its grant on the
      // cluster, Dataproc answers 403 before the cluster exists (permission before existence,
      // https://google.aip.dev/211).
      new gcp.projects.IAMMember(
        `${name}-fence-reads-clusters`,
        { project, role: "roles/dataproc.viewer", member },
        child,
      ),
      new gcp.projects.IAMMember(
        `${name}-fence-writes-logs`,
        { project, role: "roles/logging.logWriter", member },
        child,
      ),
      // Workflows roles are granted on the project, and an IAM condition on the workflow's name
      // is not evaluated for Workflows (issue 13): the grant is unconditional, on an account that
      // nothing else uses.
      new gcp.projects.IAMMember(
        `${name}-fence-invokes`,
        { project, role: "roles/workflows.invoker", member },
        child,
      ),
    ];
    const workflow = new gcp.workflows.Workflow(
      `${name}-fence-workflow`,
      {
        name: names.fenceWorkflow,
        region,
        description:
          "Stops this site's Hive cluster while the peer site holds a higher fencing epoch; starts it again once it does not.",
        serviceAccount: account.email,
        sourceContents: fs.readFileSync(path.join(args.projectDir, FENCE_WORKFLOW_FILE), "utf8"),
        userEnvVars: fenceEnvironment({
          site,
          project,
          region,
          backupBucket: args.backupBucket.bucketName,
          hiveCluster: args.hiveCluster,
        }),
        callLogLevel: "LOG_ERRORS_ONLY",
        // It holds nothing, and turning the cluster off in config deletes it; true or unset, the
        // provider refuses that delete (@pulumi/gcp workflows/workflow.d.ts, deletionProtection).
        deletionProtection: false,
        labels: args.labels,
      },
      { parent: this, dependsOn: [args.backupBucket] },
    );
    return { account, member, grants, workflow };
  }
}
