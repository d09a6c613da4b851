import { describe, expect, it } from "vitest";
import { parsePlatformConfig } from "../config/load";
import type { MetastoreSpec } from "../config/metastoreSchema";
import { parseLastDeployment } from "../components/lastDeployment";
import {
  backupService,
  decideMetastore,
  finalBackupKey,
  finalBackupMade,
  metastoreNetwork,
  metastoreServiceArgs,
  MAX_ALERT_WINDOW_MINUTES,
  promotionBackup,
  promotionRestoreSource,
  promotionRun,
  restoreAlerts,
  restoreEnvironment,
  restoreScheduleArgs,
} from "../components/metastore/plan";
import { parseCli, runPlan } from "../tools/plan/cli";
import { revealed } from "../tools/plan/capture";
import { diffPlans } from "../tools/plan/diff";
import type { StackPlan } from "../tools/plan/engine";
import {
  REPO,
  sequence,
  byType,
  configProblems,
  findResource,
  planSteady,
  PRIMARY_DRAIN_BACKUP,
  primaryStandDown,
  problemsAfter,
  validRaw,
} from "./helpers";

const SERVICE = "gcp:dataproc/metastoreService:MetastoreService";
const SCHEDULE = "gcp:cloudscheduler/job:Job";
const WORKFLOW = "gcp:workflows/workflow:Workflow";
const RUN = "pulumi-nodejs:dynamic:Resource";
const CLUSTER = "gcp:dataproc/cluster:Cluster";
const CLUSTER_GRANT = "gcp:dataproc/clusterIAMMember:ClusterIAMMember";
const OBJECT = "gcp:storage/bucketObject:BucketObject";

const shipped = (): MetastoreSpec => parsePlatformConfig(validRaw(), REPO).metastore;
const withSpec = (change: (m: Record<string, any>) => void) => {
  const raw = validRaw();
  change(raw.metastore);
  return [`metastore=${JSON.stringify(raw.metastore)}`];
};

describe("metastore config", () => {
  const problems = (change: (m: Record<string, any>) => void) => problemsAfter("metastore", change);

  // A write just after a backup reaches the standby by the next backup, its marker's 5 minutes,
  // the next restore run and that run's restore: 15 + 5 + 20 + 20 = 60 in the shipped config.
  it("rejects a standby that could be behind by more than the RPO, naming every number", () => {
    expect(problems((m) => (m.restore.timeoutMinutes = 40))).toEqual([
      `paired-dr:metastore.restore: backupEveryMinutes (15) + the 5 minutes a backup ages before it is restored + restore.everyMinutes (20) + restore.timeoutMinutes (40) = 80 exceeds rpoMinutes (60); the standby could be that far behind. Lower one of them, or raise rpoMinutes (given: "15 + 5 + 20 + 40")`,
    ]);
    expect(problems((m) => (m.backupEveryMinutes = 30))).toEqual([
      `paired-dr:metastore.restore: backupEveryMinutes (30) + the 5 minutes a backup ages before it is restored + restore.everyMinutes (20) + restore.timeoutMinutes (20) = 75 exceeds rpoMinutes (60); the standby could be that far behind. Lower one of them, or raise rpoMinutes (given: "30 + 5 + 20 + 20")`,
    ]);
    // Exactly the RPO is accepted; a cold standby is held to it too (it is hot once promoted and demoted).
    expect(() => problems((m) => (m.restore.everyMinutes = 20))).toThrow("config was accepted");
    expect(problems((m) => ((m.standby = "cold"), (m.restore.everyMinutes = 30)))).toHaveLength(1);
  });

  it("requires someone to tell: at least one email address, each valid, none twice", () => {
    expect(problems((m) => delete m.alerts)).toEqual([
      "paired-dr:metastore.alerts: is required; must be an object (given: nothing)",
    ]);
    expect(problems((m) => (m.alerts.emails = []))).toEqual([
      "paired-dr:metastore.alerts.emails: at least one address: a failed restore must reach someone (given: [])",
    ]);
    expect(problems((m) => (m.alerts.emails = ["oncall"]))).toEqual([
      'paired-dr:metastore.alerts.emails.0: not an email address (given: "oncall")',
    ]);
    expect(problems((m) => (m.alerts.emails = ["Ops@acme.example", "ops@acme.example"]))).toEqual([
      'paired-dr:metastore.alerts.emails: an address is listed twice (addresses are compared by their letters and digits) (given: ["Ops@acme.example","ops@acme.example"])',
    ]);
  });

  it("rejects Hive 2.3.6 with a Dataproc 2.x cluster image (Dataproc Metastore version policy)", () => {
    expect(problems((m) => (m.hiveVersion = "2.3.6"))).toEqual([
      `paired-dr:metastore.hiveVersion: Hive 2.3.6 does not serve Dataproc 2.2-debian12 (cluster.imageVersion); allowed: "3.1.2" with a 2.x image, or "2.3.6" with a 1.5 image (given: "2.3.6")`,
    ]);
    const raw = validRaw();
    raw.metastore.hiveVersion = "2.3.6";
    raw.metastore.cluster.imageVersion = "1.5-debian10";
    expect(parsePlatformConfig(raw, REPO).metastore.hiveVersion).toBe("2.3.6");
  });

  it("rejects a backup retention that leaves no older backup to fall back to", () => {
    expect(
      problems((m) => {
        m.backupEveryMinutes = 1440;
        m.rpoMinutes = 2880;
        m.restore.everyMinutes = 60;
        m.backupRetentionDays = 1;
      }),
    ).toEqual([
      `paired-dr:metastore.backupRetentionDays: backups kept 1 day(s) leave no older backup to fall back to within rpoMinutes (2880) and two backup intervals (2880 minutes); keep them at least 2 day(s) (given: 1)`,
    ]);
  });

  it("rejects an interval that does not divide the hour or the day", () => {
    expect(problems((m) => (m.restore.everyMinutes = 7))).toEqual([
      `paired-dr:metastore.restore.everyMinutes: the restore schedule must run evenly through the hour or day; allowed: 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440 (minutes) (given: 7)`,
    ]);
  });

  it("rejects unknown tiers, standby modes and Hive versions", () => {
    expect(
      problems((m) => {
        m.tier = "BASIC";
        m.standby = "warm";
        m.hiveVersion = "4.0.0";
      }),
    ).toEqual([
      `paired-dr:metastore.tier: must be "DEVELOPER" | "ENTERPRISE" (given: "BASIC")`,
      `paired-dr:metastore.hiveVersion: must be "3.1.2" | "2.3.6" (given: "4.0.0")`,
      `paired-dr:metastore.standby: must be "hot" | "cold" (given: "warm")`,
    ]);
  });
});

