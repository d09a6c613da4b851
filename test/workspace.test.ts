import { beforeAll, describe, expect, it } from "vitest";
import { parsePlatformConfig } from "../config/load";
import { POOL_TAG_KEYS, type JobSpec, type PoolSpec } from "../config/workspaceSchema";
import {
  expandParameters,
  jobArgs,
  jobClusterArgs,
  jobRunState,
  landingJobArgs,
  poolArgs,
  policyFixedValues,
  poolMinIdle,
  replicationJobArgs,
  type JobContext,
} from "../components/workspace/plan";
import type { CapturedResource } from "../tools/plan/capture";
import { diffPlans } from "../tools/plan/diff";
import { planStack, type StackPlan } from "../tools/plan/engine";
import { REPO, byType, findResource, validRaw, planSteady } from "./helpers";

const POOL = "databricks:index/instancePool:InstancePool";
const JOB = "databricks:index/job:Job";
const spec = parsePlatformConfig(validRaw(), REPO).workspace;
/** The shipped runAs, and the default root: its home folder. */
const RUN_AS = "6f1d8b3a-2c4e-4a7f-9b1d-3e5c7a9f1b2d";
const ROOT_FOLDER = `/Users/${RUN_AS}/paired-dr`;

const ctx = (role: "active" | "passive", peerLakeReady = true): JobContext => ({
  site: "primary",
  role,
  peerLakeReady,
  pools: {
    etl: { id: "pool-etl-id", sparkVersion: "15.4.x-scala2.12" },
    analytics: { id: "pool-an-id", sparkVersion: "15.4.x-scala2.12" },
  },
  policies: {
    "job-compute": {
      id: "POLICY1",
      fixed: policyFixedValues(spec.clusterPolicies["job-compute"]!.definition),
    },
    "analytics-compute": {
      id: "POLICY2",
      fixed: policyFixedValues(spec.clusterPolicies["analytics-compute"]!.definition),
    },
  },
  workspaceRoot: ROOT_FOLDER,
  runAs: RUN_AS,
  emailOnFailure: ["data-oncall@acmedata.example"],
  lake: { account: "acmedataprilake", peerAccount: "acmedataseclake", container: "lake" },
});

/** The fence check's parameters for the primary (fencing, issue 10). */
const FENCE_PARAMETERS = {
  paired_dr_site: "primary",
  paired_dr_lake: "abfss://lake@acmedataprilake.dfs.core.windows.net/",
  paired_dr_peer_lake: "abfss://lake@acmedataseclake.dfs.core.windows.net/",
  paired_dr_fence_dir: `/Workspace${ROOT_FOLDER}/fence`,
};
const FENCE_CHECK_TASK = {
  taskKey: "fence_check",
  jobClusterKey: "main",
  notebookTask: {
    notebookPath: `${ROOT_FOLDER}/fence/check`,
    source: "WORKSPACE",
    baseParameters: FENCE_PARAMETERS,
  },
  timeoutSeconds: 600,
  maxRetries: 0,
};

