/**
 * One valid-args factory for the policy tests: a valid resource of each type the pack reads
 * (inputs copied from `npm run plan -- --format json`, primary stack), valid deployment facts,
 * whole active and passive stacks, and helpers that call validateResource / validateStack
 * directly (no analyzer process). Tests change one field of a valid value per case.
 */
import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { STATEFUL_TYPES } from "../../contracts/stateful";
import { JOB_CONCURRENCY_KIND, concurrencyName } from "../../components/naming";
import { FACTS_KIND, TYPE, type DeploymentFacts, type SqlSettings } from "../../contracts/facts";

export { TYPE };

const SUBSCRIPTION = "/subscriptions/5b0e2c3a-8f1d-4c6e-9a7b-2d4f6e8a0c1e";
const PRIMARY_SQL = `${SUBSCRIPTION}/resourceGroups/acmedata-primary-sql-rg/providers/Microsoft.Sql/servers/acmedata-primary-sql`;
const TAGS = { "managed-by": "pulumi", "paired-dr-site": "primary", platform: "acmedata" };
const DBX_TAGS = { ...TAGS, "paired-dr-prefix": "acmedata" };
const LAKE = "abfss://lake@acmedataprilake.dfs.core.windows.net";
const PEER_LAKE = "abfss://lake@acmedataseclake.dfs.core.windows.net";

export interface TestResource {
  type: string;
  name: string;
  props: Record<string, any>;
  /** The resource's `protect` option; the plan protects every stateful type. */
  protect?: boolean;
}

/** The shipped config's SQL settings, as components/sql/plan.ts sqlSettings records them. */
export const SETTINGS: SqlSettings = {
  strategy: "tiered",
  databasesPerGroup: 20,
  gracePeriodMinutes: 60,
  tenants: 60,
  tenantsDigest: "0123456789abcdef",
};

/** The shipped config's copy jobs (components/workspace/plan.ts, copyJobNames). */
export const COPIES = [
  "replicate-finance-invoices",
  "replicate-landing-orders",
  "replicate-landing-partners",
  "replicate-sales-customers",
  "replicate-sales-daily-sales",
  "replicate-sales-orders",
  "replicate-sales-partner-orders",
];

/** Facts of the primary stack, active, deployed before as active, peer readable and passive. */
export function validFacts(): DeploymentFacts {
  return {
    kind: FACTS_KIND,
    site: "primary",
    role: "active",
    promote: false,
    lastRole: "active",
    lastAcknowledgments: [],
    lastEpoch: 1,
    peer: { role: "passive", acknowledgments: [], epoch: 0, finalSync: null },
    regions: {
      azure: { region: "eastus2", peerRegion: "centralus" },
      gcp: { region: "us-central1", peerRegion: "us-east1" },
    },
    metastore: {
      standby: "hot",
      rpoMinutes: 60,
      backupEveryMinutes: 15,
      restoreEveryMinutes: 20,
      restoreTimeoutMinutes: 20,
    },
    lakeNotReplicated: ["marts.sales_daily"],
    lakeCopies: [...COPIES],
    finalSync: false,
    metastoreFinalBackup: false,
    sql: {
      strategy: "tiered",
      failoverMode: "planned",
      acknowledgeDataLoss: false,
      awaitingPeer: [],
      geoRestoredTenants: 20,
      settings: { ...SETTINGS },
      lastSettings: { ...SETTINGS },
    },
    gcsTurbo: true,
    allowSingleRegionStorage: false,
    promotion: { acceptColdStandbyRto: false, acknowledgeForcedFailover: false },
    rpoTargetsMinutes: { metastore: 60, lake: 60, sql: 1, sqlGeoRestore: 60, gcs: 15 },
  };
}

/** Facts of the secondary stack, passive, peer active. */
export function passiveFacts(): DeploymentFacts {
  return {
    ...validFacts(),
    site: "secondary",
    role: "passive",
    lastRole: "passive",
    lastEpoch: 0,
    peer: { role: "active", acknowledgments: [], epoch: 1, finalSync: null },
    regions: {
      azure: { region: "centralus", peerRegion: "eastus2" },
      gcp: { region: "us-east1", peerRegion: "us-central1" },
    },
  };
}

/**
 * Facts of the secondary stack being promoted (promote=true) after the primary stood down, its
 * final sync recorded.
 */