describe("decideMetastore", () => {
  const hot = shipped();
  const cold = { ...hot, standby: "cold" as const };
  it("hot: a service on both sites; backups on the active one, restores on the passive one", () => {
    expect(decideMetastore(hot, "active", {})).toEqual({
      service: true,
      backups: true,
      restoreSchedule: "paused",
      restoreOnce: false,
      promotionRestore: "none",
      dataprocCluster: true,
    });
    expect(decideMetastore(hot, "passive", {})).toEqual({
      service: true,
      backups: false,
      restoreSchedule: "running",
      restoreOnce: false,
      promotionRestore: "none",
      dataprocCluster: false,
    });
  });

  it("hot: a promotion restores the newest backup into the standby once, and keeps the run while active (issue 13)", () => {
    const standby = { role: "passive" as const, metastoreProvisioned: true };
    expect(decideMetastore(hot, "active", standby)).toMatchObject({
      restoreOnce: true,
      promotionRestore: "standby",
    });
    expect(
      decideMetastore(hot, "active", {
        role: "active",
        metastoreProvisioned: true,
        metastoreRestoredOnce: true,
        metastorePromotionRestore: "standby",
      }),
    ).toMatchObject({ restoreOnce: true, promotionRestore: "standby" });
    // Routine deployments of either role, and a first deployment, restore nothing.
    for (const [role, last] of [
      ["active", { role: "active", metastoreProvisioned: true }],
      ["passive", standby],
      ["active", {}],
    ] as const)
      expect(decideMetastore(hot, role, last)).toMatchObject({
        restoreOnce: false,
        promotionRestore: "none",
      });
  });

  it("cold: no passive service; a promotion creates one and restores it once; a first deployment does not", () => {
    expect(decideMetastore(cold, "passive", {})).toMatchObject({
      service: false,
      restoreSchedule: "none",
      restoreOnce: false,
    });
    expect(decideMetastore(cold, "active", {})).toMatchObject({
      service: true,
      restoreOnce: false,
    });
    expect(
      decideMetastore(cold, "active", { role: "passive", metastoreProvisioned: false }),
    ).toMatchObject({
      service: true,
      backups: true,
      restoreSchedule: "paused",
      restoreOnce: true,
      promotionRestore: "new-service",
    });
    // Still active after the promotion: the run stays registered, so it is not deleted and rerun.
    // A deployment recorded before the kind was: a cold promotion's.
    expect(
      decideMetastore(cold, "active", {
        role: "active",
        metastoreProvisioned: true,
        metastoreRestoredOnce: true,
      }),
    ).toMatchObject({ restoreOnce: true, promotionRestore: "new-service" });
  });

  it("cold: a site that had a service keeps it when demoted, and runs hot from then on", () => {
    expect(
      decideMetastore(cold, "passive", {
        role: "active",
        metastoreProvisioned: true,
        metastoreRestoredOnce: true,
      }),
    ).toEqual({
      service: true,
      backups: false,
      restoreSchedule: "running",
      restoreOnce: false,
      promotionRestore: "none",
      dataprocCluster: false,
    });
  });

  it("gives a promotion's run its target, key, argument, quiesce and deadline; none without a promotion", () => {
    const at = { project: "p", region: "r", serviceId: "s", schedule: "j", epoch: 4 };
    const standby = { role: "passive" as const, metastoreProvisioned: true };
    expect(promotionRun(hot, decideMetastore(hot, "active", standby), at)).toEqual({
      target: "projects/p/locations/r/services/s",
      runKey: "promotion-e4",
      argument: { restoreWhateverAge: true, waitForIdle: true, allowNoBackup: true },
      quiesceSchedule: "projects/p/locations/r/jobs/j",
      // A restore in flight, the restore and a fallback (20 minutes each), plus 5 minutes.
      timeoutSeconds: 3 * 1200 + 300,
    });
    const coldPromotion = decideMetastore(cold, "active", {
      role: "passive",
      metastoreProvisioned: false,
    });
    expect(promotionRun(cold, coldPromotion, at)).toEqual({
      target: "projects/p/locations/r/services/s",
      runKey: "promotion-e4",
      argument: { restoreWhateverAge: true },
      quiesceSchedule: "",
      timeoutSeconds: 2 * 1200 + 300,
    });
    expect(promotionRun(hot, decideMetastore(hot, "active", {}), at)).toBeUndefined();
    expect(promotionRun(hot, decideMetastore(hot, "passive", standby), at)).toBeUndefined();
  });

  it("keeps the Dataproc cluster on the passive site only when asked to keep it warm", () => {
    expect(
      decideMetastore({ ...hot, cluster: { ...hot.cluster, keepWarm: true } }, "passive", {})
        .dataprocCluster,
    ).toBe(true);
    expect(
      decideMetastore({ ...hot, cluster: { ...hot.cluster, enabled: false } }, "active", {})
        .dataprocCluster,
    ).toBe(false);
  });

  it("reads only a well-formed last deployment", () => {
    expect(parseLastDeployment(undefined)).toEqual({});
    expect(parseLastDeployment({ role: "leader", metastoreProvisioned: "yes" })).toEqual({});
    expect(
      parseLastDeployment({ role: "active", sqlRecovered: true, metastoreRestoredOnce: 1 }),
    ).toEqual({
      role: "active",
      sqlRecovered: true,
    });
    expect(parseLastDeployment({ role: "passive", metastoreProvisioned: true, extra: 1 })).toEqual({
      role: "passive",
      metastoreProvisioned: true,
    });
  });
});

describe("where the metastore attaches (issue 13)", () => {
  it("takes the network from config: the service's VPC (create-only) and the cluster's subnetwork", async () => {
    const [primary] = await sequence("primary", [false]);
    expect(findResource(primary!.resources, SERVICE, "metastore-service").inputs.network).toBe(
      "projects/482913557021/global/networks/dr-vpc",
    );
    const cluster = findResource(primary!.resources, CLUSTER, "metastore-hive-cluster");
    expect((cluster.inputs.clusterConfig as any).gceClusterConfig).toEqual({
      subnetwork: "dr-us-east4",
    });
    // A shared VPC is named by its full path, as given: the host project's number.
    expect(metastoreNetwork("projects/731004928815/global/networks/shared", "482913557021")).toBe(
      "projects/731004928815/global/networks/shared",
    );
  });

  it("refuses a stack without a network, or with a malformed one, before anything is registered", () => {
    const without = validRaw();
    delete without.gcp.network;
    expect(configProblems(without)).toEqual([
      `paired-dr:gcp.network: is required; must be an object (given: nothing)`,
    ]);
    const malformed = validRaw();
    malformed.gcp.network.vpc = "Default VPC";
    expect(configProblems(malformed)).toEqual([
      `paired-dr:gcp.network.vpc: malformed VPC; allowed: a VPC name (lowercase letters, digits, '-') or "projects/<project number>/global/networks/<name>" (given: "Default VPC")`,
    ]);
    // The API names the service's network by the project's number: an ID would read back as a
    // change of a create-only field.
    const byId = validRaw();
    byId.gcp.network.vpc = "projects/acme-host/global/networks/shared";
    expect(configProblems(byId)).toEqual([
      `paired-dr:gcp.network.vpc: malformed VPC; allowed: a VPC name (lowercase letters, digits, '-') or "projects/<project number>/global/networks/<name>" (given: "projects/acme-host/global/networks/shared")`,
    ]);
  });
});