describe("role decisions", () => {
  it("a passive pool keeps no idle instances; an active one keeps what was declared", () => {
    expect(poolMinIdle(2, "passive")).toBe(0);
    expect(poolMinIdle(2, "active")).toBe(2);
    expect(poolMinIdle(0, "active")).toBe(0);
  });

  it("a passive job runs nothing and is paused; an active one runs as declared", () => {
    expect(jobRunState({ maxConcurrentRuns: 3, pauseStatus: "UNPAUSED" }, "passive")).toEqual({
      maxConcurrentRuns: 0,
      pauseStatus: "PAUSED",
    });
    expect(jobRunState({ maxConcurrentRuns: 3, pauseStatus: "UNPAUSED" }, "active")).toEqual({
      maxConcurrentRuns: 3,
      pauseStatus: "UNPAUSED",
    });
    expect(jobRunState({ maxConcurrentRuns: 1, pauseStatus: "PAUSED" }, "active")).toEqual({
      maxConcurrentRuns: 1,
      pauseStatus: "PAUSED",
    });
  });

  it("builds a pool's exact inputs in both roles", () => {
    const pool: PoolSpec = spec.pools.etl!;
    const active = poolArgs("etl", pool, "active", { team: "data" });
    expect(active).toEqual({
      instancePoolName: "etl",
      nodeTypeId: "Standard_DS3_v2",
      minIdleInstances: 2,
      maxCapacity: 40,
      idleInstanceAutoterminationMinutes: 20,
      preloadedSparkVersions: ["15.4.x-scala2.12"],
      azureAttributes: { availability: "ON_DEMAND_AZURE" },
      customTags: { team: "data" },
    });
    expect(poolArgs("etl", pool, "passive", { team: "data" })).toEqual({
      ...active,
      minIdleInstances: 0,
    });
  });

  it("builds the nightly job's exact inputs when active", () => {
    const job: JobSpec = spec.jobs["nightly-sales"]!;
    expect(jobArgs("nightly-sales", job, ctx("active"))).toEqual({
      name: "nightly-sales",
      description: "Aggregates yesterday's orders, then publishes the sales mart.",
      maxConcurrentRuns: 1,
      schedule: { quartzCronExpression: "0 0 2 * * ?", timezoneId: "UTC", pauseStatus: "UNPAUSED" },
      jobClusters: [
        {
          jobClusterKey: "main",
          newCluster: {
            sparkVersion: "15.4.x-scala2.12",
            instancePoolId: "pool-etl-id",
            driverInstancePoolId: "pool-etl-id",
            autoscale: { minWorkers: 2, maxWorkers: 8 },
            policyId: "POLICY1",
            applyPolicyDefaultValues: true,
            // What the policy fixes, repeated (or every plan shows it as drift); none of the
            // pool's tags, which the pool gives the cluster itself.
            customTags: { "cost-center": "data-platform" },
            sparkConf: {
              "spark.eventLog.enabled": "true",
              "spark.metrics.namespace": "${spark.app.name}",
            },
            // An access mode Unity Catalog allows, dedicated to the principal the job runs as.
            dataSecurityMode: "SINGLE_USER",
            singleUserName: RUN_AS,
          },
        },
      ],
      tasks: [
        FENCE_CHECK_TASK,
        {
          taskKey: "aggregate",
          jobClusterKey: "main",
          notebookTask: {
            notebookPath: `${ROOT_FOLDER}/etl/nightly_sales`,
            source: "WORKSPACE",
            baseParameters: {
              orders_path:
                "abfss://lake@acmedataprilake.dfs.core.windows.net/replicated/tables/sales/orders",
              sales_path:
                "abfss://lake@acmedataprilake.dfs.core.windows.net/replicated/tables/sales/daily_sales",
            },
          },
          // Waits for the fence check; "publish" waits for it through "aggregate".
          dependsOns: [{ taskKey: "fence_check" }],
          timeoutSeconds: 7200,
          maxRetries: 2,
        },
        {
          taskKey: "publish",
          jobClusterKey: "main",
          notebookTask: {
            notebookPath: `${ROOT_FOLDER}/etl/publish_marts`,
            source: "WORKSPACE",
            baseParameters: {
              sales_path:
                "abfss://lake@acmedataprilake.dfs.core.windows.net/replicated/tables/sales/daily_sales",
              mart_path: "abfss://lake@acmedataprilake.dfs.core.windows.net/marts/sales_daily",
            },
          },
          dependsOns: [{ taskKey: "aggregate" }],
          timeoutSeconds: 0,
          maxRetries: 0,
        },
      ],
      emailNotifications: { onFailures: ["data-oncall@acmedata.example"] },
      // Runs as the service principal, never as whoever last deployed.
      runAs: { servicePrincipalName: RUN_AS },
    });
  });

  it("repeats the tags, Spark conf and environment a cluster policy fixes, and nothing else it sets", () => {
    expect(
      policyFixedValues({
        "custom_tags.cost-center": { type: "fixed", value: "data-platform" },
        "custom_tags.team": { type: "allowlist", values: ["a", "b"] },
        "spark_conf.spark.eventLog.enabled": { type: "fixed", value: true },
        "spark_env_vars.TZ": { type: "fixed", value: "UTC" },
        spark_version: { type: "fixed", value: "15.4.x-scala2.12" },
        num_workers: { type: "range", maxValue: 8 },
      }),
    ).toEqual({
      customTags: { "cost-center": "data-platform" },
      sparkConf: { "spark.eventLog.enabled": "true" },
      sparkEnvVars: { TZ: "UTC" },
    });
    expect(policyFixedValues({ num_workers: { type: "range", maxValue: 8 } })).toEqual({});
  });

  it("pauses the schedule, the continuous run and the trigger on a passive site, and restores each when active", () => {
    const runState = (key: string, role: "active" | "passive") => {
      const a = jobArgs(key, spec.jobs[key]!, ctx(role)) as Record<string, any>;
      const mode = ["schedule", "continuous", "trigger"].filter((m) => m in a);
      return { mode, concurrency: a.maxConcurrentRuns, pause: a[mode[0]!].pauseStatus };
    };
    expect(runState("orders-stream", "passive")).toEqual({
      mode: ["continuous"],
      concurrency: 0,
      pause: "PAUSED",
    });
    expect(runState("orders-stream", "active")).toEqual({
      mode: ["continuous"],
      concurrency: 1,
      pause: "UNPAUSED",
    });
    expect(runState("partner-files", "passive")).toEqual({
      mode: ["trigger"],
      concurrency: 0,
      pause: "PAUSED",
    });
    expect(runState("partner-files", "active")).toEqual({
      mode: ["trigger"],
      concurrency: 1,
      pause: "UNPAUSED",
    });
    expect(runState("weekly-kpis", "passive")).toEqual({
      mode: ["schedule"],
      concurrency: 0,
      pause: "PAUSED",
    });
    expect(runState("weekly-kpis", "active")).toEqual({
      mode: ["schedule"],
      concurrency: 3,
      pause: "UNPAUSED",
    });
    // Declared paused stays paused after promotion: no blanket unpause.
    expect(runState("backfill-orders", "active")).toEqual({
      mode: ["schedule"],
      concurrency: 1,
      pause: "PAUSED",
    });
  });

  it("gives every job but a continuous one or one with a checkpoint the fence check as the first task the others wait for", () => {
    const inline: string[] = [];
    for (const [key, job] of Object.entries(spec.jobs)) {
      const tasks = jobArgs(key, job, ctx("active")).tasks as any[];
      if (job.continuous || job.checkpointLocation) {
        inline.push(key);
        expect(
          tasks.map((t) => t.taskKey),
          key,
        ).toEqual(Object.keys(job.tasks));
        for (const t of tasks)
          expect(t.notebookTask.baseParameters, `${key}.${t.taskKey}`).toMatchObject(
            FENCE_PARAMETERS,
          );
        continue;
      }
      expect(tasks[0], key).toEqual(FENCE_CHECK_TASK);
      // Every declared task reaches the check through its dependencies.
      const deps = new Map(
        tasks.map((t) => [t.taskKey, (t.dependsOns ?? []).map((d: any) => d.taskKey)]),
      );
      const reaches = (k: string): boolean =>
        deps.get(k)!.includes("fence_check") || deps.get(k)!.some(reaches);
      for (const t of tasks.slice(1)) expect(reaches(t.taskKey), `${key}.${t.taskKey}`).toBe(true);
    }
    // Their notebooks run the check themselves (%run: checked by the config).
    expect(inline).toEqual(["orders-stream", "partner-files"]);
    // The same check on a passive site, whose jobs are paused anyway.
    expect(
      (jobArgs("weekly-kpis", spec.jobs["weekly-kpis"]!, ctx("passive")).tasks as any[])[0],
    ).toEqual(FENCE_CHECK_TASK);
  });

  it("gives a streaming job the folder of this site's own checkpoints, outside the replicated path, beside the fence parameters its %run check reads", () => {
    const a = jobArgs("orders-stream", spec.jobs["orders-stream"]!, ctx("active"));
    // Pausing alone leaves a continuous run going; controlRunState stops it (provider docs).
    expect(a.controlRunState).toBe(true);
    expect(
      jobArgs("orders-stream", spec.jobs["orders-stream"]!, ctx("passive")).controlRunState,
    ).toBe(true);
    for (const key of ["nightly-sales", "weekly-kpis", "partner-files", "backfill-orders"])
      expect(jobArgs(key, spec.jobs[key]!, ctx("active")).controlRunState, key).toBeUndefined();
    expect(a.tasks as any[]).toHaveLength(1);
    const task = (a.tasks as any[])[0];
    expect(task.dependsOns).toBeUndefined();
    // The notebook appends <site>/epoch-<n> (paired_dr_fence.checkpoint_path): a promoted site
    // starts a checkpoint of its own and re-reads the landing folder, merging on order_id.
    expect(task.notebookTask.baseParameters).toEqual({
      ...FENCE_PARAMETERS,
      source_path: "abfss://lake@acmedataprilake.dfs.core.windows.net/replicated/landing/orders/",
      target_table_path:
        "abfss://lake@acmedataprilake.dfs.core.windows.net/replicated/tables/sales/orders",
      merge_keys: "order_id",
      checkpoint_location:
        "abfss://lake@acmedataprilake.dfs.core.windows.net/checkpoints/orders-stream",
    });
    const load = (
      jobArgs("partner-files", spec.jobs["partner-files"]!, ctx("active")).tasks as any[]
    )[0];
    expect(load.notebookTask.baseParameters).toEqual({
      ...FENCE_PARAMETERS,
      landing_path:
        "abfss://lake@acmedataprilake.dfs.core.windows.net/replicated/landing/partners/",
      schema_file: `/Workspace${ROOT_FOLDER}/etl/schemas/orders.json`,
      target_table_path:
        "abfss://lake@acmedataprilake.dfs.core.windows.net/replicated/tables/sales/partner_orders",
      merge_keys: "order_id",
      checkpoint_location:
        "abfss://lake@acmedataprilake.dfs.core.windows.net/checkpoints/partner-files",
    });
  });

  it("expands only lake: parameters", () => {
    expect(
      expandParameters(
        { a: "lake:x/y", b: "/Workspace/f.json", c: "plain", d: "workspace:etl/schemas/o.json" },
        ctx("active"),
      ),
    ).toEqual({
      a: "abfss://lake@acmedataprilake.dfs.core.windows.net/x/y",
      b: "/Workspace/f.json",
      c: "plain",
      // A file of workspace/ where it is deployed, wherever the root is.
      d: `/Workspace${ROOT_FOLDER}/etl/schemas/o.json`,
    });
  });

  // A 15-minute RPO: a clone starts every 5 minutes and stops after 4, before the next slot
  // (config/cron.ts, replicationCadence).
  it("deep-clones a table from this site's lake to the peer's within its RPO, only when active", () => {
    const table = spec.replication!.tables["sales.orders"]!;
    const active = replicationJobArgs(
      "sales.orders",
      table,
      spec.replication!,
      ctx("active"),
    ) as Record<string, any>;
    expect(active.name).toBe("replicate-sales-orders");
    expect(active.maxConcurrentRuns).toBe(1);
    expect(active.schedule).toEqual({
      quartzCronExpression: "0 0/5 * * * ?",
      timezoneId: "UTC",
      pauseStatus: "UNPAUSED",
    });
    expect(active.tasks[0].notebookTask).toEqual({
      notebookPath: `${ROOT_FOLDER}/replication/deep_clone`,
      source: "WORKSPACE",
      baseParameters: {
        table: "sales.orders",
        source: "abfss://lake@acmedataprilake.dfs.core.windows.net/replicated/tables/sales/orders",
        target: "abfss://lake@acmedataseclake.dfs.core.windows.net/replicated/tables/sales/orders",
        ...FENCE_PARAMETERS,
      },
    });
    // The deep clone checks both fences itself, right before it writes: no separate task.
    expect(active.tasks).toHaveLength(1);
    expect(active.description).toBe(
      "Delta deep clone of sales.orders to the peer site's lake, within its RPO of 15 minutes.",
    );
    expect([active.tasks[0].timeoutSeconds, "maxRetries" in active.tasks[0]]).toEqual([240, false]);
    // A deep clone that fails silently lets the RPO slip unseen: the on-call team hears of it.
    expect(active.emailNotifications).toEqual({ onFailures: ["data-oncall@acmedata.example"] });
    // The replication cluster's tags are its policy's; the job's one tag is no pool's.
    expect(active.jobClusters[0].newCluster.customTags).toEqual({ "cost-center": "data-platform" });
    expect(active.tags).toEqual({ "replicated-table": "sales.orders" });
    const passive = replicationJobArgs(
      "sales.orders",
      table,
      spec.replication!,
      ctx("passive"),
    ) as Record<string, any>;
    expect(passive).toEqual({
      ...active,
      maxConcurrentRuns: 0,
      schedule: { ...active.schedule, pauseStatus: "PAUSED" },
    });
  });

  it("copies a landing folder's files to the same folder in the peer's lake within its RPO, only when active", () => {
    const landing = spec.replication!.landing.orders!;
    const active = landingJobArgs("orders", landing, spec.replication!, ctx("active")) as Record<
      string,
      any
    >;
    expect(active).toEqual({
      name: "replicate-landing-orders",
      description:
        "Copies new files of the landing folder replicated/landing/orders to the peer site's lake, within its RPO of 15 minutes.",
      maxConcurrentRuns: 1,
      schedule: {
        quartzCronExpression: "0 0/5 * * * ?",
        timezoneId: "UTC",
        pauseStatus: "UNPAUSED",
      },
      jobClusters: [jobClusterArgs(spec.replication!.cluster, ctx("active"))],
      runAs: { servicePrincipalName: RUN_AS },
      tasks: [
        {
          taskKey: "copy_files",
          jobClusterKey: "main",
          notebookTask: {
            notebookPath: `${ROOT_FOLDER}/replication/copy_files`,
            source: "WORKSPACE",
            baseParameters: {
              landing: "orders",
              source: "abfss://lake@acmedataprilake.dfs.core.windows.net/replicated/landing/orders",
              target: "abfss://lake@acmedataseclake.dfs.core.windows.net/replicated/landing/orders",
              ...FENCE_PARAMETERS,
            },
          },
          timeoutSeconds: 240,
        },
      ],
      emailNotifications: { onFailures: ["data-oncall@acmedata.example"] },
      tags: { "replicated-landing": "orders" },
    });
    expect(landingJobArgs("orders", landing, spec.replication!, ctx("passive"))).toEqual({
      ...active,
      maxConcurrentRuns: 0,
      schedule: { ...active.schedule, pauseStatus: "PAUSED" },
    });
  });
});

