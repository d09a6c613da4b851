import { describe, expect, it } from "vitest";
import { loopbackPerTest, armError, armProvider, calls, type Reply } from "./loopback";
import {
  linkNotHeldMessage,
  parseDatabaseId,
  replicaProvider,
  type ReplicaInputs,
} from "../components/sql/failover/replica";

const DB =
  "/subscriptions/sub1/resourceGroups/rg-dr/providers/Microsoft.Sql/servers/sql-dr/databases/tenant-aurora";
const LINK = "4891ca10-ebd0-47d7-9182-c722651780fb";
// The API version @azure/arm-sql 10.0.0 pins for replication links (its apiVersion4 parameter).
const V = "api-version=2022-02-01-preview";

/** One page of ReplicationLinks_ListByDatabase (ReplicationLinks.json, ReplicationLinkListResult). */
const links = (
  ...items: { partnerServer: string; role: string; replicationState?: string }[]
): Reply => ({
  status: 200,
  body: {
    value: items.map((l, i) => ({
      id: `${DB}/replicationLinks/${i === 0 ? LINK : `other-${i}`}`,
      name: i === 0 ? LINK : `other-${i}`,
      properties: {
        partnerServer: l.partnerServer,
        partnerDatabase: "tenant-aurora",
        role: l.role,
        partnerRole: l.role === "Primary" ? "Secondary" : "Primary",
        replicationState: l.replicationState ?? "CATCH_UP",
        linkType: "GEO",
      },
    })),
  },
});
const op = (status: string): Reply => ({ status: 200, body: { name: "op1", status } });
const accepted: Reply = {
  status: 202,
  headers: { "Azure-AsyncOperation": `/operations/op1?${V}` },
};

