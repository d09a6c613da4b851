import { describe, expect, it } from "vitest";
import { parsePlatformConfig } from "../config/load";
import { ConfigError } from "../config/errors";
import { initScriptArgs } from "../components/workspace/plan";
import { notebookRuns } from "../config/repoFiles";
import { REPO, problemsAfter, validRaw } from "./helpers";

const FORBIDDEN =
  "jobs must run in either region: an existing interactive cluster exists in one workspace only " +
  "(and a passive site keeps no interactive clusters); use the job's `cluster` (a job cluster on a pool)";
const NOTEBOOKS = Object.keys(REPO.notebooks)
  .map((k) => JSON.stringify(k))
  .join(" | ");

/** What a task parameter "workspace:<path>" may name: every file and notebook deployed. */
const DEPLOYED = [
  ...REPO.workspaceFiles.map((f) => f.slice("workspace/".length)),
  ...Object.keys(REPO.notebooks),
]
  .map((k) => JSON.stringify(`workspace:${k}`))
  .join(" | ");

/** The shipped spec's declared lake locations, as a `lake:` parameter may name them. */
const DECLARED = [
  "lake:replicated/tables/sales/orders",
  "lake:replicated/tables/sales/customers",
  "lake:replicated/tables/finance/invoices",
  "lake:replicated/tables/sales/daily_sales",
  "lake:replicated/tables/sales/partner_orders",
  "lake:marts/sales_daily",
  "lake:replicated/landing/orders/...",
  "lake:replicated/landing/partners/...",
];
/** The problem line of a `lake:` parameter that names no declared location (issue 12). */
const undeclared = (
  where: string,
  given: string,
  declared: { without: string } | { allowed: string[] },
) =>
  `paired-dr:workspace.${where}: names no declared lake location: a table (replication.tables, scratchTables) or a folder under replication.landing; after a failover nobody would know whether the other site has it; allowed: ${("allowed" in declared ? declared.allowed : DECLARED.filter((l) => l !== declared.without)).map((l) => JSON.stringify(l)).join(" | ")} (given: ${JSON.stringify(given)})`;

