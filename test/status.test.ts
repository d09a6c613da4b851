import type { ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployingGoogleIdentity } from "../components/googleCalls";
import { FENCE_BLOB, fenceRecord } from "../components/fence";
import { platformConfig, steadyStateOutputs } from "../tools/plan/engine";
import { collectStatus, type StatusReport } from "../tools/status/collect";
import { pairTargets, parseStatusCli, statusClients } from "../tools/status/cli";
import { googleJson } from "../tools/status/google";
import { renderStatus } from "../tools/status/render";
import { exitStatus, verdict } from "../tools/status/report";
import type { StatusTargets } from "../tools/status/targets";
import { generateFleet } from "../tools/bench/fleet";
import { startAzurite, type Azurite } from "./azurite";
import {
  countingCredential,
  loopbackCertificate,
  loopbackServer,
  type LoopbackServer,
  type RecordedRequest,
} from "./loopback";

/**
 * The status command end to end, on the shipped config and the steady-state outputs of both
 * stacks: the lakes on two Azurite emulators (one per storage account), Cloud Storage and
 * Workflows on a loopback server shaped by their JSON API references, ARM on a loopback TLS
 * server shaped by the azure-rest-api-specs examples.
 */

const NOW = new Date("2026-11-22T12:00:00Z");
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

const deltaCommit = (version: number, committedAt: string) =>
  [
    JSON.stringify({
      commitInfo: {
        inCommitTimestamp: Date.parse(committedAt),
        timestamp: Date.parse(committedAt),
        operation: "WRITE",
        operationParameters: { mode: "Append", partitionBy: "[]" },
      },
    }),
    JSON.stringify({
      add: { path: `part-${version}.parquet`, size: 10, modificationTime: 0, dataChange: true },
    }),
  ].join("\n");

async function put(container: ContainerClient, path: string, text: string) {
  await container.getBlockBlobClient(path).upload(text, Buffer.byteLength(text));
}

/** The newest commit of each table (version, minutes ago) and the peer's ledger (source version cloned, minutes ago). */
const TABLES: Record<
  string,
  { path: string; newest: [number, number]; cloned?: [number, number] }
> = {
  "sales.orders": { path: "replicated/tables/sales/orders", newest: [12, 3], cloned: [12, 2] },
  "sales.customers": {
    path: "replicated/tables/sales/customers",
    newest: [5, 10],
    cloned: [3, 40],
  },
  "finance.invoices": { path: "replicated/tables/finance/invoices", newest: [2, 30] },
  "sales.daily_sales": {
    path: "replicated/tables/sales/daily_sales",
    newest: [7, 50],
    cloned: [7, 45],
  },
  "sales.partner_orders": {
    path: "replicated/tables/sales/partner_orders",
    newest: [1, 20],
    cloned: [1, 15],
  },
};

// Shaped as the references give them: Cloud Storage JSON API v1 objects.list (matchGlob, fields;
// https://cloud.google.com/storage/docs/json_api/v1/objects/list) and buckets.get (rpo,
// locationType, customPlacementConfig; https://cloud.google.com/storage/docs/json_api/v1/buckets),
// Workflow Executions v1 executions.list (view FULL: result, and endTime as an RFC 3339 string;
// https://cloud.google.com/workflows/docs/reference/executions/rest/v1/projects.locations.workflows.executions/list).
const BACKUPS = "acmedata-metastore-backups";
const MARKERS = [
  { name: "metastore/primary/b-1150/backup_metastore.json", timeCreated: ago(50) },
  { name: "metastore/primary/b-1140/backup_metastore.json", timeCreated: ago(20) },
  // Too young: a restore leaves it for the next run (BACKUP_MIN_AGE_MINUTES).
  { name: "metastore/primary/b-1158/backup_metastore.json", timeCreated: ago(2) },
];
const WORKFLOW =
  "projects/acmedata-platform-dr/locations/us-central1/workflows/acmedata-secondary-hms-restore";