export function promotionFacts(): DeploymentFacts {
  return {
    ...passiveFacts(),
    role: "active",
    promote: true,
    peer: {
      role: "passive",
      acknowledgments: [],
      epoch: 1,
      finalSync: { epoch: 1, jobs: [...COPIES], metastoreBackup: true },
    },
  };
}

/** A Cloud Scheduler job of the primary's that starts its `hms-<workflow>` workflow. */
function workflowSchedule(
  workflow: "restore" | "fence",
  account: "sync" | "fence",
  own: { description: string; paused: boolean; schedule: string },
): Record<string, any> {
  return {
    attemptDeadline: "180s",
    description: own.description,
    httpTarget: {
      body: "eyJhcmd1bWVudCI6Int9IiwiY2FsbExvZ0xldmVsIjoiTE9HX0VSUk9SU19PTkxZIn0=",
      headers: { "Content-Type": "application/json" },
      httpMethod: "POST",
      oauthToken: {
        scope: "https://www.googleapis.com/auth/cloud-platform",
        serviceAccountEmail: `acmedata-pri-hms-${account}@acmedata-platform-dr.iam.gserviceaccount.com`,
      },
      uri: `https://workflowexecutions.googleapis.com/v1/projects/acmedata-platform-dr/locations/us-central1/workflows/acmedata-primary-hms-${workflow}/executions`,
    },
    name: `acmedata-primary-hms-${workflow}`,
    paused: own.paused,
    region: "us-central1",
    schedule: own.schedule,
    timeZone: "UTC",
  };
}