describe("metastore inputs", () => {
  const spec = shipped();
  const ctx = {
    serviceId: "acmedata-primary-hms",
    network: "projects/482913557021/global/networks/dr-vpc",
    region: "us-central1",
    site: "primary" as const,
    warehouseBucket: "wh",
    backupBucket: "bk",
    labels: { a: "b" },
  };

  it("builds the service with its backup schedule in its own folder of the backup bucket", () => {
    expect(metastoreServiceArgs(spec, decideMetastore(spec, "active", {}), ctx)).toEqual({
      serviceId: "acmedata-primary-hms",
      location: "us-central1",
      // Create-only: chosen before the first deployment, never the project's default VPC.
      network: "projects/482913557021/global/networks/dr-vpc",
      tier: "ENTERPRISE",
      databaseType: "MYSQL",
      releaseChannel: "STABLE",
      hiveMetastoreConfig: {
        version: "3.1.2",
        configOverrides: { "hive.metastore.warehouse.dir": "gs://wh/hive-warehouse" },
      },
      scheduledBackup: {
        enabled: true,
        cronSchedule: "*/15 * * * *",
        timeZone: "UTC",
        backupLocation: "gs://bk/metastore/primary",
      },
      deletionProtection: true,
      deletionPolicy: "PREVENT",
      labels: { a: "b" },
    });
    const passive = metastoreServiceArgs(spec, decideMetastore(spec, "passive", {}), ctx);
    expect(passive.scheduledBackup).toEqual({
      enabled: false,
      cronSchedule: "*/15 * * * *",
      timeZone: "UTC",
      backupLocation: "gs://bk/metastore/primary",
    });
  });

  it("points the restore workflow at the peer's backups, with the RPO and a bounded timeout", () => {
    expect(
      restoreEnvironment(spec, {
        project: "p",
        region: "us-east1",
        serviceId: "s",
        backupBucket: "bk",
        peerSite: "primary",
      }),
    ).toEqual({
      METASTORE_SERVICE: "projects/p/locations/us-east1/services/s",
      BACKUP_BUCKET: "bk",
      BACKUP_PREFIX: "metastore/primary/",
      RPO_MINUTES: "60",
      RESTORE_TIMEOUT_SECONDS: "1200",
      BACKUP_MIN_AGE_SECONDS: "300",
      POLL_SECONDS: "15",
    });
  });

  it("schedules restores every 20 minutes through the Workflow Executions API, paused when active", () => {
    const args = {
      name: "w",
      project: "p",
      region: "us-east1",
      workflow: "w",
      serviceAccountEmail: "sa@p.iam.gserviceaccount.com",
    };
    const running = restoreScheduleArgs(spec, decideMetastore(spec, "passive", {}), args);
    expect(running).toEqual({
      name: "w",
      region: "us-east1",
      description:
        "Restores the peer site's latest completed metastore backup into this site's service.",
      // Seven minutes past the backups' :00/:15/:30/:45 slots: the backup started at the slot has
      // finished and is older than BACKUP_MIN_AGE_MINUTES (issue 13: restores fired exactly as
      // backups started).
      schedule: "7-59/20 * * * *",
      timeZone: "UTC",
      paused: false,
      attemptDeadline: "180s",
      httpTarget: {
        httpMethod: "POST",
        uri: "https://workflowexecutions.googleapis.com/v1/projects/p/locations/us-east1/workflows/w/executions",
        body: Buffer.from('{"argument":"{}","callLogLevel":"LOG_ERRORS_ONLY"}').toString("base64"),
        headers: { "Content-Type": "application/json" },
        oauthToken: {
          serviceAccountEmail: "sa@p.iam.gserviceaccount.com",
          scope: "https://www.googleapis.com/auth/cloud-platform",
        },
      },
    });
    expect(restoreScheduleArgs(spec, decideMetastore(spec, "active", {}), args).paused).toBe(true);
  });
});

/** The metastore part of a plan, as compact facts. */
function facts(plan: StackPlan) {
  const service = byType(plan.resources, SERVICE)[0];
  const schedule = byType(plan.resources, SCHEDULE).find(
    (r) => r.name === "metastore-restore-schedule",
  );
  const record = byType(plan.resources, OBJECT).find((r) => r.name === "metastore-fence-record");
  return {
    role: plan.role,
    service: service
      ? {
          backups: (service.inputs.scheduledBackup as { enabled: boolean }).enabled,
          protect: service.options.protect,
        }
      : null,
    schedulePaused: schedule ? schedule.inputs.paused : null,
    restoreRuns: byType(plan.resources, RUN).filter((r) => r.name === "metastore-promotion-restore")
      .length,
    cluster: byType(plan.resources, CLUSTER).length,
    workflows: byType(plan.resources, WORKFLOW).length,
    fenceRecord: record ? JSON.parse(String(revealed(record.wireInputs.content))) : null,
  };
}

