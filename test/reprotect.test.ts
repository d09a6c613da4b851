import { describe, expect, it } from "vitest";
import { loopbackPerTest, armError, armProvider, calls, type Reply } from "./loopback";
import {
  reprotectProvider,
  siblingId,
  staleName,
  type ReprotectInputs,
  type ReprotectOutputs,
} from "../components/sql/failover/reprotect";

const SERVER =
  "/subscriptions/sub1/resourceGroups/rg-p/providers/Microsoft.Sql/servers/sql-primary";
const DB = `${SERVER}/databases/tenant-aurora`;
const STALE = `${SERVER}/databases/tenant-aurora-stale-e3`;
const COPY =
  "/subscriptions/sub1/resourceGroups/rg-s/providers/Microsoft.Sql/servers/sql-secondary/databases/tenant-aurora";
const POOL = `${SERVER}/elasticPools/trial`;
// The API versions @azure/arm-sql 10.0.0 pins: databases (apiVersion1), replication links (apiVersion4).
const DBV = "api-version=2022-08-01-preview";
const LINKV = "api-version=2022-02-01-preview";

const database = (id: string, status = "Online"): Reply => ({
  status: 200,
  body: { id, name: id.split("/").pop(), location: "eastus2", properties: { status } },
});
const notFound = armError(404, "ResourceNotFound", "not found");
/** ReplicationLinks_ListByDatabase: one page. */
const links = (...partners: { server: string; role: string }[]): Reply => ({
  status: 200,
  body: {
    value: partners.map((p, i) => ({
      id: `${DB}/replicationLinks/link-${i}`,
      name: `link-${i}`,
      properties: { partnerServer: p.server, role: p.role, replicationState: "SEEDING" },
    })),
  },
});
const accepted: Reply = {
  status: 202,
  headers: { "Azure-AsyncOperation": `/operations/op1?${DBV}` },
};
const op = (status: string): Reply => ({ status: 200, body: { name: "op1", status } });

