import { describe, expect, it } from "vitest";
import { sqlClient } from "../components/sql/failover/arm";
import { geoRestoreExposure, groupState, linkStates, mapBounded } from "../tools/status/sql";
import { countingCredential, loopbackPerTest, scriptedServer, type Reply } from "./loopback";

const RG = "acmedata-secondary-sql-rg";
const SERVER = "acmedata-secondary-sql";
const BASE = `/subscriptions/sub1/resourceGroups/${RG}/providers/Microsoft.Sql/servers/${SERVER}`;
const NOW = new Date("2026-11-22T12:00:00Z");
const signal = () => AbortSignal.timeout(10_000);

// Payloads as the API references give them (azure-rest-api-specs, specification/sql/
// resource-manager/Microsoft.Sql: FailoverGroups.json 2020-11-01-preview, ReplicationLinks.json
// 2022-02-01-preview, RecoverableDatabases.json 2022-08-01-preview: the versions @azure/arm-sql
// 10.0.0 pins for these operations).
const group: Reply = {
  status: 200,
  body: {
    id: `${BASE}/failoverGroups/acmedata-primary-fg-paid-01`,
    name: "acmedata-primary-fg-paid-01",
    type: "Microsoft.Sql/servers/failoverGroups",
    location: "Central US",
    properties: {
      readWriteEndpoint: { failoverPolicy: "Manual" },
      replicationRole: "Secondary",
      replicationState: "CATCH_UP",
      partnerServers: [
        {
          id: "/subscriptions/sub1/resourceGroups/acmedata-primary-sql-rg/providers/Microsoft.Sql/servers/acmedata-primary-sql",
          location: "East US 2",
          replicationRole: "Primary",
        },
      ],
      databases: [`${BASE}/databases/tenant-a`, `${BASE}/databases/tenant-b`],
    },
  },
};
const links = (db: string, replicationState: string): Reply => ({
  status: 200,
  body: {
    value: [
      {
        id: `${BASE}/databases/${db}/replicationLinks/5b301b68-03f6-4b26-b0f4-73ebb8634238`,
        name: "5b301b68-03f6-4b26-b0f4-73ebb8634238",
        type: "Microsoft.Sql/servers/databases/replicationLinks",
        properties: {
          partnerServer: "acmedata-primary-sql",
          partnerDatabase: db,
          partnerLocation: "East US 2",
          role: "Secondary",
          partnerRole: "Primary",
          replicationMode: "ASYNC",
          startTime: "2026-11-01T08:00:00Z",
          percentComplete: 100,
          replicationState,
          isTerminationAllowed: true,
          linkType: "GEO",
        },
      },
    ],
  },
});
const recoverable = (name: string, lastAvailableBackupDate: string) => ({
  id: `${BASE}/recoverabledatabases/${name}`,
  name,
  type: "Microsoft.Sql/servers/recoverabledatabases",
  properties: {
    edition: "Standard",
    serviceLevelObjective: "ElasticPool",
    elasticPoolName: "trial",
    lastAvailableBackupDate,
  },
});

describe("the SQL estate's replication state, through @azure/arm-sql against a loopback ARM", () => {
  const loopback = loopbackPerTest();
  const client = (url: string) =>
    sqlClient(
      { credential: countingCredential().credential, tls: { ca: loopback.tls().cert } },
      {
        endpoint: url,
        subscriptionId: "sub1",
        requestTimeoutMs: 2_000,
        maxRetries: 1,
        retryDelayMs: 10,
        maxWaitSeconds: 1,
      },
    );

  it("reads a group's role and replication state from one of its servers", async () => {
    const api = loopback.serve(
      await scriptedServer(
        { [`GET ${BASE}/failoverGroups/acmedata-primary-fg-paid-01`]: [group] },
        loopback.tls(),
        () => ({ status: 404, body: { error: { code: "ResourceNotFound", message: "no" } } }),
      ),
    );
    expect(
      await groupState(client(api.url), RG, SERVER, "acmedata-primary-fg-paid-01", signal()),
    ).toEqual({
      group: "acmedata-primary-fg-paid-01",
      server: SERVER,
      role: "Secondary",
      replicationState: "CATCH_UP",
      partners: ["acmedata-primary-sql"],
      databases: 2,
    });
  });

  it("reads each database's replication link (mapBounded, below, bounds how many at once)", async () => {
    const dbs = Array.from({ length: 12 }, (_, i) => `tenant-${i}`);
    const script = Object.fromEntries(
      dbs.map((db, i) => [
        `GET ${BASE}/databases/${db}/replicationLinks`,
        [links(db, i === 3 ? "SEEDING" : "CATCH_UP")],
      ]),
    );
    const api = loopback.serve(
      await scriptedServer(script, loopback.tls(), () => ({ status: 200, body: { value: [] } })),
    );
    const states = await linkStates(client(api.url), RG, SERVER, [...dbs, "tenant-x"], 4, signal());
    expect(states).toHaveLength(13);
    expect(states[3]).toEqual({
      database: "tenant-3",
      partnerServer: "acmedata-primary-sql",
      role: "Secondary",
      replicationState: "SEEDING",
    });
    // A database with no link says so.
    expect(states[12]).toEqual({
      database: "tenant-x",
      partnerServer: null,
      role: null,
      replicationState: null,
    });
    expect(api.requests).toHaveLength(13);
  });

  it("tells what a geo-restore of each tenant without a replica would lose now, from one paged listing", async () => {
    const api = loopback.serve(
      await scriptedServer(
        {
          [`GET ${BASE}/recoverableDatabases`]: [
            {
              status: 200,
              body: {
                value: [recoverable("trial-a", "2026-11-22T11:05:00Z")],
                nextLink: `/subscriptions/sub1/resourceGroups/${RG}/providers/Microsoft.Sql/servers/${SERVER}/recoverableDatabases?api-version=2022-08-01-preview&$skiptoken=2`,
              },
            },
            {
              status: 200,
              body: { value: [recoverable("trial-b", "2026-11-22T11:50:00Z")] },
            },
          ],
        },
        loopback.tls(),
        () => ({ status: 404, body: { error: { code: "ResourceNotFound", message: "no" } } }),
      ),
    );
    expect(
      await geoRestoreExposure(
        client(api.url),
        RG,
        SERVER,
        ["trial-a", "trial-b", "trial-new"],
        NOW,
        signal(),
      ),
    ).toEqual([
      { database: "trial-a", lastAvailableBackupDate: "2026-11-22T11:05:00.000Z", minutesLost: 55 },
      { database: "trial-b", lastAvailableBackupDate: "2026-11-22T11:50:00.000Z", minutesLost: 10 },
      // A tenant created since the last geo-replicated backup has none to restore from.
      { database: "trial-new", lastAvailableBackupDate: null, minutesLost: null },
    ]);
    expect(api.requests.map((r) => r.url.replace(/\?.*/, ""))).toEqual([
      `${BASE}/recoverableDatabases`,
      `${BASE}/recoverableDatabases`,
    ]);
  });
});

describe("mapBounded", () => {
  it("keeps the order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });
});
