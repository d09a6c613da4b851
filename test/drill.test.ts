import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { describe, expect, it } from "vitest";
import {
  DRILL_RUN_KIND,
  drillRunProvider,
  type DrillRunInputs,
  type DrillRunOutputs,
} from "../components/drill/drillRun";
import {
  decideDrill,
  drillMarkdown,
  drillReport,
  drillRunMinutes,
  drillSubmit,
  drillSummary,
  restCluster,
  type DrillDecision,
  type DrillRunRecord,
} from "../components/drill/plan";
import { DEPLOYMENT_OUTPUT, parseLastDeployment } from "../components/lastDeployment";
import { drillRestoreRun, drillServiceArgs } from "../components/metastore/plan";
import { parsePlatformConfig } from "../config/load";
import { ConfigError } from "../config/errors";
import { projectFileProblems } from "../config/projectOnly";
import { diffPlans } from "../tools/plan/diff";
import { EngineConfigError } from "../tools/plan/projectConfig";
import { planStack, steadyStateOutputs, type PlanOptions } from "../tools/plan/engine";
import { TYPE } from "../contracts/facts";
import { drillResources, stackOverrides } from "../tools/runbook/play";
import { drillLine } from "../tools/status/render";
import { drillReportFiles } from "../tools/status/drill";
import { drillLeavesProduction } from "../tools/runbook/invariants";
import {
  REPO,
  ROOT,
  byType,
  configProblems,
  findResource,
  planSteady,
  tempDir,
  validRaw,
} from "./helpers";
import { calls, countingCredential, loopbackPerTest, scriptedServer } from "./loopback";

const LAKE = {
  account: "acmedatasecondarylake",
  peerAccount: "acmedataprimarylake",
  container: "lake",
};
const ORDERS = { path: "sales/orders", rpoMinutes: 60 };
const replication = (tables: Record<string, { path: string; rpoMinutes: number }>) =>
  ({ tables, landing: {} }) as never;
const DRILL: DrillDecision = {
  id: "2026-11",
  key: "drill-2026-11",
  scratch: "abfss://lake@acmedatasecondarylake.dfs.core.windows.net/_paired-dr/drill/2026-11",
  tables: [
    {
      table: "sales.orders",
      replica: "abfss://lake@acmedatasecondarylake.dfs.core.windows.net/sales/orders",
      source: "abfss://lake@acmedataprimarylake.dfs.core.windows.net/sales/orders",
      rpoMinutes: 60,
    },
  ],
};

describe("drill config: the secondary's stack file only, while it is passive", () => {
  const withDrill = (site: string, drill: unknown, promote = false) => {
    const raw = validRaw(site);
    raw.drill = drill;
    raw.promote = promote;
    return raw;
  };

  it("accepts a drill id on the secondary, and false or nothing as off", () => {
    const parsed = (raw: Record<string, unknown>) => parsePlatformConfig(raw, REPO).drill;
    expect(parsed(withDrill("secondary", { id: "2026-11" }))).toEqual({ id: "2026-11" });
    expect(parsed(withDrill("secondary", false))).toBe(false);
    const none = validRaw("secondary");
    delete none.drill;
    expect(parsed(none)).toBe(false);
  });

  it("refuses a drill on the primary, on an active secondary, a malformed id and true", () => {
    expect(configProblems(withDrill("primary", { id: "2026-11" }))).toEqual([
      `paired-dr:drill: a drill runs on the secondary's passive standby, never on the primary stack; set it only in Pulumi.secondary.yaml (given: {"id":"2026-11"})`,
    ]);
    expect(configProblems(withDrill("secondary", { id: "2026-11" }, true))).toEqual([
      `paired-dr:drill: a drill runs on the passive standby, but promote is true: the secondary is active; allowed: false while promote is true (given: {"id":"2026-11"})`,
    ]);
    expect(configProblems(withDrill("secondary", { id: "Nov 2026" }))).toEqual([
      `paired-dr:drill.id: malformed drill id; allowed: 1-20 characters of lowercase letters, digits and '-', starting with a letter or digit, e.g. "2026-11" (given: "Nov 2026")`,
    ]);
    expect(configProblems(withDrill("secondary", true))).toEqual([
      `paired-dr:drill: must be false or {id: <drill id>} (1-20 characters of lowercase letters, digits and '-', starting with a letter or digit, e.g. "2026-11") (given: true)`,
    ]);
  });

  it("refuses a drill in Pulumi.yaml, for the program and for the plan, naming the file and the key", async () => {
    const dir = tempDir("paired-dr-drill-");
    for (const f of fs.readdirSync(ROOT).filter((f) => /^Pulumi\..*ya?ml$|^Pulumi\.yaml$/.test(f)))
      fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    const project = parseYaml(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
    project.config.drill = { value: { id: "2026-11" } };
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stringifyYaml(project));
    const problem = `paired-dr:drill is set in Pulumi.yaml (given: {"id":"2026-11"}), but it is a stack's own: a drill runs on the secondary's passive standby only. Set it in Pulumi.secondary.yaml (pulumi config set --path drill.id <id> -s secondary) and remove it from Pulumi.yaml.`;
    expect(projectFileProblems(dir, "paired-dr")).toEqual([problem]);
    expect(projectFileProblems(ROOT, "paired-dr")).toEqual([]);
    await expect(planSteady("secondary", { dir })).rejects.toThrow(EngineConfigError);
    await expect(planSteady("secondary", { dir })).rejects.toThrow(problem);
  });
});

