import { describe, expect, it } from "vitest";
import { parsePlatformConfig } from "../config/load";
import type { SqlSpec } from "../config/sqlSchema";
import {
  chunkTenants,
  creatableGroups,
  failoverGroups,
  holdableGroups,
  holdFailover,
  keepsLinkedCopies,
  linkHolds,
  recordedSql,
  releaseAllowed,
  releaseNow,
  releasePhase,
  releaseOptions,
  recordedRecoveryMode,
  laneBefore,
  sqlRelease,
  planSql,
  recoveryMode,
  reprotectRoomProblems,
  reprotectTenants,
  unreplicatedTenants,
  restoreLanes,
  restoreWaves,
  sqlPlacement,
  sqlTransition,
} from "../components/sql/plan";
import { diffPlans } from "../tools/plan/diff";
import { planStack, steadyStateOutputs, type StackPlan } from "../tools/plan/engine";
import { parseLastDeployment } from "../components/lastDeployment";
import { generateFleet } from "../tools/bench/fleet";
import {
  REPO,
  sequence,
  byType,
  findResource,
  problemsAfter,
  validRaw,
  planSteady,
} from "./helpers";

const DB = "azure-native:sql:Database";
const POOL = "azure-native:sql:ElasticPool";
const FG = "azure-native:sql:FailoverGroup";
const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
/** The failover holds (other dynamic resources share their type). */
const holdsOf = (plan: StackPlan) =>
  byType(plan.resources, DYNAMIC).filter((r) => r.name.startsWith("sql-hold-"));
const linksOf = (plan: StackPlan) =>
  byType(plan.resources, DYNAMIC).filter((r) => r.name.startsWith("sql-link-"));
const SUB = "/subscriptions/5b0e2c3a-8f1d-4c6e-9a7b-2d4f6e8a0c1e/resourceGroups";

const shipped = (): SqlSpec => parsePlatformConfig(validRaw(), REPO).sql;
const withSql = (change: (s: Record<string, any>) => void) => {
  const raw = validRaw();
  change(raw.sql);
  return [`sql=${JSON.stringify(raw.sql)}`];
};
/** The shipped tenants, homed alternately for the geo-distributed strategy. */
const geoDistributed = (s: Record<string, any>) => {
  s.strategy = "geo-distributed";
  let paid = 0;
  for (const t of s.tenants) if (t.tier === "paid" && paid++ % 2 === 1) t.home = "secondary";
};

describe("sql config", () => {
  const problems = (change: (s: Record<string, any>) => void) => problemsAfter("sql", change);

  it("rejects a duplicate tenant", () => {
    expect(problems((s) => (s.tenants[1].id = "contoso"))).toEqual([
      `paired-dr:sql.tenants.1.id: duplicate tenant "contoso" (also tenants[0]); tenant IDs must be unique (given: "contoso")`,
    ]);
  });

  it("rejects a secondary home outside geo-distributed, and a trial tenant homed on secondary", () => {
    expect(problems((s) => (s.tenants[0].home = "secondary"))).toEqual([
      `paired-dr:sql.tenants.0.home: only the geo-distributed strategy homes tenants on the secondary site (strategy: tiered) (given: "secondary")`,
    ]);
    expect(
      problems((s) => {
        geoDistributed(s);
        s.tenants[59].home = "secondary";
      }),
    ).toEqual([
      `paired-dr:sql.tenants.59.home: trial tenants live on the primary site and are geo-restored on promotion (given: "secondary")`,
    ]);
  });

  it("rejects a geo-distributed split that is not half and half, naming the counts", () => {
    expect(problems((s) => (s.strategy = "geo-distributed"))).toEqual([
      `paired-dr:sql.tenants: geo-distributed keeps half the paid primaries on each site; 40 are homed on primary and 0 on secondary (given: "40 + 0")`,
    ]);
  });

  it("rejects a forced failover without the data-loss acknowledgment", () => {
    expect(problems((s) => (s.failover.mode = "forced"))).toEqual([
      `paired-dr:sql.failover.acknowledgeDataLoss: forced failover (forceFailoverAllowDataLoss) can lose the last writes; set acknowledgeDataLoss: true to accept (given: false)`,
    ]);
  });

  it("takes a release as false, retain or delete: true no longer says what happens to the data", () => {
    expect(problems((s) => (s.releaseRecoveredDatabases = true))).toEqual([
      `paired-dr:sql.releaseRecoveredDatabases: must be false, "retain" | "delete" (retain: out of the stacks, kept in Azure; delete: deleted) (given: true)`,
    ]);
    for (const mode of ["retain", "delete", false] as const) {
      const raw = validRaw();
      raw.sql.releaseRecoveredDatabases = mode;
      expect(parsePlatformConfig(raw, REPO).sql.releaseRecoveredDatabases).toBe(mode);
    }
  });

  it("rejects groups smaller than the seed's 20, a grace period under 60 minutes, and bad pool sizes", () => {
    expect(
      problems((s) => {
        s.failoverGroups.databasesPerGroup = 10;
        s.failoverGroups.gracePeriodMinutes = 30;
        s.pools.paid.capacity = 7;
        s.pools.trial.passiveCapacity = 8;
      }),
    ).toEqual([
      `paired-dr:sql.pools.paid.capacity: not a General Purpose Gen5 pool size; allowed: 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 32, 40, 80 (vCores) (given: 7)`,
      `paired-dr:sql.pools.trial.passiveCapacity: must not exceed capacity (4) (given: 8)`,
      `paired-dr:sql.failoverGroups.databasesPerGroup: too small; allowed: a whole number of databases from 20 to 1000 (given: 10)`,
      `paired-dr:sql.failoverGroups.gracePeriodMinutes: too small; allowed: a whole number of minutes from 60 to 1440 (given: 30)`,
    ]);
  });
});

describe("failover groups", () => {
  it("chunks in catalog order, folding a remainder under 20 into the group before", () => {
    const ids = Array.from({ length: 95 }, (_, i) => i);
    expect(chunkTenants(ids, 40).map((g) => g.length)).toEqual([40, 55]);
    expect(chunkTenants(ids, 20).map((g) => g.length)).toEqual([20, 20, 20, 35]);
    expect(chunkTenants(ids.slice(0, 12), 20).map((g) => g.length)).toEqual([12]);
    expect(chunkTenants(ids, 40)[1]![0]).toBe(40);
  });

  it("tiered: an automatic management group with a 60-minute grace, and manual groups of paid tenants", () => {
    const groups = failoverGroups(shipped(), "acmedata");
    expect(
      groups.map((g) => [g.name, g.home, g.policy, g.gracePeriodMinutes, g.databases.length]),
    ).toEqual([
      ["acmedata-primary-fg-mgmt", "primary", "Automatic", 60, 3],
      ["acmedata-primary-fg-paid-01", "primary", "Manual", undefined, 20],
      ["acmedata-primary-fg-paid-02", "primary", "Manual", undefined, 20],
    ]);
    expect(groups[0]!.databases).toEqual(["catalog", "profiles-security", "usage"]);
    expect(groups[1]!.databases.slice(0, 2)).toEqual(["tenant-contoso", "tenant-fabrikam"]);
  });

  it("geo-distributed: groups in both directions, each failing over on its own", () => {
    const raw = validRaw();
    geoDistributed(raw.sql);
    const groups = failoverGroups(parsePlatformConfig(raw, REPO).sql, "acmedata");
    expect(groups.map((g) => [g.name, g.home, g.policy, g.databases.length])).toEqual([
      ["acmedata-primary-fg-mgmt", "primary", "Automatic", 3],
      ["acmedata-primary-fg-paid-01", "primary", "Automatic", 20],
      ["acmedata-secondary-fg-paid-01", "secondary", "Automatic", 20],
    ]);
  });

  it("budget: only the management group", () => {
    expect(
      failoverGroups({ ...shipped(), strategy: "budget" }, "acmedata").map((g) => g.name),
    ).toEqual(["acmedata-primary-fg-mgmt"]);
  });
});