/** Each case changes one thing in the shipped workspace spec and gives the exact problem lines. */
const CASES: [string, (w: Record<string, any>) => void, string[]][] = [
  [
    "a task on an existing cluster (existing_cluster_id)",
    (w) => (w.jobs["nightly-sales"].tasks.aggregate.existing_cluster_id = "0101-120000-abc123"),
    [
      `paired-dr:workspace.jobs.nightly-sales.tasks.aggregate.existing_cluster_id: ${FORBIDDEN} (given: "0101-120000-abc123")`,
    ],
  ],
  [
    "a job on an existing cluster (existingClusterId)",
    (w) => (w.jobs["weekly-kpis"].existingClusterId = "0101-120000-abc123"),
    [
      `paired-dr:workspace.jobs.weekly-kpis.existingClusterId: ${FORBIDDEN} (given: "0101-120000-abc123")`,
    ],
  ],
  [
    // Issue 12: a deep clone copies Delta tables, not checkpoint folders; each site keeps its own.
    "a checkpoint under the replicated lake path, where nothing replicates it",
    (w) => (w.jobs["orders-stream"].checkpointLocation = "replicated/_checkpoints/orders_stream"),
    [
      `paired-dr:workspace.jobs.orders-stream.checkpointLocation: a checkpoint is never replicated (a deep clone copies Delta tables, not checkpoint folders) and each site's stream keeps its own; use a folder outside the replicated lake path "replicated/", e.g. "checkpoints/orders-stream" (given: "replicated/_checkpoints/orders_stream")`,
    ],
  ],
  [
    "a checkpoint escaping the lake path with ..",
    (w) => (w.jobs["orders-stream"].checkpointLocation = "checkpoints/../replicated"),
    [
      `paired-dr:workspace.jobs.orders-stream.checkpointLocation: malformed lake path; allowed: a relative path inside the lake container (lowercase letters, digits, '_', '-', '.', '/'; no '..') (given: "checkpoints/../replicated")`,
    ],
  ],
  [
    "a continuous job without a checkpoint",
    (w) => delete w.jobs["orders-stream"].checkpointLocation,
    [
      `paired-dr:workspace.jobs.orders-stream.checkpointLocation: a continuous (streaming) job needs a checkpointLocation: a lake folder outside the replicated path (given: nothing)`,
    ],
  ],
  [
    // Seed 000: every data class the platform needs after a failover is replicated on its RPO.
    "a job that writes a table that is neither replicated nor scratch",
    (w) => delete w.scratchTables,
    [
      undeclared(
        "jobs.nightly-sales.tasks.publish.parameters.mart_path",
        "lake:marts/sales_daily",
        { without: "lake:marts/sales_daily" },
      ),
      `paired-dr:workspace.jobs.nightly-sales.writes: job nightly-sales writes marts.sales_daily, which is neither replicated (replication.tables) nor marked rebuildable scratch (scratchTables): a failover would lose it; replicate it, or mark it scratch if nightly-sales rebuilds it from replicated data (given: "marts.sales_daily")`,
    ],
  ],
  [
    "a written table that is no longer replicated",
    (w) => delete w.replication.tables["sales.daily_sales"],
    [
      undeclared(
        "jobs.nightly-sales.tasks.aggregate.parameters.sales_path",
        "lake:replicated/tables/sales/daily_sales",
        { without: "lake:replicated/tables/sales/daily_sales" },
      ),
      undeclared(
        "jobs.nightly-sales.tasks.publish.parameters.sales_path",
        "lake:replicated/tables/sales/daily_sales",
        { without: "lake:replicated/tables/sales/daily_sales" },
      ),
      `paired-dr:workspace.jobs.nightly-sales.writes: job nightly-sales writes sales.daily_sales, which is neither replicated (replication.tables) nor marked rebuildable scratch (scratchTables): a failover would lose it; replicate it, or mark it scratch if nightly-sales rebuilds it from replicated data (given: "sales.daily_sales")`,
      undeclared(
        "jobs.weekly-kpis.tasks.report.parameters.sales_path",
        "lake:replicated/tables/sales/daily_sales",
        { without: "lake:replicated/tables/sales/daily_sales" },
      ),
    ],
  ],
  [
    "a declared write the job's tasks are not given",
    (w) => (w.jobs["weekly-kpis"].writes = ["sales.orders"]),
    [
      `paired-dr:workspace.jobs.weekly-kpis.writes: job weekly-kpis says it writes sales.orders, but none of its tasks is given lake:replicated/tables/sales/orders (given: "sales.orders")`,
    ],
  ],
  [
    "a scratch table no job rebuilds",
    (w) => (w.scratchTables["marts.old_kpis"] = { path: "marts/old_kpis" }),
    [
      `paired-dr:workspace.scratchTables.marts.old_kpis: no job writes marts.old_kpis (jobs.<job>.writes), so nothing rebuilds it after a failover; replicate it, or name the job that rebuilds it (given: "marts.old_kpis")`,
    ],
  ],
  [
    "a scratch table under the replicated path",
    (w) => {
      w.scratchTables["marts.sales_daily"].path = "replicated/marts/sales_daily";
      w.jobs["nightly-sales"].tasks.publish.parameters.mart_path =
        "lake:replicated/marts/sales_daily";
    },
    [
      `paired-dr:workspace.scratchTables.marts.sales_daily.path: a scratch table is not replicated: keep it outside the replicated lake path "replicated/", which holds what is copied to the peer (given: "replicated/marts/sales_daily")`,
    ],
  ],
  [
    "a table both replicated and scratch, at another table's path",
    (w) => (w.scratchTables["sales.orders"] = { path: "replicated/tables/sales/customers" }),
    [
      `paired-dr:workspace.scratchTables.sales.orders: sales.orders is in replication.tables too: a table is replicated or scratch, not both (given: "sales.orders")`,
      `paired-dr:workspace.scratchTables.sales.orders.path: sales.customers is at the same lake path; each table has its own (given: "replicated/tables/sales/customers")`,
      `paired-dr:workspace.scratchTables.sales.orders.path: a scratch table is not replicated: keep it outside the replicated lake path "replicated/", which holds what is copied to the peer (given: "replicated/tables/sales/customers")`,
    ],
  ],
  [
    "two tables whose replication jobs would have one name",
    (w) =>
      (w.replication.tables["sales_x.y"] = { path: "replicated/tables/x", rpoMinutes: 60 }) &&
      (w.replication.tables["sales.x_y"] = { path: "replicated/tables/y", rpoMinutes: 60 }),
    [
      `paired-dr:workspace.replication.tables.sales.x_y: its replication job would be named "replicate-sales-x-y", like sales_x.y's; rename one (given: "replicate-sales-x-y")`,
    ],
  ],
  [
    // Issue 12: the landing data a promoted site's loads read must exist on both sides.
    "a file-arrival trigger on a folder that is not copied to the peer",
    (w) => (w.jobs["partner-files"].trigger.fileArrival.path = "replicated/drops/partners/"),
    [
      `paired-dr:workspace.jobs.partner-files.trigger.fileArrival.path: a file-arrival trigger watches a landing folder copied to the peer (replication.landing), or a promoted site has nothing to load; allowed: "replicated/landing/orders/..." | "replicated/landing/partners/..." (given: "replicated/drops/partners/")`,
    ],
  ],
  [
    "a stream reading a landing folder that is not copied to the peer",
    (w) => delete w.replication.landing.orders,
    [
      undeclared(
        "jobs.orders-stream.tasks.ingest.parameters.source_path",
        "lake:replicated/landing/orders/",
        { without: "lake:replicated/landing/orders/..." },
      ),
    ],
  ],
  [
    "a landing folder outside the replicated path",
    (w) => (w.replication.landing.partners.path = "landing/partners"),
    [
      `paired-dr:workspace.replication.landing.partners.path: a landing folder must be under the replicated lake path "replicated/", or it is lost with this region (given: "landing/partners")`,
      `paired-dr:workspace.jobs.partner-files.trigger.fileArrival.path: a file-arrival trigger watches a landing folder copied to the peer (replication.landing), or a promoted site has nothing to load; allowed: "replicated/landing/orders/..." | "landing/partners/..." (given: "replicated/landing/partners/")`,
      undeclared(
        "jobs.partner-files.tasks.load.parameters.landing_path",
        "lake:replicated/landing/partners/",
        {
          allowed: DECLARED.map((l) =>
            l === "lake:replicated/landing/partners/..." ? "lake:landing/partners/..." : l,
          ),
        },
      ),
    ],
  ],
  [
    "a job with a checkpoint on a notebook that does not run the fence check",
    (w) => (w.jobs["partner-files"].tasks.load.notebook = "etl/publish_marts"),
    [
      `paired-dr:workspace.jobs.partner-files.tasks.load.notebook: a job's checkpoint is kept per fence epoch, which its notebooks read from the fence check, so workspace/etl/publish_marts.py must run the fence check itself before it writes: add a cell "%run ../fence/check" (given: "etl/publish_marts")`,
    ],
  ],
  [
    "a job with a schedule and a trigger",
    (w) => (w.jobs["partner-files"].schedule = { cron: "0 0 1 * * ?" }),
    [
      `paired-dr:workspace.jobs.partner-files: give exactly one of schedule, continuous or trigger; a passive site stands a job down by pausing it, which needs one (given: ["schedule","trigger"])`,
    ],
  ],
  [
    "a job that cannot be paused",
    (w) => delete w.jobs["weekly-kpis"].schedule,
    [
      `paired-dr:workspace.jobs.weekly-kpis: give exactly one of schedule, continuous or trigger; a passive site stands a job down by pausing it, which needs one (given: [])`,
    ],
  ],
  [
    "a malformed cron",
    (w) => (w.jobs["nightly-sales"].schedule.cron = "0 2 * * *"),
    [
      // The message now names the field count and the day-field rule (Quartz, not unix cron).
      `paired-dr:workspace.jobs.nightly-sales.schedule.cron: has 5 fields; must be a Quartz cron: seconds minutes hours day-of-month month day-of-week [year], with "?" in exactly one of the two day fields, e.g. "0 0 2 * * ?" or "0 30 6 ? * MON" (given: "0 2 * * *")`,
    ],
  ],
  // Quartz rules Databricks enforces (quartz-core CronExpression.java 2.3.0, buildExpression and
  // addToSet): exactly one day field is "?", and day-of-week runs 1-7 from SUN=1.
  [
    "a cron with both day fields '*' (Quartz needs '?' in one)",
    (w) => (w.jobs["nightly-sales"].schedule.cron = "0 0 2 * * *"),
    [
      `paired-dr:workspace.jobs.nightly-sales.schedule.cron: neither of day-of-month ("*") and day-of-week ("*") is "?"; must be a Quartz cron: seconds minutes hours day-of-month month day-of-week [year], with "?" in exactly one of the two day fields, e.g. "0 0 2 * * ?" or "0 30 6 ? * MON" (given: "0 0 2 * * *")`,
    ],
  ],
  [
    "a cron with day-of-week 0 (Quartz counts 1-7 from Sunday)",
    (w) => (w.jobs["weekly-kpis"].schedule.cron = "0 30 6 ? * 0"),
    [
      `paired-dr:workspace.jobs.weekly-kpis.schedule.cron: day-of-week "0": allowed 1-7 or SUN-SAT; must be a Quartz cron: seconds minutes hours day-of-month month day-of-week [year], with "?" in exactly one of the two day fields, e.g. "0 0 2 * * ?" or "0 30 6 ? * MON" (given: "0 30 6 ? * 0")`,
    ],
  ],
  [
    "a cron that fires every second",
    (w) => (w.jobs["nightly-sales"].schedule.cron = "* * * * * ?"),
    [
      `paired-dr:workspace.jobs.nightly-sales.schedule.cron: runs 1 second apart at its most frequent; allowed: at least 5 minutes between runs (a job cluster takes minutes to start, and a run due while one is active is skipped) (given: "* * * * * ?")`,
    ],
  ],
  [
    "a cron that fires every minute",
    (w) => (w.jobs["nightly-sales"].schedule.cron = "0 * * * * ?"),
    [
      `paired-dr:workspace.jobs.nightly-sales.schedule.cron: runs 1 minute apart at its most frequent; allowed: at least 5 minutes between runs (a job cluster takes minutes to start, and a run due while one is active is skipped) (given: "0 * * * * ?")`,
    ],
  ],
  [
    "a cron that never fires (February 31st)",
    (w) => (w.jobs["nightly-sales"].schedule.cron = "0 0 2 31 2 ?"),
    [
      `paired-dr:workspace.jobs.nightly-sales.schedule.cron: never runs (no date matches it from 2026 on); must be a Quartz cron: seconds minutes hours day-of-month month day-of-week [year], with "?" in exactly one of the two day fields, e.g. "0 0 2 * * ?" or "0 30 6 ? * MON" (given: "0 0 2 31 2 ?")`,
    ],
  ],
  [
    "a misspelled time zone",
    (w) => (w.jobs["weekly-kpis"].schedule.timezone = "Europe/Londn"),
    [
      `paired-dr:workspace.jobs.weekly-kpis.schedule.timezone: unknown time zone; allowed: an IANA time zone name, spelled as in the tz database (e.g. "UTC", "Europe/London", "America/New_York") (given: "Europe/Londn")`,
    ],
  ],
  [
    "a time zone in the wrong case (Java's ZoneId is case-sensitive)",
    (w) => (w.jobs["weekly-kpis"].schedule.timezone = "europe/london"),
    [
      `paired-dr:workspace.jobs.weekly-kpis.schedule.timezone: unknown time zone; allowed: an IANA time zone name, spelled as in the tz database (e.g. "UTC", "Europe/London", "America/New_York") (given: "europe/london")`,
    ],
  ],
  [
    "an unknown pool",
    (w) => (w.jobs["weekly-kpis"].cluster.pool = "gpu"),
    [
      `paired-dr:workspace.jobs.weekly-kpis.cluster.pool: unknown pool "gpu"; allowed: "etl" | "analytics" (given: "gpu")`,
    ],
  ],
  [
    "an unknown cluster policy",
    (w) => (w.jobs["weekly-kpis"].cluster.policy = "gpu-compute"),
    [
      `paired-dr:workspace.jobs.weekly-kpis.cluster.policy: unknown cluster policy "gpu-compute"; allowed: "job-compute" | "analytics-compute" (given: "gpu-compute")`,
    ],
  ],
  [
    "workers and autoscale together",
    (w) => (w.jobs["backfill-orders"].cluster.autoscale = { min: 1, max: 4 }),
    [
      `paired-dr:workspace.jobs.backfill-orders.cluster: give exactly one of workers or autoscale (given: {"pool":"etl","workers":4,"policy":"job-compute","autoscale":{"min":1,"max":4}})`,
    ],
  ],
  [
    "an unknown group in permissions",
    (w) => (w.pools.etl.permissions["data-scientists"] = "CAN_ATTACH_TO"),
    [
      `paired-dr:workspace.pools.etl.permissions.data-scientists: unknown group "data-scientists"; allowed: "data-engineers" | "data-analysts" | "platform-admins" (given: "data-scientists")`,
    ],
  ],
  [
    "a permission level the object does not have",
    (w) => (w.jobs["nightly-sales"].permissions["data-analysts"] = "CAN_USE"),
    [
      `paired-dr:workspace.jobs.nightly-sales.permissions.data-analysts: unknown permission level; allowed: "CAN_VIEW" | "CAN_MANAGE_RUN" | "CAN_MANAGE" (given: "CAN_USE")`,
    ],
  ],
  [
    "a task on a notebook that is not in the repo",
    (w) => (w.jobs["nightly-sales"].tasks.publish.notebook = "etl/publish"),
    [
      `paired-dr:workspace.jobs.nightly-sales.tasks.publish.notebook: no notebook "etl/publish" in workspace/; allowed: ${NOTEBOOKS} (given: "etl/publish")`,
    ],
  ],
  [
    "a task depending on an unknown task",
    (w) => (w.jobs["nightly-sales"].tasks.publish.dependsOn = ["aggregates"]),
    [
      `paired-dr:workspace.jobs.nightly-sales.tasks.publish.dependsOn: unknown task "aggregates"; allowed: "aggregate" (given: "aggregates")`,
    ],
  ],
  [
    // terraform-provider-databricks docs/resources/instance_pool.md (PR #2242).
    "a cluster policy that sets a pool's tag key on its clusters",
    (w) =>
      (w.clusterPolicies["job-compute"].definition["custom_tags.platform"] = {
        type: "fixed",
        value: "acme",
      }),
    [
      `paired-dr:workspace.clusterPolicies.job-compute.definition.custom_tags.platform: every pool already tags its clusters with "platform", and a cluster that repeats a pool's tag key fails to launch; use a tag key other than "platform" | "managed-by" | "paired-dr-site" | "paired-dr-prefix" (given: "custom_tags.platform")`,
    ],
  ],
  [
    // terraform-provider-databricks jobs/resource_job.go CustomizeDiff on control_run_state.
    "a continuous job with more than one concurrent run",
    (w) => (w.jobs["orders-stream"].maxConcurrentRuns = 2),
    [
      `paired-dr:workspace.jobs.orders-stream.maxConcurrentRuns: a continuous job runs one run at a time: stopping its run when the site stands down (control_run_state) allows max_concurrent_runs 1 only; allowed: 1 (given: 2)`,
    ],
  ],
  [
    // terraform-provider-databricks docs/resources/permissions.md: every user has CAN_MANAGE
    // on items in /Shared.
    "a workspace root under /Shared",
    (w) => (w.workspaceRoot = "/Shared/paired-dr"),
    [
      `paired-dr:workspace.workspaceRoot: every user has CAN_MANAGE on everything under /Shared (and /Repos holds Git folders), so permissions there restrict nothing; use a folder elsewhere, e.g. the default /Users/<runAs>/paired-dr (given: "/Shared/paired-dr")`,
    ],
  ],
  [
    "a workspace root that climbs out with ..",
    (w) => (w.workspaceRoot = "/Users/x/../../Shared"),
    [
      `paired-dr:workspace.workspaceRoot: malformed folder; allowed: an absolute workspace folder of letters, digits, '_', '.', '@', '-' and '/', e.g. "/Users/<runAs>/paired-dr" (given: "/Users/x/../../Shared")`,
    ],
  ],
  [
    "no service principal for the jobs to run as",
    (w) => delete w.runAs,
    [
      `paired-dr:workspace.runAs: is required; must be a GUID such as 00000000-0000-0000-0000-000000000000 (given: nothing)`,
    ],
  ],
  [
    "a task parameter naming a workspace file that is not deployed",
    (w) =>
      (w.jobs["partner-files"].tasks.load.parameters.schema_file = "workspace:etl/schema.json"),
    [
      `paired-dr:workspace.jobs.partner-files.tasks.load.parameters.schema_file: no file "etl/schema.json" in workspace/ to deploy; allowed: ${DEPLOYED} (given: "workspace:etl/schema.json")`,
    ],
  ],
  [
    "nobody to tell of a failed run",
    (w) => (w.notifications.emailOnFailure = []),
    [
      `paired-dr:workspace.notifications.emailOnFailure: nobody hears of a failed run of orders-stream, nightly-sales, backfill-orders, partner-files, weekly-kpis, the replication jobs: the active site depends on every job; give notifications.emailOnFailure (or each job its own emailOnFailure) (given: [])`,
    ],
  ],
  [
    "an init script that is not in the repo",
    (w) => (w.initScripts = { "install-monitoring": { source: "init-scripts/monitoring.sh" } }),
    [
      `paired-dr:workspace.initScripts.install-monitoring.source: no file "init-scripts/monitoring.sh"; init-scripts/ holds no file: add the script there (given: "init-scripts/monitoring.sh")`,
    ],
  ],
  [
    // A table no job names: moving one a job names also makes its parameters undeclared.
    "a replicated table outside the replicated path",
    (w) => (w.replication.tables["finance.invoices"].path = "tables/finance/invoices"),
    [
      `paired-dr:workspace.replication.tables.finance.invoices.path: a replicated table must be under the replicated lake path "replicated/", or it is lost with this region (given: "tables/finance/invoices")`,
    ],
  ],
  [
    "an RPO no schedule can meet",
    (w) => (w.replication.tables["sales.orders"].rpoMinutes = 7),
    [
      `paired-dr:workspace.replication.tables.sales.orders.rpoMinutes: no schedule for this RPO (a copy runs at most half of it apart, on an even interval); allowed: 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440 (minutes) (given: 7)`,
    ],
  ],
  [
    // A copy every 2.5 minutes has no even schedule: 5 minutes cannot be met with the copy's own time.
    "an RPO of 5 minutes",
    (w) => (w.replication.landing.orders.rpoMinutes = 5),
    [
      `paired-dr:workspace.replication.landing.orders.rpoMinutes: no schedule for this RPO (a copy runs at most half of it apart, on an even interval); allowed: 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440 (minutes) (given: 5)`,
    ],
  ],
  [
    "locally redundant workspace storage without the flag",
    (w) => (w.storageAccountSku = "Standard_LRS"),
    [
      `paired-dr:workspace.storageAccountSku: Standard_LRS keeps data in one region; allowed: "Standard_GRS" | "Standard_RAGRS" | "Standard_GZRS" | "Standard_RAGZRS", or set allowSingleRegionStorage: true to accept the loss (given: "Standard_LRS")`,
    ],
  ],
  [
    "a zone-redundant lake without the flag",
    (w) => (w.lake.sku = "Standard_ZRS"),
    [
      `paired-dr:workspace.lake.sku: Standard_ZRS keeps data in one region; allowed: "Standard_GRS" | "Standard_RAGRS" | "Standard_GZRS" | "Standard_RAGZRS", or set allowSingleRegionStorage: true to accept the loss (given: "Standard_ZRS")`,
    ],
  ],
  [
    "a pool keeping more idle instances than its capacity",
    (w) => (w.pools.analytics.minIdleInstances = 20),
    [
      `paired-dr:workspace.pools.analytics.minIdleInstances: minIdleInstances must not exceed maxCapacity (given: 20)`,
    ],
  ],
  [
    "a task named like the fence check",
    (w) => {
      w.jobs["weekly-kpis"].tasks.fence_check = w.jobs["weekly-kpis"].tasks.report;
      delete w.jobs["weekly-kpis"].tasks.report;
    },
    [
      // Task names allow no '_' (config/zod.ts keyName), so none can collide with the fence check.
      `paired-dr:workspace.jobs.weekly-kpis.tasks.fence_check: must be a map of name: settings (given: {"notebook":"reports/weekly_kpis","parameters":{"sales_path":"lake:replicated/tables/sales/daily_sales"}})`,
    ],
  ],
  [
    "a task parameter in the fence's namespace",
    (w) => (w.jobs["weekly-kpis"].tasks.report.parameters.paired_dr_site = "secondary"),
    [
      `paired-dr:workspace.jobs.weekly-kpis.tasks.report.parameters.paired_dr_site: parameter names starting with "paired_dr_" are reserved for the fence check; rename it (given: "paired_dr_site")`,
    ],
  ],
  [
    // Databricks allows a continuous job no task dependencies (docs, jobs/continuous).
    "a continuous job on a notebook that does not run the fence check",
    (w) => (w.jobs["orders-stream"].tasks.ingest.notebook = "etl/backfill_orders"),
    [
      `paired-dr:workspace.jobs.orders-stream.tasks.ingest.notebook: a continuous job allows no task dependencies (Databricks docs, jobs/continuous), so workspace/etl/backfill_orders.py must run the fence check itself before it writes: add a cell "%run ../fence/check" (given: "etl/backfill_orders")`,
    ],
  ],
  [
    "a declared concurrency of 0",
    (w) => (w.jobs["weekly-kpis"].maxConcurrentRuns = 0),
    [
      `paired-dr:workspace.jobs.weekly-kpis.maxConcurrentRuns: too small; allowed: a whole number of runs from 1 to 1000 (given: 0)`,
    ],
  ],
];