describe("decideDrill: on a standby deployed passive, against a peer recorded active", () => {
  const args = {
    site: "secondary" as const,
    role: "passive" as const,
    last: { role: "passive" as const },
    peerRole: "active" as const,
    replication: replication({ "sales.orders": ORDERS }),
    lake: LAKE,
  };

  it("names the scratch folder and each table's standby copy and active source", () => {
    expect(decideDrill({ id: "2026-11" }, args)).toEqual({ drill: DRILL, problems: [] });
    expect(decideDrill(false, args)).toEqual({ problems: [] });
  });

  it("refuses a first deployment, a site not deployed passive, and a peer not recorded active", () => {
    const given = `(given: {"id":"2026-11"})`;
    expect(decideDrill({ id: "2026-11" }, { ...args, last: {} }).problems).toEqual([
      `paired-dr:drill: a drill runs on a standby already deployed passive, but secondary's last deployment recorded none (a first deployment); deploy it once without drill first ${given}`,
    ]);
    expect(
      decideDrill({ id: "2026-11" }, { ...args, last: { role: "active" }, peerRole: undefined })
        .problems,
    ).toEqual([
      `paired-dr:drill: a drill runs on a standby already deployed passive, but secondary's last deployment recorded active; deploy it once without drill first ${given}`,
      `paired-dr:drill: a drill compares the standby with the active site, but the peer's outputs record no deployment; deploy the active site first ${given}`,
    ]);
  });

  it("refuses tables whose parameter would pass the Jobs API's 1 MB", () => {
    const tables = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [
          `sales.t${i}`,
          { path: `sales/t${i}`, rpoMinutes: 60 },
        ]),
      );
    expect(
      decideDrill({ id: "x" }, { ...args, replication: replication(tables(3000)) }).problems,
    ).toEqual([]);
    const many = tables(6000);
    const r = decideDrill({ id: "x" }, { ...args, replication: replication(many) });
    expect(r.drill).toBeUndefined();
    expect(r.problems).toEqual([
      expect.stringMatching(
        /^paired-dr:drill: the 6000 replicated tables take \d+ bytes as the drill run's parameter, above the 990000 its run allows beside the rest \(Jobs API: 1 MB of notebook parameters\)/,
      ),
    ]);
  });
});

