import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { describe, expect, it } from "vitest";
import type { CapturedResource } from "../tools/plan/capture";
import { executePlan, parseCli } from "../tools/plan/cli";
import { type StackPlan } from "../tools/plan/engine";
import {
  PolicyPackProcess,
  RUN_POLICY_PACK,
  policyPackDir,
  type Violation,
} from "../tools/plan/policyHarness";
import { buildDeploymentFacts } from "../components/deploymentFacts";
import { parsePlatformConfig } from "../config/load";
import {
  REPO,
  ROOT,
  findResource,
  validRaw,
  planSteady,
  primaryDrainRecord,
  primaryStandDown,
} from "./helpers";
import { COPIES } from "./policies/factory";

/**
 * The policy pack through its real analyzer gRPC protocol: the pack process this worker shares
 * with the plan command (PolicyPackProcess.shared), Analyze on each resource's inputs and
 * AnalyzeStack on the outputs, as `pulumi preview --policy-pack` drives it.
 */
const pack = PolicyPackProcess.shared(policyPackDir(ROOT));

async function analyze(
  plan: StackPlan,
  config: Parameters<PolicyPackProcess["configure"]>[0] = {},
  dryRun = true,
) {
  return pack.use(async (p) => {
    await p.configure(config);
    await p.configureStack(plan.stack, "paired-dr", dryRun);
    return p.analyzeAll(plan.resources);
  });
}
const brief = (v: Violation[]) =>
  v.map((x) => [x.policyName, x.enforcementLevel, x.message.split("\n").at(-1)]);

describe("the shipped config (golden)", () => {
  it("gives zero violations for both stacks in both roles, through npm run plan", async () => {
    for (const promote of ["false", "true"]) {
      const run = await executePlan(parseCli(["--format", "json", "--set", `promote=${promote}`]));
      expect(run.mandatory).toBe(0);
      const out = JSON.parse(run.output) as {
        stacks: { stack: string; role: string; policy: { violations: Violation[] } }[];
      };
      expect(out.stacks.map((s) => [s.stack, s.role, s.policy.violations])).toEqual([
        ["primary", promote === "false" ? "active" : "passive", []],
        ["secondary", promote === "false" ? "passive" : "active", []],
      ]);
    }
  });

  it("lists 17 policies, all mandatory by default but the site geography's advice", async () => {
    const policies = await pack.use((p) => p.policies());
    expect(policies).toHaveLength(17);
    expect(
      policies
        .filter((p) => p.enforcementLevel !== "mandatory")
        .map((p) => [p.name, p.enforcementLevel]),
    ).toEqual([["dr-site-geography", "advisory"]]);
  });
});

/** Sets one input (and the matching output) of a captured resource. */
function seed(plan: StackPlan, name: string, key: string, value: unknown): StackPlan {
  const resources = plan.resources.map((r): CapturedResource =>
    r.name === name
      ? {
          ...r,
          wireInputs: { ...r.wireInputs, [key]: value },
          wireOutputs: { ...r.wireOutputs, [key]: value },
        }
      : r,
  );
  return { ...plan, resources };
}