describe("planSql in both roles", () => {
  const summary = (
    spec: SqlSpec,
    site: "primary" | "secondary",
    role: "active" | "passive",
    recovered = false,
  ) => {
    const p = planSql(spec, "acmedata", site, role, recovered);
    return {
      pools: p.pools.map((x) => `${x.name}:${x.capacity}`),
      databases: p.databases.length,
      management: p.managementDatabases.length,
      owned: p.failoverGroups.map((g) => g.name),
      holds: p.holds,
      recovery: p.recovery
        ? `${[...new Set(p.recovery.databases.map((d) => d.pool))].join("+")}:${p.recovery.databases.length}`
        : null,
    };
  };
  const tiered = shipped();
  const fgs = [
    "acmedata-primary-fg-mgmt",
    "acmedata-primary-fg-paid-01",
    "acmedata-primary-fg-paid-02",
  ];

  it("tiered", () => {
    expect(summary(tiered, "primary", "active")).toEqual({
      pools: ["paid:8", "trial:4"],
      databases: 60,
      management: 3,
      owned: fgs,
      holds: fgs,
      recovery: null,
    });
    expect(summary(tiered, "secondary", "passive")).toEqual({
      pools: ["paid:4"],
      databases: 0,
      management: 0,
      owned: [],
      holds: [],
      recovery: null,
    });
    expect(summary(tiered, "primary", "passive")).toEqual({
      pools: ["paid:4", "trial:4"],
      databases: 60,
      management: 3,
      owned: fgs,
      holds: [],
      recovery: null,
    });
    expect(summary(tiered, "secondary", "active")).toEqual({
      pools: ["paid:8", "trial:4"],
      databases: 0,
      management: 0,
      owned: [],
      holds: fgs,
      recovery: "trial:20",
    });
  });

  // Docs (active-geo-replication-overview, "scale"): scale a geo-secondary down only after its
  // primaries left. Standing down, the primary still serves them until the peer's promotion.
  it("tiered: a demoted site keeps its paid pool until its groups have left", () => {
    const standingDown = planSql(tiered, "acmedata", "primary", "passive", false, true);
    expect(standingDown.pools.map((x) => `${x.name}:${x.capacity}`)).toEqual(["paid:8", "trial:4"]);
    expect(standingDown.holds).toEqual([]);
    const afterPeerPromotion = planSql(tiered, "acmedata", "primary", "passive", false, false);
    expect(afterPeerPromotion.pools.map((x) => `${x.name}:${x.capacity}`)).toEqual([
      "paid:4",
      "trial:4",
    ]);
  });

  // Azure geo-restores at most 4 databases at once per pool (DESIGN, facts checked): pools
  // restore side by side, so the fullest pool sets the number of waves.
  it("geo-restores in lanes of 4 per pool, as many waves as the fullest pool needs", () => {
    expect(restoreLanes(9)).toEqual([undefined, undefined, undefined, undefined, 0, 1, 2, 3, 4]);
    const at = (server: number, pool: string, n: number) =>
      Array.from({ length: n }, () => ({ server, pool }));
    expect(restoreWaves([])).toBe(0);
    expect(restoreWaves(at(0, "trial", 20))).toBe(5);
    expect(
      restoreWaves([...at(0, "trial", 200), ...at(0, "trial-02", 9), ...at(1, "trial", 200)]),
    ).toBe(50);
    const recovery = planSql(tiered, "acmedata", "secondary", "active", false).recovery!;
    expect(restoreWaves(recovery.databases)).toBe(5);
  });

  it("tiered: after failback the recovered trial databases stay until released", () => {
    expect(summary(tiered, "secondary", "passive", true).recovery).toBe("trial:20");
    // Left out only by a release's drop (releasePhase), whatever the config says.
    expect(
      summary({ ...tiered, releaseRecoveredDatabases: "delete" }, "secondary", "passive", true)
        .recovery,
    ).toBe("trial:20");
    expect(
      planSql(tiered, "acmedata", "secondary", "passive", true, false, undefined, true).recovery,
    ).toBeUndefined();
  });

  it("budget", () => {
    const budget = { ...tiered, strategy: "budget" as const };
    expect(summary(budget, "primary", "active")).toEqual({
      pools: ["tenants:8"],
      databases: 60,
      management: 3,
      owned: ["acmedata-primary-fg-mgmt"],
      holds: ["acmedata-primary-fg-mgmt"],
      recovery: null,
    });
    expect(summary(budget, "secondary", "passive")).toEqual({
      pools: [],
      databases: 0,
      management: 0,
      owned: [],
      holds: [],
      recovery: null,
    });
    expect(summary(budget, "secondary", "active")).toEqual({
      pools: ["tenants:8"],
      databases: 0,
      management: 0,
      owned: [],
      holds: ["acmedata-primary-fg-mgmt"],
      recovery: "tenants:60",
    });
  });

  it("geo-distributed: each site serves its half; the promoted site takes every group", () => {
    const raw = validRaw();
    geoDistributed(raw.sql);
    const geo = parsePlatformConfig(raw, REPO).sql;
    const p = ["acmedata-primary-fg-mgmt", "acmedata-primary-fg-paid-01"];
    const s = ["acmedata-secondary-fg-paid-01"];
    expect(summary(geo, "primary", "active")).toEqual({
      pools: ["paid:8", "trial:4"],
      databases: 40,
      management: 3,
      owned: p,
      holds: p,
      recovery: null,
    });
    expect(summary(geo, "secondary", "passive")).toEqual({
      pools: ["paid:8"],
      databases: 20,
      management: 0,
      owned: s,
      holds: s,
      recovery: null,
    });
    expect(summary(geo, "primary", "passive")).toEqual({
      pools: ["paid:8", "trial:4"],
      databases: 40,
      management: 3,
      owned: p,
      holds: [],
      recovery: null,
    });
    expect(summary(geo, "secondary", "active")).toEqual({
      pools: ["paid:8", "trial:4"],
      databases: 20,
      management: 0,
      owned: s,
      holds: [...p, ...s],
      recovery: "trial:20",
    });
  });
});