describe("the drill's run and restore, as the program declares them", () => {
  const cluster = {
    sparkVersion: "15.4.x-scala2.12",
    instancePoolId: "pool-1",
    driverInstancePoolId: "pool-1",
    autoscale: { minWorkers: 1, maxWorkers: 4 },
    dataSecurityMode: "SINGLE_USER",
    singleUserName: "sp-app-id",
    policyId: undefined,
  };

  it("turns the replication cluster into the Jobs API's new_cluster, refusing a field it cannot name", () => {
    expect(restCluster(cluster)).toEqual({
      spark_version: "15.4.x-scala2.12",
      instance_pool_id: "pool-1",
      driver_instance_pool_id: "pool-1",
      autoscale: { min_workers: 1, max_workers: 4 },
      data_security_mode: "SINGLE_USER",
      single_user_name: "sp-app-id",
    });
    expect(() => restCluster({ ...cluster, nodeTypeId: "Standard_D4s_v5" })).toThrow(
      "drill cluster: no Jobs API name for the cluster field nodeTypeId",
    );
  });

  it("submits one run as the jobs' principal, with the tables and both module folders", () => {
    expect(
      drillSubmit(DRILL, {
        cluster: restCluster(cluster),
        workspaceRoot: "/Users/sp/paired-dr",
        runAs: "sp-app-id",
        timeoutSeconds: 7200,
      }),
    ).toEqual({
      run_name: "paired-dr drill 2026-11",
      run_as: { service_principal_name: "sp-app-id" },
      timeout_seconds: 7200,
      tasks: [
        {
          task_key: "drill",
          new_cluster: restCluster(cluster),
          notebook_task: {
            notebook_path: "/Users/sp/paired-dr/drill/validate",
            source: "WORKSPACE",
            base_parameters: {
              drill: "2026-11",
              scratch: DRILL.scratch,
              tables: JSON.stringify(DRILL.tables),
              paired_dr_drill_dir: "/Workspace/Users/sp/paired-dr/drill",
              paired_dr_fence_dir: "/Workspace/Users/sp/paired-dr/fence",
            },
          },
          timeout_seconds: 7200,
        },
      ],
    });
    // Each table's replication run limit (config/cron.ts: 29 minutes for an RPO of 60, 4 for
    // 15), one after another, and an hour for the cluster and the scratch's removal.
    expect(
      drillRunMinutes(
        replication({ "sales.orders": ORDERS, "sales.refunds": { path: "x", rpoMinutes: 15 } }),
      ),
    ).toBe(93);
    expect(drillRunMinutes(undefined)).toBe(60);
  });
});

const restoreResult = (ageMinutes: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    restored: "gs://acmedata-metastore-backups/metastore/primary/backup-9/",
    backupTime: "2026-11-23T10:00:00.000Z",
    ageMinutes,
    rpoBreached: ageMinutes > 60,
    restore: { startTime: "2026-11-23T10:20:00Z", endTime: "2026-11-23T10:31:30Z" },
    ...extra,
  });
const table = (over: Record<string, unknown> = {}) => ({
  table: "sales.orders",
  pass: true,
  replicaVersion: 7,
  sourceVersion: 41,
  rows: 100,
  activeRows: 100,
  activeVersion: 42,
  lagMinutes: 12,
  rpoMinutes: 60,
  cloneSeconds: 95,
  validateSeconds: 20,
  ...over,
});
const lakeRun = (output: Record<string, unknown> | null): DrillRunRecord => ({
  runId: 7,
  startTime: Date.parse("2026-11-23T10:19:00Z"),
  endTime: Date.parse("2026-11-23T10:27:00Z"),
  setupSeconds: 240,
  output,
});