describe("the MetastorePair in both stacks", () => {
  it("hot: promotion reverses the direction; its one new resource restores the newest backup into the standby before backups start", async () => {
    const [primaryActive, primaryPassive] = await sequence("primary", [false, true]);
    const [secondaryPassive, secondaryActive] = await sequence("secondary", [false, true]);
    const active = (site: string, epoch: number) => ({
      role: "active",
      service: { backups: true, protect: true },
      schedulePaused: true,
      restoreRuns: 0,
      cluster: 1,
      // The restore, the fence, and a drain's final backup.
      workflows: 3,
      fenceRecord: { site, role: "active", epoch },
    });
    const passive = (site: string, epoch: number) => ({
      role: "passive",
      service: { backups: false, protect: true },
      schedulePaused: false,
      restoreRuns: 0,
      cluster: 0,
      workflows: 3,
      fenceRecord: { site, role: "passive", epoch },
    });
    expect(
      [primaryActive, secondaryPassive, primaryPassive, secondaryActive].map((p) => facts(p!)),
    ).toEqual([
      active("primary", 1),
      passive("secondary", 0),
      passive("primary", 1),
      // The promotion raises the epoch above both recorded ones (components/fence.ts); this
      // sequence records no peer. It restores the standby once (issue 13).
      { ...active("secondary", 1), restoreRuns: 1 },
    ]);
    const run = findResource(secondaryActive!.resources, RUN, "metastore-promotion-restore");
    const { __provider, ...runInputs } = run.inputs;
    // Pulumi serialized the provider: it loads the official clients when it runs.
    expect(String(__provider)).toContain('require("@google-cloud/workflows")');
    expect(runInputs).toEqual({
      endpoint: "https://workflowexecutions.googleapis.com",
      schedulerEndpoint: "https://cloudscheduler.googleapis.com",
      // An earlier deployment's run is its own result: this one restores once.
      fresh: false,
      workflow:
        "projects/acmedata-platform-dr/locations/us-central1/workflows/acmedata-secondary-hms-restore",
      target: "projects/acmedata-platform-dr/locations/us-central1/services/acmedata-secondary-hms",
      runKey: "promotion-e1",
      // Waits for a restore in flight; a backup it cannot read leaves the standby's last restore.
      argument: { restoreWhateverAge: true, waitForIdle: true, allowNoBackup: true },
      // Stops the scheduled restores and cancels the one in flight first (issue 13, item 8).
      quiesceSchedule:
        "projects/acmedata-platform-dr/locations/us-central1/jobs/acmedata-secondary-hms-restore",
      // The wait for a restore in flight, the restore and a fallback, plus 5 minutes.
      timeoutSeconds: 3900,
      pollSeconds: 15,
      requestTimeoutSeconds: 60,
      maxRetries: 5,
    });
    const after = (name: string, type: string) =>
      findResource(secondaryActive!.resources, type, name).dependencies;
    // The service's update (backups on) waits for the run; so do the fence record and the cluster.
    expect(after("metastore-service", SERVICE)).toContain(run.urn);
    expect(after("metastore-fence-record", OBJECT)).toContain(run.urn);
    expect(after("metastore-hive-cluster", CLUSTER)).toContain(run.urn);
    // The run waits for everything its account needs, and never for the service it precedes.
    const byName = (n: string) => secondaryActive!.resources.find((r) => r.name === n)!.urn;
    expect([...run.dependencies].sort()).toEqual(
      [
        "metastore-restore-workflow",
        "metastore-sync-restores-service",
        "metastore-sync-reads-backups",
        "metastore-sync-reads-clusters",
        "metastore-sync-reads-operations",
        "metastore-sync-writes-logs",
        "metastore-sync-invokes-restore",
      ]
        .map(byName)
        .sort(),
    );
    expect(
      after(
        "metastore-sync-restores-service",
        "gcp:dataproc/metastoreServiceIamMember:MetastoreServiceIamMember",
      ),
    ).not.toContain(byName("metastore-service"));
    // The cluster (keepWarm off) and the fence's grant on it come and go with the role.
    const roleBound = (r: { name: string; type: string }) =>
      r.name.startsWith("metastore-") && r.type !== CLUSTER && r.type !== CLUSTER_GRANT;
    const metastoreOnly = (d: ReturnType<typeof diffPlans>) => ({
      created: d.created.filter(roleBound).map((r) => r.name),
      deleted: d.deleted.filter(roleBound).map((r) => r.name),
      updated: d.updated
        .filter((u) => u.resource.name.startsWith("metastore-"))
        .map((u) => `${u.resource.name} ${u.changes.map((c) => c.path).join(",")}`),
    });
    expect(metastoreOnly(diffPlans(primaryActive!, primaryPassive!))).toEqual({
      // A standby is watched for falling behind its RPO (issue 13, item 16).
      created: ["metastore-alert-standby-behind"],
      deleted: [],
      // In the order the program constructs them (the service's wait for the service agent's
      // grant is races.test.ts's).
      updated: [
        "metastore-service scheduledBackup.enabled",
        "metastore-fence-workflow userEnvVars.HIVE_CLUSTER",
        "metastore-restore-schedule paused",
        "metastore-fence-record content",
      ],
    });
  });

  it("hot: each standby restores the peer's folder into its own service", async () => {
    const [secondary] = await sequence("secondary", [false]);
    const workflow = findResource(secondary!.resources, WORKFLOW, "metastore-restore-workflow");
    expect(workflow.inputs.userEnvVars).toEqual({
      METASTORE_SERVICE:
        "projects/acmedata-platform-dr/locations/us-central1/services/acmedata-secondary-hms",
      BACKUP_BUCKET: "acmedata-metastore-backups",
      BACKUP_PREFIX: "metastore/primary/",
      RPO_MINUTES: "60",
      RESTORE_TIMEOUT_SECONDS: "1200",
      BACKUP_MIN_AGE_SECONDS: "300",
      POLL_SECONDS: "15",
    });
    expect(workflow.inputs.serviceAccount).toBe(
      "acmedata-sec-hms-sync@acmedata-platform-dr.iam.gserviceaccount.com",
    );
    const service = findResource(secondary!.resources, SERVICE, "metastore-service");
    expect(service.inputs.scheduledBackup).toEqual({
      enabled: false,
      cronSchedule: "*/15 * * * *",
      timeZone: "UTC",
      backupLocation: "gs://acmedata-metastore-backups/metastore/secondary",
    });
    expect((service.inputs.hiveMetastoreConfig as Record<string, unknown>).configOverrides).toEqual(
      {
        "hive.metastore.warehouse.dir": "gs://acmedata-hive-warehouse/hive-warehouse",
      },
    );
  });

  it("grants the sync and fence accounts only what each needs, and the service agent's grant once", async () => {
    const grants = (plan: StackPlan) =>
      plan.resources
        .filter((r) => /IAMMember|IamMember/.test(r.type))
        .map(
          (r) =>
            `${r.inputs.role} ${r.inputs.member} ${r.inputs.cluster ?? r.inputs.bucket ?? r.inputs.serviceId ?? r.inputs.project}${r.inputs.condition ? " if workflow" : ""}`,
        )
        .sort();
    const [primary] = await sequence("primary", [false]);
    const [secondary] = await sequence("secondary", [false]);
    const sa = "serviceAccount:acmedata-sec-hms-sync@acmedata-platform-dr.iam.gserviceaccount.com";
    const fence = (code: string) =>
      `serviceAccount:acmedata-${code}-hms-fence@acmedata-platform-dr.iam.gserviceaccount.com`;
    expect(grants(secondary!)).toEqual([
      // metastore.operations.get alone: the workflows poll the operations they start.
      `projects/acmedata-platform-dr/roles/acmedata_secondary_metastore_operations ${sa} acmedata-platform-dr`,
      `roles/dataproc.viewer ${fence("sec")} acmedata-platform-dr`,
      // A drain's final backup reads whether the Hive cluster has stopped.
      `roles/dataproc.viewer ${sa} acmedata-platform-dr`,
      `roles/logging.logWriter ${fence("sec")} acmedata-platform-dr`,
      `roles/logging.logWriter ${sa} acmedata-platform-dr`,
      `roles/metastore.editor ${sa} acmedata-secondary-hms`,
      `roles/storage.objectViewer ${fence("sec")} acmedata-metastore-backups`,
      `roles/storage.objectViewer ${sa} acmedata-metastore-backups`,
      // Workflows evaluates no IAM condition on a workflow's name (IAM docs,
      // conditions-resource-attributes: Workflows is not among the services that do): each
      // account is its own, so its grant is unconditional.
      `roles/workflows.invoker ${fence("sec")} acmedata-platform-dr`,
      `roles/workflows.invoker ${sa} acmedata-platform-dr`,
    ]);
    const role = findResource(
      secondary!.resources,
      "gcp:projects/iAMCustomRole:IAMCustomRole",
      "metastore-operations-role",
    );
    expect(role.inputs).toMatchObject({
      project: "acmedata-platform-dr",
      roleId: "acmedata_secondary_metastore_operations",
      permissions: ["metastore.operations.get"],
    });
    expect(
      findResource(
        secondary!.resources,
        "gcp:projects/iAMMember:IAMMember",
        "metastore-sync-reads-operations",
      ).dependencies,
    ).toContain(role.urn);
    // The passive secondary declares no cluster, so its fence controls none.
    const primaryGrants = grants(primary!);
    expect(primaryGrants.filter((g) => g.includes(fence("pri")))).toEqual([
      // Reading clusters project-wide lets a cluster not created yet answer 404, not 403.
      `roles/dataproc.viewer ${fence("pri")} acmedata-platform-dr`,
      `roles/editor ${fence("pri")} acmedata-primary-hive`,
      `roles/logging.logWriter ${fence("pri")} acmedata-platform-dr`,
      `roles/storage.objectViewer ${fence("pri")} acmedata-metastore-backups`,
      `roles/workflows.invoker ${fence("pri")} acmedata-platform-dr`,
    ]);
    const clusterGrant = findResource(
      primary!.resources,
      CLUSTER_GRANT,
      "metastore-fence-controls-cluster",
    );
    expect(clusterGrant.inputs).toEqual({
      project: "acmedata-platform-dr",
      region: "us-east4",
      cluster: "acmedata-primary-hive",
      role: "roles/editor",
      member: fence("pri"),
    });
    expect(primaryGrants).toContain(
      "roles/storage.objectAdmin serviceAccount:service-482913557021@gcp-sa-metastore.iam.gserviceaccount.com acmedata-metastore-backups",
    );
    expect(grants(secondary!).filter((g) => g.includes("gcp-sa-metastore"))).toEqual([]);
  });

  it("cold: the passive site has no service; promotion creates one and restores it once; demotion keeps it, hot", async () => {
    const cold = withSpec((m) => (m.standby = "cold"));
    const [passive, promoted, stillActive, demoted] = await sequence(
      "secondary",
      [false, true, true, false],
      cold,
    );
    expect(facts(passive!)).toEqual({
      role: "passive",
      service: null,
      schedulePaused: null,
      restoreRuns: 0,
      cluster: 0,
      workflows: 2,
      fenceRecord: { site: "secondary", role: "passive", epoch: 0 },
    });
    expect(facts(promoted!)).toEqual({
      role: "active",
      service: { backups: true, protect: true },
      schedulePaused: true,
      restoreRuns: 1,
      cluster: 1,
      // Its final backup's joins the restore and the fence once it has a service.
      workflows: 3,
      fenceRecord: { site: "secondary", role: "active", epoch: 1 },
    });
    expect(facts(stillActive!)).toEqual(facts(promoted!));
    expect(facts(demoted!)).toEqual({
      role: "passive",
      service: { backups: false, protect: true },
      schedulePaused: false,
      restoreRuns: 0,
      cluster: 0,
      workflows: 3,
      fenceRecord: { site: "secondary", role: "passive", epoch: 1 },
    });

    const run = findResource(promoted!.resources, RUN, "metastore-promotion-restore");
    // The Hive cluster starts against the restored metastore, not the empty one (issue 13).
    expect(
      findResource(promoted!.resources, CLUSTER, "metastore-hive-cluster").dependencies,
    ).toContain(run.urn);
    expect(run.inputs).toMatchObject({
      endpoint: "https://workflowexecutions.googleapis.com",
      runKey: "promotion-e1",
      quiesceSchedule: "",
      workflow:
        "projects/acmedata-platform-dr/locations/us-central1/workflows/acmedata-secondary-hms-restore",
      target: "projects/acmedata-platform-dr/locations/us-central1/services/acmedata-secondary-hms",
      // The new service took tens of minutes: restore the newest backup whatever its age, and
      // report the RPO breach in the run's result (issue 13).
      argument: { restoreWhateverAge: true },
      // The restore and a fallback to the next older backup, plus 5 minutes.
      timeoutSeconds: 2700,
    });

    const flips = [
      diffPlans(passive!, promoted!),
      diffPlans(promoted!, stillActive!),
      diffPlans(stillActive!, demoted!),
    ];
    // The fence record names the role, so only a role change rewrites it (ForceNew text).
    expect(flips.map((d) => d.replaced.map((r) => r.before.name))).toEqual([
      ["workspace-fence"],
      [],
      ["workspace-fence"],
    ]);
    for (const d of flips) {
      expect(d.dangerous).toEqual([]);
      expect(d.deleted.filter((r) => r.type === SERVICE)).toEqual([]);
    }
    const metastore = (rs: { name: string }[]) => rs.filter((r) => r.name.startsWith("metastore-"));
    expect(
      metastore(flips[0]!.created)
        .map((r) => r.name)
        .sort(),
    ).toEqual([
      "metastore-fence-controls-cluster",
      "metastore-final-backup-workflow",
      "metastore-hive-cluster",
      "metastore-promotion-restore",
      "metastore-restore-schedule",
      "metastore-service",
      "metastore-sync-restores-service",
    ]);
    expect(flips[1]!.created).toEqual([]);
    expect(
      metastore(flips[2]!.deleted)
        .map((r) => r.name)
        .sort(),
    ).toEqual([
      "metastore-fence-controls-cluster",
      "metastore-hive-cluster",
      "metastore-promotion-restore",
    ]);
  });

  it("cold: the primary's first deployment creates its service without a restore, and keeps it when demoted", async () => {
    const cold = withSpec((m) => (m.standby = "cold"));
    const [active, demoted] = await sequence("primary", [false, true], cold);
    expect(facts(active!)).toMatchObject({
      role: "active",
      service: { backups: true },
      restoreRuns: 0,
    });
    expect(facts(demoted!)).toMatchObject({
      role: "passive",
      service: { backups: false },
      schedulePaused: false,
    });
    expect(
      diffPlans(active!, demoted!)
        .deleted.map((r) => r.name)
        .filter((n) => n.startsWith("metastore-")),
    ).toEqual(["metastore-hive-cluster", "metastore-fence-controls-cluster"]);
  });

  it("npm run plan --diff promote in cold mode shows the promoted stack creating a service and restoring it once", async () => {
    const cold = withSpec((m) => (m.standby = "cold"));
    const out = JSON.parse(
      await runPlan(parseCli(["--format", "json", "--diff", "promote", "--set", cold[0]!])),
    ) as {
      stacks: { stack: string; diff: ReturnType<typeof diffPlans> }[];
    };
    const names = (rs: { name: string }[]) =>
      rs
        .map((r) => r.name)
        .filter((n) => n.startsWith("metastore-"))
        .sort();
    const [primary, secondary] = out.stacks;
    expect(names(secondary!.diff.created)).toEqual([
      "metastore-fence-controls-cluster",
      "metastore-final-backup-workflow",
      "metastore-hive-cluster",
      "metastore-promotion-restore",
      "metastore-restore-schedule",
      "metastore-service",
      "metastore-sync-restores-service",
    ]);
    // The demoted primary keeps its service as a hot standby, watched for falling behind its RPO,
    // and backs it up once its Hive cluster has stopped (its peer is passive: a drain).
    expect(names(primary!.diff.created)).toEqual([
      "metastore-alert-standby-behind",
      "metastore-final-backup",
    ]);
    expect(names(primary!.diff.deleted)).toEqual([
      "metastore-fence-controls-cluster",
      "metastore-hive-cluster",
    ]);
    for (const s of out.stacks) {
      expect(s.diff.replaced.map((r: any) => r.before.name)).toEqual(["workspace-fence"]);
      expect(s.diff.dangerous).toEqual([]);
    }
  });
});