/** Pool minIdle, and per job: concurrency, mode and pause status, from a plan. */
function runStates(plan: StackPlan) {
  const pools = Object.fromEntries(
    byType(plan.resources, POOL).map((p) => [p.inputs.instancePoolName, p.inputs.minIdleInstances]),
  );
  const jobs = Object.fromEntries(
    byType(plan.resources, JOB).map((j) => {
      const mode = (["schedule", "continuous", "trigger"] as const).find((m) => m in j.inputs)!;
      return [
        j.inputs.name,
        `${(j.inputs[mode] as { pauseStatus: string }).pauseStatus}/${j.inputs.maxConcurrentRuns}`,
      ];
    }),
  );
  return { pools, jobs };
}

const ACTIVE = {
  pools: { etl: 2, analytics: 1 },
  jobs: {
    "orders-stream": "UNPAUSED/1",
    "nightly-sales": "UNPAUSED/1",
    "backfill-orders": "PAUSED/1",
    "partner-files": "UNPAUSED/1",
    "weekly-kpis": "UNPAUSED/3",
    "replicate-sales-orders": "UNPAUSED/1",
    "replicate-sales-customers": "UNPAUSED/1",
    "replicate-finance-invoices": "UNPAUSED/1",
    "replicate-sales-daily-sales": "UNPAUSED/1",
    "replicate-sales-partner-orders": "UNPAUSED/1",
    "replicate-landing-orders": "UNPAUSED/1",
    "replicate-landing-partners": "UNPAUSED/1",
  },
};
const PASSIVE = {
  pools: { etl: 0, analytics: 0 },
  jobs: Object.fromEntries(Object.keys(ACTIVE.jobs).map((j) => [j, "PAUSED/0"])),
};