function fakeGoogle(opts: { bucketStatus?: number } = {}) {
  return loopbackServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === `/storage/v1/b/${BACKUPS}/o`) {
      const prefix = url.searchParams.get("prefix") ?? "";
      if (url.searchParams.get("matchGlob"))
        return json(200, { kind: "storage#objects", items: MARKERS });
      // The complete backup holds service.json and avro/ files; b-1150 is complete too.
      const complete = /^metastore\/primary\/b-11(40|50)\/(service\.json|avro\/)$/.test(prefix);
      return json(200, { kind: "storage#objects", ...(complete && { items: [{ name: prefix }] }) });
    }
    const bucket = /^\/storage\/v1\/b\/([^/]+)$/.exec(url.pathname)?.[1];
    if (bucket) {
      if (opts.bucketStatus) return json(opts.bucketStatus, { error: { code: opts.bucketStatus } });
      return json(200, {
        name: bucket,
        location: "US",
        locationType: "dual-region",
        customPlacementConfig: { dataLocations: ["US-EAST1", "US-EAST4"] },
        // The backup bucket was switched to default replication by hand.
        rpo: bucket === BACKUPS ? "DEFAULT" : "ASYNC_TURBO",
      });
    }
    if (url.pathname === `/v1/${WORKFLOW}/executions`) {
      return json(200, {
        executions: [
          {
            name: `${WORKFLOW}/executions/e3`,
            state: "SUCCEEDED",
            endTime: ago(5),
            result: JSON.stringify({ skipped: "a restore started at ... is still running" }),
          },
          {
            name: `${WORKFLOW}/executions/e2`,
            state: "SUCCEEDED",
            endTime: ago(35),
            result: JSON.stringify({
              restored: `gs://${BACKUPS}/metastore/primary/b-1150/`,
              backupTime: ago(50),
              ageMinutes: 12,
              rpoBreached: false,
            }),
          },
        ],
      });
    }
    json(404, { error: { code: 404, message: `no route ${url.pathname}` } });
  });
}

/** ARM, answering every read the targets make; one paid tenant's link is still seeding. */
function fakeArm(tls: Awaited<ReturnType<typeof loopbackCertificate>>, targets: StatusTargets) {
  const inFlight = { now: 0, max: 0 };
  const geo = targets.sql.geoRestore.flatMap((s) => s.databases);
  const server = loopbackServer((req, res) => {
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    const path = req.url.split("?")[0]!;
    const json = (status: number, body: unknown) =>
      setTimeout(() => {
        inFlight.now--;
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(body));
      }, 2);
    const group = /\/servers\/([^/]+)\/failoverGroups\/([^/]+)$/.exec(path);
    if (group)
      return json(200, {
        id: path,
        name: group[2],
        properties: {
          replicationRole: "Primary",
          replicationState: "CATCH_UP",
          partnerServers: [
            { id: "/x/servers/peer", location: "Central US", replicationRole: "Secondary" },
          ],
          databases: [],
        },
      });
    const links = /\/servers\/([^/]+)\/databases\/([^/]+)\/replicationLinks$/.exec(path);
    if (links)
      return json(200, {
        value: [
          {
            id: `${path}/5b301b68`,
            name: "5b301b68",
            properties: {
              partnerServer: "acmedata-secondary-sql",
              role: "Primary",
              replicationState: links[2] === "tenant-fabrikam" ? "SEEDING" : "CATCH_UP",
              linkType: "GEO",
            },
          },
        ],
      });
    if (path.endsWith("/recoverableDatabases"))
      return json(200, {
        value: geo.map((name) => ({
          id: `${path}/${name}`,
          name,
          properties: { edition: "Standard", lastAvailableBackupDate: ago(35) },
        })),
      });
    json(404, { error: { code: "ResourceNotFound", message: path } });
  }, tls);
  return { server, inFlight };
}