describe("the drill report", () => {
  const report = (restore: string, run: DrillRunRecord | undefined) =>
    drillReport({
      drill: DRILL,
      site: "secondary",
      metastoreRpoMinutes: 60,
      restoreResult: restore,
      lakeRun: run,
    });

  it("passes when the backup is within its RPO, every table matches within its RPO and the scratch is gone", () => {
    const r = report(restoreResult(20), lakeRun({ scratchRemoved: true, tables: [table()] }));
    expect(r).toEqual({
      id: "2026-11",
      site: "secondary",
      verdict: "pass",
      startedAt: "2026-11-23T10:19:00.000Z",
      endedAt: "2026-11-23T10:31:30.000Z",
      metastore: {
        pass: true,
        restored: "gs://acmedata-metastore-backups/metastore/primary/backup-9/",
        backupTime: "2026-11-23T10:00:00.000Z",
        ageMinutes: 20,
        rpoMinutes: 60,
        restoreSeconds: 690,
      },
      lake: {
        runId: 7,
        setupSeconds: 240,
        scratch: DRILL.scratch,
        scratchRemoved: true,
        tables: [table()],
      },
      // The restore (11.5 min) outlasts the lake's run (8 min): RTO 12 minutes.
      measured: { rpoMinutes: { metastore: 20, lake: 12 }, rtoMinutes: 12 },
    });
    expect(drillSummary(r)).toEqual({
      id: "2026-11",
      at: "2026-11-23T10:31:30.000Z",
      verdict: "pass",
      rpoMinutes: { metastore: 20, lake: 12 },
      rtoMinutes: 12,
    });
  });

  it("fails an old backup, a failed table, a table the run never reported, and scratch left behind", () => {
    expect(
      report(restoreResult(61), lakeRun({ scratchRemoved: true, tables: [table()] })).metastore,
    ).toMatchObject({
      pass: false,
      reason: "the newest backup was 61 minutes old, beyond the metastore RPO of 60",
    });
    const failed = report(
      restoreResult(20),
      lakeRun({ scratchRemoved: true, tables: [table({ pass: false, reason: "rows differ" })] }),
    );
    expect([failed.verdict, failed.lake.tables[0]!.reason]).toEqual(["fail", "rows differ"]);
    const silent = report(restoreResult(20), lakeRun(null));
    expect(silent.verdict).toBe("fail");
    expect(silent.lake.tables[0]).toMatchObject({
      pass: false,
      reason: "the drill's run reported no result for it",
      rows: null,
    });
    expect(silent.lake.scratchRemoved).toBe(false);
    const left = report(restoreResult(20), lakeRun({ scratchRemoved: false, tables: [table()] }));
    expect([left.verdict, left.lake.scratchRemoved]).toEqual(["fail", false]);
    const none = report(
      JSON.stringify({ restored: null, reason: "no completed metastore backup" }),
      undefined,
    );
    expect(none.metastore).toMatchObject({
      pass: false,
      reason: "no completed metastore backup",
      restored: null,
    });
  });

  it("reads as markdown with the verdict, the restore and one row per table", () => {
    const md = drillMarkdown(
      report(restoreResult(20), lakeRun({ scratchRemoved: true, tables: [table()] })),
    );
    expect(md.split("\n").slice(0, 3)).toEqual([
      "# DR drill 2026-11 on secondary: PASS",
      "",
      "Started 2026-11-23T10:19:00.000Z, ended 2026-11-23T10:31:30.000Z. Measured RTO 12 min; RPO: metastore 20 min, lake 12 min.",
    ]);
    expect(md).toContain("| sales.orders | pass | 7 | 41 | 100 / 100 | 42 | 12 | 60 | 95 | 20 |");
  });

  it("is kept in the outputs as a summary a later deployment reads back, and npm run status shows it", () => {
    const r = report(restoreResult(20), lakeRun({ scratchRemoved: true, tables: [table()] }));
    const summary = drillSummary(r);
    expect(parseLastDeployment({ role: "passive", lastDrill: summary }).lastDrill).toEqual(summary);
    expect(
      parseLastDeployment({ role: "passive", lastDrill: { id: 3 } }).lastDrill,
    ).toBeUndefined();
    expect(drillLine(summary)).toBe(
      "2026-11 at 2026-11-23T10:31:30.000Z: PASS (RTO 12 min, RPO metastore 20 min, lake 12 min)",
    );
    expect(drillLine(null)).toBe("never");
    const files = drillReportFiles({
      secondary: { drill: { report: r, markdown: drillMarkdown(r) } } as never,
    });
    expect(Object.keys(files.files)).toEqual(["drill-2026-11.json", "drill-2026-11.md"]);
    expect(JSON.parse(files.files["drill-2026-11.json"]!)).toEqual(r);
    expect(() => drillReportFiles({})).toThrow("no stack's outputs hold a drill report");
  });
});