describe("seeded breakages, each with its violation", () => {
  it("a passive pool with idle instances", async () => {
    const passive = await planSteady("secondary");
    expect(
      brief(await analyze(seed(passive, "workspace-pool-etl", "minIdleInstances", 2))),
    ).toEqual([
      [
        "databricks-passive-stands-down",
        "mandatory",
        "Set minIdleInstances 0 on instance pool 'workspace-pool-etl' (passive site): it is 2",
      ],
    ]);
  });

  it("a turbo-less bucket under a 15-minute GCS RPO", async () => {
    const primary = await planSteady("primary", {
      sets: ["storage.buckets.warehouse.turboReplication=false"],
    });
    expect(brief(await analyze(primary))).toEqual([
      [
        "dr-rpo-budget",
        "mandatory",
        "Bring the gcs RPO within 15 minutes: it is 720 (default replication on 'warehouse-bucket'); change storage.buckets.<bucket>.turboReplication, or the target rpoTargetsMinutes.gcs",
      ],
      [
        "gcp-bucket-turbo-replication",
        "mandatory",
        "Set rpo ASYNC_TURBO on bucket 'warehouse-bucket' for the 15-minute GCS RPO target: it is DEFAULT; change storage.buckets.<bucket>.turboReplication, or the target rpoTargetsMinutes.gcs",
      ],
    ]);
  });

  it("two active sites", async () => {
    const secondaryActive = await planSteady("secondary", { sets: ["promote=true"] });
    const primaryActive = await planSteady("primary", {
      sets: ["promote=false"],
      peerOutputs: { secondary: secondaryActive.outputs },
    });
    expect(brief(await analyze(primaryActive))).toEqual([
      [
        "dr-one-active-site",
        "mandatory",
        "Make one site passive: both sites are active (primary and secondary)",
      ],
    ]);
  });

  it("an unprotected stateful resource and a job on an existing cluster", async () => {
    const primary = await planSteady("primary");
    const bucket = findResource(primary.resources, "gcp:storage/bucket:Bucket", "warehouse-bucket");
    bucket.options = { ...bucket.options, protect: false };
    const broken = seed(
      primary,
      "workspace-job-nightly-sales",
      "existingClusterId",
      "0101-120000-abc123",
    );
    // Resource policies answer before stack policies; protection is a stack policy, since an
    // armed release (named in the deployment facts) may leave a stateful resource unprotected.
    expect(brief(await analyze(broken)).map(([name]) => name)).toEqual([
      "databricks-job-portable",
      "dr-stateful-resources-protected",
    ]);
  });
});

describe("the promotion gate", () => {
  const promoteSecondary = async (sets: string[] = []) => {
    const primaryActive = await planSteady("primary");
    const passive = await planSteady("secondary", {
      peerOutputs: { primary: primaryActive.outputs },
    });
    return planSteady("secondary", {
      sets: ["promote=true", ...sets],
      lastOutputs: passive.outputs,
      peerOutputs: { primary: primaryActive.outputs },
    });
  };

  // The protocol now says which stack to deploy first (issue 9): one violation, from the policy
  // that owns two-active-site checks, instead of two that named no order.
  it("stops a promotion while the peer is still active", async () => {
    expect(brief(await analyze(await promoteSecondary()))).toEqual([
      [
        "dr-one-active-site",
        "mandatory",
        "Deploy 'primary' first: it is still active, and 'pulumi up -s primary' stands it down before 'secondary' is promoted; only if primary's region is down, set promotion.acknowledgeForcedFailover",
      ],
    ]);
  });

  it("lets it through with the forced-failover acknowledgment", async () => {
    expect(
      await analyze(await promoteSecondary(['promotion={"acknowledgeForcedFailover":true}'])),
    ).toEqual([]);
  });

  it("lets it through once the peer stood down, its final sync recorded", async () => {
    const { secondary: passive, standingDown: primaryPassive } = await primaryStandDown();
    expect((primaryPassive.outputs.deployment as Record<string, unknown>).finalSync).toEqual(
      primaryDrainRecord(COPIES),
    );
    // A primary passive from its first deployment was never active: it wrote nothing to sync.
    const neverActive = await planSteady("primary", { sets: ["promote=true"] });
    const promotedOverNeverActive = await planSteady("secondary", {
      sets: ["promote=true"],
      lastOutputs: passive.outputs,
      peerOutputs: { primary: neverActive.outputs },
    });
    expect(await analyze(promotedOverNeverActive)).toEqual([]);
    // One that was active and stood down without a sync (an older program's stand-down) is refused.
    const unsynced = structuredClone(primaryPassive.outputs) as Record<string, any>;
    delete unsynced.deployment.finalSync;
    const promotedOverUnsynced = await planSteady("secondary", {
      sets: ["promote=true"],
      lastOutputs: passive.outputs,
      peerOutputs: { primary: unsynced },
    });
    expect(brief(await analyze(promotedOverUnsynced))).toEqual([
      [
        "dr-promotion-gate",
        "mandatory",
        "'secondary' cannot be promoted: primary stood down without a final sync of its active period (epoch 1), so its last writes may not be in secondary's lake and metastore. Check them with 'npm run status -- --require-synced'; or, accepting the loss of what primary wrote after its last copies and its last scheduled metastore backup, set promotion.acknowledgeForcedFailover",
      ],
    ]);
    // One whose drain synced the lake but took no metastore backup (the version before it) too.
    const lakeOnly = structuredClone(primaryPassive.outputs) as Record<string, any>;
    delete lakeOnly.deployment.finalSync.metastoreBackup;
    const promotedOverLakeOnly = await planSteady("secondary", {
      sets: ["promote=true"],
      lastOutputs: passive.outputs,
      peerOutputs: { primary: lakeOnly },
    });
    expect(brief(await analyze(promotedOverLakeOnly))).toEqual([
      [
        "dr-promotion-gate",
        "mandatory",
        "'secondary' cannot be promoted: primary's final sync (epoch 1) holds no final metastore backup, so secondary's metastore would lack what primary's Hive clients wrote after its last scheduled backup; or, accepting the loss of what primary wrote after its last copies and its last scheduled metastore backup, set promotion.acknowledgeForcedFailover",
      ],
    ]);
    const promoted = await planSteady("secondary", {
      sets: ["promote=true"],
      lastOutputs: passive.outputs,
      peerOutputs: { primary: primaryPassive.outputs },
    });
    expect(await analyze(promoted)).toEqual([]);
  });

  it("asks a cold standby's promotion to accept its RTO", async () => {
    const cold =
      'metastore={"standby":"cold","rpoMinutes":60,"alerts":{"emails":["oncall@acmedata.example"]}}';
    const promoted = await promoteSecondary([cold, 'promotion={"acknowledgeForcedFailover":true}']);
    expect(
      brief(await analyze(promoted)).map(([name, , message]) => `${name}: ${message}`),
    ).toEqual([expect.stringMatching(/^dr-promotion-gate: .*acceptColdStandbyRto/)]);
  });
});

