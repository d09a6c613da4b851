import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { CapturedResource } from "../tools/plan/capture";
import type { PlanDiff } from "../tools/plan/diff";
import { deployEffects, heldGroupPrimaries } from "../tools/runbook/cloud";
import { playRunbooks } from "../tools/runbook/cli";
import {
  converged,
  noStaleOverwrite,
  passiveCannotRun,
  noStatefulLoss,
  oneWriter,
  rpoZero,
} from "../tools/runbook/invariants";
import {
  fenceCheck,
  fenceOf,
  jobModel,
  runnableJobs,
  lakeTraffic,
  metastoreModel,
  runningClones,
  unreplicatedCopies,
  writers,
  type Deployed,
  type FencePurpose,
  type FenceRead,
  type Platform,
  type Site,
} from "../tools/runbook/model";
import { RunbookPlayer, doneBefore } from "../tools/runbook/play";
import { JOB_CONCURRENCY_KIND } from "../components/naming";
import { FINAL_SYNC_KIND } from "../components/workspace/finalSync";
import { readRunbook, RunbookError } from "../tools/runbook/schema";
import { PRIMARY_LOST_WRITES_AT_EPOCH_2, ROOT, res, tempDir } from "./helpers";

const LAKE = { primary: "acmedataprilake", secondary: "acmedataseclake" } as const;
const url = (account: string) => `abfss://lake@${account}.dfs.core.windows.net/replicated/t`;
const job = (name: string, pause: "PAUSED" | "UNPAUSED", target?: string) =>
  res("databricks:index/job:Job", name, {
    name,
    schedule: { quartzCronExpression: "0 0 * * * ?", pauseStatus: pause },
    tasks: [{ notebookTask: { baseParameters: target ? { target } : { path: url("x") } } }],
  });

const tableUrl = (s: Site) => `abfss://lake@${LAKE[s]}.dfs.core.windows.net/replicated/t`;

/**
 * A site as deployed: role, lake, a business job writing its table and a deep clone of it toward
 * the peer. With an epoch, the jobs carry the fence parameters and the site its fence record.
 */
function site(
  s: Site,
  role: "active" | "passive",
  extra: CapturedResource[] = [],
  epoch?: number,
): Deployed {
  const peer = s === "primary" ? "secondary" : "primary";
  const pause = role === "active" ? "UNPAUSED" : "PAUSED";
  const fence =
    epoch === undefined
      ? {}
      : { paired_dr_site: s, paired_dr_lake: `abfss://lake@${LAKE[s]}.dfs.core.windows.net/` };
  const jobWith = (name: string, params: Record<string, string>) =>
    res("databricks:index/job:Job", name, {
      name,
      schedule: { quartzCronExpression: "0 0 * * * ?", pauseStatus: pause },
      tasks: [{ notebookTask: { baseParameters: { ...params, ...fence } } }],
    });
  return {
    outputs: { role, deployment: { role, lake: LAKE[s] } },
    resources: [
      jobWith("nightly", { path: tableUrl(s) }),
      jobWith("replicate-orders", {
        table: "sales.orders",
        source: tableUrl(s),
        target: url(LAKE[peer]),
      }),
      ...extra,
      ...(epoch === undefined
        ? []
        : [
            res("azure-native:storage:Blob", `${s}-fence`, {
              blobName: "_paired-dr/fence.json",
              source: { text: JSON.stringify({ site: s, role, epoch }) },
            }),
          ]),
    ],
  };
}

const platform = (
  p: Deployed | undefined,
  s: Deployed | undefined,
  reachable = { primary: true, secondary: true },
  groupPrimary: Record<string, "primary" | "secondary"> = {},
): Platform => ({
  stacks: {
    primary: { deployed: p, reachable: reachable.primary },
    secondary: { deployed: s, reachable: reachable.secondary },
  },
  groupPrimary,
});