describe("the ElasticPoolPair in the program", () => {
  it("builds an Entra-only, TLS 1.2, private server and the failover groups that create the secondaries", async () => {
    const [primary] = await sequence("primary", [false]);
    const server = findResource(primary!.resources, "azure-native:sql:Server", "sql-server");
    expect(server.inputs).toMatchObject({
      serverName: "acmedata-primary-sql",
      minimalTlsVersion: "1.2",
      publicNetworkAccess: "Disabled",
      administrators: {
        administratorType: "ActiveDirectory",
        azureADOnlyAuthentication: true,
        login: "sql-dr-admins",
        sid: "8d3c6b2a-1f4e-4a7d-9c5b-3e2f1a0d9b8c",
        principalType: "Group",
      },
    });
    expect(
      "administratorLogin" in server.inputs || "administratorLoginPassword" in server.inputs,
    ).toBe(false);
    // Create-only in the REST spec (Servers.json 2021-11-01, administrators: read, create): set
    // at creation, then managed by the two resources below.
    expect(server.options.ignoreChanges).toEqual(["administrators"]);
    const admin = findResource(
      primary!.resources,
      "azure-native:sql:ServerAzureADAdministrator",
      "sql-entra-admin",
    );
    expect(admin.inputs).toEqual({
      resourceGroupName: "acmedata-primary-sql-rg",
      serverName: "acmedata-primary-sql",
      administratorName: "ActiveDirectory",
      administratorType: "ActiveDirectory",
      login: "sql-dr-admins",
      sid: "8d3c6b2a-1f4e-4a7d-9c5b-3e2f1a0d9b8c",
      tenantId: "9c1f3e5a-7b2d-4f8e-a6c4-1e3b5d7f9a2c",
    });
    expect(admin.dependencies).toContain(server.urn);
    const only = findResource(
      primary!.resources,
      "azure-native:sql:ServerAzureADOnlyAuthentication",
      "sql-entra-only",
    );
    expect(only.inputs).toEqual({
      resourceGroupName: "acmedata-primary-sql-rg",
      serverName: "acmedata-primary-sql",
      authenticationName: "Default",
      azureADOnlyAuthentication: true,
    });
    // Entra-only needs the administrator first.
    expect(only.dependencies).toEqual(expect.arrayContaining([server.urn, admin.urn]));
    for (const r of [admin, only]) expect(r.options.protect).toBe(true);
    const mgmt = findResource(primary!.resources, FG, "sql-acmedata-primary-fg-mgmt");
    expect(mgmt.inputs).toMatchObject({
      failoverGroupName: "acmedata-primary-fg-mgmt",
      partnerServers: [
        {
          id: `${SUB}/acmedata-secondary-sql-rg/providers/Microsoft.Sql/servers/acmedata-secondary-sql`,
        },
      ],
      databases: ["catalog", "profiles-security", "usage"].map(
        (d) =>
          `${SUB}/acmedata-primary-sql-rg/providers/Microsoft.Sql/servers/acmedata-primary-sql/databases/${d}`,
      ),
      readWriteEndpoint: {
        failoverPolicy: "Automatic",
        failoverWithDataLossGracePeriodMinutes: 60,
      },
    });
    expect(byType(primary!.resources, FG)).toHaveLength(3);
    // 3 management + 60 tenant databases; no secondary is registered anywhere.
    expect(byType(primary!.resources, DB)).toHaveLength(63);
    // Geo-restore needs geo-redundant backups (recovery-using-backups.md): stated on every tenant
    // without a replica, so that no default or policy elsewhere decides it.
    const redundancy = (name: string) =>
      findResource(primary!.resources, DB, name).inputs.requestedBackupStorageRedundancy;
    expect(["sql-db-aurora", "sql-db-lincoln"].map(redundancy)).toEqual(["Geo", "Geo"]);
    expect(["sql-db-contoso", "sql-db-catalog"].map(redundancy)).toEqual([undefined, undefined]);
    expect(
      byType(primary!.resources, DB).filter(
        (d) => d.inputs.requestedBackupStorageRedundancy === "Geo",
      ),
    ).toHaveLength(20);
    const [secondary] = await sequence("secondary", [false]);
    expect(byType(secondary!.resources, DB)).toEqual([]);
    expect(
      byType(secondary!.resources, POOL).map((p) => [
        p.inputs.elasticPoolName,
        (p.inputs.sku as { capacity: number }).capacity,
      ]),
    ).toEqual([["paid", 4]]);
  });

  // Public network access is disabled (Servers.json publicNetworkAccess): nothing reaches the
  // server but through a private endpoint. One privatelink zone for the pair, linked to both VNets,
  // holds both endpoints' records, so a failover group's listener resolves on either side after a
  // failover (sql-docs, private-endpoint-overview; Azure private endpoint DNS zone values).
  it("reaches each server through a private endpoint, with one privatelink zone for the pair", async () => {
    const zone = `${SUB}/acmedata-primary-sql-rg/providers/Microsoft.Network/privateDnsZones/privatelink.database.windows.net`;
    const vnet = (site: string) =>
      `${SUB}/acmedata-${site}-rg/providers/Microsoft.Network/virtualNetworks/acmedata-${site}-dbx-vnet`;
    const net = (plan: StackPlan) =>
      plan.resources
        .filter((r) => /PrivateEndpoint|PrivateDnsZoneGroup|privatedns/.test(r.type))
        .map((r) => [r.type.split(":").slice(1).join(":"), r.name, r.inputs])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    const endpoint = (site: string) => [
      "network:PrivateEndpoint",
      "sql-endpoint",
      {
        resourceGroupName: `acmedata-${site}-sql-rg`,
        location: site === "primary" ? "eastus2" : "centralus",
        privateEndpointName: `acmedata-${site}-sql-pe`,
        // The SDK's defaults for a Subnet reference (azure-native subnetArgsProvideDefaults).
        subnet: {
          id: `${vnet(site)}/subnets/private-endpoints`,
          privateEndpointNetworkPolicies: "Disabled",
          privateLinkServiceNetworkPolicies: "Enabled",
        },
        privateLinkServiceConnections: [
          {
            name: `acmedata-${site}-sql`,
            privateLinkServiceId: `${SUB}/acmedata-${site}-sql-rg/providers/Microsoft.Sql/servers/acmedata-${site}-sql`,
            groupIds: ["sqlServer"],
          },
        ],
        tags: { platform: "acmedata", "managed-by": "pulumi", "paired-dr-site": site },
      },
    ];
    const zoneGroup = (site: string) => [
      "network:PrivateDnsZoneGroup",
      "sql-endpoint-dns",
      {
        resourceGroupName: `acmedata-${site}-sql-rg`,
        privateEndpointName: `acmedata-${site}-sql-pe`,
        privateDnsZoneGroupName: "default",
        privateDnsZoneConfigs: [{ name: "sql", privateDnsZoneId: zone }],
      },
    ];
    const link = (site: string) => [
      "privatedns:VirtualNetworkLink",
      `sql-dns-link-${site}`,
      {
        resourceGroupName: "acmedata-primary-sql-rg",
        privateZoneName: "privatelink.database.windows.net",
        virtualNetworkLinkName: `acmedata-${site}`,
        virtualNetwork: { id: vnet(site) },
        registrationEnabled: false,
        location: "global",
        tags: { platform: "acmedata", "managed-by": "pulumi", "paired-dr-site": "primary" },
      },
    ];
    const zoneResource = [
      "privatedns:PrivateZone",
      "sql-dns-zone",
      {
        resourceGroupName: "acmedata-primary-sql-rg",
        privateZoneName: "privatelink.database.windows.net",
        location: "global",
        tags: { platform: "acmedata", "managed-by": "pulumi", "paired-dr-site": "primary" },
      },
    ];
    // The primary's first deployment: the zone, its own link and endpoint; the peer's VNet next time.
    expect(net(await planStack("primary"))).toEqual([
      link("primary"),
      zoneResource,
      endpoint("primary"),
      zoneGroup("primary"),
    ]);
    const [primary] = await sequence("primary", [false]);
    expect(net(primary!)).toEqual([
      link("primary"),
      link("secondary"),
      zoneResource,
      endpoint("primary"),
      zoneGroup("primary"),
    ]);
    // The secondary registers in the primary's zone once the primary's outputs show it.
    expect(net(await planStack("secondary"))).toEqual([endpoint("secondary")]);
    const [secondary] = await sequence("secondary", [false]);
    expect(net(secondary!)).toEqual([endpoint("secondary"), zoneGroup("secondary")]);
    expect(secondary!.outputs.deployment).toMatchObject({ sql: { vnet: vnet("secondary") } });
    expect(primary!.outputs.deployment).toMatchObject({
      sql: { vnet: vnet("primary"), privateDnsZone: zone },
    });
  });

  it("changes the Entra administrator in place, never by replacing the server", async () => {
    const [before] = await sequence("primary", [false]);
    const [after] = await sequence(
      "primary",
      [false],
      withSql((s) => {
        s.administrator.login = "sql-dr-admins-2";
        s.administrator.objectId = "0f4e2d1c-3b5a-4c6d-8e7f-9a0b1c2d3e4f";
      }),
    );
    const d = diffPlans(before!, after!);
    expect(d.replaced.filter((r) => r.before.name.startsWith("sql-"))).toEqual([]);
    expect(d.dangerous).toEqual([]);
    expect(
      d.updated
        .filter((u) => u.resource.name.startsWith("sql-"))
        .map((u) => [u.resource.name, u.changes.map((c) => c.path)]),
    ).toEqual([["sql-entra-admin", ["login", "sid"]]]);
  });
  it("promotion: the secondary takes every group, scales its paid pool up and geo-replicates the trial tenants from the drained primary, then fails each link over", async () => {
    const [passive, promoted] = await sequence("secondary", [false, true]);
    const holds = holdsOf(promoted!);
    const poolChanges = diffPlans(passive!, promoted!)
      .updated.filter((u) => u.resource.type === POOL)
      .map((u) => [u.resource.name, u.changes.map((c) => [c.path, c.before, c.after])]);
    expect(poolChanges).toEqual([["sql-pool-paid", [["sku.capacity", 4, 8]]]]);
    expect(holds.map((h) => h.inputs.failoverGroupId)).toEqual(
      ["mgmt", "paid-01", "paid-02"].map(
        (g) =>
          `${SUB}/acmedata-secondary-sql-rg/providers/Microsoft.Sql/servers/acmedata-secondary-sql/failoverGroups/acmedata-primary-fg-${g}`,
      ),
    );
    // Nothing of a credential: the provider obtains one at each call (components/sql/failover).
    const { __provider: provider, ...hold } = holds[0]!.inputs;
    expect(hold).toEqual({
      endpoint: "https://management.azure.com",
      failoverGroupId: `${SUB}/acmedata-secondary-sql-rg/providers/Microsoft.Sql/servers/acmedata-secondary-sql/failoverGroups/acmedata-primary-fg-mgmt`,
      mode: "planned",
      allowDataLoss: false,
      timeoutSeconds: 3600,
      pollSeconds: 15,
      requestTimeoutSeconds: 60,
      maxRetries: 4,
    });
    expect(provider).toContain('require("@azure/arm-sql")');
    expect(provider).toContain('require("@azure/identity")');
    // Scale up, then fail over: each paid group's hold waits for the paid pool, which this same
    // deployment scales from 4 to 8 vCores; the management databases are in no pool.
    const urn = (type: string, name: string) => findResource(promoted!.resources, type, name).urn;
    const server = urn("azure-native:sql:Server", "sql-server");
    const paidPool = urn(POOL, "sql-pool-paid");
    expect(holds.map((h) => h.dependencies)).toEqual([
      [server],
      [server, paidPool],
      [server, paidPool],
    ]);
    expect(
      byType(promoted!.resources, POOL).map((p) => [
        p.inputs.elasticPoolName,
        (p.inputs.sku as { capacity: number }).capacity,
      ]),
    ).toEqual([
      ["paid", 8],
      ["trial", 4],
    ]);
    const restored = byType(promoted!.resources, DB);
    expect(restored).toHaveLength(20);
    // A planned switchover (the primary stood down, healthy): a geo-secondary of the live
    // database, not a geo-restore of a backup up to an hour old (issue 15; Databases.json
    // createMode Secondary), failed over planned below.
    const aurora = findResource(restored, DB, "sql-recovered-aurora").inputs;
    expect(aurora.recoverableDatabaseId).toBe(undefined);
    expect(aurora).toMatchObject({
      databaseName: "tenant-aurora",
      createMode: "Secondary",
      secondaryType: "Geo",
      sourceDatabaseId: `${SUB}/acmedata-primary-sql-rg/providers/Microsoft.Sql/servers/acmedata-primary-sql/databases/tenant-aurora`,
      elasticPoolId: `${SUB}/acmedata-secondary-sql-rg/providers/Microsoft.Sql/servers/acmedata-secondary-sql/elasticPools/trial`,
      // Its copy keeps geo-replicated backups too (recovery-using-backups.md).
      requestedBackupStorageRedundancy: "Geo",
    });
    expect(restored.every((d) => d.options.protect)).toBe(true);
    // Azure restores at most 4 databases at once per pool: 20 in 5 waves of 4 lanes, each
    // database after the one 4 places before it; a day per restore, not Pulumi's default.
    const trialPool = urn(POOL, "sql-pool-trial");
    const rg = urn("azure-native:resources:ResourceGroup", "sql-rg");
    expect(restored.map((d) => d.dependencies)).toEqual(
      restored.map((_, i) => (i < 4 ? [trialPool, rg] : [trialPool, restored[i - 4]!.urn, rg])),
    );
    expect(new Set(restored.map((d) => JSON.stringify(d.options.customTimeouts)))).toEqual(
      new Set([JSON.stringify({ create: "24h" })]),
    );
    // Each link failed over planned once its geo-secondary exists: "a planned failover does not
    // result in data loss", and the original becomes the read-only geo-secondary (sql-docs
    // azure-sql/database/active-geo-replication-overview.md, "Planned geo-failover").
    const links = linksOf(promoted!);
    expect(links.map((l) => l.name)).toEqual(
      restored.map((d) => d.name.replace("recovered", "link")),
    );
    expect(links.map((l) => l.dependencies)).toEqual(restored.map((d) => [d.urn]));
    const { __provider: linkProvider, ...link } = findResource(
      links,
      DYNAMIC,
      "sql-link-aurora",
    ).inputs;
    expect(link).toEqual({
      endpoint: "https://management.azure.com",
      databaseId: `${SUB}/acmedata-secondary-sql-rg/providers/Microsoft.Sql/servers/acmedata-secondary-sql/databases/tenant-aurora`,
      partnerServer: "acmedata-primary-sql",
      // Made as a geo-secondary: a failover without its link refuses.
      requireLink: true,
      mode: "planned",
      allowDataLoss: false,
      // As long as the database's own create: the link fails over once seeded.
      timeoutSeconds: 86400,
      pollSeconds: 15,
      requestTimeoutSeconds: 60,
      maxRetries: 4,
    });
    expect(linkProvider).toContain("replicationLinks");
    expect(promoted!.outputs.deployment).toMatchObject({
      sqlRecovered: true,
      sqlRecoveredBy: "Secondary",
    });
    // The passive secondary holds no link; the primary, promoted back while the secondary keeps
    // them, holds each original's link (the switchback's planned failover brings the tenants
    // back synchronized); once released, none.
    expect(linksOf(passive!)).toEqual([]);
    const back = await planStack("primary", {
      sets: ["promote=false"],
      lastOutputs: steadyStateOutputs("primary", { sets: ["promote=true"] }),
      peerOutputs: { secondary: promoted!.outputs },
    });
    const originals = byType(back.resources, DB).filter((d) =>
      links.some((l) => l.name === d.name.replace("sql-db-", "sql-link-")),
    );
    expect(originals).toHaveLength(20);
    expect(
      linksOf(back).map((l) => [l.inputs.databaseId, l.inputs.partnerServer, l.dependencies]),
    ).toEqual(
      originals.map((d) => [
        `${SUB}/acmedata-primary-sql-rg/providers/Microsoft.Sql/servers/acmedata-primary-sql/databases/${d.inputs.databaseName}`,
        "acmedata-secondary-sql",
        [d.urn],
      ]),
    );
    const releasedPeer = structuredClone(promoted!.outputs) as Record<string, any>;
    releasedPeer.deployment.sqlRecovered = false;
    const afterRelease = await planStack("primary", {
      sets: ["promote=false"],
      lastOutputs: back.outputs,
      peerOutputs: { secondary: releasedPeer },
    });
    expect(linksOf(afterRelease)).toEqual([]);
  });

  it("a forced failover geo-restores the trial tenants; how they were made is kept while they exist", async () => {
    const forced = ["promote=true", 'promotion={"acknowledgeForcedFailover":true}'];
    const [passive] = await sequence("secondary", [false]);
    // The primary is still recorded active (its region is down): nothing to copy from.
    const primaryActive = steadyStateOutputs("primary");
    const promoted = await planStack("secondary", {
      sets: forced,
      lastOutputs: passive!.outputs,
      peerOutputs: { primary: primaryActive },
    });
    const aurora = findResource(byType(promoted.resources, DB), DB, "sql-recovered-aurora").inputs;
    expect(aurora.sourceDatabaseId).toBe(undefined);
    // A geo-restore has no link; the promotion still takes over any an earlier, failed attempt
    // left (its outputs never recorded the geo-secondaries), without requiring one.
    expect(linksOf(promoted).map((l) => [l.name, l.inputs.requireLink, l.inputs.mode])).toEqual(
      byType(promoted.resources, DB)
        .filter((d) => d.name.startsWith("sql-recovered-"))
        .map((d) => [d.name.replace("recovered", "link"), false, "planned"]),
    );
    expect(linksOf(promoted)).toHaveLength(20);
    expect(aurora).toMatchObject({
      createMode: "Recovery",
      recoverableDatabaseId: `${SUB}/acmedata-primary-sql-rg/providers/Microsoft.Sql/servers/acmedata-primary-sql/recoverabledatabases/tenant-aurora`,
    });
    expect(promoted.outputs.deployment).toMatchObject({
      sqlRecovered: true,
      sqlRecoveredBy: "Recovery",
    });
    // The primary back and stood down: the geo-restored databases stay as they were made (a new
    // createMode would replace them, azure-native diffing it as ForceNew).
    const primaryPassive = steadyStateOutputs("primary", { sets: ["promote=true"] });
    const again = await planStack("secondary", {
      sets: ["promote=true"],
      lastOutputs: promoted.outputs,
      peerOutputs: { primary: primaryPassive },
    });
    const d = diffPlans(promoted, again);
    expect(d.replaced.filter((r) => r.before.type === DB)).toEqual([]);
    // Recorded as geo-restored, the next deployment holds no link.
    expect(linksOf(again)).toEqual([]);
    expect(
      findResource(byType(again.resources, DB), DB, "sql-recovered-aurora").inputs.createMode,
    ).toBe("Recovery");
    // And if it were not recorded, the databases would still not be replaced: how a database was
    // made is create-only, and the provider is told to ignore it (ignoreChanges).
    expect(
      findResource(byType(again.resources, DB), DB, "sql-recovered-aurora").options.ignoreChanges,
    ).toEqual(["createMode", "sourceDatabaseId", "recoverableDatabaseId", "secondaryType"]);
    // Outputs from before the mode was recorded: those databases were geo-restored, and stay so
    // with the peer passive (which would otherwise mean Secondary).
    const legacyOutputs = structuredClone(promoted.outputs) as Record<string, any>;
    delete legacyOutputs.deployment.sqlRecoveredBy;
    expect(parseLastDeployment(legacyOutputs.deployment).sqlRecoveredBy).toBe(undefined);
    const legacy = await planStack("secondary", {
      sets: ["promote=true"],
      lastOutputs: legacyOutputs,
      peerOutputs: { primary: primaryPassive },
    });
    expect(
      findResource(byType(legacy.resources, DB), DB, "sql-recovered-aurora").inputs.createMode,
    ).toBe("Recovery");
    expect(legacy.outputs.deployment).toMatchObject({ sqlRecoveredBy: "Recovery" });
    const planned = { forcedFailover: false, crossSubscription: false };
    expect(recoveryMode(undefined, "passive", planned)).toBe("Secondary");
    expect(recoveryMode(undefined, "active", planned)).toBe("Recovery");
    expect(recoveryMode(undefined, undefined, planned)).toBe("Recovery");
    expect(recoveryMode("Recovery", "passive", planned)).toBe("Recovery");
    expect(recoveryMode("Copy", "active", planned)).toBe("Copy");
    // The drained primary's region lost since it stood down: the acknowledged forced failover
    // geo-restores. Across subscriptions geo-replication is set up with SQL logins, which
    // Entra-only servers do not have (active-geo-replication-overview.md).
    expect(recoveryMode(undefined, "passive", { ...planned, forcedFailover: true })).toBe(
      "Recovery",
    );
    expect(recoveryMode(undefined, "passive", { ...planned, crossSubscription: true })).toBe(
      "Recovery",
    );
  });

  it("the primary back after a geo-restore reprotects its trial tenants, and its promotion fails each back over its link", async () => {
    const forced = ["promote=true", 'promotion={"acknowledgeForcedFailover":true}'];
    const [passive] = await sequence("secondary", [false]);
    const promoted = await planStack("secondary", {
      sets: forced,
      lastOutputs: passive!.outputs,
      peerOutputs: { primary: steadyStateOutputs("primary") },
    });
    const [primaryActive] = await sequence("primary", [false]);
    // The returned primary's first deployment: passive, the peer recorded active with geo-restores.
    const returned = await planStack("primary", {
      sets: ["promote=true"],
      lastOutputs: primaryActive!.outputs,
      peerOutputs: { secondary: promoted.outputs },
    });
    const reprotects = returned.resources.filter((r) => r.name.startsWith("sql-reprotect-"));
    expect(reprotects).toHaveLength(20);
    const epoch = (promoted.outputs.deployment as { epoch: number }).epoch;
    const aurora = findResource(reprotects, reprotects[0]!.type, "sql-reprotect-aurora");
    const { __provider: provider, ...registered } = aurora.inputs;
    expect(provider).toEqual(expect.stringContaining("exports.handler"));
    expect(registered).toEqual({
      endpoint: "https://management.azure.com",
      databaseId: `${SUB}/acmedata-primary-sql-rg/providers/Microsoft.Sql/servers/acmedata-primary-sql/databases/tenant-aurora`,
      sourceDatabaseId: `${SUB}/acmedata-secondary-sql-rg/providers/Microsoft.Sql/servers/acmedata-secondary-sql/databases/tenant-aurora`,
      elasticPoolId: expect.stringMatching(/\/elasticPools\/trial$/),
      location: "eastus2",
      staleName: `tenant-aurora-stale-e${epoch}`,
      tags: { platform: "acmedata", "managed-by": "pulumi", "paired-dr-site": "primary" },
      timeoutSeconds: 86400,
      pollSeconds: 15,
      requestTimeoutSeconds: 60,
      maxRetries: 4,
    });
    // After the tenant's own database: the reprotect renames it aside.
    expect(aurora.dependencies).toContain(
      findResource(byType(returned.resources, DB), DB, "sql-db-aurora").urn,
    );
    // Seeded in waves of 4 per pool, as the promotion's geo-secondaries are.
    expect(new Set(reprotects.map((r) => r.inputs.elasticPoolId)).size).toBe(1);
    expect(
      reprotects.map((r) =>
        reprotects.filter((x) => r.dependencies.includes(x.urn)).map((x) => x.name),
      ),
    ).toEqual(reprotects.map((_, i) => (i < 4 ? [] : [reprotects[i - 4]!.name])));
    // Passive: nothing fails over yet, and no stateful resource changes.
    expect(linksOf(returned)).toEqual([]);
    expect(diffPlans(primaryActive!, returned).dangerous).toEqual([]);
    expect(returned.outputs.deployment).toMatchObject({
      sqlReprotected: reprotects.map((r) => r.name.slice("sql-reprotect-".length)),
    });
    // Paid tenants have replicas in the failover groups: not reprotected.
    expect(reprotects.map((r) => r.name.slice("sql-reprotect-".length))).toEqual(
      byType(promoted.resources, DB)
        .filter((d) => d.name.startsWith("sql-recovered-"))
        .map((d) => d.name.slice("sql-recovered-".length)),
    );
    // The failback: the secondary stood down, the primary promoted holds each link, after its
    // reprotect, and requires it (a missing link would leave two writable copies).
    const stoodDown = await planStack("secondary", {
      sets: ["promote=false"],
      lastOutputs: promoted.outputs,
      peerOutputs: { primary: returned.outputs },
    });
    const failback = await planStack("primary", {
      sets: ["promote=false"],
      lastOutputs: returned.outputs,
      peerOutputs: { secondary: stoodDown.outputs },
    });
    const links = linksOf(failback);
    expect(links).toHaveLength(20);
    const link = findResource(links, links[0]!.type, "sql-link-aurora");
    expect(link.inputs).toMatchObject({
      requireLink: true,
      mode: "planned",
      partnerServer: "acmedata-secondary-sql",
    });
    expect(link.dependencies).toEqual([
      findResource(failback.resources, aurora.type, "sql-reprotect-aurora").urn,
    ]);
    expect(failback.resources.filter((r) => r.name.startsWith("sql-reprotect-"))).toHaveLength(20);
    // A primary that was never away (the peer's geo-restores recorded, this site active): none.
    const never = await planStack("primary", {
      sets: ["promote=false"],
      lastOutputs: primaryActive!.outputs,
      peerOutputs: { secondary: stoodDown.outputs },
    });
    expect(never.resources.filter((r) => r.name.startsWith("sql-reprotect-"))).toEqual([]);
  });

  it("after the flip, the home-primary stack registers no change to any database the failover made a secondary", async () => {
    for (const [sets, databases] of [
      [[], 63],
      [withSql(geoDistributed), 43],
    ] as const) {
      const [before, after] = await sequence("primary", [false, true], [...sets]);
      const d = diffPlans(before!, after!);
      const dbNames = new Set(byType(before!.resources, DB).map((r) => r.name));
      expect(dbNames.size).toBe(databases);
      const touched = [
        ...d.updated.map((u) => u.resource),
        ...d.replaced.map((r) => r.before),
        ...d.deleted,
      ].filter((r) => r.type === DB || r.type === FG);
      expect(touched).toEqual([]);
      expect(byType(after!.resources, DB).map((r) => r.inputs)).toEqual(
        byType(before!.resources, DB).map((r) => r.inputs),
      );
      // A refresh reads the new geo-secondaries' secondaryType (read-write in Databases.json):
      // ignored, so no update is sent to them (terraform-provider-azurerm#25141).
      expect(
        new Set(
          byType(after!.resources, DB)
            .filter((r) => r.inputs.elasticPoolId !== undefined)
            .map((r) => JSON.stringify(r.options.ignoreChanges)),
        ),
      ).toEqual(new Set([JSON.stringify(["secondaryType", "createMode", "sourceDatabaseId"])]));
    }
  });

  it("failback keeps the recovered trial databases until they are released after the copy back", async () => {
    const [, promoted, failedBack] = await sequence("secondary", [false, true, false]);
    const flipBack = diffPlans(promoted!, failedBack!);
    expect(flipBack.dangerous).toEqual([]);
    expect(flipBack.deleted.map((r) => r.name).sort()).toEqual(
      [
        "metastore-fence-controls-cluster",
        "metastore-hive-cluster",
        // The promotion's one restore is forgotten when the site stands down; nothing to undo.
        "metastore-promotion-restore",
        "sql-hold-acmedata-primary-fg-mgmt",
        "sql-hold-acmedata-primary-fg-paid-01",
        "sql-hold-acmedata-primary-fg-paid-02",
        // Removing a link hold moves nothing: the primary's promotion fails the links back.
        ...linksOf(promoted!).map((l) => l.name),
      ].sort(),
    );
    expect(linksOf(promoted!)).toHaveLength(20);
    // A release takes two deployments, and no hand-run unprotect: the first registers the
    // recovered databases and their pool unprotected (Pulumi deletes only what its state holds
    // unprotected), the next leaves them out.
    const deleting = withSql((s) => (s.releaseRecoveredDatabases = "delete"));
    const armed = await planSteady("secondary", {
      sets: [...deleting, "promote=false"],
      lastOutputs: failedBack!.outputs,
    });
    const arming = diffPlans(failedBack!, armed);
    expect(arming.deleted).toEqual([]);
    const unprotected = armed.resources.filter(
      (r) => (r.type === DB || r.type === POOL) && r.options.protect === false,
    );
    expect(unprotected.map((r) => r.name).sort()).toEqual(
      [
        "sql-pool-trial",
        ...byType(failedBack!.resources, DB)
          .filter((r) => r.name.startsWith("sql-recovered-"))
          .map((r) => r.name),
      ].sort(),
    );
    expect(unprotected).toHaveLength(21);
    expect(new Set(unprotected.map((r) => r.options.retainOnDelete ?? false))).toEqual(
      new Set([false]),
    );
    expect(armed.outputs.deployment).toMatchObject({ sqlRelease: "delete" });
    const release = await planSteady("secondary", {
      sets: [...deleting, "promote=false"],
      lastOutputs: armed.outputs,
    });
    const released = diffPlans(armed, release);
    expect(released.deleted.filter((r) => r.type === DB)).toHaveLength(20);
    expect(released.deleted.find((r) => r.type === POOL)?.name).toBe("sql-pool-trial");
    expect(release.outputs.deployment).not.toHaveProperty("sqlRelease");
    expect(release.outputs.deployment).toMatchObject({ sqlRecovered: false });
    // `retain` takes them out of the stack and keeps them in Azure, the pool with them (Azure
    // refuses to delete a pool that is not empty: ElasticPoolNotEmpty, ElasticPools.json).
    const retained = await planSteady("secondary", {
      sets: [...withSql((s) => (s.releaseRecoveredDatabases = "retain")), "promote=false"],
      lastOutputs: failedBack!.outputs,
    });
    const kept = retained.resources.filter(
      (r) => (r.type === DB || r.type === POOL) && r.options.protect === false,
    );
    expect(kept).toHaveLength(21);
    expect(new Set(kept.map((r) => r.options.retainOnDelete))).toEqual(new Set([true]));
    // Geo-secondaries of the primary's originals wait for the primary to be recorded active
    // again: until its promotion fails each link back, they hold the tenants' newest writes.
    expect(failedBack!.outputs.deployment).toMatchObject({ sqlRecoveredBy: "Secondary" });
    const early = await planStack("secondary", {
      sets: [...deleting, "promote=false"],
      lastOutputs: failedBack!.outputs,
      peerOutputs: { primary: steadyStateOutputs("primary", { sets: ["promote=true"] }) },
    });
    expect(diffPlans(failedBack!, early).deleted.filter((r) => r.type === DB)).toEqual([]);
    expect(
      early.resources.filter(
        (r) => (r.type === DB || r.type === POOL) && r.options.protect === false,
      ),
    ).toEqual([]);
    expect(early.outputs.deployment).not.toHaveProperty("sqlRelease");
  });

  it("a release waits for the peer to hold what the recovered databases hold", () => {
    const active = { role: "active" as const };
    expect(releaseNow("delete", "Secondary", { role: "passive" })).toBe(false);
    expect(releaseNow("delete", "Secondary", active)).toBe(true);
    // Geo-restored copies hold the outage's writes until the peer reprotected them and failed
    // each link back; only retain (kept in Azure) lets them go before.
    expect(releaseNow("delete", "Recovery", active)).toBe(false);
    expect(releaseNow("delete", undefined, active)).toBe(false);
    expect(releaseNow("delete", "Recovery", { ...active, sqlReprotected: true })).toBe(true);
    expect(releaseNow("retain", "Recovery", active)).toBe(true);
    expect(releaseNow("retain", "Recovery", { role: "passive", sqlReprotected: true })).toBe(false);
    expect(releaseNow(false, "Secondary", active)).toBe(false);
    expect(releasePhase(false, true, undefined)).toBe("keep");
    expect(releasePhase("delete", false, "delete")).toBe("keep");
    expect(releasePhase("delete", true, undefined)).toBe("arm");
    // A mode changed after arming arms again: what a delete does is what the state holds.
    expect(releasePhase("delete", true, "retain")).toBe("arm");
    expect(releasePhase("delete", true, "delete")).toBe("drop");
    // The phase and the options it registers, together.
    const armedDelete = sqlRelease(
      "delete",
      "secondary",
      "passive",
      { sqlRecovered: true, sqlRecoveredBy: "Secondary" },
      active,
    );
    expect([armedDelete, releaseOptions(armedDelete)]).toEqual([
      { phase: "arm", mode: "delete" },
      { protect: false, retainOnDelete: false },
    ]);
    const armedRetain = sqlRelease(
      "retain",
      "secondary",
      "passive",
      { sqlRecovered: true },
      active,
    );
    expect(releaseOptions(armedRetain)).toEqual({ protect: false, retainOnDelete: true });
    const dropping = sqlRelease(
      "retain",
      "secondary",
      "passive",
      { sqlRecovered: true, sqlRelease: "retain" },
      active,
    );
    expect([dropping, releaseOptions(dropping)]).toEqual([
      { phase: "drop", mode: "retain" },
      { protect: true, retainOnDelete: false },
    ]);
    const kept = sqlRelease(false, "secondary", "passive", { sqlRecovered: true }, active);
    expect([kept, releaseOptions(kept)]).toEqual([
      { phase: "keep", mode: "retain" },
      { protect: true, retainOnDelete: false },
    ]);
    // Outputs from before the mode was recorded: those databases were geo-restored.
    expect(recordedRecoveryMode({ sqlRecovered: true })).toBe("Recovery");
    expect(recordedRecoveryMode({ sqlRecovered: true, sqlRecoveredBy: "Secondary" })).toBe(
      "Secondary",
    );
    expect(recordedRecoveryMode({ sqlRecovered: false, sqlRecoveredBy: "Secondary" })).toBe(
      undefined,
    );
    expect([0, 3, 4, 9].map((i) => laneBefore(i))).toEqual([undefined, undefined, 0, 5]);
    const recovered = { sqlRecovered: true, sqlRecoveredBy: "Recovery" as const };
    expect(releaseAllowed("secondary", "retain", "passive", recovered, active)).toBe(true);
    expect(releaseAllowed("secondary", "retain", "passive", {}, active)).toBe(false);
    // Never while this site is active: the recovered databases are the tenants' primaries then.
    expect(releaseAllowed("secondary", "retain", "active", recovered, active)).toBe(false);
    expect(releaseAllowed("secondary", "delete", "passive", recovered, active)).toBe(false);
    expect(
      releaseAllowed("secondary", "delete", "passive", recovered, {
        ...active,
        sqlReprotected: ["aurora"],
      }),
    ).toBe(true);
    // The primary's reprotects go once a recorded active deployment held their links.
    const held = { role: "active" as const, sqlReprotected: ["aurora"] };
    expect(releaseAllowed("primary", "delete", "active", held, { role: "passive" })).toBe(true);
    expect(releaseAllowed("primary", "delete", "active", { ...held, role: "passive" }, {})).toBe(
      false,
    );
    expect(releaseAllowed("primary", "delete", "passive", held, {})).toBe(false);
    expect(releaseAllowed("primary", false, "active", held, {})).toBe(false);
    expect(releaseAllowed("primary", "delete", "active", { ...held, sqlReprotected: [] }, {})).toBe(
      false,
    );
  });

  it("budget and geo-distributed plan in both roles", async () => {
    const budget = withSql((s) => (s.strategy = "budget"));
    const [, budgetPromoted] = await sequence("secondary", [false, true], budget);
    expect(byType(budgetPromoted!.resources, DB)).toHaveLength(60);
    expect(holdsOf(budgetPromoted!)).toHaveLength(1);
    const geo = withSql(geoDistributed);
    const [geoSecondary] = await sequence("secondary", [false], geo);
    expect(byType(geoSecondary!.resources, DB)).toHaveLength(20);
    expect(byType(geoSecondary!.resources, FG).map((g) => g.inputs.failoverGroupName)).toEqual([
      "acmedata-secondary-fg-paid-01",
    ]);
  });

  it("plans a fleet of 5,000 tenants (4,000 trial, 1,000 paid)", async () => {
    const fleet = withSql((s) => (s.tenants = generateFleet(5000)));
    const primary = await planSteady("primary", { sets: fleet });
    expect(byType(primary.resources, DB)).toHaveLength(5003);
    // The management group and 1,000 paid tenants in groups of 20 (the shipped databasesPerGroup).
    expect(byType(primary.resources, FG)).toHaveLength(1 + 50);
    // Within Azure's limits (resource-limits-vcore-elastic-pools, resource-limits-logical-server):
    // a paid pool at 4 passive vCores holds 200, a trial pool at 4 vCores 200, a server 5,000.
    const dbs = byType(primary.resources, DB);
    const perPool = new Map<string, number>();
    const perServer = new Map<string, number>();
    for (const d of dbs) {
      const server = String(d.inputs.serverName);
      perServer.set(server, (perServer.get(server) ?? 0) + 1);
      if (d.inputs.elasticPoolId)
        perPool.set(
          String(d.inputs.elasticPoolId),
          (perPool.get(String(d.inputs.elasticPoolId)) ?? 0) + 1,
        );
    }
    expect(Object.fromEntries(perServer)).toEqual({
      "acmedata-primary-sql": 5000,
      "acmedata-primary-sql-02": 3,
    });
    expect(Math.max(...perPool.values())).toBe(200);
    expect(
      byType(primary.resources, POOL).map(
        (p) => `${p.inputs.serverName}/${p.inputs.elasticPoolName}`,
      ),
    ).toHaveLength(perPool.size);
    expect(byType(primary.resources, "azure-native:sql:Server")).toHaveLength(2);
    // Every group's databases live on the server it is created on.
    for (const g of byType(primary.resources, FG))
      for (const id of g.inputs.databases as string[])
        expect(
          id.startsWith(
            `${SUB}/acmedata-primary-sql-rg/providers/Microsoft.Sql/servers/${g.inputs.serverName}/`,
          ),
        ).toBe(true);
    // The secondary has a server per pair and every paid pool's namesake for the secondaries.
    const secondary = await planSteady("secondary", { sets: fleet });
    const paidPools = (plan: StackPlan) =>
      byType(plan.resources, POOL)
        .filter((p) => String(p.inputs.elasticPoolName).startsWith("paid"))
        .map(
          (p) =>
            `${String(p.inputs.serverName).replace(/-(primary|secondary)-/, "-")}/${p.inputs.elasticPoolName}`,
        )
        .sort();
    expect(paidPools(secondary)).toEqual(paidPools(primary));
    expect(byType(secondary.resources, "azure-native:sql:Server")).toHaveLength(2);
  });

  it("refuses a pool its config makes too small for the tenants placed in it, naming the pool", async () => {
    const raw = validRaw();
    raw.sql.tenants = generateFleet(1000);
    const config = parsePlatformConfig(raw, REPO).sql;
    const placed = sqlPlacement(config, "primary").placement;
    raw.sql.pools.trial.capacity = 2;
    const smaller = parsePlatformConfig(raw, REPO).sql;
    expect(sqlPlacement(smaller, "primary", placed).problems).toEqual([
      "paired-dr:sql.pools.trial: pool trial on server pair 0 would hold 200 databases; a trial pool of its size holds at most 100 at 2 vCores (resource-limits-vcore-elastic-pools); give the pool more vCores, or set sql.rebalancePools: true to move tenants between pools of their server",
      "paired-dr:sql.pools.trial: pool trial-02 on server pair 0 would hold 200 databases; a trial pool of its size holds at most 100 at 2 vCores (resource-limits-vcore-elastic-pools); give the pool more vCores, or set sql.rebalancePools: true to move tenants between pools of their server",
      "paired-dr:sql.pools.trial: pool trial-03 on server pair 0 would hold 200 databases; a trial pool of its size holds at most 100 at 2 vCores (resource-limits-vcore-elastic-pools); give the pool more vCores, or set sql.rebalancePools: true to move tenants between pools of their server",
      "paired-dr:sql.pools.trial: pool trial-04 on server pair 0 would hold 200 databases; a trial pool of its size holds at most 100 at 2 vCores (resource-limits-vcore-elastic-pools); give the pool more vCores, or set sql.rebalancePools: true to move tenants between pools of their server",
    ]);
    expect(sqlPlacement(smaller, "primary", placed, {}, true).problems).toEqual([]);
    // The program refuses it before registering anything, from its own last placement.
    const fleet = withSql((s) => (s.tenants = generateFleet(1000)));
    const [deployed] = await sequence("primary", [false], fleet);
    const shrunk = withSql((s) => {
      s.tenants = generateFleet(1000);
      s.pools.trial.capacity = 2;
    });
    await expect(
      planSteady("primary", { sets: shrunk, lastOutputs: deployed!.outputs }),
    ).rejects.toThrow(
      "invalid configuration, nothing was deployed (4 problems):\n  - paired-dr:sql.pools.trial: pool trial on server pair 0 would hold 200 databases",
    );
  });
});