describe("the metastore's scratch service and its restore", () => {
  it("is the site's service under its own ID, deletable, without scheduled backups", () => {
    const args = drillServiceArgs(
      {
        tier: "DEVELOPER",
        hiveVersion: "3.1.2",
        backupEveryMinutes: 240,
      } as never,
      {
        serviceId: "acmedata-secondary-hms",
        drillServiceId: "acmedata-secondary-hms-drill",
        network: "projects/482913557021/global/networks/dr-vpc",
        region: "us-east1",
        site: "secondary",
        warehouseBucket: "acmedata-hive-warehouse",
        backupBucket: "acmedata-metastore-backups",
        labels: { platform: "acmedata" },
      },
    );
    expect(args).toEqual({
      serviceId: "acmedata-secondary-hms-drill",
      location: "us-east1",
      network: "projects/482913557021/global/networks/dr-vpc",
      tier: "DEVELOPER",
      databaseType: "MYSQL",
      releaseChannel: "STABLE",
      hiveMetastoreConfig: {
        version: "3.1.2",
        configOverrides: {
          "hive.metastore.warehouse.dir": "gs://acmedata-hive-warehouse/hive-warehouse",
        },
      },
      deletionProtection: false,
      deletionPolicy: "DELETE",
      labels: { platform: "acmedata", "paired-dr-scratch": "drill" },
    });
    expect(
      drillRestoreRun({ restore: { timeoutMinutes: 20 } } as never, {
        project: "acmedata-platform-dr",
        region: "us-east1",
        drillServiceId: "acmedata-secondary-hms-drill",
        key: "drill-2026-11",
      }),
    ).toEqual({
      target:
        "projects/acmedata-platform-dr/locations/us-east1/services/acmedata-secondary-hms-drill",
      runKey: "drill-2026-11",
      argument: { restoreWhateverAge: true, waitForIdle: true },
      quiesceSchedule: "",
      timeoutSeconds: 60 * 65,
    });
  });
});