describe("the running-platform model", () => {
  it("a job runs when any schedule, continuous or trigger is unpaused; a deep clone writes its target", () => {
    expect(jobModel(job("replicate-orders", "UNPAUSED", url(LAKE.secondary)))).toEqual({
      name: "replicate-orders",
      runs: true,
      runnable: true,
      writes: ["acmedataseclake"],
      replication: true,
      fenced: false,
      paths: [],
      targetLake: "abfss://lake@acmedataseclake.dfs.core.windows.net/",
    });
    expect(jobModel(job("nightly", "PAUSED")).runs).toBe(false);
    const continuous = res("databricks:index/job:Job", "s", {
      name: "s",
      continuous: { pauseStatus: "UNPAUSED" },
      tasks: [],
    });
    expect(jobModel(continuous).runs).toBe(true);
  });

  it("checks fences by the same rules as workspace/fence/paired_dr_fence.py, on the shared cases", () => {
    const { cases } = JSON.parse(
      fs.readFileSync(path.join(ROOT, "test/fixtures/fence-cases.json"), "utf8"),
    ) as {
      cases: {
        name: string;
        purpose: FencePurpose;
        site: Site;
        own: FenceRead;
        target: FenceRead;
        allowed: boolean;
      }[];
    };
    expect(cases).toHaveLength(17);
    for (const c of cases)
      expect(fenceCheck(c.purpose, c.site, c.own, c.target).allowed, c.name).toBe(c.allowed);
  });

  it("reads a site's fence from the record its stack last wrote", () => {
    const record = (text: string) => ({
      outputs: {},
      resources: [
        res("azure-native:storage:Blob", "workspace-fence", {
          blobName: "_paired-dr/fence.json",
          source: { text },
        }),
      ],
    });
    expect(fenceOf(record('{"site":"primary","role":"active","epoch":3}'))).toEqual({
      site: "primary",
      role: "active",
      epoch: 3,
    });
    expect(fenceOf(record('{"site":"primary","role":"active","epoch":-1}'))).toBe("unreadable");
    expect(fenceOf(record("not json"))).toBe("unreadable");
    expect(fenceOf({ outputs: {}, resources: [] })).toBe("missing");
    expect(fenceOf(undefined)).toBe("missing");
  });

  describe("a returning primary, still deployed as active, after the secondary's promotion", () => {
    it("writes nothing: its jobs and its deep clones are fenced by the higher epoch", () => {
      const p = platform(site("primary", "active", [], 1), site("secondary", "active", [], 2));
      expect(writers(p).lake).toEqual({ tables: ["secondary"] });
      // The secondary's clone waits too: the primary's fence still says active.
      expect(runningClones(p)).toEqual([]);
      expect([oneWriter(p), noStaleOverwrite(p)]).toEqual([[], []]);
    });

    it("without the fence (the seeded variant), overwrites the new active site's lake", () => {
      const p = platform(site("primary", "active"), site("secondary", "active"));
      expect(noStaleOverwrite(p).map((b) => b.message)).toEqual([
        "lake: primary's replicate-orders deep-clones into secondary's lake (acmedataseclake), which is active",
        "lake: secondary's replicate-orders deep-clones into primary's lake (acmedataprilake), which is active",
      ]);
    });

    it("once stood down, the secondary's first clone lists the tables it would hide, once", () => {
      const p = platform(site("primary", "passive", [], 1), site("secondary", "active", [], 2));
      const first = lakeTraffic(p, { primary: ["sales.orders"], secondary: [] });
      // Only sales.orders was written unreplicated here; the shipped spec's list has more.
      expect(first.lost).toEqual([{ ...PRIMARY_LOST_WRITES_AT_EPOCH_2, tables: ["sales.orders"] }]);
      // The secondary's own writes are now the ones not yet cloned anywhere.
      expect(first.unreplicated).toEqual({ primary: [], secondary: ["sales.orders"] });
      expect(lakeTraffic(p, first.unreplicated).lost).toEqual([]);
    });
  });

  it("a metastore under a running restore schedule is a standby, not a writer", () => {
    const svc = res("gcp:dataproc/metastoreService:MetastoreService", "ms", {
      scheduledBackup: { enabled: false },
    });
    const sched = (name: string, paused: boolean) =>
      res("gcp:cloudscheduler/job:Job", name, { name, paused });
    const restore = (paused: boolean) => sched("acmedata-secondary-hms-restore", paused);
    const standby = { outputs: {}, resources: [svc, restore(false)] };
    expect(metastoreModel(standby)).toEqual({
      service: true,
      backups: false,
      restoring: true,
      hiveCluster: false,
      hiveFence: false,
    });
    expect(metastoreModel({ outputs: {}, resources: [svc, restore(true)] }).restoring).toBe(false);
    // The Hive cluster's fence runs in every role; its schedule is not a restore.
    const fence = sched("acmedata-secondary-hms-fence", false);
    expect(metastoreModel({ outputs: {}, resources: [svc, restore(true), fence] })).toEqual({
      service: true,
      backups: false,
      restoring: false,
      hiveCluster: false,
      hiveFence: true,
    });
  });

  it("a database in a failover group is written on the group's primary only; an ungrouped copy wherever it is", () => {
    const db = (n: string) => res("azure-native:sql:Database", n, { databaseName: n });
    const fg = res("azure-native:sql:FailoverGroup", "fg", {
      failoverGroupName: "fg1",
      databases: [
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers/a/databases/paid-1",
      ],
    });
    const p = site("primary", "passive", [db("paid-1"), db("trial-1"), fg]);
    const s = site("secondary", "active", [db("trial-1")]);
    expect(writers(platform(p, s, undefined, { fg1: "secondary" })).sql).toEqual({
      "paid-1": ["secondary"],
      "trial-1": ["primary", "secondary"],
    });
  });
});