export const valid = {
  bucket: (): Record<string, any> => ({
    deletionPolicy: "PREVENT",
    forceDestroy: false,
    labels: {
      "dr-component": "warehouse",
      "managed-by": "pulumi",
      "owner-site": "primary",
      platform: "acmedata",
    },
    lifecycleRules: [
      {
        action: { type: "Delete" },
        condition: { daysSinceNoncurrentTime: 30, withState: "ARCHIVED" },
      },
    ],
    location: "NAM4",
    name: "acmedata-hive-warehouse",
    publicAccessPrevention: "enforced",
    rpo: "ASYNC_TURBO",
    softDeletePolicy: { retentionDurationSeconds: 604800 },
    storageClass: "STANDARD",
    uniformBucketLevelAccess: true,
    versioning: { enabled: true },
  }),

  metastoreService: (): Record<string, any> => ({
    databaseType: "MYSQL",
    deletionPolicy: "PREVENT",
    deletionProtection: true,
    hiveMetastoreConfig: {
      configOverrides: {
        "hive.metastore.warehouse.dir": "gs://acmedata-hive-warehouse/hive-warehouse",
      },
      version: "3.1.2",
    },
    labels: { "paired-dr-site": "primary", platform: "acmedata" },
    location: "us-central1",
    releaseChannel: "STABLE",
    scheduledBackup: {
      backupLocation: "gs://acmedata-metastore-backups/metastore/primary/",
      cronSchedule: "*/15 * * * *",
      enabled: true,
      timeZone: "UTC",
    },
    serviceId: "acmedata-primary-hms",
    tier: "ENTERPRISE",
  }),

  /** The restore schedule; paused on the active site, running on a hot standby. */
  restoreSchedule: (paused = true): Record<string, any> =>
    workflowSchedule("restore", "sync", {
      description:
        "Restores the peer site's latest completed metastore backup into this site's service.",
      paused,
      schedule: "7-59/20 * * * *",
    }),

  /** The Hive cluster fence's schedule: running in every role (components/metastore/plan.ts). */
  fenceSchedule: (): Record<string, any> =>
    workflowSchedule("fence", "fence", {
      description:
        "Stops this site's Hive cluster while the peer site holds a higher fencing epoch; starts it again once it does not.",
      paused: false,
      schedule: "*/5 * * * *",
    }),

  instancePool: (): Record<string, any> => ({
    azureAttributes: { availability: "ON_DEMAND_AZURE" },
    customTags: DBX_TAGS,
    idleInstanceAutoterminationMinutes: 20,
    instancePoolName: "etl",
    maxCapacity: 40,
    minIdleInstances: 2,
    nodeTypeId: "Standard_DS3_v2",
    preloadedSparkVersions: ["15.4.x-scala2.12"],
  }),

  /** nightly-sales: a scheduled two-task job on a job cluster. */
  job: (): Record<string, any> => ({
    description: "Aggregates yesterday's orders, then publishes the sales mart.",
    emailNotifications: { onFailures: ["data-oncall@acmedata.example"] },
    jobClusters: [jobCluster({ autoscale: { maxWorkers: 8, minWorkers: 2 } })],
    maxConcurrentRuns: 1,
    name: "nightly-sales",
    schedule: { pauseStatus: "UNPAUSED", quartzCronExpression: "0 0 2 * * ?", timezoneId: "UTC" },
    tags: DBX_TAGS,
    tasks: [
      {
        jobClusterKey: "main",
        maxRetries: 2,
        notebookTask: {
          baseParameters: {
            orders_path: `${LAKE}/replicated/tables/sales/orders`,
            sales_path: `${LAKE}/replicated/tables/sales/daily_sales`,
          },
          notebookPath: "/Users/6f1d8b3a-2c4e-4a7f-9b1d-3e5c7a9f1b2d/paired-dr/etl/nightly_sales",
          source: "WORKSPACE",
        },
        taskKey: "aggregate",
        timeoutSeconds: 7200,
      },
      {
        dependsOns: [{ taskKey: "aggregate" }],
        jobClusterKey: "main",
        maxRetries: 0,
        notebookTask: {
          baseParameters: {
            mart_path: `${LAKE}/marts/sales_daily`,
            sales_path: `${LAKE}/replicated/tables/sales/daily_sales`,
          },
          notebookPath: "/Users/6f1d8b3a-2c4e-4a7f-9b1d-3e5c7a9f1b2d/paired-dr/etl/publish_marts",
          source: "WORKSPACE",
        },
        taskKey: "publish",
        timeoutSeconds: 0,
      },
    ],
  }),

  /** orders-stream: a continuous job. */
  streamJob: (): Record<string, any> => ({
    continuous: { pauseStatus: "UNPAUSED" },
    description: "Streams partner orders into the bronze orders table.",
    jobClusters: [jobCluster({ numWorkers: 2 })],
    maxConcurrentRuns: 1,
    name: "orders-stream",
    tags: DBX_TAGS,
    tasks: [
      notebookTask(
        "ingest",
        "/Users/6f1d8b3a-2c4e-4a7f-9b1d-3e5c7a9f1b2d/paired-dr/etl/ingest_orders",
      ),
    ],
  }),

  /** partner-files: a file-arrival trigger job. */
  triggerJob: (): Record<string, any> => ({
    description: "Loads partner file drops as they arrive.",
    jobClusters: [jobCluster({ numWorkers: 1 })],
    maxConcurrentRuns: 1,
    name: "partner-files",
    tags: DBX_TAGS,
    tasks: [
      notebookTask(
        "load",
        "/Users/6f1d8b3a-2c4e-4a7f-9b1d-3e5c7a9f1b2d/paired-dr/etl/partner_files",
      ),
    ],
    trigger: {
      fileArrival: {
        minTimeBetweenTriggersSeconds: 60,
        url: `${LAKE}/replicated/landing/partners/`,
      },
      pauseStatus: "UNPAUSED",
    },
  }),

  /** A deep-clone replication job, as the workspace component builds one per table. */
  replicateJob: (table: string, cron: string, timeoutSeconds: number): Record<string, any> => {
    const path = `replicated/tables/${table.replace(".", "/")}`;
    return {
      description: `Delta deep clone of ${table} to the peer site's lake.`,
      jobClusters: [jobCluster({ numWorkers: 2 })],
      maxConcurrentRuns: 1,
      name: `replicate-${table.replace(".", "-")}`,
      schedule: { pauseStatus: "UNPAUSED", quartzCronExpression: cron, timezoneId: "UTC" },
      tags: { ...DBX_TAGS, "replicated-table": table },
      tasks: [
        {
          ...notebookTask(
            "deep_clone",
            "/Users/6f1d8b3a-2c4e-4a7f-9b1d-3e5c7a9f1b2d/paired-dr/replication/deep_clone",
          ),
          notebookTask: {
            baseParameters: { source: `${LAKE}/${path}`, table, target: `${PEER_LAKE}/${path}` },
            notebookPath:
              "/Users/6f1d8b3a-2c4e-4a7f-9b1d-3e5c7a9f1b2d/paired-dr/replication/deep_clone",
            source: "WORKSPACE",
          },
          timeoutSeconds,
        },
      ],
    };
  },

  workspace: (): Record<string, any> => ({
    location: "eastus2",
    managedResourceGroupId: `${SUBSCRIPTION}/resourceGroups/acmedata-primary-dbw-managed-rg`,
    parameters: {
      customPrivateSubnetName: { value: "dbx-container" },
      customPublicSubnetName: { value: "dbx-host" },
      customVirtualNetworkId: {
        value: `${SUBSCRIPTION}/resourceGroups/acmedata-primary-rg/providers/Microsoft.Network/virtualNetworks/acmedata-primary-dbx-vnet`,
      },
      enableNoPublicIp: { value: true },
      storageAccountSkuName: { value: "Standard_GRS" },
    },
    publicNetworkAccess: "Enabled",
    requiredNsgRules: "AllRules",
    resourceGroupName: "acmedata-primary-rg",
    sku: { name: "premium" },
    tags: TAGS,
    workspaceName: "acmedata-primary-dbw",
  }),

  storageAccount: (): Record<string, any> => ({
    accountName: "acmedataprilake",
    allowBlobPublicAccess: false,
    enableHttpsTrafficOnly: true,
    isHnsEnabled: true,
    kind: "StorageV2",
    location: "eastus2",
    minimumTlsVersion: "TLS1_2",
    resourceGroupName: "acmedata-primary-rg",
    sku: { name: "Standard_RAGZRS" },
    tags: TAGS,
  }),

  sqlServer: (): Record<string, any> => ({
    administrators: {
      administratorType: "ActiveDirectory",
      azureADOnlyAuthentication: true,
      login: "sql-dr-admins",
      principalType: "Group",
      sid: "8d3c6b2a-1f4e-4a7d-9c5b-3e2f1a0d9b8c",
      tenantId: "9c1f3e5a-7b2d-4f8e-a6c4-1e3b5d7f9a2c",
    },
    location: "eastus2",
    minimalTlsVersion: "1.2",
    publicNetworkAccess: "Disabled",
    resourceGroupName: "acmedata-primary-sql-rg",
    serverName: "acmedata-primary-sql",
    tags: TAGS,
    version: "12.0",
  }),

  /** A tenant database in the primary server's `pool` elastic pool. */
  tenantDatabase: (tenant: string, pool: "paid" | "trial" = "paid"): Record<string, any> => ({
    databaseName: `tenant-${tenant}`,
    elasticPoolId: `${PRIMARY_SQL}/elasticPools/${pool}`,
    location: "eastus2",
    resourceGroupName: "acmedata-primary-sql-rg",
    serverName: "acmedata-primary-sql",
    tags: TAGS,
  }),

  /** The failover group `fg-<suffix>` of the primary server over `databases` (names). */
  failoverGroup: (suffix: string, databases: string[]): Record<string, any> => ({
    databases: databases.map((d) => `${PRIMARY_SQL}/databases/${d}`),
    failoverGroupName: `acmedata-primary-fg-${suffix}`,
    partnerServers: [
      {
        id: `${SUBSCRIPTION}/resourceGroups/acmedata-secondary-sql-rg/providers/Microsoft.Sql/servers/acmedata-secondary-sql`,
      },
    ],
    readOnlyEndpoint: { failoverPolicy: "Disabled" },
    readWriteEndpoint: { failoverPolicy: "Automatic", failoverWithDataLossGracePeriodMinutes: 60 },
    resourceGroupName: "acmedata-primary-sql-rg",
    serverName: "acmedata-primary-sql",
    tags: TAGS,
  }),
};