describe("the failback's reprotect (pure)", () => {
  it("reprotects on the primary's return as passive, while the peer is recorded active with its geo-restores", () => {
    const spec = shipped();
    const trial = unreplicatedTenants(spec).map((t) => t.id);
    expect(trial).toHaveLength(20);
    const peer = {
      role: "active" as const,
      sqlRecovered: true,
      sqlRecoveredBy: "Recovery" as const,
    };
    const o = { peer, reprotected: [], release: "keep" as const, crossSubscription: false };
    expect(reprotectTenants(spec, "primary", "passive", o)).toEqual(trial);
    // Outputs from before the mode was recorded: geo-restored.
    expect(
      reprotectTenants(spec, "primary", "passive", {
        ...o,
        peer: { role: "active", sqlRecovered: true },
      }),
    ).toEqual(trial);
    // Active, this site's own databases hold the newer writes: never started then.
    expect(reprotectTenants(spec, "primary", "active", o)).toEqual([]);
    // Geo-secondaries of the originals already come back over their links.
    expect(
      reprotectTenants(spec, "primary", "passive", {
        ...o,
        peer: { ...peer, sqlRecoveredBy: "Secondary" },
      }),
    ).toEqual([]);
    expect(
      reprotectTenants(spec, "primary", "passive", { ...o, peer: { ...peer, role: "passive" } }),
    ).toEqual([]);
    expect(reprotectTenants(spec, "secondary", "passive", o)).toEqual([]);
    expect(reprotectTenants(spec, "primary", "passive", { ...o, crossSubscription: true })).toEqual(
      [],
    );
    // Once recorded, it stays whatever the peer does now, until the release drops it.
    const kept = { ...o, peer: { role: "passive" as const }, reprotected: trial };
    expect(reprotectTenants(spec, "primary", "active", kept)).toEqual(trial);
    expect(reprotectTenants(spec, "primary", "active", { ...kept, release: "arm" })).toEqual(trial);
    expect(reprotectTenants(spec, "primary", "active", { ...kept, release: "drop" })).toEqual([]);
    // Only the recorded ones: a tenant onboarded after the failback was never geo-restored, and
    // its database here is the live one (renaming it aside would lose its writes).
    const onboarded = {
      ...spec,
      tenants: [
        ...spec.tenants,
        { id: "newcomer", tier: "trial" as const, home: "primary" as const },
      ],
    };
    expect(reprotectTenants(onboarded, "primary", "active", kept)).toEqual(trial);
    expect(reprotectTenants(onboarded, "primary", "passive", kept)).toEqual(trial);
    // One offboarded since: gone from the list.
    expect(
      reprotectTenants(spec, "primary", "active", { ...kept, reprotected: [...trial, "gone"] }),
    ).toEqual(trial);
  });

  it("refuses a pool without room for its tenants and their stale originals, naming the pool and the key", () => {
    const raw = validRaw();
    raw.sql.tenants = generateFleet(300);
    raw.sql.pools.trial.capacity = 2;
    const spec = parsePlatformConfig(raw, REPO).sql;
    const { placement } = sqlPlacement(spec, "primary");
    const trial = unreplicatedTenants(spec).map((t) => t.id);
    const counts = new Map<string, number>();
    for (const id of trial) counts.set(placement[id]!, (counts.get(placement[id]!) ?? 0) + 1);
    const full = [...counts].filter(([, n]) => n * 2 > 100);
    expect(full.length).toBeGreaterThan(0);
    expect(reprotectRoomProblems(spec, placement, trial)).toEqual(
      full.map(
        ([where, n]) =>
          `paired-dr:sql.pools.trial.capacity: pool ${where} holds ${n} tenants and, until the release, the ${n} stale originals the failback renames aside: ${2 * n} databases, over the limit of 100 at 2 vCores (resource-limits-vcore-elastic-pools); give the pool more vCores for the failback`,
      ),
    );
    expect(reprotectRoomProblems(spec, placement, [])).toEqual([]);
    // As many stale originals as each pool has room for fit.
    const fitting = trial.filter((id) => {
      const n = counts.get(placement[id]!)!;
      return trial.filter((x) => placement[x] === placement[id]).indexOf(id) < 100 - n;
    });
    expect(reprotectRoomProblems(spec, placement, fitting)).toEqual([]);
  });
});