describe("the Workspace in both stacks and both roles", () => {
  const plans: Record<string, StackPlan> = {};
  beforeAll(async () => {
    for (const stack of ["primary", "secondary"]) {
      for (const promote of [false, true])
        plans[`${stack}/${promote}`] = await planSteady(stack, { sets: [`promote=${promote}`] });
    }
  });

  it("stands the passive side down and restores exactly the declared values on the active side", () => {
    expect(runStates(plans["primary/false"]!)).toEqual(ACTIVE);
    expect(runStates(plans["secondary/false"]!)).toEqual(PASSIVE);
    expect(runStates(plans["primary/true"]!)).toEqual(PASSIVE);
    expect(runStates(plans["secondary/true"]!)).toEqual(ACTIVE);
  });

  it("clones each site's lake toward its peer, whatever the role", () => {
    const direction = (plan: StackPlan) =>
      byType(plan.resources, JOB)
        .filter((j) => String(j.inputs.name).startsWith("replicate-"))
        .map((j) => {
          const p = (j.inputs.tasks as any[])[0].notebookTask.baseParameters;
          return `${p.table ?? `landing ${p.landing}`}: ${p.source.split("@")[1].split(".")[0]} -> ${p.target.split("@")[1].split(".")[0]}`;
        });
    const primary = [
      "sales.orders: acmedataprilake -> acmedataseclake",
      "sales.customers: acmedataprilake -> acmedataseclake",
      "finance.invoices: acmedataprilake -> acmedataseclake",
      "sales.daily_sales: acmedataprilake -> acmedataseclake",
      "sales.partner_orders: acmedataprilake -> acmedataseclake",
      "landing orders: acmedataprilake -> acmedataseclake",
      "landing partners: acmedataprilake -> acmedataseclake",
    ];
    const secondary = primary.map((l) =>
      l.replace("acmedataprilake -> acmedataseclake", "acmedataseclake -> acmedataprilake"),
    );
    expect(direction(plans["primary/false"]!)).toEqual(primary);
    expect(direction(plans["primary/true"]!)).toEqual(primary);
    expect(direction(plans["secondary/false"]!)).toEqual(secondary);
    expect(direction(plans["secondary/true"]!)).toEqual(secondary);
  });

  it("writes the site's fence record into its own lake, with its role and epoch, before any job", () => {
    const fence = (plan: StackPlan) =>
      findResource(plan.resources, "azure-native:storage:Blob", "workspace-fence");
    const expected = (site: "primary" | "secondary", role: string, epoch: number) => ({
      resourceGroupName: `acmedata-${site}-rg`,
      accountName: `acmedata${site === "primary" ? "pri" : "sec"}lake`,
      containerName: "lake",
      blobName: "_paired-dr/fence.json",
      type: "Block",
      contentType: "application/json",
      source: expect.objectContaining({ text: JSON.stringify({ site, role, epoch }) }),
    });
    // First deployments against a steady peer that recorded no epoch: the active one takes 1.
    expect(fence(plans["primary/false"]!).inputs).toEqual(expected("primary", "active", 1));
    expect(fence(plans["secondary/false"]!).inputs).toEqual(expected("secondary", "passive", 0));
    expect(fence(plans["primary/true"]!).inputs).toEqual(expected("primary", "passive", 0));
    expect(fence(plans["secondary/true"]!).inputs).toEqual(expected("secondary", "active", 1));
    for (const plan of Object.values(plans)) {
      const record = fence(plan);
      expect(record.options.protect).toBe(false);
      expect(record.dependencies).toContain(
        byType(plan.resources, "azure-native:storage:BlobContainer")[0]!.urn,
      );
      // Active: every job waits for the record, which says active before any job starts.
      // Passive: the record waits for every job, which stands down before it says passive.
      const jobs = byType(plan.resources, JOB);
      expect(jobs).toHaveLength(12);
      if (plan.role === "active")
        for (const job of jobs) expect(job.dependencies).toContain(record.urn);
      else {
        for (const job of jobs) expect(job.dependencies).not.toContain(record.urn);
        expect(record.dependencies).toEqual(expect.arrayContaining(jobs.map((j) => j.urn)));
      }
      expect((plan.outputs as any).deployment.epoch).toBe(
        JSON.parse((record.inputs.source as { text: string }).text).epoch,
      );
    }
  });

  it("creates the network security group once: azure-native cannot update one without rules", () => {
    // A tag change on an NSG declared without securityRules fails with InvalidRequestFormat
    // (pulumi-azure-native#3114, #4094).
    for (const plan of Object.values(plans)) {
      const nsg = byType(plan.resources, "azure-native:network:NetworkSecurityGroup");
      expect(nsg).toHaveLength(1);
      expect(nsg[0]!.options.ignoreChanges).toEqual(["securityRules", "tags"]);
    }
  });

  it("creates no interactive cluster in either stack", () => {
    for (const plan of Object.values(plans)) {
      expect(byType(plan.resources, "databricks:index/cluster:Cluster")).toEqual([]);
      for (const job of byType(plan.resources, JOB)) {
        expect(JSON.stringify(job.inputs)).not.toMatch(/existingClusterId/);
      }
    }
  });

  it("registers the expected objects per site", () => {
    const counts = (plan: StackPlan) => {
      const c: Record<string, number> = {};
      const inWorkspace = plan.resources.filter((r) =>
        r.urn.includes("paired-dr:components:Workspace"),
      );
      for (const r of inWorkspace.filter(
        (r) => r.type.startsWith("databricks:") || r.type.startsWith("azure-native:"),
      )) {
        c[r.type] = (c[r.type] ?? 0) + 1;
      }
      return c;
    };
    const expected = {
      "azure-native:resources:ResourceGroup": 1,
      "azure-native:network:NetworkSecurityGroup": 1,
      "azure-native:network:VirtualNetwork": 1,
      "azure-native:network:PublicIPAddress": 1,
      "azure-native:network:NatGateway": 1,
      "azure-native:databricks:Workspace": 1,
      "azure-native:storage:StorageAccount": 1,
      "azure-native:storage:BlobContainer": 1,
      "azure-native:storage:Blob": 1,
      "azure-native:keyvault:Vault": 1,
      // Key Vault Secrets User; Storage Blob Data Contributor on each lake for the connector.
      "azure-native:authorization:RoleAssignment": 3,
      "azure-native:databricks:AccessConnector": 1,
      "databricks:index/metastoreAssignment:MetastoreAssignment": 1,
      "databricks:index/storageCredential:StorageCredential": 1,
      "databricks:index/externalLocation:ExternalLocation": 2,
      "databricks:index/grants:Grants": 2,
      "databricks:index/group:Group": 3,
      "databricks:index/directory:Directory": 1,
      // The repo's six, the merge sink the landing loads run, the deep clone, the landing copy,
      // the fence check (workspace/fence/check.py) and the drill's (workspace/drill/validate.py).
      "databricks:index/notebook:Notebook": 11,
      // The orders schema, the fence module (workspace/fence/paired_dr_fence.py) and the drill's
      // (workspace/drill/paired_dr_drill.py).
      "databricks:index/workspaceFile:WorkspaceFile": 3,
      "databricks:index/secretScope:SecretScope": 2,
      // The spec's three, and the jobs' service principal reading each scope.
      "databricks:index/secretAcl:SecretAcl": 5,
      "databricks:index/servicePrincipal:ServicePrincipal": 1,
      "databricks:index/instancePool:InstancePool": 2,
      "databricks:index/clusterPolicy:ClusterPolicy": 2,
      // The spec's five; a deep clone for each of 5 tables and a copy for each of 2 landing folders.
      "databricks:index/job:Job": 12,
      // The spec's 11, and an owner for each of the 7 replication jobs.
      "databricks:index/permissions:Permissions": 18,
    };
    for (const plan of Object.values(plans)) expect(counts(plan)).toEqual(expected);
  });

  it("tags each pool with POOL_TAG_KEYS and no job or job cluster with any of them (a cluster repeating a pool's tag key fails to launch)", () => {
    // terraform-provider-databricks docs/resources/instance_pool.md (PR #2242): pool tags reach
    // the pool's clusters; job tags reach the job's clusters too.
    for (const plan of Object.values(plans)) {
      for (const pool of byType(plan.resources, "databricks:index/instancePool:InstancePool"))
        expect(Object.keys(pool.inputs.customTags as object).sort()).toEqual(
          [...POOL_TAG_KEYS].sort(),
        );
      const jobs = byType(plan.resources, "databricks:index/job:Job");
      expect(jobs).toHaveLength(12);
      for (const job of jobs) {
        const clusters = job.inputs.jobClusters as { newCluster: { customTags?: object } }[];
        const keys = [
          ...Object.keys((job.inputs.tags as object | undefined) ?? {}),
          ...clusters.flatMap((c) => Object.keys(c.newCluster.customTags ?? {})),
        ];
        expect(keys.filter((k) => (POOL_TAG_KEYS as readonly string[]).includes(k))).toEqual([]);
      }
    }
  });

  it("runs and owns every job as the configured service principal, with what it needs on pools, policies, folder and scopes", () => {
    // Without an owner, the provider makes whoever deploys IS_OWNER
    // (terraform-provider-databricks permissions/resource_permissions.go); run_as names an
    // application ID (docs/resources/job.md).
    for (const plan of Object.values(plans)) {
      const sp = findResource(
        plan.resources,
        "databricks:index/servicePrincipal:ServicePrincipal",
        "workspace-run-as",
      );
      expect(sp.inputs).toEqual({
        applicationId: RUN_AS,
        force: true,
        allowClusterCreate: false,
        allowInstancePoolCreate: false,
      });
      const jobs = byType(plan.resources, JOB);
      for (const job of jobs) {
        expect(job.inputs.runAs).toEqual({ servicePrincipalName: RUN_AS });
        expect(job.dependencies).toContain(sp.urn);
      }
      const perms = byType(plan.resources, "databricks:index/permissions:Permissions");
      for (const p of perms) expect(p.dependencies).toContain(sp.urn);
      const principal = (p: CapturedResource) =>
        (p.inputs.accessControls as { servicePrincipalName?: string; permissionLevel: string }[])
          .filter((a) => a.servicePrincipalName === RUN_AS)
          .map((a) => a.permissionLevel);
      const owners = perms.filter((p) => p.inputs.jobId !== undefined);
      expect(owners).toHaveLength(jobs.length);
      for (const p of owners) expect(principal(p)).toEqual(["IS_OWNER"]);
      expect(new Set(owners.map((p) => p.inputs.jobId))).toEqual(new Set(jobs.map((j) => j.id)));
      for (const p of perms.filter((p) => p.inputs.instancePoolId !== undefined))
        expect(principal(p)).toEqual(["CAN_ATTACH_TO"]);
      for (const p of perms.filter((p) => p.inputs.clusterPolicyId !== undefined))
        expect(principal(p)).toEqual(["CAN_USE"]);
      const root = perms.find((p) => p.inputs.directoryPath !== undefined)!;
      expect(root.inputs.directoryPath).toBe(ROOT_FOLDER);
      expect(principal(root)).toEqual(["CAN_RUN"]);
      const acls = byType(plan.resources, "databricks:index/secretAcl:SecretAcl").filter(
        (a) => a.inputs.principal === RUN_AS,
      );
      expect(acls.map((a) => [a.inputs.scope, a.inputs.permission]).sort()).toEqual([
        ["partner-apis", "READ"],
        ["platform", "READ"],
      ]);
      const dir = findResource(
        plan.resources,
        "databricks:index/directory:Directory",
        "workspace-root",
      );
      expect(dir.inputs.path).toBe(ROOT_FOLDER);
      expect(dir.dependencies).toContain(sp.urn);
    }
  });

  it("tells someone of every job's failed run: its own recipients, or the workspace's", () => {
    for (const plan of Object.values(plans))
      for (const job of byType(plan.resources, JOB))
        expect([job.inputs.name, job.inputs.emailNotifications]).toEqual([
          job.inputs.name,
          { onFailures: ["data-oncall@acmedata.example"] },
        ]);
    const own = { ...spec.jobs["weekly-kpis"]!, emailOnFailure: ["kpi-owners@acmedata.example"] };
    expect(jobArgs("weekly-kpis", own, ctx("active")).emailNotifications).toEqual({
      onFailures: ["kpi-owners@acmedata.example"],
    });
  });

  it("gives the Databricks subnets egress through a NAT gateway with one static IP, created before the VNet", () => {
    // New VNets lose Azure's default outbound access (azure-docs
    // articles/virtual-network/ip-services/default-outbound-access.md); the nodes have no public IP.
    for (const [key, plan] of Object.entries(plans)) {
      const site = key.split("/")[0]!;
      const rg = `acmedata-${site}-rg`;
      const ip = findResource(
        plan.resources,
        "azure-native:network:PublicIPAddress",
        "workspace-egress-ip",
      );
      const nat = findResource(plan.resources, "azure-native:network:NatGateway", "workspace-nat");
      const vnet = findResource(
        plan.resources,
        "azure-native:network:VirtualNetwork",
        "workspace-vnet",
      );
      expect(ip.inputs).toEqual({
        resourceGroupName: rg,
        location: site === "primary" ? "eastus2" : "centralus",
        tags: { platform: "acmedata", "managed-by": "pulumi", "paired-dr-site": site },
        publicIpAddressName: `acmedata-${site}-dbx-egress-ip`,
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
      });
      expect(nat.inputs).toEqual({
        resourceGroupName: rg,
        location: ip.inputs.location,
        tags: ip.inputs.tags,
        natGatewayName: `acmedata-${site}-dbx-nat`,
        sku: { name: "Standard" },
        publicIpAddresses: [{ id: ip.id }],
        idleTimeoutInMinutes: 4,
      });
      expect(nat.propertyDependencies.publicIpAddresses).toEqual([ip.urn]);
      const subnets = vnet.inputs.subnets as { name: string; natGateway?: { id: string } }[];
      expect(subnets.map((s) => [s.name, s.natGateway?.id])).toEqual([
        ["dbx-host", nat.id],
        ["dbx-container", nat.id],
        ["private-endpoints", undefined],
      ]);
      expect(vnet.propertyDependencies.subnets).toContain(nat.urn);
    }
  });

  it("binds the Databricks provider to its own workspace and backs the scopes with its own vault", () => {
    const plan = plans["secondary/false"]!;
    const ws = findResource(
      plan.resources,
      "azure-native:databricks:Workspace",
      "workspace-workspace",
    );
    const provider = findResource(
      plan.resources,
      "pulumi:providers:databricks",
      "workspace-databricks",
    );
    // An Entra ID method pinned, with the tenant: the SDK's default chain would take a
    // DATABRICKS_TOKEN first (databricks-sdk-go config/auth_default.go), and Key Vault-backed
    // scopes refuse a PAT (terraform-provider-databricks docs/resources/secret_scope.md).
    expect(provider.inputs).toEqual({
      host: `https://${ws.outputs.workspaceUrl}`,
      azureWorkspaceResourceId: ws.id,
      authType: "azure-cli",
      azureTenantId: "9c1f3e5a-7b2d-4f8e-a6c4-1e3b5d7f9a2c",
    });
    expect(ws.id).toBe(
      "/subscriptions/5b0e2c3a-8f1d-4c6e-9a7b-2d4f6e8a0c1e/resourceGroups/acmedata-secondary-rg/providers/Microsoft.Databricks/workspaces/acmedata-secondary-dbw",
    );
    expect(ws.inputs).toMatchObject({
      sku: { name: "premium" },
      computeMode: "Hybrid",
      managedResourceGroupId:
        "/subscriptions/5b0e2c3a-8f1d-4c6e-9a7b-2d4f6e8a0c1e/resourceGroups/acmedata-secondary-dbw-managed-rg",
      parameters: {
        customPublicSubnetName: { value: "dbx-host" },
        customPrivateSubnetName: { value: "dbx-container" },
        enableNoPublicIp: { value: true },
        storageAccountSkuName: { value: "Standard_GRS" },
      },
    });
    const vault = findResource(plan.resources, "azure-native:keyvault:Vault", "workspace-kv");
    for (const scope of byType(plan.resources, "databricks:index/secretScope:SecretScope")) {
      expect(scope.inputs.keyvaultMetadata).toEqual({
        resourceId: vault.id,
        dnsName: "https://acmedata-sec-kv.vault.azure.net/",
      });
      expect(scope.provider.startsWith(provider.urn)).toBe(true);
    }
    const lake = findResource(
      plan.resources,
      "azure-native:storage:StorageAccount",
      "workspace-lake",
    );
    expect(lake.inputs).toMatchObject({
      accountName: "acmedataseclake",
      isHnsEnabled: true,
      minimumTlsVersion: "TLS1_2",
      allowBlobPublicAccess: false,
      sku: { name: "Standard_RAGZRS" },
    });
  });

  it("protects every stateful resource of the workspace", () => {
    const plan = plans["primary/false"]!;
    const protectedNames = plan.resources
      .filter((r) => r.options.protect && r.urn.includes("paired-dr:components:Workspace"))
      .map((r) => r.name)
      .sort();
    expect(protectedNames).toEqual(
      [
        "workspace-kv",
        "workspace-lake",
        "workspace-lake-container",
        "workspace-rg",
        "workspace-root",
        "workspace-scope-partner-apis",
        "workspace-scope-platform",
        "workspace-workspace",
        ...Object.keys(REPO.notebooks).map((k) => `workspace-notebook-${k}`),
        ...REPO.workspaceFiles.map((f) => `workspace-file-${f.replace(/^workspace\//, "")}`),
      ].sort(),
    );
  });
});