describe("the Hive cluster's fence in the program (issue 10)", () => {
  const FENCE_SCHEDULE = "metastore-fence-schedule";
  const site = (plan: StackPlan) => plan.outputs.site as "primary" | "secondary";
  const code = { primary: "pri", secondary: "sec" } as const;
  const region = { primary: "us-east4", secondary: "us-central1" } as const;

  it("runs in every role: the same workflow and schedule, and a record of the site's role and epoch", async () => {
    const keepWarm = withSpec((m) => (m.cluster.keepWarm = true));
    const plans = [
      ...(await sequence("primary", [false, true])),
      ...(await sequence("secondary", [false, true])),
      ...(await sequence("secondary", [false], keepWarm)),
    ];
    const declared = plans.map((p) => byType(p.resources, CLUSTER).length);
    expect(declared).toEqual([1, 0, 0, 1, 1]);
    for (const plan of plans) {
      const s = site(plan);
      const account = `acmedata-${code[s]}-hms-fence@acmedata-platform-dr.iam.gserviceaccount.com`;
      const workflow = findResource(plan.resources, WORKFLOW, "metastore-fence-workflow");
      expect(workflow.inputs).toMatchObject({
        name: `acmedata-${s}-hms-fence`,
        region: region[s],
        serviceAccount: account,
        callLogLevel: "LOG_ERRORS_ONLY",
        // It holds nothing; `cluster.enabled: false` must be able to delete it.
        deletionProtection: false,
      });
      // The workflow names the cluster exactly when this deployment declares one.
      expect((workflow.inputs.userEnvVars as Record<string, string>).HIVE_CLUSTER).toBe(
        byType(plan.resources, CLUSTER).length ? `acmedata-${s}-hive` : "",
      );
      const schedule = findResource(plan.resources, SCHEDULE, FENCE_SCHEDULE);
      expect(schedule.inputs).toEqual({
        name: `acmedata-${s}-hms-fence`,
        region: region[s],
        description:
          "Stops this site's Hive cluster while the peer site holds a higher fencing epoch; starts it again once it does not.",
        schedule: "*/5 * * * *",
        timeZone: "UTC",
        paused: false,
        attemptDeadline: "180s",
        httpTarget: {
          httpMethod: "POST",
          uri: `https://workflowexecutions.googleapis.com/v1/projects/acmedata-platform-dr/locations/${region[s]}/workflows/acmedata-${s}-hms-fence/executions`,
          body: Buffer.from('{"argument":"{}","callLogLevel":"LOG_ERRORS_ONLY"}').toString(
            "base64",
          ),
          headers: { "Content-Type": "application/json" },
          oauthToken: {
            serviceAccountEmail: account,
            scope: "https://www.googleapis.com/auth/cloud-platform",
          },
        },
      });
      const record = findResource(plan.resources, OBJECT, "metastore-fence-record");
      expect(record.inputs).toEqual({
        bucket: "acmedata-metastore-backups",
        name: `_paired-dr/fence/${s}.json`,
        content: "[secret]",
        contentType: "application/json",
      });
      expect(JSON.parse(String(revealed(record.wireInputs.content)))).toEqual({
        site: s,
        role: plan.role,
        epoch: (plan.outputs as any).deployment.epoch,
      });
      // Its name and content type are ForceNew, and the provider deletes by name: a replacement
      // must delete first (contracts/stateful.ts).
      expect(record.options.deleteBeforeReplace).toBe(true);
    }
  });

  it("orders the record, the cluster, the grants and the schedule", async () => {
    const keepWarm = withSpec((m) => (m.cluster.keepWarm = true));
    const [active] = await sequence("primary", [false]);
    const [warmPassive] = await sequence("secondary", [false], keepWarm);
    const [passive] = await sequence("secondary", [false]);
    const urn = (plan: StackPlan, type: string, name: string) =>
      findResource(plan.resources, type, name).urn;
    for (const plan of [active!, warmPassive!, passive!]) {
      const record = findResource(plan.resources, OBJECT, "metastore-fence-record");
      const workflow = urn(plan, WORKFLOW, "metastore-fence-workflow");
      // Waiting for a component is waiting for its children: the bucket, where this stack
      // creates it.
      const backup = byType(plan.resources, "paired-dr:components:DualRegionBucket").find(
        (b) => b.name === "backup",
      )!.urn;
      const bucket = plan.resources.filter((r) => r.parent === backup).map((r) => r.urn);
      expect(bucket).toHaveLength(plan === active ? 1 : 0);
      expect(record.dependencies).toEqual(expect.arrayContaining([...bucket, workflow]));
      const schedule = findResource(plan.resources, SCHEDULE, FENCE_SCHEDULE);
      const grants = plan.resources
        .filter((r) => /IAMMember/.test(r.type) && r.name.startsWith("metastore-fence-"))
        .map((r) => r.urn);
      expect(grants).toHaveLength(plan === passive ? 4 : 5);
      // A run before its grants fails on a 403.
      expect(schedule.dependencies).toEqual(expect.arrayContaining([workflow, ...grants]));
    }
    // Active: the record says active before the cluster exists.
    const recordUrn = urn(active!, OBJECT, "metastore-fence-record");
    expect(
      findResource(active!.resources, CLUSTER, "metastore-hive-cluster").dependencies,
    ).toContain(recordUrn);
    // Passive with a warm cluster: the record says passive once the cluster is as declared.
    const warmRecord = findResource(warmPassive!.resources, OBJECT, "metastore-fence-record");
    const warmCluster = findResource(warmPassive!.resources, CLUSTER, "metastore-hive-cluster");
    expect(warmRecord.dependencies).toContain(warmCluster.urn);
    expect(warmCluster.dependencies).not.toContain(warmRecord.urn);
  });

  it("has no fence where no Hive cluster is configured", async () => {
    const [plan] = await sequence(
      "primary",
      [false],
      withSpec((m) => (m.cluster.enabled = false)),
    );
    const fenceParts = plan!.resources.filter((r) => r.name.startsWith("metastore-fence"));
    expect(fenceParts).toEqual([]);
    expect(byType(plan!.resources, CLUSTER)).toEqual([]);
  });

  it("checks as often as configured, and only on an interval that runs evenly through the hour", () => {
    expect(problemsAfter("metastore", (m) => (m.fenceEveryMinutes = 7))).toEqual([
      expect.stringMatching(
        /^paired-dr:metastore\.fenceEveryMinutes: the Hive cluster's fence check must run evenly through the hour or day; allowed: 5, 10, 15,/,
      ),
    ]);
    expect(shipped().fenceEveryMinutes).toBe(5);
  });
});