describe("the program with a drill on the standby (the shipped config)", () => {
  const DRILL_SET = `drill=${JSON.stringify({ id: "2026-11" })}`;
  // The primary deployed active, steady: the drill's sets are the secondary's stack file only.
  const secondary = (opts: PlanOptions = {}) =>
    planStack("secondary", {
      ...opts,
      peerOutputs: { primary: steadyStateOutputs("primary") },
    });
  async function plans() {
    const first = await secondary();
    const steady = await secondary({ lastOutputs: first.outputs });
    const drilled = await secondary({ sets: [DRILL_SET], lastOutputs: steady.outputs });
    const off = await secondary({ sets: ["drill=false"], lastOutputs: drilled.outputs });
    return { first, steady, drilled, off };
  }

  it("adds only the drill's four resources, changes no other, and removes them when turned off", async () => {
    const { steady, drilled, off } = await plans();
    const names = [
      "metastore-drill-service",
      "metastore-sync-restores-drill",
      "metastore-drill-restore-2026-11",
      "workspace-drill-run-2026-11",
    ];
    expect(drillResources(drilled)).toEqual(names);
    const on = diffPlans(steady, drilled);
    expect(on.created.map((r) => r.name).sort()).toEqual([...names].sort());
    expect(on.deleted).toEqual([]);
    expect(on.replaced).toEqual([]);
    expect(on.updated.map((u) => u.resource.name)).toEqual(["deployment-facts"]);
    const facts = findResource(drilled.resources, TYPE.dynamicResource, "deployment-facts");
    expect(facts.inputs.drill).toEqual({
      id: "2026-11",
      resources: names,
      scratch: ["metastore-drill-service"],
    });
    const offDiff = diffPlans(drilled, off);
    expect(offDiff.deleted.map((r) => r.name).sort()).toEqual([...names].sort());
    // The scratch service goes as the drill's scratch, never as a data-loss risk.
    expect(offDiff.scratch.map((r) => r.name)).toEqual(["metastore-drill-service"]);
    expect(offDiff.dangerous).toEqual([]);
    expect(drillLeavesProduction(on, new Set(names), (n) => n === "deployment-facts")).toEqual([]);
    expect(drillResources(off)).toEqual([]);
    expect(diffPlans(steady, off).created).toEqual([]);
  });

  it("declares the scratch service unprotected, its grant, the restore into it and the lake's run exactly", async () => {
    const { drilled } = await plans();
    const service = findResource(
      drilled.resources,
      TYPE.metastoreService,
      "metastore-drill-service",
    );
    expect(service.options.protect).toBe(false);
    expect(service.inputs).toMatchObject({
      serviceId: "acmedata-secondary-hms-drill",
      deletionProtection: false,
      deletionPolicy: "DELETE",
      labels: { platform: "acmedata", "paired-dr-site": "secondary", "paired-dr-scratch": "drill" },
    });
    expect(service.inputs.scheduledBackup).toBeUndefined();
    const grant = findResource(
      drilled.resources,
      "gcp:dataproc/metastoreServiceIamMember:MetastoreServiceIamMember",
      "metastore-sync-restores-drill",
    );
    expect(grant.inputs).toMatchObject({
      location: "us-central1",
      serviceId: "acmedata-secondary-hms-drill",
      role: "roles/metastore.editor",
    });
    const restore = findResource(
      drilled.resources,
      TYPE.dynamicResource,
      "metastore-drill-restore-2026-11",
    );
    expect(restore.inputs).toMatchObject({
      target:
        "projects/acmedata-platform-dr/locations/us-central1/services/acmedata-secondary-hms-drill",
      runKey: "drill-2026-11",
      argument: { restoreWhateverAge: true, waitForIdle: true },
      quiesceSchedule: "",
      fresh: false,
    });
    expect(restore.dependencies).toEqual(expect.arrayContaining([service.urn, grant.urn]));
    const run = findResource(
      drilled.resources,
      TYPE.dynamicResource,
      "workspace-drill-run-2026-11",
    );
    expect(run.inputs.kind).toBe(DRILL_RUN_KIND);
    expect(run.inputs.runKey).toBe("drill-2026-11");
    const submit = run.inputs.submit as ReturnType<typeof drillSubmit>;
    const params = submit.tasks[0]!.notebook_task.base_parameters;
    expect(params.scratch).toBe(
      "abfss://lake@acmedataseclake.dfs.core.windows.net/_paired-dr/drill/2026-11",
    );
    expect(JSON.parse(params.tables).map((t: { table: string }) => t.table)).toEqual(
      Object.keys(validRaw("secondary").workspace.replication.tables),
    );
    expect(submit.run_as).toEqual({
      service_principal_name: validRaw("secondary").workspace.runAs,
    });
    // No job holds the drill: the standby's jobs are exactly those it had.
    expect(byType(drilled.resources, TYPE.databricksJob).length).toBe(
      byType((await plans()).steady.resources, TYPE.databricksJob).length,
    );
    expect((drilled.outputs[DEPLOYMENT_OUTPUT] as Record<string, unknown>).lastDrill).toBeDefined();
  });

  it("registers nothing when the standby was never deployed passive", async () => {
    await expect(secondary({ sets: [DRILL_SET] })).rejects.toThrow(ConfigError);
    await expect(secondary({ sets: [DRILL_SET] })).rejects.toThrow(
      "paired-dr:drill: a drill runs on a standby already deployed passive, but secondary's last deployment recorded none",
    );
  });
});