function jobCluster(size: Record<string, any>): Record<string, any> {
  return {
    jobClusterKey: "main",
    newCluster: {
      customTags: DBX_TAGS,
      driverInstancePoolId: "9361-173965-pool-59c1245b",
      instancePoolId: "9361-173965-pool-59c1245b",
      sparkVersion: "15.4.x-scala2.12",
      ...size,
    },
  };
}

function notebookTask(taskKey: string, notebookPath: string): Record<string, any> {
  return {
    jobClusterKey: "main",
    maxRetries: 0,
    notebookTask: { notebookPath, source: "WORKSPACE" },
    taskKey,
    timeoutSeconds: 0,
  };
}

/** A job as a passive site declares it: concurrency 0 and every schedule kind paused. */
export function stoodDown(job: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...job, maxConcurrentRuns: 0 };
  for (const k of ["schedule", "continuous", "trigger"]) {
    if (out[k]) out[k] = { ...out[k], pauseStatus: "PAUSED" };
  }
  return out;
}

/** The deployment facts resource (the other dynamic resources are jobs' concurrency). */
export const isFacts = (r: TestResource) =>
  r.type === TYPE.dynamicResource && r.props.kind === FACTS_KIND;

export function factsResource(facts: DeploymentFacts): TestResource {
  return { type: TYPE.dynamicResource, name: "deployment-facts", props: { ...facts } };
}