describe("the analyzer protocol", () => {
  it("starts the way the pulumi CLI starts it (run-policy-pack, ts-node, the pack's tsconfig)", async () => {
    const viaCli = await PolicyPackProcess.start(
      policyPackDir(ROOT),
      RUN_POLICY_PACK(ROOT),
      120_000,
    );
    try {
      expect((await viaCli.policies()).map((p) => p.name)).toEqual(
        (await pack.use((p) => p.policies())).map((p) => p.name),
      );
    } finally {
      await viaCli.stop();
    }
  });

  it("counts the port deadline from connect: a caller busy past it still finds the port printed meanwhile", async () => {
    // A stand-in that serves gRPC and prints its port, as a pack does, then leaves a marker.
    const marker = path.join(mkdtempSync(path.join(tmpdir(), "pack-")), "printed");
    const serves = [
      process.execPath,
      "-e",
      "const g = require('@grpc/grpc-js'); const s = new g.Server();" +
        "s.bindAsync('127.0.0.1:0', g.ServerCredentials.createInsecure(), (e, p) => {" +
        `process.stdout.write(p + '\\n', () => require('fs').writeFileSync(${JSON.stringify(marker)}, ''));` +
        "});",
    ];
    const launch = PolicyPackProcess.launch(policyPackDir(ROOT), serves);
    // The event loop stays busy until the port is printed, then longer than the deadline below.
    const giveUp = Date.now() + 20_000;
    while (!existsSync(marker) && Date.now() < giveUp);
    expect(existsSync(marker)).toBe(true);
    const until = Date.now() + 1500;
    while (Date.now() < until);
    const connected = await launch.connect(1000);
    await connected.stop();
  });

  it("a pack ends with the process that started it, even one killed without its exit handlers", async () => {
    // A test runner's worker ends that way: its pack was left running, one per worker and run.
    const starter = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        "require('./tools/plan/policyHarness').PolicyPackProcess.start('policies')" +
          ".then((p) => process.stdout.write(p.pid + '\\n'));",
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    const packPid = Number(
      await new Promise<string>((resolve) =>
        starter.stdout.once("data", (d) => resolve(String(d))),
      ),
    );
    // Signal 0 finds a zombie too (an orphan whose reaper has not reaped it yet): it has ended.
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
      } catch {
        return false;
      }
      const stat = `/proc/${pid}/stat`;
      return !existsSync(stat) || !/\) Z /.test(readFileSync(stat, "utf8"));
    };
    expect(alive(packPid)).toBe(true);
    starter.kill("SIGKILL");
    // A hang guard, not a speed bound: the pack reads its stdin's end at once.
    const giveUp = Date.now() + 60_000;
    while (alive(packPid) && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 100));
    expect(alive(packPid)).toBe(false);
  });

  it("a shared pack that died is started again for its next caller", async () => {
    const before = await pack.use(async (p) => (process.kill(p.pid, "SIGKILL"), p.pid));
    // A hang guard, not a speed bound: the pack's exit reaches its listeners within a few turns.
    let after = before;
    const giveUp = Date.now() + 60_000;
    while (after === before && Date.now() < giveUp) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await pack.use(async (p) => p.pid);
    }
    expect(after).not.toBe(before);
    expect(await pack.use((p) => p.policies())).toHaveLength(17);
  });

  it("kills a pack that prints no port by the deadline, and reports one that exits first", async () => {
    const silent = PolicyPackProcess.launch(policyPackDir(ROOT), [
      process.execPath,
      "-e",
      "setInterval(() => {}, 1000)",
    ]);
    await expect(silent.connect(300)).rejects.toThrow(/no port on stdout after 300 ms/);
    const exits = PolicyPackProcess.launch(policyPackDir(ROOT), [
      process.execPath,
      "-e",
      "console.error('boom'); process.exit(3)",
    ]);
    await expect(exits.connect(10_000)).rejects.toThrow(
      /exited \(code 3\) before printing its port\nboom/,
    );
  });

  it("honours an enforcement override", async () => {
    const passive = seed(
      await planSteady("secondary"),
      "workspace-pool-etl",
      "minIdleInstances",
      2,
    );
    const v = await analyze(passive, { "databricks-passive-stands-down": "advisory" });
    expect(brief(v).map(([name, level]) => [name, level])).toEqual([
      ["databricks-passive-stands-down", "advisory"],
    ]);
    expect(await analyze(passive, { "databricks-passive-stands-down": "disabled" })).toEqual([]);
  });

  it("gives the same resources under the same settings the verdict already given, and asks the pack otherwise", async () => {
    const passive = seed(
      await planSteady("secondary"),
      "workspace-pool-etl",
      "minIdleInstances",
      2,
    );
    const own = await PolicyPackProcess.start(policyPackDir(ROOT));
    await own.configure();
    await own.configureStack("secondary", "paired-dr", true);
    const first = await own.analyzeAll(passive.resources);
    expect(brief(first).map(([name, level]) => [name, level])).toEqual([
      ["databricks-passive-stands-down", "mandatory"],
    ]);
    // Another setting is a new question: the override is the pack's answer, not a kept one.
    await own.configure({ "databricks-passive-stands-down": "advisory" });
    expect(brief(await own.analyzeAll(passive.resources)).map(([, level]) => level)).toEqual([
      "advisory",
    ]);
    await own.configure();
    await own.stop();
    // The pack is gone: the kept verdict answers, a copy the caller may change.
    const kept = await own.analyzeAll(passive.resources);
    expect(kept).toEqual(first);
    expect(kept).not.toBe(first);
    // Other resources need the pack, which is gone.
    const fixed = seed(passive, "workspace-pool-etl", "minIdleInstances", 0);
    await expect(own.analyzeAll(fixed.resources)).rejects.toThrow();
  });

  it("passes policy config: a stricter grace period flags the 60-minute management group", async () => {
    const primary = await planSteady("primary");
    const v = await analyze(primary, {
      "azure-sql-failover-group-grace-period": { minGracePeriodMinutes: 90 },
    });
    expect(v.map((x) => x.policyName)).toEqual(["azure-sql-failover-group-grace-period"]);
    expect(v[0]!.urn).toMatch(/::sql-acmedata-primary-fg-mgmt$/);
  });

  it("turns unknown values in a preview into advisory diagnostics, not mandatory ones", async () => {
    const passive = seed(
      await planSteady("secondary"),
      "workspace-pool-etl",
      "minIdleInstances",
      rpc.unknownValue,
    );
    const v = await analyze(passive);
    expect(v.length).toBeGreaterThan(0);
    expect(v.every((x) => x.enforcementLevel === "advisory")).toBe(true);
    expect(v.map((x) => x.policyName)).toContain("databricks-passive-stands-down");
  });
});

