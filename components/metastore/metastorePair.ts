import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { MetastoreSpec } from "../../config/metastoreSchema";
import type { DualRegionBucket } from "../dualRegionBucket";
import type { LastDeployment } from "../lastDeployment";
import { gcpNames } from "../naming";
import { ownsSingletons, peerSite, type Role, type Site } from "../role";
import {
  backupLocation,
  decideMetastore,
  metastoreServiceArgs,
  restoreEnvironment,
  restoreScheduleArgs,
  type MetastoreDecision,
} from "./plan";
import { WorkflowRun } from "./workflowRun";

/** The restore workflow's source, in the repo. */
export const RESTORE_WORKFLOW_FILE = path.join("workflows", "metastore-restore.yaml");

export interface MetastorePairArgs {
  readonly site: Site;
  readonly role: Role;
  readonly prefix: string;
  readonly gcp: {
    readonly project: string;
    readonly projectNumber: string;
    readonly region: string;
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
  /** Directory holding workflows/. */
  readonly projectDir: string;
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
    new gcp.storage.BucketIAMMember(
      `${name}-sync-reads-backups`,
      { bucket: args.backupBucket.name, role: "roles/storage.objectViewer", member },
      child,
    );
    new gcp.projects.IAMMember(
      `${name}-sync-writes-logs`,
      { project, role: "roles/logging.logWriter", member },
      child,
    );
    if (ownsSingletons(site)) {
      // One project-wide service agent writes and reads every site's backups: one stack owns the grant.
      new gcp.storage.BucketIAMMember(
        `${name}-agent-writes-backups`,
        {
          bucket: args.backupBucket.name,
          role: "roles/storage.objectAdmin",
          member: `serviceAccount:service-${projectNumber}@gcp-sa-metastore.iam.gserviceaccount.com`,
        },
        child,
      );
    }

    const service = decision.service
      ? new gcp.dataproc.MetastoreService(
          `${name}-service`,
          metastoreServiceArgs(spec, decision, {
            serviceId: names.metastoreService,
            region,
            site,
            warehouseBucket: args.warehouseBucket.bucketName,
            backupBucket,
            labels,
          }),
          { parent: this, protect: true, dependsOn: [args.warehouseBucket, args.backupBucket] },
        )
      : undefined;

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
    new gcp.projects.IAMMember(
      `${name}-sync-invokes-restore`,
      {
        project,
        role: "roles/workflows.invoker",
        member,
        condition: {
          title: "only the metastore restore workflow",
          expression: `resource.name == "projects/${project}/locations/${region}/workflows/${names.restoreWorkflow}"`,
        },
      },
      { parent: this, dependsOn: [workflow] },
    );

    let endpointUri: pulumi.Output<string | undefined> = pulumi.output(undefined);
    if (service) {
      endpointUri = service.endpointUri;
      new gcp.dataproc.MetastoreServiceIamMember(
        `${name}-sync-restores-service`,
        { location: region, serviceId: service.serviceId, role: "roles/metastore.editor", member },
        child,
      );
      new gcp.cloudscheduler.Job(
        `${name}-restore-schedule`,
        restoreScheduleArgs(spec, decision, {
          name: names.restoreSchedule,
          project,
          region,
          workflow: names.restoreWorkflow,
          serviceAccountEmail: sync.email,
        }),
        { parent: this, dependsOn: [workflow] },
      );
      if (decision.restoreOnce) {
        const token = gcp.organizations.getClientConfigOutput({ parent: this });
        new WorkflowRun(
          `${name}-promotion-restore`,
          {
            workflow: workflow.id,
            target: service.name,
            accessToken: token.accessToken,
            timeoutSeconds: spec.restore.timeoutMinutes * 60 + 300,
          },
          { parent: this, dependsOn: [service] },
        );
      }
      if (decision.dataprocCluster) {
        new gcp.dataproc.Cluster(
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
            },
          },
          child,
        );
      }
    }

    this.decision = decision;
    this.serviceId = names.metastoreService;
    this.endpointUri = endpointUri;
    this.backupLocation = backupLocation(backupBucket, site);
    this.restoreFrom = backupLocation(backupBucket, peerSite(site));
    this.syncServiceAccount = sync.email;
    this.registerOutputs({
      serviceId: this.serviceId,
      provisioned: decision.service,
      endpointUri: this.endpointUri,
      backupLocation: this.backupLocation,
      restoreFrom: this.restoreFrom,
      syncServiceAccount: this.syncServiceAccount,
    });
  }
}