/** Each table's copy schedule and run limit, as config/cron.ts replicationCadence gives them for RPOs of 15, 60 and 30 minutes. */
export const REPLICATION_JOBS = {
  "sales.orders": ["0 0/5 * * * ?", 240],
  "sales.customers": ["0 0/30 * * * ?", 1740],
  "finance.invoices": ["0 0/15 * * * ?", 840],
} as const;

function workspaceResources(passive: boolean): TestResource[] {
  const job = (j: Record<string, any>) => (passive ? stoodDown(j) : j);
  const pool = valid.instancePool();
  return [
    { type: TYPE.databricksWorkspace, name: "workspace-workspace", props: valid.workspace() },
    { type: TYPE.storageAccount, name: "workspace-lake", props: valid.storageAccount() },
    {
      type: TYPE.instancePool,
      name: "workspace-pool-etl",
      props: passive ? { ...pool, minIdleInstances: 0 } : pool,
    },
    { type: TYPE.databricksJob, name: "workspace-job-nightly-sales", props: job(valid.job()) },
    {
      type: TYPE.databricksJob,
      name: "workspace-job-orders-stream",
      props: job(valid.streamJob()),
    },
    {
      type: TYPE.databricksJob,
      name: "workspace-job-partner-files",
      props: job(valid.triggerJob()),
    },
    ...Object.entries(REPLICATION_JOBS).map(([table, [cron, timeout]]) => ({
      type: TYPE.databricksJob,
      name: `workspace-replicate-${table.replace(".", "-")}`,
      props: job(valid.replicateJob(table, cron, timeout)),
    })),
  ].flatMap((r) =>
    r.type === TYPE.databricksJob
      ? [r, concurrencyResource(r.name, r.props.maxConcurrentRuns)]
      : [r],
  );
}

/** A job's concurrency resource as deployed: Databricks reports what it set. */
export function concurrencyResource(jobName: string, runs: number): TestResource {
  return {
    type: TYPE.dynamicResource,
    name: concurrencyName(jobName),
    props: {
      kind: JOB_CONCURRENCY_KIND,
      host: "https://adb-1234567890123456.7.azuredatabricks.net",
      jobId: "123",
      maxConcurrentRuns: runs,
      jobSettingsDigest: "0123456789abcdef",
      authType: "azure-cli",
      tenantId: "9c1f3e5a-7b2d-4f8e-a6c4-1e3b5d7f9a2c",
      timeoutSeconds: 300,
      requestTimeoutSeconds: 30,
      maxRetries: 4,
      effectiveMaxConcurrentRuns: runs,
    },
  };
}

/** The primary stack as active: owns the buckets and the failover groups. */
export function activeStack(facts: DeploymentFacts = validFacts()): TestResource[] {
  return [
    factsResource(facts),
    { type: TYPE.bucket, name: "warehouse-bucket", props: valid.bucket() },
    {
      type: TYPE.bucket,
      name: "backup-bucket",
      props: { ...valid.bucket(), name: "acmedata-metastore-backups" },
    },
    { type: TYPE.metastoreService, name: "metastore-service", props: valid.metastoreService() },
    { type: TYPE.schedulerJob, name: "metastore-restore-schedule", props: valid.restoreSchedule() },
    { type: TYPE.schedulerJob, name: "metastore-fence-schedule", props: valid.fenceSchedule() },
    { type: TYPE.sqlServer, name: "sql-server", props: valid.sqlServer() },
    { type: TYPE.sqlDatabase, name: "sql-db-contoso", props: valid.tenantDatabase("contoso") },
    { type: TYPE.sqlDatabase, name: "sql-db-fabrikam", props: valid.tenantDatabase("fabrikam") },
    {
      type: TYPE.sqlDatabase,
      name: "sql-db-lincoln",
      props: valid.tenantDatabase("lincoln", "trial"),
    },
    {
      type: TYPE.sqlFailoverGroup,
      name: "sql-acmedata-primary-fg-paid-01",
      props: valid.failoverGroup("paid-01", ["tenant-contoso", "tenant-fabrikam"]),
    },
    ...workspaceResources(false),
  ];
}