describe("the deployment facts the policies read", () => {
  it("are built from config, role, last deployment and peer, exactly", () => {
    const config = parsePlatformConfig(validRaw("secondary"), REPO);
    expect(
      buildDeploymentFacts(
        config,
        "active",
        { role: "passive", acknowledgments: ["promotion.acceptColdStandbyRto"], epoch: 0 },
        {
          role: "active",
          epoch: 1,
          finalSync: {
            key: "drain-primary-e1",
            epoch: 1,
            jobs: ["replicate-sales-orders"],
            tables: { "sales.orders": 7 },
          },
        },
        ["acmedata-secondary-fg-paid-01"],
        { lake: true, metastore: true },
      ),
    ).toEqual({
      kind: "paired-dr:deployment-facts",
      site: "secondary",
      role: "active",
      promote: false,
      lastRole: "passive",
      lastAcknowledgments: ["promotion.acceptColdStandbyRto"],
      lastEpoch: 0,
      peer: {
        role: "active",
        acknowledgments: [],
        epoch: 1,
        finalSync: { epoch: 1, jobs: ["replicate-sales-orders"], metastoreBackup: false },
        sqlReprotected: false,
      },
      regions: {
        azure: { region: "centralus", peerRegion: "eastus2" },
        gcp: { region: "us-central1", peerRegion: "us-east4" },
      },
      metastore: {
        standby: "hot",
        rpoMinutes: 60,
        backupEveryMinutes: 15,
        restoreEveryMinutes: 20,
        restoreTimeoutMinutes: 20,
      },
      lakeNotReplicated: ["marts.sales_daily"],
      lakeCopies: COPIES,
      finalSync: true,
      metastoreFinalBackup: true,
      sql: {
        strategy: "tiered",
        failoverMode: "planned",
        acknowledgeDataLoss: false,
        awaitingPeer: ["acmedata-secondary-fg-paid-01"],
        geoRestoredTenants: 20,
        // The shipped Pulumi.yaml: its 60 tenants' IDs, tiers and homes, in order, by sha256.
        settings: {
          strategy: "tiered",
          databasesPerGroup: 20,
          gracePeriodMinutes: 60,
          tenants: 60,
          tenantsDigest: "3feba973784637f4",
        },
        // The last deployment recorded no settings.
        lastSettings: null,
        lastRecoveredBy: null,
        release: null,
      },
      drill: null,
      gcsTurbo: true,
      allowSingleRegionStorage: false,
      promotion: { acceptColdStandbyRto: false, acknowledgeForcedFailover: false },
      rpoTargetsMinutes: { metastore: 60, lake: 60, sql: 1, sqlGeoRestore: 60, gcs: 15 },
    });
  });

  it("count turbo only when both buckets use it", () => {
    const raw = validRaw();
    raw.storage.buckets.backup.turboReplication = false;
    const facts = buildDeploymentFacts(parsePlatformConfig(raw, REPO), "active", {}, {});
    expect([
      facts.gcsTurbo,
      facts.lastRole,
      facts.lastAcknowledgments,
      facts.lastEpoch,
      facts.peer,
    ]).toEqual([
      false,
      null,
      null,
      null,
      { role: null, acknowledgments: null, epoch: null, finalSync: null, sqlReprotected: false },
    ]);
  });
});