/**
 * Parity: the two stacks hold the same workspace objects. Values that are region-specific by
 * nature (lake account, vault, workspace URL, generated IDs, the site tag) are normalized away.
 */
function workspaceObjects(plan: StackPlan): Record<string, unknown> {
  const site = plan.site;
  const peer = site === "primary" ? "secondary" : "primary";
  const code = (s: string) => (s === "primary" ? "pri" : "sec");
  const idToName = new Map(plan.resources.filter((r) => r.id).map((r) => [r.id, `<id:${r.name}>`]));
  const normalize = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (idToName.has(v)) return idToName.get(v);
      return v
        .replaceAll(`acmedata${code(site)}lake`, "<lake>")
        .replaceAll(`acmedata${code(peer)}lake`, "<peer-lake>")
        .replaceAll(`acmedata-${code(site)}-kv`, "<vault>")
        .replaceAll(`acmedata-${site}-lakes`, "<storage-credential>")
        .replace(/^https:\/\/adb-\d+\.\d+\.azuredatabricks\.net/, "<workspace-url>");
    }
    if (Array.isArray(v)) return v.map(normalize);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v).map(([k, e]) => [
          k,
          k === "paired-dr-site" || k === "paired_dr_site"
            ? "<site>"
            : // Each region's own metastore, and each workspace's own ID.
              k === "metastoreId" || k === "workspaceId"
              ? `<${k}>`
              : normalize(e),
        ]),
      );
    }
    return v;
  };
  return Object.fromEntries(
    plan.resources
      .filter((r: CapturedResource) => r.type.startsWith("databricks:"))
      .map((r) => [`${r.type}::${r.name}`, normalize(r.inputs)]),
  );
}