describe("Reprotect through @azure/arm-sql (a stale original renamed aside, the tenant's name a geo-secondary of the restored copy)", () => {
  const loopback = loopbackPerTest();
  const start = (script: Record<string, Reply[]>) =>
    armProvider(loopback, script, reprotectProvider);
  const inputs = (endpoint: string, over: Partial<ReprotectInputs> = {}): ReprotectInputs => ({
    endpoint,
    databaseId: DB,
    sourceDatabaseId: COPY,
    elasticPoolId: POOL,
    location: "eastus2",
    staleName: "tenant-aurora-stale-e3",
    tags: { platform: "acmedata" },
    timeoutSeconds: 10,
    pollSeconds: 0.01,
    requestTimeoutSeconds: 5,
    maxRetries: 3,
    ...over,
  });

  it("names: the stale original keeps the tenant's name and the failover's epoch, on its server", () => {
    expect(staleName("tenant-aurora", 3)).toBe("tenant-aurora-stale-e3");
    expect(siblingId(DB, "tenant-aurora-stale-e3")).toBe(STALE);
  });

  it("renames the original aside, then creates the tenant's name as a geo-secondary of the copy, in its pool", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [links()],
      [`GET ${STALE}`]: [notFound],
      [`GET ${COPY}`]: [database(COPY)],
      [`POST ${DB}/move`]: [{ status: 200 }],
      [`PUT ${DB}`]: [accepted],
      "GET /operations/op1": [op("InProgress"), op("Succeeded")],
      [`GET ${DB}`]: [database(DB)],
    });
    const result = await api.provider.create!(inputs(api.url));
    expect(result.id).toBe(DB);
    expect(result.outs).toEqual({
      ...inputs(api.url),
      staleDatabase: "tenant-aurora-stale-e3",
      reprotectedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(calls(api)).toEqual([
      `GET ${DB}/replicationLinks?${LINKV}`,
      `GET ${STALE}?${DBV}`,
      `GET ${COPY}?${DBV}`,
      `POST ${DB}/move?${DBV}`,
      `PUT ${DB}?${DBV}`,
      `GET /operations/op1?${DBV}`,
      `GET /operations/op1?${DBV}`,
      `GET ${DB}?${DBV}`,
    ]);
    // Databases_Rename takes the target's ARM ID on the same server (Databases.json,
    // ResourceMoveDefinition). A geo-secondary has the primary's name
    // (ReplicationSourceAndTargetMustHaveSameName, Databases_CreateOrUpdate): so the original
    // steps aside first.
    expect(JSON.parse(api.requests[3]!.body)).toEqual({ id: STALE });
    expect(JSON.parse(api.requests[4]!.body)).toEqual({
      location: "eastus2",
      tags: { platform: "acmedata" },
      properties: {
        createMode: "Secondary",
        secondaryType: "Geo",
        sourceDatabaseId: COPY,
        elasticPoolId: POOL,
        requestedBackupStorageRedundancy: "Geo",
      },
    });
    expect(api.scopes).toEqual([[`${api.url}/.default`]]);
    expect(JSON.stringify(result.outs)).not.toContain("tok-");
  });

  it("an earlier run's geo-secondary is taken as done: nothing renamed, nothing created", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [
        links(
          { server: "sql-elsewhere", role: "Primary" },
          { server: "sql-secondary", role: "Secondary" },
        ),
      ],
      [`GET ${STALE}`]: [database(STALE)],
    });
    const result = await api.provider.create!(inputs(api.url));
    expect(result.outs).toMatchObject({
      staleDatabase: "tenant-aurora-stale-e3",
      reprotectedAt: "",
    });
    expect(calls(api)).toEqual([`GET ${DB}/replicationLinks?${LINKV}`, `GET ${STALE}?${DBV}`]);
  });

  it("with the original gone, creates the geo-secondary and names no stale original", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [notFound],
      [`GET ${STALE}`]: [notFound],
      [`GET ${COPY}`]: [database(COPY)],
      [`PUT ${DB}`]: [{ status: 200, body: { id: DB, properties: {} } }],
    });
    const result = await api.provider.create!(inputs(api.url));
    expect(result.outs).toMatchObject({ staleDatabase: "" });
    expect(calls(api)).toEqual([
      `GET ${DB}/replicationLinks?${LINKV}`,
      `GET ${STALE}?${DBV}`,
      `GET ${COPY}?${DBV}`,
      `PUT ${DB}?${DBV}`,
    ]);
  });

  it("refuses when both the unlinked original and the stale name exist: it cannot tell which the tenant wrote last", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [links()],
      [`GET ${STALE}`]: [database(STALE)],
      [`GET ${COPY}`]: [database(COPY)],
    });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      "reprotect of tenant-aurora on sql-primary from sql-secondary: both tenant-aurora and tenant-aurora-stale-e3 exist on sql-primary and tenant-aurora has no link to sql-secondary: see which one the tenant wrote last, delete or rename the other, and deploy again",
    );
    expect(calls(api)).toHaveLength(3);
  });

  it("a refused create gives the original its name back, so the tenant's name never points at nothing", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [links()],
      [`GET ${STALE}`]: [notFound],
      [`GET ${COPY}`]: [database(COPY)],
      [`POST ${DB}/move`]: [{ status: 200 }],
      [`PUT ${DB}`]: [
        armError(
          400,
          "ReplicationSourceAndTargetMustHaveSameName",
          "The replication source and target databases must have the same name.",
        ),
      ],
      [`GET ${DB}`]: [notFound],
      [`POST ${STALE}/move`]: [{ status: 200 }],
    });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      `reprotect of tenant-aurora on sql-primary from sql-secondary: creating tenant-aurora as a geo-secondary of ${COPY}: HTTP 400: ReplicationSourceAndTargetMustHaveSameName: The replication source and target databases must have the same name.`,
    );
    expect(calls(api).slice(4)).toEqual([
      `PUT ${DB}?${DBV}`,
      `GET ${DB}?${DBV}`,
      `POST ${STALE}/move?${DBV}`,
    ]);
    expect(JSON.parse(api.requests[6]!.body)).toEqual({ id: DB });
  });

  it("a create that fails in Azure: what it left under the name goes, then the original takes the name back", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [links()],
      [`GET ${STALE}`]: [notFound],
      [`GET ${COPY}`]: [database(COPY)],
      [`POST ${DB}/move`]: [{ status: 200 }],
      [`PUT ${DB}`]: [accepted],
      "GET /operations/op1": [
        {
          status: 200,
          body: {
            name: "op1",
            status: "Failed",
            error: { code: "InternalServerError", message: "seeding failed" },
          },
        },
      ],
      [`GET ${DB}`]: [database(DB, "Creating"), notFound],
      [`DELETE ${DB}`]: [{ status: 200 }],
      [`POST ${STALE}/move`]: [{ status: 200 }],
    });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      `reprotect of tenant-aurora on sql-primary from sql-secondary: creating tenant-aurora as a geo-secondary of ${COPY}`,
    );
    expect(calls(api).slice(4)).toEqual([
      `PUT ${DB}?${DBV}`,
      `GET /operations/op1?${DBV}`,
      `GET ${DB}?${DBV}`,
      `DELETE ${DB}?${DBV}`,
      `GET ${DB}?${DBV}`,
      `POST ${STALE}/move?${DBV}`,
    ]);
  });

  it("renames nothing while the copy is not online, or gone", async () => {
    for (const [reply, is] of [
      [database(COPY, "Restoring"), "Restoring"],
      [notFound, "gone (404)"],
    ] as const) {
      const api = await start({
        [`GET ${DB}/replicationLinks`]: [links()],
        [`GET ${STALE}`]: [notFound],
        [`GET ${COPY}`]: [reply],
      });
      await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
        `reprotect of tenant-aurora on sql-primary from sql-secondary: the copy ${COPY} is ${is}, not Online: nothing was renamed; deploy again once it is online`,
      );
      expect(calls(api)).toHaveLength(3);
    }
  });

  it("a rename Azure refuses names what to stop", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [links()],
      [`GET ${STALE}`]: [notFound],
      [`GET ${COPY}`]: [database(COPY)],
      [`POST ${DB}/move`]: [armError(409, "Conflict", "The database is in use.")],
    });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      "reprotect of tenant-aurora on sql-primary from sql-secondary: renaming tenant-aurora to tenant-aurora-stale-e3 (Azure renames a database only while nothing is connected to it: stop what still connects to tenant-aurora on sql-primary, then deploy again): HTTP 409: Conflict: The database is in use.",
    );
    expect(calls(api).filter((c) => c.startsWith("PUT"))).toEqual([]);
  });

  it("refuses a copy in another subscription before any call", async () => {
    const api = await start({});
    const other = COPY.replace("sub1", "sub2");
    await expect(
      api.provider.create!(inputs(api.url, { sourceDatabaseId: other })),
    ).rejects.toThrow(
      "reprotect of tenant-aurora on sql-primary from sql-secondary: a geo-secondary in another subscription is set up with SQL logins, which Entra-only servers do not have",
    );
    expect(calls(api)).toEqual([]);
  });

  const outs = (endpoint: string, over: Partial<ReprotectOutputs> = {}): ReprotectOutputs => ({
    ...inputs(endpoint),
    staleDatabase: "tenant-aurora-stale-e3",
    reprotectedAt: "2026-11-23T01:00:00.000Z",
    ...over,
  });

  it("a release leaves the stale original in Azure: it holds what the geo-restore missed", async () => {
    const api = await start({});
    await api.provider.delete!(DB, outs(api.url));
    expect(calls(api)).toEqual([]);
  });

  it("a refresh reads both databases: the tenant's gone is the resource gone, a stale one gone is forgotten", async () => {
    const api = await start({
      [`GET ${DB}`]: [database(DB), database(DB), notFound],
      [`GET ${STALE}`]: [database(STALE), notFound],
    });
    const { staleDatabase: _s, reprotectedAt: _r, ...stored } = outs(api.url);
    expect(await api.provider.read!(DB, outs(api.url))).toEqual({
      id: DB,
      props: outs(api.url),
      inputs: stored,
    });
    expect((await api.provider.read!(DB, outs(api.url))).props).toMatchObject({
      staleDatabase: "",
    });
    expect(await api.provider.read!(DB, outs(api.url))).toEqual({ id: "" });
  });

  it("an update moves nothing and never replaces", async () => {
    const api = await start({});
    const old = outs(api.url);
    expect(await api.provider.diff!(DB, old, inputs(api.url))).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    // The original was renamed once: a later epoch in the name changes nothing.
    expect(
      (await api.provider.diff!(DB, old, inputs(api.url, { staleName: "tenant-aurora-stale-e5" })))
        .changes,
    ).toBe(false);
    expect(
      await api.provider.diff!(DB, old, inputs(api.url, { elasticPoolId: `${POOL}-02` })),
    ).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const updated = await api.provider.update!(
      DB,
      old,
      inputs(api.url, { elasticPoolId: `${POOL}-02`, staleName: "tenant-aurora-stale-e5" }),
    );
    expect(updated.outs).toMatchObject({
      elasticPoolId: `${POOL}-02`,
      staleDatabase: "tenant-aurora-stale-e3",
      reprotectedAt: "2026-11-23T01:00:00.000Z",
    });
    expect(calls(api)).toEqual([]);
  });
});