describe("invariants, each failing on a seeded bad sequence", () => {
  it("passive-cannot-run: a paused passive job without concurrency 0 can still be run by hand", () => {
    // The provider never sends max_concurrent_runs 0 (reflect_resource.go GetOk): without the
    // concurrency resource, the API's default of 1 lets anyone allowed "Run now".
    const stoodDown = (s: Site) => {
      const d = site(s, "passive");
      const concurrency = d.resources
        .filter((r) => r.type === "databricks:index/job:Job")
        .map((j) => {
          const c = res("pulumi-nodejs:dynamic:Resource", `${j.name}-concurrency`, {
            kind: JOB_CONCURRENCY_KIND,
            maxConcurrentRuns: 0,
          });
          return { ...c, outputs: { ...c.outputs, effectiveMaxConcurrentRuns: 0 } };
        });
      return { ...d, resources: [...d.resources, ...concurrency] };
    };
    expect(
      passiveCannotRun(platform(site("primary", "active"), site("secondary", "passive"))),
    ).toEqual([
      {
        scope: "lake",
        message:
          "lake: passive secondary can still run nightly, replicate-orders (Databricks reports max_concurrent_runs above 0)",
      },
    ]);
    expect(passiveCannotRun(platform(site("primary", "active"), stoodDown("secondary")))).toEqual(
      [],
    );
    expect(runnableJobs(platform(site("primary", "active"), stoodDown("secondary")))).toEqual({
      primary: ["nightly", "replicate-orders"],
      secondary: [],
    });
  });

  it("one-writer: two active sites both write; a site whose region is down writes nothing", () => {
    const both = platform(site("primary", "active"), site("secondary", "active"));
    expect(oneWriter(both)).toEqual([
      { scope: "lake", message: "lake: primary and secondary both write tables" },
    ]);
    const down = platform(site("primary", "active"), site("secondary", "active"), {
      primary: false,
      secondary: true,
    });
    expect(oneWriter(down)).toEqual([]);
  });

  it("no-stale-overwrite: a returning old primary deep-clones into the active site", () => {
    const returned = platform(site("primary", "active"), site("secondary", "active"));
    expect(noStaleOverwrite(returned)).toEqual([
      {
        scope: "lake",
        message:
          "lake: primary's replicate-orders deep-clones into secondary's lake (acmedataseclake), which is active",
      },
      {
        scope: "lake",
        message:
          "lake: secondary's replicate-orders deep-clones into primary's lake (acmedataprilake), which is active",
      },
    ]);
    expect(
      noStaleOverwrite(platform(site("primary", "active"), site("secondary", "passive"))),
    ).toEqual([]);
  });

  it("no-stateful-loss: a deleted or replaced stateful resource", () => {
    const bucket = {
      urn: "u",
      type: "gcp:storage/bucket:Bucket",
      name: "warehouse",
      stateful: true,
    };
    const diff = { stack: "primary", dangerous: [bucket] } as unknown as PlanDiff;
    expect(noStatefulLoss(diff)).toEqual([
      {
        scope: "stacks",
        message: "primary: stateful gcp:storage/bucket:Bucket 'warehouse' deleted or replaced",
      },
    ]);
    expect(noStatefulLoss({ stack: "primary", dangerous: [] } as unknown as PlanDiff)).toEqual([]);
  });

  it("converged: exactly one active site and nothing pending", () => {
    const ok = platform(site("primary", "active"), site("secondary", "passive"));
    expect(converged(ok, [])).toEqual([]);
    expect(converged(ok, ["secondary"])).toEqual([
      { scope: "stacks", message: "secondary: not deployed with the current config" },
    ]);
    expect(
      converged(platform(site("primary", "passive"), site("secondary", "passive")), []),
    ).toEqual([{ scope: "stacks", message: "0 active sites (none); exactly one is required" }]);
  });
});