describe("parity of the two stacks", () => {
  it("builds the same workspace objects in both stacks, in the same role", async () => {
    for (const [a, b] of [
      [
        { stack: "primary", promote: "false" },
        { stack: "secondary", promote: "true" },
      ],
      [
        { stack: "primary", promote: "true" },
        { stack: "secondary", promote: "false" },
      ],
    ]) {
      const left = await planSteady(a!.stack, { sets: [`promote=${a!.promote}`] });
      const right = await planSteady(b!.stack, { sets: [`promote=${b!.promote}`] });
      expect(left.role).toBe(right.role);
      const l = workspaceObjects(left);
      const r = workspaceObjects(right);
      expect(Object.keys(l)).toHaveLength(66); // every databricks: resource of the count table above
      expect(r).toEqual(l);
    }
  });

  it("removing a job from the spec removes it, its concurrency and its permissions, from both stacks", async () => {
    const raw = validRaw();
    delete raw.workspace.jobs["weekly-kpis"];
    const sets = [`workspace=${JSON.stringify(raw.workspace)}`];
    for (const stack of ["primary", "secondary"]) {
      const before = await planSteady(stack);
      const after = await planSteady(stack, { sets });
      const names = (p: StackPlan) => p.resources.map((r) => r.name);
      expect(
        names(before)
          .filter((n) => !names(after).includes(n))
          .sort(),
      ).toEqual([
        "workspace-job-weekly-kpis",
        "workspace-job-weekly-kpis-concurrency",
        "workspace-perm-job-weekly-kpis",
      ]);
      expect(names(after).filter((n) => !names(before).includes(n))).toEqual([]);
      expect(byType(after.resources, JOB).map((j) => j.inputs.name)).not.toContain("weekly-kpis");
      expect(byType(after.resources, JOB)).toHaveLength(11);
    }
  });
});