describe("the workspace spec", () => {
  it("requires the fence check notebook when there are jobs", () => {
    const { "fence/check": _, ...notebooks } = REPO.notebooks;
    expect(() => parsePlatformConfig(validRaw(), { ...REPO, notebooks })).toThrow(
      `paired-dr:workspace.jobs: every job runs the fence check, but there is no notebook "fence/check" in workspace/ (given: "fence/check")`,
    );
  });

  it("reads the notebooks a notebook runs inline (%run), resolved against its folder", () => {
    expect(REPO.notebooks["etl/ingest_orders"]!.runs).toEqual(["fence/check", "etl/merge_sink"]);
    expect(
      notebookRuns(
        "etl/x",
        "# Databricks notebook source\n# MAGIC %run ../fence/check\n# MAGIC %run ./lib\n-- MAGIC %run /Shared/abs\nprint('%run no')\n",
      ),
    ).toEqual(["fence/check", "etl/lib", "/Shared/abs"]);
  });

  it("accepts the shipped spec", () => {
    const { workspace } = parsePlatformConfig(validRaw(), REPO);
    expect(Object.keys(workspace.jobs)).toEqual([
      "orders-stream",
      "nightly-sales",
      "backfill-orders",
      "partner-files",
      "weekly-kpis",
    ]);
    expect(Object.keys(workspace.replication!.tables)).toEqual([
      "sales.orders",
      "sales.customers",
      "finance.invoices",
      "sales.daily_sales",
      "sales.partner_orders",
    ]);
    expect(workspace.replication!.landing).toEqual({
      orders: { path: "replicated/landing/orders", rpoMinutes: 15 },
      partners: { path: "replicated/landing/partners", rpoMinutes: 15 },
    });
    expect(workspace.scratchTables).toEqual({ "marts.sales_daily": { path: "marts/sales_daily" } });
    expect(
      Object.fromEntries(Object.entries(workspace.jobs).map(([k, j]) => [k, j.writes])),
    ).toEqual({
      "orders-stream": ["sales.orders"],
      "nightly-sales": ["sales.daily_sales", "marts.sales_daily"],
      "backfill-orders": ["sales.orders"],
      "partner-files": ["sales.partner_orders"],
      "weekly-kpis": [],
    });
  });

  it.each(CASES)("rejects %s", (_name, mutate, expected) => {
    expect(problemsAfter("workspace", mutate)).toEqual(expected);
  });

  it("allows single-region storage with the explicit flag", () => {
    const raw = validRaw();
    raw.workspace.storageAccountSku = "Standard_LRS";
    raw.workspace.allowSingleRegionStorage = true;
    expect(parsePlatformConfig(raw, REPO).workspace.storageAccountSku).toBe("Standard_LRS");
  });
});