describe("DrillRun against a loopback Jobs API: one submitted run, adopted by its token", () => {
  const loopback = loopbackPerTest();
  const inputs = (host: string, over: Partial<DrillRunInputs> = {}): DrillRunInputs => ({
    kind: DRILL_RUN_KIND,
    host,
    runKey: "drill-2026-11",
    submit: { run_name: "paired-dr drill 2026-11", tasks: [{ task_key: "drill" }] },
    authType: "azure-cli",
    tenantId: "9c1f3e5a-7b2d-4f8e-a6c4-1e3b5d7f9a2c",
    timeoutSeconds: 30,
    requestTimeoutSeconds: 5,
    maxRetries: 1,
    pollSeconds: 0.01,
    ...over,
  });
  const provider = () => {
    const { credential } = countingCredential();
    return drillRunProvider(() => ({ credential, tls: { ca: loopback.tls().cert } }));
  };
  const ended = (code: string, start = Date.now()) => ({
    status: 200,
    body: {
      run_id: 7,
      start_time: start,
      end_time: start + 480_000,
      // A run with tasks reports 0 for itself; the task reports its cluster's start.
      setup_duration: 0,
      status: {
        state: "TERMINATED",
        termination_details: { code, message: code === "SUCCESS" ? "" : "boom" },
      },
      tasks: [{ run_id: 70, task_key: "drill", setup_duration: 240_000 }],
    },
  });
  const output = {
    status: 200,
    body: { notebook_output: { result: '{"scratchRemoved":true,"tables":[]}', truncated: false } },
  };

  it("submits once with the drill's token, waits for the end, and records its times and output", async () => {
    const start = Date.now();
    const api = loopback.serve(
      await scriptedServer(
        {
          "POST /api/2.2/jobs/runs/submit": [{ status: 200, body: { run_id: 7 } }],
          "GET /api/2.2/jobs/runs/get": [
            { status: 200, body: { run_id: 7, status: { state: "RUNNING" } } },
            ended("SUCCESS", start),
          ],
          "GET /api/2.2/jobs/runs/get-output": [output],
        },
        loopback.tls(),
        () => ({ status: 404, body: { error_code: "ENDPOINT_NOT_FOUND" } }),
      ),
    );
    const created = await provider().create!(inputs(api.url));
    expect(created.id).toBe("drill-2026-11");
    expect((created.outs as DrillRunOutputs).run).toEqual({
      runId: 7,
      startTime: start,
      endTime: start + 480_000,
      setupSeconds: 240,
      output: { scratchRemoved: true, tables: [] },
    });
    expect(calls(api)).toEqual([
      "POST /api/2.2/jobs/runs/submit",
      "GET /api/2.2/jobs/runs/get?run_id=7",
      "GET /api/2.2/jobs/runs/get?run_id=7",
      "GET /api/2.2/jobs/runs/get-output?run_id=70",
    ]);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({
      run_name: "paired-dr drill 2026-11",
      tasks: [{ task_key: "drill" }],
      idempotency_token: "drill-2026-11",
    });
  });

  it("fails with the run's state when the drill's run fails now, and passes over an earlier failed run", async () => {
    const api = loopback.serve(
      await scriptedServer(
        {
          "POST /api/2.2/jobs/runs/submit": [{ status: 200, body: { run_id: 7 } }],
          "GET /api/2.2/jobs/runs/get": [ended("RUN_EXECUTION_ERROR")],
        },
        loopback.tls(),
        () => ({ status: 404, body: {} }),
      ),
    );
    await expect(provider().create!(inputs(api.url))).rejects.toThrow(
      /drill run drill-2026-11 on https:\/\/127\.0\.0\.1:\d+: the drill run 7 ended TERMINATED RUN_EXECUTION_ERROR: boom/,
    );
    const again = loopback.serve(
      await scriptedServer(
        {
          "POST /api/2.2/jobs/runs/submit": [
            { status: 200, body: { run_id: 7 } },
            { status: 200, body: { run_id: 7 } },
          ],
          "GET /api/2.2/jobs/runs/get": [
            ended("RUN_EXECUTION_ERROR", Date.now() - 3_600_000),
            ended("SUCCESS"),
          ],
          "GET /api/2.2/jobs/runs/get-output": [output],
        },
        loopback.tls(),
        () => ({ status: 404, body: {} }),
      ),
    );
    await provider().create!(inputs(again.url));
    expect(
      again.requests
        .filter((r) => r.method === "POST")
        .map((r) => JSON.parse(r.body).idempotency_token),
    ).toEqual(["drill-2026-11", "drill-2026-11-r1"]);
  });

  it("keeps the record of a run that happened unless the drill's key changes", async () => {
    const p = provider();
    const olds = { ...inputs("https://127.0.0.1:1"), run: lakeRun(null) } as DrillRunOutputs;
    const changed = { ...inputs("https://127.0.0.1:1"), timeoutSeconds: 60 };
    expect(await p.diff!("drill-2026-11", olds, changed)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect((await p.update!("drill-2026-11", olds, changed)).outs).toEqual({
      ...changed,
      run: lakeRun(null),
    });
    expect(await p.diff!("drill-2026-11", olds, inputs("https://127.0.0.1:1"))).toMatchObject({
      changes: false,
    });
    expect(stackOverrides({ drill: { id: "a" }, promote: false })).toEqual([
      'drill={"id":"a"}',
      "promote=false",
    ]);
  });
});