/** The secondary stack as a passive hot standby: no buckets, no failover groups, stood down. */
export function passiveStack(facts: DeploymentFacts = passiveFacts()): TestResource[] {
  const service = valid.metastoreService();
  service.scheduledBackup = { ...service.scheduledBackup, enabled: false };
  return [
    factsResource(facts),
    { type: TYPE.metastoreService, name: "metastore-service", props: service },
    {
      type: TYPE.schedulerJob,
      name: "metastore-restore-schedule",
      props: valid.restoreSchedule(false),
    },
    { type: TYPE.schedulerJob, name: "metastore-fence-schedule", props: valid.fenceSchedule() },
    { type: TYPE.sqlServer, name: "sql-server", props: valid.sqlServer() },
    ...workspaceResources(true),
  ];
}

/** The one resource named `name`; fails when there is none. */
export function find(resources: TestResource[], name: string): TestResource {
  const found = resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource named ${name}`);
  return found;
}

export function urnOf(r: Pick<TestResource, "type" | "name">): string {
  return `urn:pulumi:primary::paired-dr::${r.type}::${r.name}`;
}

class NotApplicable extends Error {}

export interface Extra {
  config?: object;
}

/** Mirrors the policy server's isType: the class's attached type token against the type. */
const isTypeFor = (type: string) => (cls: any) => cls?.__pulumiType === type;

export function resourceArgs(r: TestResource, x: Extra = {}): ResourceValidationArgs {
  return {
    type: r.type,
    name: r.name,
    props: r.props,
    urn: urnOf(r),
    opts: {
      protect: r.protect ?? STATEFUL_TYPES.has(r.type),
      ignoreChanges: [],
      aliases: [],
      additionalSecretOutputs: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    },
    stackTags: new Map(),
    isType: isTypeFor(r.type) as any,
    asType: ((cls: any) => (isTypeFor(r.type)(cls) ? r.props : undefined)) as any,
    getConfig: <T extends object>() => (x.config ?? {}) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

export interface ResourceResult {
  violations: string[];
  notApplicable?: string;
}

/** Runs a resource policy on one resource, like the server: every validation, in order. */
export async function runResource(
  policy: ResourceValidationPolicy,
  r: TestResource,
  x: Extra = {},
): Promise<ResourceResult> {
  const violations: string[] = [];
  const report = (m: any) => violations.push(typeof m === "string" ? m : m.message);
  try {
    for (const validate of [policy.validateResource!].flat()) {
      await validate(resourceArgs(r, x), report);
    }
  } catch (e) {
    if (e instanceof NotApplicable) return { violations, notApplicable: e.message };
    throw e;
  }
  return { violations };
}

export function stackArgs(resources: TestResource[], x: Extra = {}): StackValidationArgs {
  return {
    resources: resources.map(
      (r) => ({ ...resourceArgs(r), dependencies: [], propertyDependencies: {} }) as PolicyResource,
    ),
    stackTags: new Map(),
    getConfig: <T extends object>() => (x.config ?? {}) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

export interface Violation {
  message: string;
  urn?: string;
}

/** Runs a stack policy over `resources`; the violations with the URN each one names. */
export async function runStack(
  policy: StackValidationPolicy,
  resources: TestResource[],
  x: Extra = {},
): Promise<Violation[]> {
  const violations: Violation[] = [];
  await policy.validateStack(stackArgs(resources, x), (m: any, urn?: string) =>
    violations.push({ message: typeof m === "string" ? m : m.message, ...(urn && { urn }) }),
  );
  return violations;
}

/** The messages of a stack policy's violations. */
export async function stackMessages(
  policy: StackValidationPolicy,
  resources: TestResource[],
  x: Extra = {},
): Promise<string[]> {
  return (await runStack(policy, resources, x)).map((v) => v.message);
}

/** The stack with the facts resource replaced by `change` applied to a copy of its facts. */
export function withFacts(
  resources: TestResource[],
  change: (facts: DeploymentFacts) => void,
): TestResource[] {
  return resources.map((r) => {
    if (!isFacts(r)) return r;
    const facts = structuredClone(r.props) as DeploymentFacts;
    change(facts);
    return factsResource(facts);
  });
}

/** The stack with resource `name`'s props replaced by `change` applied to a copy. */
export function withProps(
  resources: TestResource[],
  name: string,
  change: (props: Record<string, any>) => void,
): TestResource[] {
  find(resources, name);
  return resources.map((r) => {
    if (r.name !== name) return r;
    const props = structuredClone(r.props);
    change(props);
    return { ...r, props };
  });
}

/** The stack without the resources `drop` matches. */
export function without(
  resources: TestResource[],
  drop: (r: TestResource) => boolean,
): TestResource[] {
  return resources.filter((r) => !drop(r));
}