describe("npm run status: the pair's recovery point, measured", () => {
  let azurite: Azurite;
  let google: LoopbackServer;
  let arm: Awaited<ReturnType<typeof fakeArm>["server"]>;
  let inFlight: { now: number; max: number };
  let targets: StatusTargets;
  let drilledSites: StatusTargets["sites"] = [];
  let tls: Awaited<ReturnType<typeof loopbackCertificate>>;

  const state = (epoch = 3) => {
    const outputs = (site: "primary" | "secondary") => {
      const o = steadyStateOutputs(site);
      return { ...o, deployment: { ...(o.deployment as object), epoch } };
    };
    return { primary: outputs("primary"), secondary: outputs("secondary") };
  };

  const clients = (googleOrigin = google.origin) =>
    statusClients(
      {
        blob: azurite.endpoint,
        arm: arm.origin,
        storage: googleOrigin,
        workflows: googleOrigin,
      },
      {
        azure: { credential: countingCredential().credential, tls: { ca: tls.cert } },
        google: deployingGoogleIdentity({ GOOGLE_OAUTH_ACCESS_TOKEN: "tok" }),
        lakeKey: () => azurite.key,
      },
      { requestTimeoutMs: 5_000, maxRetries: 1, retryDelayMs: 10 },
    );

  beforeAll(async () => {
    tls = await loopbackCertificate();
    targets = pairTargets(state(), ["primary", "secondary"]);
    // Each lake is its own storage account, as in Azure.
    azurite = await startAzurite(["acmedataprilake", "acmedataseclake"]);
    const source = await azurite.container("lake", "acmedataprilake");
    const target = await azurite.container("lake", "acmedataseclake");
    for (const [table, t] of Object.entries(TABLES)) {
      for (let v = 0; v <= t.newest[0]; v++)
        await put(
          source,
          `${t.path}/_delta_log/${String(v).padStart(20, "0")}.json`,
          deltaCommit(v, ago(t.newest[1] + (t.newest[0] - v))),
        );
      if (t.cloned)
        await put(
          target,
          `_paired-dr/replication/${table}.json`,
          JSON.stringify({
            name: table,
            site: "primary",
            epoch: 3,
            status: "cloned",
            checkedAt: ago(t.cloned[1]),
            sourceVersion: t.cloned[0],
            targetVersion: t.cloned[0] + 100,
            clonedAt: ago(t.cloned[1]),
          }),
        );
    }
    // sales.partner_orders: its ledger was never written, but its copy's newest commit is the clone.
    await target.getBlobClient("_paired-dr/replication/sales.partner_orders.json").delete();
    await put(
      target,
      `${TABLES["sales.partner_orders"]!.path}/_delta_log/${"4".padStart(20, "0")}.json`,
      JSON.stringify({
        commitInfo: {
          inCommitTimestamp: Date.parse(ago(15)),
          operation: "CLONE",
          // As Delta writes it: the source a JSON string, the version a JSON number.
          operationParameters: { source: "delta.`abfss://...`", sourceVersion: 1 },
        },
      }),
    );
    await put(source, FENCE_BLOB, fenceRecord("primary", "active", 3));
    // The secondary's record lags: its last deployment did not get to write epoch 3.
    await put(target, FENCE_BLOB, fenceRecord("secondary", "passive", 2));
    google = await fakeGoogle();
    const a = fakeArm(tls, targets);
    arm = await a.server;
    inFlight = a.inFlight;
  });
  afterAll(async () => {
    google?.close();
    arm?.close();
    await azurite?.close();
  });

  const run = (over: Partial<Parameters<typeof collectStatus>[2]> = {}, c = clients()) =>
    collectStatus(targets, c, {
      now: NOW,
      concurrency: 4,
      sourceTimeoutMs: 20_000,
      bounds: { requestTimeoutMs: 5_000, maxRetries: 1, retryDelayMs: 10 },
      requireSynced: false,
      ...over,
    });

  it("reads the targets from the config and the deployed outputs", () => {
    expect(targets.active).toBe("primary");
    expect(targets.lake.source).toEqual({ account: "acmedataprilake", container: "lake" });
    expect(targets.lake.target).toEqual({ account: "acmedataseclake", container: "lake" });
    expect(targets.lake.tables.map((t) => t.table)).toEqual(Object.keys(TABLES));
    expect(targets.lake.notProtected).toEqual(["marts.sales_daily"]);
    expect(targets.metastore).toEqual({
      standby: "hot",
      bucket: BACKUPS,
      prefix: "metastore/primary/",
      restoreWorkflow: WORKFLOW,
    });
    expect(targets.sql.groups.map((g) => [g.group, g.server, g.databases.length])).toEqual([
      ["acmedata-primary-fg-mgmt", "acmedata-primary-sql", 3],
      ["acmedata-primary-fg-paid-01", "acmedata-primary-sql", 20],
      ["acmedata-primary-fg-paid-02", "acmedata-primary-sql", 20],
    ]);
    expect(targets.sql.geoRestore.map((s) => [s.server, s.databases.length])).toEqual([
      ["acmedata-primary-sql", 20],
    ]);
    expect(targets.gcs.buckets).toEqual({
      "acmedata-hive-warehouse": true,
      [BACKUPS]: true,
    });
    expect(targets.sites.map((x) => [x.site, x.lastDrill])).toEqual([
      ["primary", null],
      ["secondary", null],
    ]);
  });

  it("shows each site's last drill, as its outputs keep it after the drill is off", () => {
    const s = state();
    const lastDrill = {
      id: "2026-11",
      at: "2026-11-23T10:31:30.000Z",
      verdict: "fail",
      rpoMinutes: { metastore: 20, lake: null },
      rtoMinutes: 12,
    };
    const drilled = {
      ...s.secondary!,
      deployment: { ...(s.secondary!.deployment as object), lastDrill },
    };
    const t = pairTargets({ ...s, secondary: drilled }, ["primary", "secondary"]);
    expect(t.sites.map((x) => [x.site, x.lastDrill])).toEqual([
      ["primary", null],
      ["secondary", lastDrill],
    ]);
    drilledSites = t.sites;
  });

  it("reads a drained pair from the site that stood down, without a problem: a planned switchover between its drain and the promotion", () => {
    const s = state();
    const drainedOutputs = {
      ...s.primary,
      deployment: {
        ...(s.primary.deployment as object),
        role: "passive",
        finalSync: {
          key: "drain-primary-e3",
          epoch: 3,
          jobs: ["replicate-sales-orders"],
          tables: {},
          metastoreBackup: "projects/p/locations/us-central1/services/s/backups/drain-primary-e3",
        },
      },
    };
    const drained = pairTargets({ ...s, primary: drainedOutputs }, ["primary", "secondary"]);
    expect([drained.active, drained.measured, drained.problems, drained.drained]).toEqual([
      null,
      { from: "primary", to: "secondary" },
      [],
      {
        site: "primary",
        metastoreBackup: "projects/p/locations/us-central1/services/s/backups/drain-primary-e3",
      },
    ]);
    expect(drained.sql.linkedSwitchover).toBe(true);
    // A final sync of an earlier period (an older epoch) is no drain of this one.
    const older = {
      ...drainedOutputs,
      deployment: {
        ...drainedOutputs.deployment,
        finalSync: { ...drainedOutputs.deployment.finalSync, epoch: 2 },
      },
    };
    const stale = pairTargets({ ...s, primary: older }, ["primary", "secondary"]);
    expect([stale.drained, stale.problems]).toEqual([
      null,
      ["no stack's outputs say active; reading as configured (primary active)"],
    ]);
    expect(targets.drained).toBe(null);
  });

  let report: StatusReport;
  it("reports each class's loss now against its target, and the list of what is unsynced", async () => {
    report = await run();
    const byClass = Object.fromEntries(report.classes.map((c) => [c.dataClass, c]));
    expect(byClass.lake).toEqual({
      dataClass: "lake",
      targetMinutes: 60,
      // finance.invoices was never cloned: everything it holds would be lost.
      lossMinutes: Number.POSITIVE_INFINITY,
      unsynced: ["sales.customers", "finance.invoices"],
      errors: [],
    });
    expect(report.lake.tables.find((t) => t.table === "sales.customers")).toMatchObject({
      sourceVersion: 5,
      clonedVersion: 3,
      versionsBehind: 2,
      // From version 4, the first the copy lacks (11 minutes ago), not the clone's time (40).
      minutesBehind: 11,
      note: "last run: cloned",
    });
    expect(report.lake.tables.find((t) => t.table === "sales.partner_orders")).toMatchObject({
      clonedVersion: 1,
      clonedAt: ago(15),
      synced: true,
    });
    expect(byClass.metastore).toEqual({
      dataClass: "metastore",
      targetMinutes: 60,
      lossMinutes: 20,
      unsynced: [
        `changes after gs://${BACKUPS}/metastore/primary/b-1140/ (20 min old) are in no backup yet`,
        `the standby holds gs://${BACKUPS}/metastore/primary/b-1150/ (50 min old), not the newest backup gs://${BACKUPS}/metastore/primary/b-1140/`,
      ],
      errors: [],
    });
    expect(byClass.sql).toEqual({
      dataClass: "sql",
      targetMinutes: 1,
      lossMinutes: Number.POSITIVE_INFINITY,
      unsynced: ["tenant-fabrikam"],
      errors: [],
    });
    expect(byClass["sql-geo-restore"]).toMatchObject({
      targetMinutes: 60,
      lossMinutes: 35,
      errors: [],
    });
    expect(byClass["sql-geo-restore"]!.unsynced).toHaveLength(20);
    expect(byClass.gcs).toEqual({
      dataClass: "gcs",
      targetMinutes: 15,
      lossMinutes: 720,
      unsynced: [`${BACKUPS}: rpo DEFAULT, declared ASYNC_TURBO`],
      errors: [],
    });
    expect(report.fences.map((f) => [f.site, f.agrees])).toEqual([
      ["primary", true],
      ["secondary", false],
    ]);
    expect(report.problems).toEqual([
      "fence of secondary: the record says passive at epoch 2; the stack's outputs say passive at epoch 3",
    ]);
    // The records disagree: the status cannot vouch for the pair.
    expect(report.exit).toBe(1);
  });

  it("keeps requests in flight within the bound", () => {
    expect(inFlight.max).toBeLessThanOrEqual(4);
    // One read per group and per paid database's links, one listing of recoverable databases.
    expect(arm.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("is over (exit 4) when the records agree and a class is over its target", async () => {
    const r = await run({}, clients());
    const agreeing = { ...r, problems: [] };
    expect(agreeing.classes.map((c) => c.dataClass)).toEqual([
      "lake",
      "metastore",
      "sql",
      "sql-geo-restore",
      "gcs",
    ]);
    expect(exitStatus(r.classes, { requireSynced: false })).toBe(4);
  });

  it("keeps every table it read when another table's read fails", async () => {
    const target = await azurite.container("lake", "acmedataseclake");
    const ledger = "_paired-dr/replication/sales.daily_sales.json";
    const kept = (await target.getBlobClient(ledger).downloadToBuffer()).toString();
    await put(target, ledger, "{not json");
    try {
      const r = await run();
      const lake = r.classes.find((c) => c.dataClass === "lake")!;
      expect(lake.errors).toEqual([
        "ledger of sales.daily_sales in acmedataseclake: read: _paired-dr/replication/sales.daily_sales.json: not JSON",
      ]);
      expect(r.lake.tables.map((t) => t.table)).toEqual([
        "sales.orders",
        "sales.customers",
        "finance.invoices",
        "sales.partner_orders",
      ]);
      // What was read is already over: the class is over, not unknown.
      expect(verdict(lake)).toBe("over");
    } finally {
      await put(target, ledger, kept);
    }
  });

  it("bounds each blob read's attempts itself: a silent lake fails after its retries, not at the source's limit", async () => {
    const silent = await loopbackServer(() => undefined);
    try {
      const c = statusClients(
        {
          blob: `${silent.origin}/{account}`,
          arm: arm.origin,
          storage: google.origin,
          workflows: google.origin,
        },
        {
          azure: { credential: countingCredential().credential, tls: { ca: tls.cert } },
          google: deployingGoogleIdentity({ GOOGLE_OAUTH_ACCESS_TOKEN: "tok" }),
          lakeKey: () => azurite.key,
        },
      );
      const r = await run(
        {
          bounds: { requestTimeoutMs: 200, maxRetries: 1, retryDelayMs: 10 },
          sourceTimeoutMs: 60_000,
        },
        c,
      );
      const lake = r.classes.find((c) => c.dataClass === "lake")!;
      // Each table's log and ledger, each given up after two attempts; no fence read either.
      expect(lake.errors).toHaveLength(10);
      for (const e of lake.errors) expect(e).toMatch(/: read: .* \(2 attempts\)$/);
      expect(r.fences).toEqual([]);
      expect(r.problems.filter((p) => p.startsWith("fence record in"))).toHaveLength(2);
    } finally {
      silent.close();
    }
  });

  it("names a source it cannot read, and reports the rest (exit 1)", async () => {
    const down = await fakeGoogle({ bucketStatus: 403 });
    try {
      const r = await run({}, clients(down.origin));
      const gcs = r.classes.find((c) => c.dataClass === "gcs")!;
      expect(gcs.errors).toEqual([
        expect.stringMatching(
          /^bucket acmedata-hive-warehouse: GET \/storage\/v1\/b\/acmedata-hive-warehouse: HTTP 403/,
        ),
        expect.stringMatching(/^bucket acmedata-metastore-backups: GET .*HTTP 403/),
      ]);
      // A 403 is not retried; the metastore and the lake are still reported.
      expect(
        down.requests.filter((q: RecordedRequest) =>
          q.url.startsWith("/storage/v1/b/acmedata-hive-warehouse?"),
        ),
      ).toHaveLength(1);
      expect(r.classes.find((c) => c.dataClass === "metastore")!.lossMinutes).toBe(20);
      expect(r.exit).toBe(1);
    } finally {
      down.close();
    }
  });

  it("renders text, markdown and JSON from the same report", () => {
    expect(renderStatus({ ...report, sites: drilledSites }, "text")).toMatch(
      /^secondary .* 2026-11 at 2026-11-23T10:31:30\.000Z: FAIL \(RTO 12 min, RPO metastore 20 min\)$/m,
    );
    const text = renderStatus(report, "text");
    expect(text).toContain(
      "Active site: primary; measured from primary to secondary. Exit 1: some source could not be read, or the pair's records disagree.",
    );
    expect(text).toMatch(/^lake\s+60 min\s+unbounded\s+over\s+2 unsynced, 0 unreadable$/m);
    expect(text).toMatch(/^metastore\s+60 min\s+20 min\s+ok\s+2 unsynced, 0 unreadable$/m);
    expect(text).toMatch(
      /^standby's last restore\s+gs:\/\/\S+\/b-1150\/\s+\S+ \(restored \S+\)\s+50 min$/m,
    );
    expect(text).toContain(
      "- lake: marts.sales_daily (not protected: rebuildable scratch, nothing replicates it)",
    );
    // Ten per class in text; JSON lists them all.
    expect(text).toContain("- sql-geo-restore: ... and 10 more (--format json lists them all)");
    const md = renderStatus(report, "markdown");
    expect(md).toContain("| lake | 60 min | unbounded | over | 2 unsynced, 0 unreadable |");
    const json = JSON.parse(renderStatus(report, "json"));
    expect(json.classes[0].lossMinutes).toBe("unbounded");
    expect(json.exit).toBe(1);
    expect(json.unsynced).toContain("lake: finance.invoices");
    expect(json.unsynced.filter((u: string) => u.startsWith("sql-geo-restore:"))).toHaveLength(20);
  });
});

describe("the status of a 5,000-tenant fleet", () => {
  it("is read with a bounded number of requests in flight", async () => {
    const tls = await loopbackCertificate();
    const sql = JSON.parse(JSON.stringify(platformConfig("primary").sql));
    const sets = [`sql=${JSON.stringify({ ...sql, tenants: generateFleet(5000) })}`];
    const outputs = (site: "primary" | "secondary") => {
      const o = steadyStateOutputs(site, { sets });
      return { ...o, deployment: { ...(o.deployment as object), epoch: 1 } };
    };
    const targets = pairTargets(
      { primary: outputs("primary"), secondary: outputs("secondary") },
      ["primary", "secondary"],
      { sets },
    );
    const databases = targets.sql.groups.reduce((n, g) => n + g.databases.length, 0);
    const geo = targets.sql.geoRestore.reduce((n, s) => n + s.databases.length, 0);
    expect([databases, geo]).toEqual([1003, 4000]);
    const { server, inFlight } = fakeArm(tls, targets);
    const arm = await server;
    try {
      const clients = statusClients(
        {
          blob: "http://127.0.0.1:1/{account}",
          arm: arm.origin,
          storage: "http://127.0.0.1:1",
          workflows: "http://127.0.0.1:1",
        },
        {
          azure: { credential: countingCredential().credential, tls: { ca: tls.cert } },
          google: deployingGoogleIdentity({ GOOGLE_OAUTH_ACCESS_TOKEN: "tok" }),
        },
        { requestTimeoutMs: 10_000, maxRetries: 0, retryDelayMs: 10 },
      );
      const started = performance.now();
      const r = await collectStatus(
        { ...targets, lake: { ...targets.lake, tables: [] }, sites: [] },
        { ...clients, storage: async () => ({}) as never, lastRestore: async () => null },
        {
          now: NOW,
          concurrency: 8,
          sourceTimeoutMs: 60_000,
          bounds: { requestTimeoutMs: 10_000, maxRetries: 0, retryDelayMs: 10 },
          requireSynced: false,
        },
      );
      const seconds = (performance.now() - started) / 1000;
      // One read per group, one links listing per database in a group, one listing of the
      // recoverable databases per server that holds tenants without a replica.
      expect(arm.requests).toHaveLength(
        targets.sql.groups.length + databases + targets.sql.geoRestore.length,
      );
      expect(inFlight.max).toBeLessThanOrEqual(8);
      const geoClass = r.classes.find((c) => c.dataClass === "sql-geo-restore")!;
      expect([geoClass.lossMinutes, geoClass.errors]).toEqual([35, []]);
      console.info(
        `status of a 5,000-tenant fleet: ${arm.requests.length} ARM requests, at most ${inFlight.max} in flight, ${seconds.toFixed(1)} s against the loopback ARM`,
      );
    } finally {
      arm.close();
    }
  });
});

describe("Google reads: bounded, retried, never redirected", () => {
  const access = deployingGoogleIdentity({ GOOGLE_OAUTH_ACCESS_TOKEN: "tok" });
  const bounds = { requestTimeoutMs: 300, maxRetries: 2, retryDelayMs: 5 };

  it("retries a 503 and a 429, signs each attempt, and gives up after its retries", async () => {
    const answers = [503, 429, 200];
    const api = await loopbackServer((_req, res) => {
      const status = answers.shift() ?? 503;
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(status === 200 ? { name: "b" } : { error: { code: status } }));
    });
    try {
      expect(await googleJson(access, api.origin, bounds)("/storage/v1/b/b")).toEqual({
        name: "b",
      });
      expect(api.requests.map((r) => r.auth)).toEqual(["Bearer tok", "Bearer tok", "Bearer tok"]);
      await expect(googleJson(access, api.origin, bounds)("/storage/v1/b/b")).rejects.toThrow(
        /^GET \/storage\/v1\/b\/b: HTTP 503: .* \(3 attempts\)$/,
      );
      expect(api.requests).toHaveLength(6);
    } finally {
      api.close();
    }
  });

  it("refuses a redirect, and fails a silent socket within its limit", async () => {
    const api = await loopbackServer((req, res) => {
      if (req.url.startsWith("/silent")) return;
      res.writeHead(302, { Location: "http://127.0.0.1:1/elsewhere" });
      res.end();
    });
    try {
      await expect(
        googleJson(access, api.origin, { ...bounds, maxRetries: 0 })("/storage/v1/b/b"),
      ).rejects.toThrow("HTTP 302 redirect to http://127.0.0.1:1/elsewhere refused");
      await expect(googleJson(access, api.origin, bounds)("/silent")).rejects.toThrow(
        /\(3 attempts\)$/,
      );
    } finally {
      api.close();
    }
  });
});

describe("the status command's arguments", () => {
  it("takes the documented flags", () => {
    expect(
      parseStatusCli(["--stack", "secondary", "--format", "json", "--require-synced"]),
    ).toMatchObject({
      sites: ["secondary"],
      format: "json",
      requireSynced: true,
      concurrency: 16,
      timeoutSeconds: 120,
    });
  });
  it.each([
    [["--stack", "dr2"], '--stack "dr2": allowed: primary, secondary'],
    [["--format", "xml"], '--format "xml": allowed: text, json, markdown'],
    [["--concurrency", "0"], '--concurrency "0": allowed: a whole number from 1 to 64'],
    [
      ["--endpoint", "blob=http://127.0.0.1:1"],
      "--endpoint blob=http://127.0.0.1:1: must hold {account}",
    ],
    [
      ["--endpoint", "dfs=http://x"],
      '--endpoint "dfs=http://x": allowed: NAME=URL with NAME one of blob, arm, storage, workflows',
    ],
  ])("refuses %j", (argv, message) => {
    expect(() => parseStatusCli(argv)).toThrow(message);
  });
});