describe("the trial tenants' geo-replication links (pure)", () => {
  const spec = shipped();
  const plan = (site: "primary" | "secondary", role: "active" | "passive") =>
    planSql(spec, "acmedata", site, role, false, false);
  const trial = spec.tenants.filter((t) => t.tier === "trial").map((t) => t.id);

  const none = { peerLinked: false, promoting: false };
  it("the promoted secondary holds the link of each geo-secondary it made, which must exist; a passive site none", () => {
    const promoted = plan("secondary", "active");
    expect(linkHolds(spec, promoted, "secondary", "active", "Secondary", none)).toEqual(
      promoted.recovery!.databases.map((database) => ({ database, requireLink: true })),
    );
    expect(promoted.recovery!.databases.map((d) => d.tenant)).toEqual(trial);
    // Geo-restored or copied databases have no link once the promotion is recorded.
    for (const mode of ["Recovery", "Copy"] as const)
      expect(
        linkHolds(spec, promoted, "secondary", "active", mode, { ...none, peerLinked: true }),
      ).toEqual([]);
    expect(
      linkHolds(spec, plan("secondary", "passive"), "secondary", "passive", "Secondary", {
        peerLinked: true,
        promoting: true,
      }),
    ).toEqual([]);
  });

  it("a promotion that geo-restores still takes over any link an earlier, failed attempt left, without requiring one", () => {
    // The failed attempt's outputs never recorded that it made geo-secondaries; the retry, with
    // a forced failover acknowledged, geo-restores the rest and fails the links it finds over.
    const promoted = plan("secondary", "active");
    const held = linkHolds(spec, promoted, "secondary", "active", "Recovery", {
      ...none,
      promoting: true,
    });
    expect(held.map((h) => [h.database.tenant, h.requireLink])).toEqual(
      trial.map((t) => [t, false]),
    );
  });

  it("the active primary holds its originals' links while the peer keeps geo-secondaries of them", () => {
    const active = plan("primary", "active");
    const held = linkHolds(spec, active, "primary", "active", "Secondary", {
      ...none,
      peerLinked: true,
    });
    expect(held.map((h) => h.database.tenant)).toEqual(trial);
    expect(held.every((h) => h.database.kind === "trial" && h.requireLink)).toBe(true);
    expect(linkHolds(spec, active, "primary", "active", "Secondary", none)).toEqual([]);
    expect(
      linkHolds(spec, plan("primary", "passive"), "primary", "passive", "Secondary", {
        peerLinked: true,
        promoting: false,
      }),
    ).toEqual([]);
  });

  it("a hold fails over forced only in the promotion itself, with mode forced; data loss only when acknowledged", () => {
    const forced = { mode: "forced", acknowledgeDataLoss: true };
    expect(holdFailover(true, forced)).toEqual({ mode: "forced", allowDataLoss: true });
    expect(holdFailover(true, { ...forced, acknowledgeDataLoss: false })).toEqual({
      mode: "forced",
      allowDataLoss: false,
    });
    expect(holdFailover(false, forced)).toEqual({ mode: "planned", allowDataLoss: false });
    expect(holdFailover(true, { mode: "planned", acknowledgeDataLoss: true })).toEqual({
      mode: "planned",
      allowDataLoss: false,
    });
  });

  it("a peer keeps linked copies only while it records geo-secondaries it has not released", () => {
    expect(keepsLinkedCopies({ sqlRecovered: true, sqlRecoveredBy: "Secondary" })).toBe(true);
    expect(keepsLinkedCopies({ sqlRecovered: false, sqlRecoveredBy: "Secondary" })).toBe(false);
    expect(keepsLinkedCopies({ sqlRecovered: true, sqlRecoveredBy: "Copy" })).toBe(false);
    expect(keepsLinkedCopies({ sqlRecovered: true })).toBe(false);
    expect(keepsLinkedCopies({})).toBe(false);
    // The record round-trips through the stack's outputs; an unknown mode is dropped.
    expect(parseLastDeployment({ sqlRecovered: true, sqlRecoveredBy: "Secondary" })).toEqual({
      sqlRecovered: true,
      sqlRecoveredBy: "Secondary",
    });
    expect(parseLastDeployment({ sqlRecoveredBy: "Restore" }).sqlRecoveredBy).toBe(undefined);
  });
});