describe("ReplicaPrimary through @azure/arm-sql (a tenant database made primary of its geo-replication link)", () => {
  const loopback = loopbackPerTest();
  const start = (script: Record<string, Reply[]>) => armProvider(loopback, script, replicaProvider);
  const inputs = (endpoint: string, over: Partial<ReplicaInputs> = {}): ReplicaInputs => ({
    endpoint,
    databaseId: DB,
    partnerServer: "sql-primary",
    requireLink: false,
    mode: "planned",
    allowDataLoss: false,
    timeoutSeconds: 10,
    pollSeconds: 0.01,
    requestTimeoutSeconds: 5,
    maxRetries: 3,
    ...over,
  });

  it("waits out the seeding, fails the link to the partner over planned, then reads it primary", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [
        links({ partnerServer: "sql-primary", role: "Secondary", replicationState: "SEEDING" }),
        links({ partnerServer: "sql-primary", role: "Secondary" }),
        links({ partnerServer: "sql-primary", role: "Primary" }),
      ],
      [`POST ${DB}/replicationLinks/${LINK}/failover`]: [accepted],
      "GET /operations/op1": [op("InProgress"), op("Succeeded")],
    });
    const result = await api.provider.create!(inputs(api.url));
    expect(result.id).toBe(DB);
    expect(result.outs).toEqual({
      ...inputs(api.url),
      replicationRole: "Primary",
      failedOverAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(calls(api)).toEqual([
      `GET ${DB}/replicationLinks?${V}`,
      `GET ${DB}/replicationLinks?${V}`,
      `POST ${DB}/replicationLinks/${LINK}/failover?${V}`,
      `GET /operations/op1?${V}`,
      `GET /operations/op1?${V}`,
      `GET ${DB}/replicationLinks?${V}`,
    ]);
    expect(api.scopes).toEqual([[`${api.url}/.default`]]);
    expect(JSON.stringify(result.outs)).not.toContain("tok-");
  });

  it("forced: fails over allowing data loss, only with the acknowledgment", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [
        links({ partnerServer: "sql-primary", role: "Secondary", replicationState: "SUSPENDED" }),
        links({ partnerServer: "sql-primary", role: "Primary" }),
      ],
      [`POST ${DB}/replicationLinks/${LINK}/forceFailoverAllowDataLoss`]: [
        { status: 200, body: {} },
      ],
    });
    await expect(api.provider.create!(inputs(api.url, { mode: "forced" }))).rejects.toThrow(
      `${DB}: a forced geo-failover can lose data (transactions not yet replicated to this server); it needs the explicit acknowledgment allowDataLoss: true`,
    );
    expect(api.requests).toEqual([]);
    const result = await api.provider.create!(
      inputs(api.url, { mode: "forced", allowDataLoss: true }),
    );
    expect(result.outs.replicationRole).toBe("Primary");
    expect(calls(api)).toEqual([
      `GET ${DB}/replicationLinks?${V}`,
      `POST ${DB}/replicationLinks/${LINK}/forceFailoverAllowDataLoss?${V}`,
      `GET ${DB}/replicationLinks?${V}`,
    ]);
  });

  it("already primary, or no link to the partner: nothing to fail over", async () => {
    for (const reply of [
      links({ partnerServer: "sql-primary", role: "Primary" }),
      // A link to another server is not this one's; a database without a link to the partner
      // is its own primary (the peer released its copy).
      links({ partnerServer: "sql-elsewhere", role: "Secondary" }),
      { status: 200, body: { value: [] } } as Reply,
    ]) {
      const api = await start({ [`GET ${DB}/replicationLinks`]: [reply] });
      const result = await api.provider.create!(inputs(api.url));
      expect(result.outs).toMatchObject({ replicationRole: "Primary", failedOverAt: "" });
      expect(calls(api)).toEqual([`GET ${DB}/replicationLinks?${V}`]);
    }
  });

  it("a database made as a geo-secondary refuses a failover without its link; a refresh reads it as its own primary", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [
        links({ partnerServer: "sql-elsewhere", role: "Secondary" }),
      ],
    });
    await expect(api.provider.create!(inputs(api.url, { requireLink: true }))).rejects.toThrow(
      "geo-replication link of tenant-aurora on sql-dr (partner sql-primary): no geo-replication link to sql-primary, though the database was made as its geo-secondary: the link was removed, so both copies are writable; see which one the tenant wrote last before promoting",
    );
    const held = {
      ...inputs(api.url, { requireLink: true }),
      replicationRole: "Primary",
      failedOverAt: "",
    };
    expect((await api.provider.read!(DB, held)).props).toEqual(held);
    expect(calls(api).filter((c) => c.startsWith("POST"))).toEqual([]);
  });

  it("retries a busy answer after reading the role again; reports any other refusal at once", async () => {
    const busy = await start({
      [`GET ${DB}/replicationLinks`]: [
        links({ partnerServer: "sql-primary", role: "Secondary" }),
        links({ partnerServer: "sql-primary", role: "Secondary" }),
        links({ partnerServer: "sql-primary", role: "Primary" }),
      ],
      [`POST ${DB}/replicationLinks/${LINK}/failover`]: [
        armError(409, "ManagementServiceDatabaseBusy", "Database 'tenant-aurora' is busy"),
        { status: 200, body: {} },
      ],
    });
    await busy.provider.create!(inputs(busy.url));
    expect(calls(busy).filter((c) => c.startsWith("POST"))).toHaveLength(2);

    const refused = await start({
      [`GET ${DB}/replicationLinks`]: [links({ partnerServer: "sql-primary", role: "Secondary" })],
      [`POST ${DB}/replicationLinks/${LINK}/failover`]: [
        armError(
          409,
          "FailoverGroupAlreadySetup",
          "The geo-replication link is part of a Failover Group",
        ),
      ],
    });
    await expect(refused.provider.create!(inputs(refused.url))).rejects.toThrow(
      `geo-replication link of tenant-aurora on sql-dr (partner sql-primary): planned failover refused: HTTP 409: FailoverGroupAlreadySetup`,
    );
    expect(calls(refused).filter((c) => c.startsWith("POST"))).toHaveLength(1);
  });

  it("GeoReplicationDatabaseNotSecondary: the role decides, and a contradiction is reported", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [links({ partnerServer: "sql-primary", role: "Secondary" })],
      [`POST ${DB}/replicationLinks/${LINK}/failover`]: [
        armError(400, "GeoReplicationDatabaseNotSecondary", "expects a replication target"),
      ],
    });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      "Azure answers GeoReplicationDatabaseNotSecondary, but the server reads as Secondary",
    );
  });

  it("refresh reads the role; an update never moves the link, naming how to; a gone database blanks the resource", async () => {
    const api = await start({
      [`GET ${DB}/replicationLinks`]: [links({ partnerServer: "sql-primary", role: "Secondary" })],
    });
    const held = { ...inputs(api.url), replicationRole: "Primary", failedOverAt: "" };
    const read = await api.provider.read!(DB, held);
    expect(read).toEqual({
      id: DB,
      props: { ...held, replicationRole: "Secondary" },
      inputs: inputs(api.url),
    });
    const diff = await api.provider.diff!(DB, read.props as typeof held, inputs(api.url));
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    await expect(api.provider.update!(DB, held, inputs(api.url))).rejects.toThrow(
      linkNotHeldMessage(DB, "Secondary"),
    );
    expect(calls(api).filter((c) => c.startsWith("POST"))).toEqual([]);
    expect(linkNotHeldMessage(DB, "Secondary")).toBe(
      "database tenant-aurora on sql-dr is Secondary of its geo-replication link now, not primary: someone failed it over. Only a promotion moves a link: a routine deployment never fails one back. To keep the new primary, promote its site; to move the link back, fail it over yourself (az sql db replica set-primary --resource-group rg-dr --server sql-dr --name tenant-aurora), then deploy again.",
    );

    const gone = await start({
      [`GET ${DB}/replicationLinks`]: [armError(404, "DatabaseDoesNotExist", "no such database")],
    });
    expect(await gone.provider.read!(DB, { ...held, endpoint: gone.url })).toEqual({ id: "" });
    // Removing the resource moves nothing: the other stack's promotion fails the link back.
    await gone.provider.delete!(DB, held);
    expect(calls(gone)).toEqual([`GET ${DB}/replicationLinks?${V}`]);
  });

  it("names a malformed database ID", () => {
    expect(() => parseDatabaseId("/subscriptions/s/databases/x")).toThrow(
      "databaseId must be /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Sql/servers/<server>/databases/<db> (given: /subscriptions/s/databases/x)",
    );
  });
});