describe("a role flip for the Workspace", () => {
  it("only updates pools and jobs in place and rewrites the fence record: no delete or replace of workspace, storage, vault, scopes or notebooks", async () => {
    for (const stack of ["primary", "secondary"]) {
      for (const promote of [false, true]) {
        const before = await planSteady(stack, { sets: [`promote=${promote}`] });
        const after = await planSteady(stack, { sets: [`promote=${!promote}`] });
        const inWorkspace = (p: StackPlan): StackPlan => ({
          ...p,
          resources: p.resources.filter((r) => r.urn.includes("paired-dr:components:Workspace")),
        });
        const d = diffPlans(inWorkspace(before), inWorkspace(after));
        // The component, 14 Azure, the provider, 66 Databricks, and the 12 jobs' concurrency.
        expect(inWorkspace(before).resources).toHaveLength(94);
        expect([d.created, d.deleted, d.dangerous]).toEqual([[], [], []]);
        // The fence record says the new role: its text is ForceNew, so it is rewritten, and it
        // holds no data (test "writes the site's fence record").
        expect(d.replaced.map((r) => `${r.before.type}::${r.before.name}`)).toEqual([
          "azure-native:storage:Blob::workspace-fence",
        ]);
        expect(new Set(d.updated.map((u) => u.resource.type))).toEqual(
          new Set([POOL, JOB, "pulumi-nodejs:dynamic:Resource"]),
        );
        // 2 pools, 12 jobs, and each job's concurrency after it.
        expect(d.updated).toHaveLength(26);
        const paths = new Set(d.updated.flatMap((u) => u.changes.map((c) => c.path)));
        expect(paths).toEqual(
          new Set([
            "minIdleInstances",
            "maxConcurrentRuns",
            "jobSettingsDigest",
            "schedule.pauseStatus",
            "continuous.pauseStatus",
            "trigger.pauseStatus",
          ]),
        );
      }
    }
  });
});