describe("cross-stack readiness and the role transition (pure)", () => {
  const spec = parsePlatformConfig(validRaw(), REPO).sql;
  const owned = failoverGroups(spec, "acmedata").filter((g) => g.home === "primary");

  it("a failover group waits for the peer's server, and a paid group for its paid pool", () => {
    expect(creatableGroups(owned, undefined, undefined)).toEqual([]);
    const serverOnly = { server: "acmedata-secondary-sql", pools: [], failoverGroups: [] };
    expect(creatableGroups(owned, serverOnly, undefined).map((g) => g.name)).toEqual([
      "acmedata-primary-fg-mgmt",
    ]);
    const withPool = { ...serverOnly, pools: ["paid"] };
    expect(creatableGroups(owned, withPool, undefined).map((g) => g.name)).toEqual([
      "acmedata-primary-fg-mgmt",
      "acmedata-primary-fg-paid-01",
      "acmedata-primary-fg-paid-02",
    ]);
  });

  it("a group this stack already created stays, whatever the peer's record says now", () => {
    const own = {
      server: "acmedata-primary-sql",
      pools: ["paid"],
      failoverGroups: ["acmedata-primary-fg-paid-02"],
    };
    expect(creatableGroups(owned, undefined, own).map((g) => g.name)).toEqual([
      "acmedata-primary-fg-paid-02",
    ]);
    const serverOnly = { server: "acmedata-secondary-sql", pools: [], failoverGroups: [] };
    expect(creatableGroups(owned, serverOnly, own).map((g) => g.name)).toEqual([
      "acmedata-primary-fg-mgmt",
      "acmedata-primary-fg-paid-02",
    ]);
  });

  it("outputs from before the SQL record existed show everything that program registered", () => {
    // A role and no `sql`: the earlier program created the server, every pool and every group.
    expect(recordedSql({ role: "active" })).toBe("all");
    expect(recordedSql({})).toBeUndefined();
    const sqlRecord = { server: "s", pools: ["paid"], failoverGroups: ["g"] };
    expect(recordedSql({ role: "passive", sql: sqlRecord })).toBe(sqlRecord);
    const all = owned.map((g) => g.name);
    expect(creatableGroups(owned, undefined, "all").map((g) => g.name)).toEqual(all);
    expect(creatableGroups(owned, "all", undefined).map((g) => g.name)).toEqual(all);
    expect(holdableGroups(["g-own", "g-peer"], [], "all")).toEqual(["g-own", "g-peer"]);
  });

  it("a hold waits for its group: registered here, or recorded by the peer", () => {
    const holds = ["g-own", "g-peer", "g-missing"];
    const peer = { server: "s", pools: [], failoverGroups: ["g-peer"] };
    expect(holdableGroups(holds, ["g-own"], peer)).toEqual(["g-own", "g-peer"]);
    expect(holdableGroups(holds, [], undefined)).toEqual([]);
  });

  it("only a promotion may force; a demoted site serves its primaries until the peer is active", () => {
    expect(sqlTransition("active", "passive", "passive")).toEqual({
      promoting: true,
      stillServesPrimaries: false,
    });
    expect(sqlTransition("active", "active", "passive")).toEqual({
      promoting: false,
      stillServesPrimaries: false,
    });
    expect(sqlTransition("passive", "active", "passive")).toEqual({
      promoting: false,
      stillServesPrimaries: true,
    });
    expect(sqlTransition("passive", "active", "active")).toEqual({
      promoting: false,
      stillServesPrimaries: false,
    });
    expect(sqlTransition("active", undefined, undefined).promoting).toBe(false);
  });
});