describe("global init scripts", () => {
  const repo = { ...REPO, initScripts: ["init-scripts/a.sh", "init-scripts/b.sh"] };
  const problems = (scripts: Record<string, unknown>) => {
    const raw = validRaw();
    raw.workspace.initScripts = scripts;
    try {
      parsePlatformConfig(raw, repo);
      return [];
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return [...(e as ConfigError).problems];
    }
  };

  it("never sends a position that was not given: the script runs after the others", () => {
    const spec = parsePlatformConfig(
      {
        ...validRaw(),
        workspace: {
          ...validRaw().workspace,
          initScripts: { first: { source: "init-scripts/a.sh" } },
        },
      },
      repo,
    ).workspace;
    expect(initScriptArgs("first", spec.initScripts.first!)).toEqual({
      name: "first",
      source: "init-scripts/a.sh",
      enabled: true,
    });
  });

  it("refuses position 0, which the provider never sends (databricks-sdk-go compute `position,omitempty`)", () => {
    expect(problems({ first: { source: "init-scripts/a.sh", position: 0 } })).toEqual([
      `paired-dr:workspace.initScripts.first.position: 0 is never sent to Databricks (the provider drops zero values), so the script would run last and show a diff on every refresh; omit position to run the script after the others, or give 1 or more (given: 0)`,
    ]);
  });

  it("refuses a position past the last script, which Databricks stores as the last one's", () => {
    expect(
      problems({
        first: { source: "init-scripts/a.sh" },
        second: { source: "init-scripts/b.sh", position: 2 },
      }),
    ).toEqual([
      `paired-dr:workspace.initScripts.second.position: past the last of the 2 global init script(s): Databricks would store 1 and every refresh would show a diff; allowed: 1 to 1 (given: 2)`,
    ]);
    expect(
      problems({
        first: { source: "init-scripts/a.sh" },
        second: { source: "init-scripts/b.sh", position: 1 },
      }),
    ).toEqual([]);
  });
});

describe("where the workspace objects go", () => {
  it("defaults to the service principal's home, and takes any other folder but /Shared and /Repos", () => {
    const raw = validRaw();
    expect(parsePlatformConfig(raw, REPO).workspace.workspaceRoot).toBe(
      `/Users/${raw.workspace.runAs}/paired-dr`,
    );
    raw.workspace.workspaceRoot = "/Workspaces/data-platform/paired-dr";
    expect(parsePlatformConfig(raw, REPO).workspace.workspaceRoot).toBe(
      "/Workspaces/data-platform/paired-dr",
    );
  });
});