describe("the restore alerts (issue 13, item 16)", () => {
  const POLICY = "gcp:monitoring/alertPolicy:AlertPolicy";
  const CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel";
  const runs = (workflow: string, status: string) =>
    `resource.type="workflows.googleapis.com/Workflow" AND resource.labels.workflow_id="${workflow}" AND ` +
    `metric.type="workflows.googleapis.com/finished_execution_count" AND metric.labels.status="${status}"`;

  it("tells the configured addresses of a failed run on every site, and of a standby with no successful run within the RPO", async () => {
    const [primary] = await sequence("primary", [false]);
    const [secondary] = await sequence("secondary", [false]);
    const channel = findResource(
      secondary!.resources,
      CHANNEL,
      "metastore-notify-data-platform-oncall-acmedata-example",
    );
    expect(channel.inputs).toEqual({
      displayName: "paired-dr secondary: data-platform-oncall@acmedata.example",
      type: "email",
      labels: { email_address: "data-platform-oncall@acmedata.example" },
      userLabels: expect.objectContaining({ "paired-dr-site": "secondary" }),
    });
    // The active site has no restore schedule running: only failed runs (a promotion's) alert.
    expect(byType(primary!.resources, POLICY).map((r) => r.name)).toEqual([
      "metastore-alert-failed-runs",
    ]);
    const policies = byType(secondary!.resources, POLICY);
    expect(policies.map((r) => r.name)).toEqual([
      "metastore-alert-failed-runs",
      "metastore-alert-standby-behind",
    ]);
    const wf = "acmedata-secondary-hms-restore";
    const [failed, behind] = policies;
    expect(failed!.inputs.conditions).toEqual([
      {
        displayName: `${wf}: a run failed`,
        conditionThreshold: {
          filter: runs(wf, "FAILED"),
          aggregations: [
            {
              alignmentPeriod: "300s",
              perSeriesAligner: "ALIGN_SUM",
              crossSeriesReducer: "REDUCE_SUM",
            },
          ],
          // The API accepts only COMPARISON_GT and COMPARISON_LT (alert.proto, MetricThreshold).
          comparison: "COMPARISON_GT",
          thresholdValue: 0,
          duration: "0s",
        },
      },
    ]);
    expect(behind!.inputs.conditions).toEqual([
      {
        displayName: `${wf}: no successful run in 60 minutes`,
        conditionThreshold: {
          filter: runs(wf, "SUCCEEDED"),
          aggregations: [
            {
              alignmentPeriod: "3600s",
              perSeriesAligner: "ALIGN_SUM",
              crossSeriesReducer: "REDUCE_SUM",
            },
          ],
          comparison: "COMPARISON_LT",
          thresholdValue: 1,
          duration: "0s",
          // No run at all is the worst case, not a gap in the data (alert.proto, EvaluationMissingData).
          evaluationMissingData: "EVALUATION_MISSING_DATA_ACTIVE",
        },
      },
    ]);
    expect([failed!.inputs.severity, behind!.inputs.severity]).toEqual(["ERROR", "CRITICAL"]);
    for (const p of policies) {
      expect(p.inputs.combiner).toBe("OR");
      // The channel's name is known once it exists: the policy waits for it.
      expect(p.inputs.notificationChannels).toHaveLength(1);
      expect(p.dependencies).toContain(channel.urn);
      // Filed after the workflow it watches.
      expect(p.dependencies).toContain(
        findResource(secondary!.resources, WORKFLOW, "metastore-restore-workflow").urn,
      );
    }
  });

  it("caps the window at the 25 hours an alert policy may align over (monitoring/v3 common.proto)", () => {
    const spec = { ...shipped(), rpoMinutes: 10_080 };
    const alerts = restoreAlerts(spec, decideMetastore(spec, "passive", {}), {
      site: "secondary",
      workflowId: "w",
      labels: {},
    });
    const behind = alerts.find((a) => a.key === "standby-behind")!;
    expect(
      (behind.policy.conditions as any[])[0].conditionThreshold.aggregations[0].alignmentPeriod,
    ).toBe(`${MAX_ALERT_WINDOW_MINUTES * 60}s`);
    expect(MAX_ALERT_WINDOW_MINUTES * 60).toBe(90_000);
    // A cold standby has no service, so nothing to watch but runs.
    const cold = { ...shipped(), standby: "cold" as const };
    expect(
      restoreAlerts(cold, decideMetastore(cold, "passive", {}), {
        site: "secondary",
        workflowId: "w",
        labels: {},
      }).map((a) => a.key),
    ).toEqual(["failed-runs"]);
  });
});