describe("the clouds' rules on a deployment", () => {
  const server = (n: string) => res("azure-native:sql:Server", n, { serverName: n });
  const group = res("azure-native:sql:FailoverGroup", "fg", {
    failoverGroupName: "fg1",
    partnerServers: [
      { id: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers/sec" },
    ],
    databases: [],
  });
  const created = (...r: CapturedResource[]) =>
    ({ created: r.map((x) => ({ urn: x.urn })), updated: [] }) as unknown as PlanDiff;

  it("a standby's metastore turns its backups on only after a run that quiesced it (a restore in flight refuses the update, or overwrites the promotion)", () => {
    const service = (backups: boolean, after: string[] = []) => ({
      ...res("gcp:dataproc/metastoreService:MetastoreService", "metastore-service", {
        serviceId: "acme-secondary-hms",
        scheduledBackup: { enabled: backups },
      }),
      dependencies: after,
    });
    const schedule = (paused: boolean) =>
      res("gcp:cloudscheduler/job:Job", "metastore-restore-schedule", {
        name: "acme-secondary-hms-restore",
        paused,
      });
    const run = (quiesceSchedule: string) =>
      res("pulumi-nodejs:dynamic:Resource", "metastore-promotion-restore", {
        workflow: "projects/p/locations/r/workflows/acme-secondary-hms-restore",
        target: "projects/p/locations/r/services/acme-secondary-hms",
        quiesceSchedule,
      });
    const standby = { outputs: {}, resources: [service(false), schedule(false)] };
    const promoted = (...more: CapturedResource[]) => {
      const resources = [
        ...more,
        service(
          true,
          more.map((r) => r.urn),
        ),
        schedule(true),
      ];
      const diff = {
        created: more.map((r) => ({ urn: r.urn })),
        updated: [{ resource: { urn: resources.at(-2)!.urn } }],
      } as unknown as PlanDiff;
      return deployEffects(
        platform(undefined, standby),
        "secondary",
        { outputs: {}, resources },
        diff,
      );
    };
    const refused =
      "FAILED_PRECONDITION: secondary's metastore service acme-secondary-hms turns its backups on while its scheduled restores may still run: the update is refused while a restore holds the service UPDATING, and a restore ending after the promotion overwrites the promoted site's metadata; nothing pauses the schedule, cancels the restore in flight and waits for it first";
    expect(promoted().errors).toEqual([refused]);
    // A run that does not quiesce (a cold promotion's) is not enough either.
    expect(promoted(run("")).errors).toEqual([refused]);
    const quiesced = promoted(run("projects/p/locations/r/jobs/acme-secondary-hms-restore"));
    expect(quiesced.errors).toEqual([]);
    expect(quiesced.restores).toEqual([
      "secondary: metastore-promotion-restore stops the scheduled restores, waits for any in flight, then restores the newest completed backup once",
    ]);
  });

  it("a failover group needs the partner server in the peer's deployed state (ServerNotFound)", () => {
    const next = { outputs: {}, resources: [group] };
    expect(
      deployEffects(platform(undefined, undefined), "primary", next, created(group)).errors,
    ).toEqual([
      "ServerNotFound: failover group fg1 needs partner server sec, which secondary's deployed state does not have",
    ]);
    const peer = { outputs: {}, resources: [server("sec")] };
    const fx = deployEffects(platform(undefined, peer), "primary", next, created(group));
    expect([fx.errors, fx.groupPrimary]).toEqual([[], { fg1: "primary" }]);
  });

  it("a private endpoint's DNS registration needs the pair's zone, and a zone link its VNet (404)", () => {
    const zone =
      "/subscriptions/s/resourceGroups/acme-primary-sql-rg/providers/Microsoft.Network/privateDnsZones/privatelink.database.windows.net";
    const zoneGroup = res("azure-native:network:PrivateDnsZoneGroup", "sql-endpoint-dns", {
      privateDnsZoneConfigs: [{ name: "sql", privateDnsZoneId: zone }],
    });
    const next = { outputs: {}, resources: [zoneGroup] };
    expect(
      deployEffects(platform(undefined, undefined), "secondary", next, created(zoneGroup)).errors,
    ).toEqual([
      "ResourceNotFound: secondary's sql-endpoint-dns registers in DNS zone acme-primary-sql-rg/privatelink.database.windows.net, which no deployed stack has created",
    ]);
    const primary = {
      outputs: {},
      resources: [
        res("azure-native:privatedns:PrivateZone", "sql-dns-zone", {
          resourceGroupName: "acme-primary-sql-rg",
          privateZoneName: "privatelink.database.windows.net",
        }),
      ],
    };
    expect(
      deployEffects(platform(primary, undefined), "secondary", next, created(zoneGroup)).errors,
    ).toEqual([]);
    const link = res("azure-native:privatedns:VirtualNetworkLink", "sql-dns-link-secondary", {
      virtualNetwork: {
        id: "/subscriptions/s/resourceGroups/acme-secondary-rg/providers/Microsoft.Network/virtualNetworks/acme-secondary-dbx-vnet",
      },
    });
    expect(
      deployEffects(
        platform(undefined, undefined),
        "primary",
        { outputs: {}, resources: [link] },
        created(link),
      ).errors,
    ).toEqual([
      "ResourceNotFound: primary's sql-dns-link-secondary links VNet acme-secondary-rg/acme-secondary-dbx-vnet, which no deployed stack has created",
    ]);
  });

  it("a geo-replication link: seeded from the peer's live database, failed over by its hold, written on its primary alone", () => {
    const DBS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers";
    const original = res("azure-native:sql:Database", "sql-db-trial", { databaseName: "trial" });
    const geo = res("azure-native:sql:Database", "sql-recovered-trial", {
      databaseName: "trial",
      createMode: "Secondary",
      sourceDatabaseId: `${DBS}/pri/databases/trial`,
    });
    const linkHold = (mode = "planned") =>
      res("pulumi-nodejs:dynamic:Resource", "sql-link-trial", {
        databaseId: `${DBS}/sec/databases/trial`,
        partnerServer: "pri",
        mode,
      });
    const primary = { outputs: {}, resources: [original] };
    const next = { outputs: {}, resources: [geo, linkHold()] };
    // Seeded from the primary, then failed over planned: the original is the read-only copy.
    const fx = deployEffects(
      platform(primary, undefined),
      "secondary",
      next,
      created(geo, linkHold()),
    );
    expect([fx.errors, fx.failovers, fx.groupPrimary]).toEqual([
      [],
      [
        {
          group: "trial (geo-replication link)",
          database: "trial",
          from: "primary",
          to: "secondary",
          mode: "planned",
        },
      ],
      { "link:trial": "secondary" },
    ]);
    expect(writers(platform(primary, next, undefined, fx.groupPrimary)).sql).toEqual({
      trial: ["secondary"],
    });
    // Without the hold the link stays with its source: the copy is read-only until failed over.
    const seeded = deployEffects(
      platform(primary, undefined),
      "secondary",
      { outputs: {}, resources: [geo] },
      created(geo),
    );
    expect(seeded.groupPrimary).toEqual({ "link:trial": "primary" });
    expect(
      writers(platform(primary, { outputs: {}, resources: [geo] }, undefined, seeded.groupPrimary))
        .sql,
    ).toEqual({ trial: ["primary"] });
    // Seeding needs the source database, online.
    expect(
      deployEffects(platform(undefined, undefined), "secondary", next, created(geo, linkHold()))
        .errors,
    ).toEqual([
      "DatabaseDoesNotExist: secondary's geo-secondary trial is seeded from primary's trial, which its deployed state does not have",
    ]);
    expect(
      deployEffects(
        platform(primary, undefined, { primary: false, secondary: true }),
        "secondary",
        next,
        created(geo, linkHold()),
      ).errors,
    ).toEqual([
      "seeding geo-secondary trial needs its primary on primary online, and primary's region is down",
    ]);
    // A hold that stays (not created now) finding the link elsewhere refuses; releasing either
    // database ends the link.
    const held = platform(primary, next, undefined, { "link:trial": "primary" });
    expect(deployEffects(held, "secondary", next, created()).errors).toEqual([
      "secondary's hold of trial's geo-replication link finds primary primary: a deployment that is not a promotion never moves a link; promote primary, or fail the link back by hand and deploy again",
    ]);
    expect(
      deployEffects(held, "secondary", { outputs: {}, resources: [] }, created()).groupPrimary,
    ).toEqual({});
    // A hold over a database with no link has nothing to take over.
    const alone = platform(primary, undefined);
    expect(
      deployEffects(
        alone,
        "primary",
        { outputs: {}, resources: [original, linkHold()] },
        created(linkHold()),
      ),
    ).toMatchObject({ errors: [], failovers: [], groupPrimary: {} });
  });

  it("a reprotect: the stale original steps aside, the tenant's name seeded from the peer's copy; the promotion's hold fails it back", () => {
    const DBS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers";
    const original = res("azure-native:sql:Database", "sql-db-trial", { databaseName: "trial" });
    const restored = res("azure-native:sql:Database", "sql-recovered-trial", {
      databaseName: "trial",
      createMode: "Recovery",
    });
    const reprotect = res("pulumi-nodejs:dynamic:Resource", "sql-reprotect-trial", {
      databaseId: `${DBS}/pri/databases/trial`,
      sourceDatabaseId: `${DBS}/sec/databases/trial`,
      staleName: "trial-stale-e2",
    });
    const hold = res("pulumi-nodejs:dynamic:Resource", "sql-link-trial", {
      databaseId: `${DBS}/pri/databases/trial`,
      partnerServer: "sec",
      mode: "planned",
    });
    const secondary = { outputs: {}, resources: [restored] };
    const back = { outputs: {}, resources: [original, reprotect] };
    // Two writable copies before, the geo-restored one alone after.
    expect(writers(platform({ outputs: {}, resources: [original] }, secondary)).sql).toEqual({
      trial: ["primary", "secondary"],
    });
    const fx = deployEffects(platform(undefined, secondary), "primary", back, created(reprotect));
    expect([fx.errors, fx.failovers, fx.groupPrimary]).toEqual([
      [],
      [],
      { "link:trial": "secondary" },
    ]);
    expect(writers(platform(back, secondary, undefined, fx.groupPrimary)).sql).toEqual({
      trial: ["secondary"],
    });
    // As deployed, the link starts with the copy (what a later replay reads).
    expect(heldGroupPrimaries(platform(back, secondary).stacks)).toEqual({
      "link:trial": "secondary",
    });
    // The promotion's hold fails it back, planned.
    const promoted = { outputs: {}, resources: [original, reprotect, hold] };
    const failback = deployEffects(
      platform(back, secondary, undefined, fx.groupPrimary),
      "primary",
      promoted,
      created(hold),
    );
    expect([
      failback.errors,
      failback.failovers.map((f) => [f.database, f.from, f.to, f.mode]),
    ]).toEqual([[], [["trial", "secondary", "primary", "planned"]]]);
    // Seeded from the copy: it must exist, and its region be up.
    expect(
      deployEffects(
        platform(undefined, { outputs: {}, resources: [] }),
        "primary",
        back,
        created(reprotect),
      ).errors,
    ).toEqual([
      "DatabaseDoesNotExist: primary's reprotect of trial seeds it from secondary's copy, which its deployed state does not have",
    ]);
    expect(
      deployEffects(
        platform(undefined, secondary, { primary: true, secondary: false }),
        "primary",
        back,
        created(reprotect),
      ).errors,
    ).toEqual([
      "reprotecting trial seeds it from its copy on secondary, and secondary's region is down",
    ]);
  });

  it("a planned failover needs the primary online; a forced one does not", () => {
    const hold = (mode: string) =>
      res("pulumi-nodejs:dynamic:Resource", "hold", {
        failoverGroupId:
          "/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers/sec/failoverGroups/fg1",
        mode,
      });
    const down = platform(
      undefined,
      undefined,
      { primary: false, secondary: true },
      { fg1: "primary" },
    );
    const planned = hold("planned");
    expect(
      deployEffects(down, "secondary", { outputs: {}, resources: [planned] }, created(planned))
        .errors,
    ).toEqual([
      "planned failover of fg1 onto secondary needs its primary (primary) online, and primary's region is down; only sql.failover.mode: forced can fail it over",
    ]);
    const forced = hold("forced");
    const fx = deployEffects(
      down,
      "secondary",
      { outputs: {}, resources: [forced] },
      created(forced),
    );
    expect([fx.errors, fx.failovers]).toEqual([
      [],
      [{ group: "fg1", from: "primary", to: "secondary", mode: "forced" }],
    ]);
  });
});

describe("the final sync in the model (issue 15)", () => {
  const sync = (key: string) =>
    res("pulumi-nodejs:dynamic:Resource", "workspace-final-sync", {
      kind: FINAL_SYNC_KIND,
      syncKey: key,
      jobs: [{ name: "replicate-orders", jobId: "2" }],
      writers: [{ name: "nightly", jobId: "1" }],
      timeoutSeconds: 4080,
    });
  // The primary standing down: its fence still says active (epoch 1) while the sync runs.
  const before = platform(site("primary", "active", [], 1), site("secondary", "passive", [], 0));
  const next = (key: string) => site("primary", "passive", [sync(key)], 1);
  const errors = (p: Platform, n: Deployed, fault?: "writer-keeps-running" | "copy-fails") =>
    deployEffects(p, "primary", n, undefined, fault).errors;

  it("runs when its key is new, and says what it did", () => {
    const fx = deployEffects(before, "primary", next("drain-primary-e1"), undefined);
    expect([fx.errors, fx.finalSync, fx.syncs]).toEqual([
      [],
      { key: "drain-primary-e1", jobs: ["replicate-orders"] },
      [
        "primary: drain-primary-e1 stopped 1 writers, then ran 1 copies once more into secondary's lake",
      ],
    ]);
    // Deployed again with the same key, it does not run again (its runs are adopted).
    const synced = platform(next("drain-primary-e1"), site("secondary", "passive", [], 0));
    const again = deployEffects(synced, "primary", next("drain-primary-e1"), undefined);
    expect([again.finalSync, again.syncs]).toEqual([undefined, []]);
  });

  it("fails the deployment as FinalSync does: a writer that will not stop, a failed copy, an unreachable or unfenced peer", () => {
    expect(errors(before, next("drain-primary-e1"), "writer-keeps-running")).toEqual([
      "final sync drain-primary-e1: nightly still has an active run 4080s after it was cancelled; nothing is copied while a writer runs",
    ]);
    expect(errors(before, next("drain-primary-e1"), "copy-fails")).toEqual([
      "final sync drain-primary-e1: replicate-orders ended TERMINATED RUN_EXECUTION_ERROR",
    ]);
    const down = platform(site("primary", "active", [], 1), site("secondary", "passive", [], 0), {
      primary: true,
      secondary: false,
    });
    expect(errors(down, next("drain-primary-e1"))).toEqual([
      "final sync drain-primary-e1: replicate-orders ended TERMINATED RUN_EXECUTION_ERROR: secondary's lake cannot be reached, its region is down",
    ]);
    // The copies read the fences (paired_dr_fence.py): a peer promoted above this site refuses them.
    const promotedPeer = platform(
      site("primary", "active", [], 1),
      site("secondary", "passive", [], 2),
    );
    expect(errors(promotedPeer, next("drain-primary-e1"))).toEqual([
      "final sync drain-primary-e1: replicate-orders ended TERMINATED RUN_EXECUTION_ERROR: secondary was promoted after primary: epoch 2 > 1; primary is stale",
    ]);
  });
});

describe("a deployment that fails at its final sync", () => {
  it("keeps what it applied before the sync (Pulumi undoes nothing), the rest and the outputs as before", () => {
    const r = (name: string, inputs: Record<string, unknown>, dependencies: string[] = []) => ({
      ...res("databricks:index/job:Job", name, inputs),
      dependencies,
    });
    const oldWriter = r("writer", { pause: "UNPAUSED" });
    const oldOther = r("other", { v: 1 });
    const writer = r("writer", { pause: "PAUSED" });
    const concurrency = r("concurrency", { max: 0 }, [writer.urn]);
    const sync = r("sync", {}, [concurrency.urn]);
    const fence = r("fence", { role: "passive" }, [sync.urn]);
    const other = r("other", { v: 2 });
    const before = { resources: [oldWriter, oldOther], outputs: { role: "active" } };
    const plan = {
      stack: "primary",
      site: "primary",
      role: "passive",
      promote: true,
      resources: [writer, concurrency, sync, fence, other],
      outputs: { role: "passive" },
    };
    expect(doneBefore(before, plan, sync.urn)).toEqual({
      resources: [writer, oldOther, concurrency],
      outputs: { role: "active" },
    });
  });
});

describe("rpo-zero (issue 15)", () => {
  it("lists, per data class, what the old active site wrote that the promoted one lacks", () => {
    const none = { lake: [], metastore: false, sql: [], gcs: false };
    expect(rpoZero("secondary", "primary", none)).toEqual([]);
    expect(
      rpoZero("secondary", "primary", {
        lake: ["sales.orders"],
        metastore: true,
        sql: ["t1", "t2", "t3", "t4"],
        gcs: true,
      }),
    ).toEqual([
      {
        scope: "lake",
        message: "lake: primary's sales.orders hold commits secondary never received",
      },
      {
        scope: "metastore",
        message:
          "metastore: primary's metadata written after its newest backup is not in what secondary restored",
      },
      {
        scope: "sql",
        message:
          "sql: secondary's own copies of t1, t2, t3 and 1 more lack what primary wrote to them (geo-restored from backups, or originals left behind: no failover group replicates them)",
      },
      {
        scope: "gcs",
        message:
          "gcs: primary's region is down; objects it wrote within the buckets' replication objective may be missing",
      },
    ]);
  });

  it("a database outside every failover group is a copy of its own on each site", () => {
    const db = (name: string) =>
      res("azure-native:sql:Database", name, { databaseName: name, createMode: "Recovery" });
    const group = res("azure-native:sql:FailoverGroup", "fg", {
      failoverGroupName: "fg1",
      databases: [
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers/p/databases/paid",
      ],
    });
    const p = platform(
      { outputs: {}, resources: [db("paid"), db("trial"), group] },
      { outputs: {}, resources: [db("trial")] },
    );
    expect(unreplicatedCopies(p, "primary")).toEqual(["trial"]);
    expect(unreplicatedCopies(p, "secondary")).toEqual(["trial"]);
  });

  it("a fault no final sync meets fails the runbook", async () => {
    const dir = tempDir("runbook-");
    const file = path.join(dir, "r.yaml");
    fs.writeFileSync(
      file,
      ["name: unmet", "description: x", "steps:", "  - fault: { secondary: copy-fails }"].join(
        "\n",
      ),
    );
    const [r] = await playRunbooks([file], ROOT);
    expect([r!.ok, r!.unusedGaps]).toEqual([
      false,
      ["fault copy-fails in secondary's final sync never struck: no sync ran after it"],
    ]);
  });
});

describe("runbooks", () => {
  const write = (text: string) => {
    const dir = tempDir("runbook-");
    const file = path.join(dir, "r.yaml");
    fs.writeFileSync(file, text);
    return file;
  };

  it("refuses a malformed runbook with every problem by path", () => {
    const file = write("name: Bad Name\ndescription: x\nsteps:\n  - up: tertiary\n");
    expect(() => readRunbook(file)).toThrow(RunbookError);
    expect(() => readRunbook(file)).toThrow(
      `${file}: not a runbook:\n` +
        "  - name: lowercase letters, digits and '-'\n" +
        "  - steps.0: a step is one of up, expect-blocked, expect-failed, outage, automatic-failover or recover (each with primary or secondary), fault, status (require-synced), set, stack-set or expect",
    );
  });

  it("fails a set step whose key Pulumi.yaml does not declare, at that step", async () => {
    const file = write(
      ["name: bad-set", "description: x", "steps:", "  - set: { nosuch: 1 }"].join("\n"),
    );
    const [r] = await playRunbooks([file], ROOT);
    expect(r!.steps.map((s) => [s.step, s.ok, s.errors])).toEqual([
      ['set: {"nosuch":1}', false, ["set nosuch: nosuch is not declared in Pulumi.yaml"]],
    ]);
  });

  it("a status step passes only where npm run status -- --require-synced would: never while writers run, and with nothing deployed it cannot say", async () => {
    const file = write(
      [
        "name: status-early",
        "description: x",
        "steps:",
        "  - status: require-synced",
        "  - up: primary",
        "  - up: secondary",
        "  - up: primary",
        "  - status: require-synced",
      ].join("\n"),
    );
    const [r] = await playRunbooks([file], ROOT);
    expect(r!.steps.map((s) => [s.step, s.ok, s.errors])).toEqual([
      [
        "status: require-synced",
        false,
        [
          "npm run status -- --require-synced would not pass: no stack's outputs say active, and none is drained (exit 1)",
        ],
      ],
      ["up: primary", true, []],
      ["up: secondary", true, []],
      ["up: primary", true, []],
      [
        "status: require-synced",
        false,
        [
          "npm run status -- --require-synced would not pass: lake: primary's sales.daily_sales, sales.orders, sales.partner_orders hold commits never copied; metastore: primary's changes after its newest backup are in no backup yet; sql-geo-restore: 20 databases without a replica on primary: a geo-restore is never current",
        ],
      ],
    ]);
  });

  it("plays a sequence that fails where the cloud would, and a known gap that never occurs fails it", async () => {
    const file = write(
      [
        "name: seeded",
        "description: the primary is deployed while its region is down",
        "known-gaps:",
        "  - { invariant: one-writer, scope: metastore, issue: 10, why: never happens here }",
        "steps:",
        "  - outage: primary",
        "  - up: primary",
      ].join("\n"),
    );
    const [r] = await playRunbooks([file], ROOT);
    expect(r!.ok).toBe(false);
    expect(r!.steps.map((s) => [s.step, s.ok, s.errors])).toEqual([
      ["outage: primary", true, []],
      [
        "up: primary",
        false,
        ["primary's region is down: pulumi up -s primary cannot reach its clouds"],
      ],
    ]);
    expect(r!.unusedGaps).toEqual([
      "one-writer in metastore (issue 10) never occurred: remove the gap",
    ]);
  });

  it("rpo-zero holds for the metastore only through the drain's final backup: a promotion that restores the newest scheduled one instead loses what the Hive clients wrote since", async () => {
    const file = write(
      [
        "name: switchover-without-final-backup",
        "description: the drain backs the metastore up, but the promotion acknowledges a forced failover",
        "invariants: [rpo-zero]",
        "steps:",
        "  - up: primary",
        "  - up: secondary",
        "  - up: primary",
        "  - set: { promote: true }",
        "  - up: primary",
        "  - set: { promotion.acknowledgeForcedFailover: true }",
        "  - up: secondary",
      ].join("\n"),
    );
    const [r] = await playRunbooks([file], ROOT);
    const [drain, , promotion] = r!.steps.slice(-3);
    expect(drain!.invariants["rpo-zero"]!.ok).toBe(true);
    expect(promotion!.step).toBe("up: secondary");
    expect(promotion!.invariants["rpo-zero"]!.breaches.map((b) => b.message.split(":")[0])).toEqual(
      ["metastore", "sql"],
    );
    expect(promotion!.invariants["rpo-zero"]!.breaches[0]!.message).toBe(
      "metastore: primary's metadata written after its newest backup is not in what secondary restored",
    );
  });

  it("automatic-failover: Azure moves only the Automatic group; a routine up refuses to move it back", async () => {
    const runbook = readRunbook(path.join(ROOT, "runbooks/automatic-failover.yaml"));
    const [r] = await playRunbooks([path.join(ROOT, "runbooks/automatic-failover.yaml")], ROOT);
    expect(r!.ok).toBe(true);
    expect(r!.steps[4]!.effects.failovers).toEqual([
      { group: "acmedata-primary-fg-mgmt", from: "primary", to: "secondary", mode: "forced" },
    ]);
    expect([r!.steps[6]!.step, r!.steps[6]!.ok, r!.steps[6]!.refusals]).toEqual([
      "expect-failed: primary",
      true,
      [
        "primary's hold of failover group acmedata-primary-fg-mgmt finds secondary primary: a deployment that is not a promotion never moves a group; promote secondary, or fail the group back by hand and deploy again",
      ],
    ]);
    // The same deployment expected to go through fails the runbook there.
    const steps = runbook.steps.slice(0, 6).concat([{ up: "primary" }]);
    const played = await new RunbookPlayer(async () => [], ROOT).play({ ...runbook, steps });
    expect([played.steps.at(-1)!.ok, played.steps.at(-1)!.errors]).toEqual([
      false,
      [
        "primary's hold of failover group acmedata-primary-fg-mgmt finds secondary primary: a deployment that is not a promotion never moves a group; promote secondary, or fail the group back by hand and deploy again",
      ],
    ]);
  });

  it("without the gate, a group change while promoted fails where Azure would", async () => {
    const runbook = readRunbook(path.join(ROOT, "runbooks/sql-change-while-promoted.yaml"));
    // The same steps up to the change, then deployed instead of expected refused.
    const steps = runbook.steps.slice(0, 9).concat([{ up: "primary" }]);
    const r = await new RunbookPlayer(async () => [], ROOT).play({ ...runbook, steps });
    expect(r.steps.at(-1)!.errors).toEqual([
      "FailoverGroupUpdateOrDeleteRequestOnSecondary: primary updates failover group acmedata-primary-fg-mgmt, whose primary is secondary",
    ]);
  });

  it("first-deployment converges from empty in the documented order", async () => {
    const [r] = await playRunbooks([path.join(ROOT, "runbooks/first-deployment.yaml")], ROOT);
    expect(r!.ok).toBe(true);
    expect(r!.steps.map((s) => [s.step, s.roles])).toEqual([
      ["up: primary", { primary: "active", secondary: null }],
      [
        'expect: {"active":"primary","writers":{"lake":["primary"],"metastore":["primary"],"gcs":["primary"]}}',
        { primary: "active", secondary: null },
      ],
      ["up: secondary", { primary: "active", secondary: "passive" }],
      ["up: primary", { primary: "active", secondary: "passive" }],
      [
        'expect: {"active":"primary","sql-primary":"primary"}',
        { primary: "active", secondary: "passive" },
      ],
    ]);
    expect(r!.steps.at(-1)!.invariants.converged).toEqual({
      ok: true,
      detail: "holds",
      breaches: [],
    });
  });
});