describe("how the jobs reach the lakes (Unity Catalog)", () => {
  const connectorFor = (plan: StackPlan) =>
    findResource(
      plan.resources,
      "azure-native:databricks:AccessConnector",
      "workspace-access-connector",
    );
  const lakeId = (site: "primary" | "secondary") =>
    `/subscriptions/5b0e2c3a-8f1d-4c6e-9a7b-2d4f6e8a0c1e/resourceGroups/acmedata-${site}-rg/providers/Microsoft.Storage/storageAccounts/acmedata${site === "primary" ? "pri" : "sec"}lake`;
  const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
  /** By resource name: this site's ("workspace-lake-…") before the peer's ("workspace-peer-lake-…"). */
  const sorted = (rs: CapturedResource[]) => [...rs].sort((a, b) => a.name.localeCompare(b.name));

  it("gives the access connector Storage Blob Data Contributor on both lakes, and reaches them through external locations", async () => {
    for (const stack of ["primary", "secondary"] as const) {
      const peer = stack === "primary" ? "secondary" : "primary";
      const plan = await planSteady(stack);
      const connector = connectorFor(plan);
      expect(connector.inputs).toEqual({
        resourceGroupName: `acmedata-${stack}-rg`,
        location: stack === "primary" ? "eastus2" : "centralus",
        tags: { platform: "acmedata", "managed-by": "pulumi", "paired-dr-site": stack },
        connectorName: `acmedata-${stack}-dbx-access`,
        identity: { type: "SystemAssigned" },
      });
      const principalId = (connector.outputs.identity as { principalId: string }).principalId;
      const roles = sorted(
        byType(plan.resources, "azure-native:authorization:RoleAssignment"),
      ).filter(
        (r) =>
          r.inputs.roleDefinitionId ===
          `/subscriptions/5b0e2c3a-8f1d-4c6e-9a7b-2d4f6e8a0c1e/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
      );
      expect(
        roles.map((r) => [r.inputs.scope, r.inputs.principalId, r.inputs.principalType]),
      ).toEqual([
        [lakeId(stack), principalId, "ServicePrincipal"],
        [lakeId(peer), principalId, "ServicePrincipal"],
      ]);
      const lake = findResource(
        plan.resources,
        "azure-native:storage:StorageAccount",
        "workspace-lake",
      );
      expect(roles[0]!.dependencies).toContain(lake.urn);

      const ws = findResource(
        plan.resources,
        "azure-native:databricks:Workspace",
        "workspace-workspace",
      );
      const assignment = findResource(
        plan.resources,
        "databricks:index/metastoreAssignment:MetastoreAssignment",
        "workspace-metastore",
      );
      expect(assignment.inputs).toEqual({
        workspaceId: ws.outputs.workspaceId,
        metastoreId: validRaw(stack).azure.unityCatalogMetastoreId,
      });
      const credential = findResource(
        plan.resources,
        "databricks:index/storageCredential:StorageCredential",
        "workspace-lake-credential",
      );
      expect(credential.inputs).toEqual({
        name: `acmedata-${stack}-lakes`,
        azureManagedIdentity: { accessConnectorId: connector.id },
        comment: "paired-dr: the access connector that reaches both sites' lakes",
      });
      // The credential is validated against the storage: the roles and the assignment first.
      for (const d of [assignment, ...roles]) expect(credential.dependencies).toContain(d.urn);

      const locations = byType(
        plan.resources,
        "databricks:index/externalLocation:ExternalLocation",
      );
      const account = (s: string) => `acmedata${s === "primary" ? "pri" : "sec"}lake`;
      expect(locations.map((l) => [l.inputs.name, l.inputs.url, l.inputs.credentialName])).toEqual([
        [
          account(stack),
          `abfss://lake@${account(stack)}.dfs.core.windows.net/`,
          `acmedata-${stack}-lakes`,
        ],
        [
          account(peer),
          `abfss://lake@${account(peer)}.dfs.core.windows.net/`,
          `acmedata-${stack}-lakes`,
        ],
      ]);
      const grants = sorted(byType(plan.resources, "databricks:index/grants:Grants"));
      const jobsPrincipal = {
        principal: RUN_AS,
        privileges: ["READ_FILES", "WRITE_FILES", "CREATE_EXTERNAL_TABLE"],
      };
      expect(grants.map((g) => g.inputs)).toEqual([
        {
          externalLocation: account(stack),
          grants: [
            { principal: "data-analysts", privileges: ["READ_FILES"] },
            { principal: "data-engineers", privileges: ["READ_FILES", "WRITE_FILES"] },
            jobsPrincipal,
          ],
        },
        { externalLocation: account(peer), grants: [jobsPrincipal] },
      ]);

      // Every job reaches its own lake through its location; a deep clone the peer's too; each
      // cluster in an access mode Unity Catalog allows, dedicated to the principal it runs as.
      const [ownLocation, peerLocation] = locations;
      for (const job of byType(plan.resources, JOB)) {
        expect(job.dependencies).toEqual(
          expect.arrayContaining([ownLocation!.urn, grants[0]!.urn]),
        );
        const deepClone = String(job.inputs.name).startsWith("replicate-");
        expect(job.dependencies.includes(peerLocation!.urn)).toBe(deepClone);
        for (const c of job.inputs.jobClusters as { newCluster: Record<string, unknown> }[])
          expect([c.newCluster.dataSecurityMode, c.newCluster.singleUserName]).toEqual([
            "SINGLE_USER",
            RUN_AS,
          ]);
      }
    }
  });

  it("names the role definition from the subscription of the lake it is assigned on", async () => {
    const PEER_SUB = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    const azure = { ...validRaw("primary").azure, peerSubscriptionId: PEER_SUB };
    const plan = await planSteady("primary", { sets: [`azure=${JSON.stringify(azure)}`] });
    const peerRole = findResource(
      plan.resources,
      "azure-native:authorization:RoleAssignment",
      "workspace-peer-lake-access",
    );
    expect([peerRole.inputs.scope, peerRole.inputs.roleDefinitionId]).toEqual([
      `/subscriptions/${PEER_SUB}/resourceGroups/acmedata-secondary-rg/providers/Microsoft.Storage/storageAccounts/acmedataseclake`,
      `/subscriptions/${PEER_SUB}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
    ]);
  });

  it("watches file arrivals only under an external location the program creates", async () => {
    // A file-arrival trigger's URL must lie under a Unity Catalog external location or volume
    // (terraform-provider-databricks docs/resources/job.md; Databricks docs, file-arrival triggers).
    for (const stack of ["primary", "secondary"]) {
      const plan = await planSteady(stack);
      const roots = byType(
        plan.resources,
        "databricks:index/externalLocation:ExternalLocation",
      ).map((l) => String(l.inputs.url));
      const urls = byType(plan.resources, JOB)
        .map(
          (j) =>
            (j.inputs.trigger as { fileArrival?: { url: string } } | undefined)?.fileArrival?.url,
        )
        .filter((u): u is string => u !== undefined);
      expect(urls).toHaveLength(1);
      for (const url of urls) {
        expect(url.endsWith("/")).toBe(true);
        expect(roots.some((root) => url.startsWith(root))).toBe(true);
      }
    }
  });

  it("reaches the peer's lake only once the peer's outputs show it (a role on a missing account fails)", async () => {
    const first = await planStack("primary");
    expect(
      byType(first.resources, "databricks:index/externalLocation:ExternalLocation"),
    ).toHaveLength(1);
    const roles = byType(first.resources, "azure-native:authorization:RoleAssignment").map(
      (r) => r.inputs.scope,
    );
    expect(roles).not.toContain(lakeId("secondary"));
    expect(roles).toContain(lakeId("primary"));
  });
});