// Issue 15 (seed 004: a planned switch waits for a fully synced moment): the drain's metastore
// part. Its workflow is tested as written in test/finalBackupWorkflow.test.ts.
describe("a planned stand-down's final metastore backup", () => {
  it("says passive first (the fence then stops the Hive cluster), backs up, then turns the service's backups off; the promotion restores exactly that backup", async () => {
    const { secondary, standingDown } = await primaryStandDown();
    const run = findResource(standingDown.resources, RUN, "metastore-final-backup");
    const { __provider, ...inputs } = run.inputs;
    expect(inputs).toEqual({
      endpoint: "https://workflowexecutions.googleapis.com",
      schedulerEndpoint: "https://cloudscheduler.googleapis.com",
      workflow:
        "projects/acmedata-platform-dr/locations/us-east4/workflows/acmedata-primary-hms-final-backup",
      target: "projects/acmedata-platform-dr/locations/us-east4/services/acmedata-primary-hms",
      runKey: "drain-primary-e1",
      argument: { backupId: "drain-primary-e1" },
      // Only a backup this run starts after the cluster stopped holds every write.
      fresh: true,
      quiesceSchedule: "",
      // 15 min for the stop, 60 for an update or scheduled backup in flight, 60 each for a
      // delete and the backup, 5 spare (plan.ts FINAL_BACKUP_MINUTES).
      timeoutSeconds: 200 * 60,
      pollSeconds: 15,
      requestTimeoutSeconds: 60,
      maxRetries: 5,
    });
    const urn = (type: string, name: string) =>
      findResource(standingDown.resources, type, name).urn;
    const record = findResource(standingDown.resources, OBJECT, "metastore-fence-record");
    expect(JSON.parse(String(revealed(record.wireInputs.content)))).toEqual({
      site: "primary",
      role: "passive",
      epoch: 1,
    });
    expect(run.dependencies).toEqual(
      expect.arrayContaining([
        urn(WORKFLOW, "metastore-final-backup-workflow"),
        urn(
          "gcp:dataproc/metastoreServiceIamMember:MetastoreServiceIamMember",
          "metastore-sync-restores-service",
        ),
        urn("gcp:projects/iAMMember:IAMMember", "metastore-sync-reads-clusters"),
        record.urn,
      ]),
    );
    // The API refuses an update while a backup runs (dataproc-metastore/docs/backup-metadata).
    const service = findResource(standingDown.resources, SERVICE, "metastore-service");
    expect(service.dependencies).toContain(run.urn);
    expect((service.inputs.scheduledBackup as { enabled: boolean }).enabled).toBe(false);
    // The fence still names the cluster the stand-down removes at its end: it stops it first.
    const fence = findResource(standingDown.resources, WORKFLOW, "metastore-fence-workflow");
    expect((fence.inputs.userEnvVars as Record<string, string>).HIVE_CLUSTER).toBe(
      "acmedata-primary-hive",
    );
    expect(byType(standingDown.resources, CLUSTER)).toEqual([]);
    const backup = PRIMARY_DRAIN_BACKUP;
    const recorded = parseLastDeployment(standingDown.outputs.deployment);
    expect(recorded.finalSync).toMatchObject({
      key: "drain-primary-e1",
      epoch: 1,
      metastoreBackup: backup,
    });

    // The secondary's promotion restores that backup by name, once it may use it.
    const promoted = await planSteady("secondary", {
      sets: ["promote=true"],
      lastOutputs: secondary.outputs,
      peerOutputs: { primary: standingDown.outputs },
    });
    const restore = findResource(promoted.resources, RUN, "metastore-promotion-restore");
    expect(restore.inputs.argument).toEqual({
      restoreWhateverAge: true,
      waitForIdle: true,
      allowNoBackup: true,
      backup,
    });
    const grant = findResource(
      promoted.resources,
      "gcp:dataproc/metastoreServiceIamMember:MetastoreServiceIamMember",
      "metastore-sync-uses-peer-backup",
    );
    expect(grant.inputs).toMatchObject({
      project: "acmedata-platform-dr",
      location: "us-east4",
      serviceId: "acmedata-primary-hms",
      role: "roles/metastore.editor",
      member: "serviceAccount:acmedata-sec-hms-sync@acmedata-platform-dr.iam.gserviceaccount.com",
    });
    expect(restore.dependencies).toContain(grant.urn);

    // Acknowledging a forced failover restores the newest scheduled backup instead: the drained
    // region may be gone since.
    const forced = await planSteady("secondary", {
      sets: ["promote=true", 'promotion={"acknowledgeForcedFailover":true}'],
      lastOutputs: secondary.outputs,
      peerOutputs: { primary: standingDown.outputs },
    });
    expect(
      findResource(forced.resources, RUN, "metastore-promotion-restore").inputs.argument,
    ).toEqual({
      restoreWhateverAge: true,
      waitForIdle: true,
      allowNoBackup: true,
    });
  });

  it("is taken only by a site that was active standing down while its peer is passive", () => {
    const active = { role: "active" as const, epoch: 4, metastoreProvisioned: true };
    expect(finalBackupKey("primary", "passive", active, "passive")).toBe("drain-primary-e4");
    // An unplanned failover's return: the peer is active and restored what it could.
    expect(finalBackupKey("primary", "passive", active, "active")).toBeUndefined();
    // A peer never deployed: no one to restore it.
    expect(finalBackupKey("primary", "passive", active, undefined)).toBeUndefined();
    expect(finalBackupKey("primary", "active", active, "passive")).toBeUndefined();
    expect(
      finalBackupKey("primary", "passive", { ...active, role: "passive" }, "passive"),
    ).toBeUndefined();
    expect(
      finalBackupKey("secondary", "passive", { ...active, metastoreProvisioned: false }, "passive"),
    ).toBeUndefined();
  });

  it("what a promotion restores is decided when the site is promoted, and kept while it stays active", () => {
    const backup =
      "projects/p/locations/us-east4/services/acmedata-primary-hms/backups/drain-primary-e1";
    const peer = {
      role: "passive" as const,
      epoch: 1,
      finalSync: {
        key: "drain-primary-e1",
        epoch: 1,
        jobs: [],
        tables: {},
        metastoreBackup: backup,
      },
    };
    const standby = { role: "passive" as const, epoch: 0 };
    expect(promotionRestoreSource(standby, peer, false)).toEqual({ backup });
    expect(promotionRestoreSource(standby, peer, true)).toEqual({});
    // A switchover called off after this site drained at epoch 3.
    expect(
      promotionRestoreSource({ role: "passive", epoch: 3 }, { ...peer, epoch: 2 }, false),
    ).toEqual({
      restoreNothing: true,
    });
    // Active since: what the promotion was told, whatever the epochs read now.
    const promoted = {
      role: "active" as const,
      epoch: 2,
      metastoreRestoredOnce: true,
      metastorePromotionSource: { backup },
    };
    expect(promotionRestoreSource(promoted, peer, false)).toEqual({ backup });
    // Recorded before sources were: the newest backup, as those runs were told.
    expect(
      promotionRestoreSource({ ...promoted, metastorePromotionSource: undefined }, peer, false),
    ).toEqual({});
  });

  it("is restored by name only from a peer that drained after being promoted above this site, and never when a forced failover is acknowledged", () => {
    const backup =
      "projects/p/locations/us-east4/services/acmedata-primary-hms/backups/drain-primary-e4";
    const sync = {
      key: "drain-primary-e4",
      epoch: 4,
      jobs: [],
      tables: {},
      metastoreBackup: backup,
    };
    const peer = { role: "passive" as const, epoch: 4, finalSync: sync };
    const own = { epoch: 3 };
    expect(promotionBackup(peer, own, false)).toBe(backup);
    expect(promotionBackup(peer, own, true)).toBeUndefined();
    expect(promotionBackup({ ...peer, role: "active" }, own, false)).toBeUndefined();
    // A sync of an earlier active period than the one the peer holds.
    expect(promotionBackup({ ...peer, epoch: 6 }, own, false)).toBeUndefined();
    expect(
      promotionBackup({ ...peer, finalSync: { ...sync, metastoreBackup: undefined } }, own, false),
    ).toBeUndefined();
    // An aborted switchover: this site was active after the peer's drain (its epoch is higher);
    // the peer's backup is older than what this site holds.
    expect(promotionBackup(peer, { epoch: 5 }, false)).toBeUndefined();
    expect(promotionBackup(peer, { epoch: 4 }, false)).toBeUndefined();
    expect(backupService(backup)).toEqual({
      project: "p",
      location: "us-east4",
      serviceId: "acmedata-primary-hms",
    });
    expect(backupService("projects/p/locations/l/services/s")).toBeUndefined();
    expect(finalBackupMade(JSON.stringify({ backup }))).toBe(backup);
    expect(finalBackupMade(JSON.stringify({ backup: "gs://b/x" }))).toBeUndefined();
    expect(finalBackupMade("not json")).toBeUndefined();
  });
});
