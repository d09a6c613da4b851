import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers";
import {
  countingCredential,
  fakeAzureCli,
  loopbackCertificate,
  loopbackPerTest,
  runFixture,
  armError,
  calls,
  fakeArm,
  type Reply,
} from "./loopback";
import { armIdentity, retryAfterSeconds } from "../components/azureCalls";
import { parseFailoverGroupId } from "../components/sql/failover/arm";
import {
  holdProvider,
  notHeldMessage,
  type HoldInputs,
  type HoldOutputs,
} from "../components/sql/failover/hold";

const FG =
  "/subscriptions/sub1/resourceGroups/rg-dr/providers/Microsoft.Sql/servers/sql-dr/failoverGroups/fg1";
// The API version @azure/arm-sql 10.0.0 pins for failover groups (its apiVersion3 parameter).
const V = "api-version=2020-11-01-preview";

const role = (replicationRole: string): Reply => ({
  status: 200,
  body: { id: FG, name: "fg1", properties: { replicationRole } },
});
const op = (status: string, error?: { code: string; message: string }): Reply => ({
  status: 200,
  body: { name: "op1", status, ...(error && { error }) },
});
const accepted = (headers: Record<string, string>): Reply => ({ status: 202, headers });
const withHeaders = (reply: Reply, headers: Record<string, string>): Reply =>
  reply === "silent" ? reply : { ...reply, headers };

/**
 * A loopback stand-in for ARM over TLS (scriptedServer); an unscripted route answers 404
 * ResourceNotFound.
 */

describe("FailoverGroupPrimary through @azure/arm-sql (a server made primary on promotion)", () => {
  const loopback = loopbackPerTest();
  const start = async (script: Record<string, Reply[]>) => {
    const api = loopback.serve(await fakeArm(script, loopback.tls()));
    const { credential, scopes } = countingCredential();
    let accessCalls = 0;
    const provider = holdProvider(() => {
      accessCalls++;
      return { credential, tls: { ca: loopback.tls().cert } };
    });
    return { ...api, provider, scopes, accessCalls: () => accessCalls };
  };
  const inputs = (endpoint: string, over: Partial<HoldInputs> = {}): HoldInputs => ({
    endpoint,
    failoverGroupId: FG,
    mode: "planned",
    allowDataLoss: false,
    timeoutSeconds: 10,
    pollSeconds: 0.01,
    requestTimeoutSeconds: 5,
    maxRetries: 3,
    ...over,
  });
  const posts = (api: { requests: { method: string }[] }) =>
    api.requests.filter((r) => r.method === "POST").length;

  it("planned failover: polls the Azure-AsyncOperation until it succeeds, then reads the role", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [accepted({ "Azure-AsyncOperation": `/operations/op1?${V}` })],
      "GET /operations/op1": [op("InProgress"), op("InProgress"), op("Succeeded")],
    });
    const result = await api.provider.create!(inputs(api.url));
    expect(result.id).toBe(FG);
    expect(result.outs).toEqual({
      ...inputs(api.url),
      replicationRole: "Primary",
      failedOverAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(calls(api)).toEqual([
      `GET ${FG}?${V}`,
      `POST ${FG}/failover?${V}`,
      `GET /operations/op1?${V}`,
      `GET /operations/op1?${V}`,
      `GET /operations/op1?${V}`,
      `GET ${FG}?${V}`,
    ]);
    // One token, asked for the endpoint's scope when the call was made; never in the outputs.
    expect(api.scopes).toEqual([[`${api.url}/.default`]]);
    expect(api.requests.map((r) => r.auth)).toEqual(Array(6).fill("Bearer tok-1"));
    expect(JSON.stringify(result.outs)).not.toContain("tok-");
  });

  it("planned failover: polls the Location header while it answers 202, until 200", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [accepted({ Location: `/results/r1?${V}` })],
      "GET /results/r1": [{ status: 202 }, { status: 202 }, { status: 200, body: {} }],
    });
    const result = await api.provider.create!(inputs(api.url));
    expect(result.outs.replicationRole).toBe("Primary");
    expect(calls(api)).toEqual([
      `GET ${FG}?${V}`,
      `POST ${FG}/failover?${V}`,
      `GET /results/r1?${V}`,
      `GET /results/r1?${V}`,
      `GET /results/r1?${V}`,
      `GET ${FG}?${V}`,
    ]);
  });

  it("refuses a forced failover without the data-loss acknowledgment, before any request", async () => {
    const api = await start({ [`GET ${FG}`]: [role("Secondary")] });
    await expect(api.provider.create!(inputs(api.url, { mode: "forced" }))).rejects.toThrow(
      `failover group ${FG}: forced failover can lose data (transactions not yet replicated to this server); it needs the explicit acknowledgment allowDataLoss: true`,
    );
    await expect(
      api.provider.update!(
        FG,
        { ...inputs(api.url), replicationRole: "Primary", failedOverAt: "" },
        inputs(api.url, { mode: "forced" }),
      ),
    ).rejects.toThrow("it needs the explicit acknowledgment allowDataLoss: true");
    expect(api.requests).toEqual([]);
    expect(api.scopes).toEqual([]);
  });

  it("forced failover with the acknowledgment posts forceFailoverAllowDataLoss", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/forceFailoverAllowDataLoss`]: [{ status: 200, body: {} }],
    });
    const result = await api.provider.create!(
      inputs(api.url, { mode: "forced", allowDataLoss: true }),
    );
    expect(result.outs.replicationRole).toBe("Primary");
    expect(calls(api)).toEqual([
      `GET ${FG}?${V}`,
      `POST ${FG}/forceFailoverAllowDataLoss?${V}`,
      `GET ${FG}?${V}`,
    ]);
  });

  // FailoverGroups.json (2021-11-01) lists 409 FailoverGroupBusy, 409 OperationInterrupted and
  // 429 ConflictingServerOperation among the failover's error answers.
  for (const [status, code] of [
    [409, "FailoverGroupBusy"],
    [409, "OperationInterrupted"],
    [429, "ConflictingServerOperation"],
  ] as const) {
    it(`${status} ${code}: reads the role again, waits and fails over once the group is free`, async () => {
      const api = await start({
        [`GET ${FG}`]: [role("Secondary"), role("Secondary"), role("Primary")],
        [`POST ${FG}/failover`]: [
          armError(status, code, "Another operation is in progress."),
          { status: 200, body: {} },
        ],
      });
      const result = await api.provider.create!(inputs(api.url));
      expect(result.outs.failedOverAt).not.toBe("");
      expect(calls(api)).toEqual([
        `GET ${FG}?${V}`,
        `POST ${FG}/failover?${V}`,
        `GET ${FG}?${V}`,
        `POST ${FG}/failover?${V}`,
        `GET ${FG}?${V}`,
      ]);
    });
  }

  it("a busy group that another failover made primary meanwhile: no second failover", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [armError(409, "FailoverGroupBusy", "A failover is in progress.")],
    });
    const result = await api.provider.create!(inputs(api.url));
    expect(result.outs).toMatchObject({ replicationRole: "Primary", failedOverAt: "" });
    expect(posts(api)).toBe(1);
  });

  it("FailoverGroupNotSecondary: the role read again decides (primary: done, no error)", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [
        armError(
          400,
          "FailoverGroupNotSecondary",
          "Failover cannot be initiated from the primary server in a Failover Group.",
        ),
      ],
    });
    const result = await api.provider.create!(inputs(api.url));
    expect(result.outs).toMatchObject({ replicationRole: "Primary", failedOverAt: "" });
    expect(calls(api)).toEqual([`GET ${FG}?${V}`, `POST ${FG}/failover?${V}`, `GET ${FG}?${V}`]);
  });

  it("FailoverGroupNotSecondary while the server still reads secondary is an error", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [armError(400, "FailoverGroupNotSecondary", "not secondary")],
    });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      `failover group ${FG}: Azure answers FailoverGroupNotSecondary, but the server reads as Secondary`,
    );
    expect(posts(api)).toBe(2);
  });

  it("throws any other refusal at once with status, code and message", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [
        armError(
          400,
          "PlannedFailoverTimedOut",
          "it timed out while trying to contact the partner",
        ),
      ],
    });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      `failover group ${FG}: planned failover refused: HTTP 400: PlannedFailoverTimedOut: it timed out while trying to contact the partner`,
    );
    expect(posts(api)).toBe(1);
  });

  it("retries a 429 after its Retry-After, and a 5xx on a poll, then succeeds", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [
        withHeaders(armError(429, "TooManyRequests", "Slow down."), { "Retry-After": "1" }),
        accepted({ "Azure-AsyncOperation": `/operations/op1?${V}` }),
      ],
      "GET /operations/op1": [armError(500, "InternalServerError", "Try again."), op("Succeeded")],
    });
    const t0 = Date.now();
    const result = await api.provider.create!(inputs(api.url));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(result.outs.replicationRole).toBe("Primary");
    expect(calls(api)).toEqual([
      `GET ${FG}?${V}`,
      `POST ${FG}/failover?${V}`,
      `POST ${FG}/failover?${V}`,
      `GET /operations/op1?${V}`,
      `GET /operations/op1?${V}`,
      `GET ${FG}?${V}`,
    ]);
  });

  it("gives up on a 5xx after maxRetries retries, with the last answer", async () => {
    const api = await start({
      [`GET ${FG}`]: [
        armError(503, "ServiceUnavailable", "attempt 1"),
        armError(503, "ServiceUnavailable", "attempt 2"),
        armError(502, "BadGateway", "attempt 3"),
      ],
    });
    await expect(api.provider.create!(inputs(api.url, { maxRetries: 2 }))).rejects.toThrow(
      `failover group ${FG}: reading its role: HTTP 502: BadGateway: attempt 3`,
    );
    expect(calls(api)).toEqual(Array(3).fill(`GET ${FG}?${V}`));
  });

  it("a socket that never answers fails each attempt on its own timeout, retried, then reported", async () => {
    const api = await start({ [`GET ${FG}`]: ["silent"] });
    await expect(
      api.provider.create!(inputs(api.url, { requestTimeoutSeconds: 0.2, maxRetries: 1 })),
    ).rejects.toThrow(
      `failover group ${FG}: reading its role: ETIMEDOUT: GET ${FG}: no complete answer within 0.2s`,
    );
    expect(calls(api)).toEqual(Array(2).fill(`GET ${FG}?${V}`));
  });

  it("a poll that never answers is retried; the role read then tells the outcome", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [accepted({ "Azure-AsyncOperation": `/operations/op1?${V}` })],
      "GET /operations/op1": ["silent"],
    });
    const result = await api.provider.create!(
      inputs(api.url, { requestTimeoutSeconds: 0.2, maxRetries: 1 }),
    );
    expect(result.outs.failedOverAt).not.toBe("");
    expect(calls(api)).toEqual([
      `GET ${FG}?${V}`,
      `POST ${FG}/failover?${V}`,
      `GET /operations/op1?${V}`,
      `GET /operations/op1?${V}`,
      `GET ${FG}?${V}`,
    ]);
  });

  it("202 without polling headers: waits for the role, never posting again", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Secondary"), role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [{ status: 202 }],
    });
    const result = await api.provider.create!(inputs(api.url));
    expect(result.outs.failedOverAt).not.toBe("");
    expect(calls(api)).toEqual([
      `GET ${FG}?${V}`,
      `POST ${FG}/failover?${V}`,
      `GET ${FG}?${V}`,
      `GET ${FG}?${V}`,
      `GET ${FG}?${V}`,
    ]);
  });

  it("malformed and empty poll bodies, and an unknown status, neither hang nor fail it", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [accepted({ "Azure-AsyncOperation": `/operations/op1?${V}` })],
      "GET /operations/op1": [op("Reticulating"), { status: 200, raw: "{not json" }],
    });
    const result = await api.provider.create!(inputs(api.url, { maxRetries: 0 }));
    expect(result.outs.replicationRole).toBe("Primary");
    expect(posts(api)).toBe(1);

    const empty = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [accepted({ "Azure-AsyncOperation": `/operations/op1?${V}` })],
      "GET /operations/op1": [{ status: 200 }],
    });
    expect((await empty.provider.create!(inputs(empty.url))).outs.replicationRole).toBe("Primary");
    expect(calls(empty)).toEqual([
      `GET ${FG}?${V}`,
      `POST ${FG}/failover?${V}`,
      `GET /operations/op1?${V}`,
      `GET ${FG}?${V}`,
    ]);
  });

  it("times out when the operation stays InProgress, saying the failover may still complete", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [accepted({ "Azure-AsyncOperation": `/operations/op1?${V}` })],
      "GET /operations/op1": [op("InProgress")],
    });
    await expect(api.provider.create!(inputs(api.url, { timeoutSeconds: 0.5 }))).rejects.toThrow(
      `failover group ${FG}: failover timed out after 0.5s; this server was last read as Secondary; the failover Azure accepted may still complete`,
    );
    expect(api.requests.filter((r) => r.url.startsWith("/operations/")).length).toBeGreaterThan(1);
  });

  // A sleep past the deadline would outlast the test's own time limit.
  for (const retryAfter of ["86400", "Fri, 31 Dec 9999 23:59:59 GMT"]) {
    it(`never sleeps a Retry-After of ${retryAfter} past the deadline`, async () => {
      const api = await start({
        [`GET ${FG}`]: [role("Secondary")],
        [`POST ${FG}/failover`]: [
          accepted({ "Azure-AsyncOperation": `/operations/op1?${V}`, "Retry-After": retryAfter }),
        ],
        "GET /operations/op1": [withHeaders(op("InProgress"), { "Retry-After": retryAfter })],
      });
      await expect(api.provider.create!(inputs(api.url, { timeoutSeconds: 0.5 }))).rejects.toThrow(
        `failover group ${FG}: failover timed out after 0.5s`,
      );
    });
  }

  it("a negative or zero Retry-After never polls without pause", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [
        accepted({ "Azure-AsyncOperation": `/operations/op1?${V}`, "Retry-After": "-5" }),
      ],
      "GET /operations/op1": [withHeaders(op("InProgress"), { "Retry-After": "-5" })],
    });
    await expect(
      api.provider.create!(inputs(api.url, { timeoutSeconds: 0.5, pollSeconds: 0.1 })),
    ).rejects.toThrow("timed out after 0.5s");
    // At most one poll per pollSeconds within the deadline (the first comes right after the POST).
    expect(api.requests.filter((r) => r.url.startsWith("/operations/")).length).toBeLessThanOrEqual(
      6,
    );
  });

  it("throws the code and message of a Failed operation", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [accepted({ "Azure-AsyncOperation": `/operations/op1?${V}` })],
      "GET /operations/op1": [
        op("InProgress"),
        op("Failed", { code: "FailoverGroupFailoverFailed", message: "Partner unreachable." }),
      ],
    });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      `failover group ${FG}: planned failover failed in Azure: The long-running operation has failed. FailoverGroupFailoverFailed. Partner unreachable.`,
    );
    expect(posts(api)).toBe(1);
  });

  it("times out when the operation succeeded but the server never reads primary", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [{ status: 200, body: {} }],
    });
    await expect(api.provider.create!(inputs(api.url, { timeoutSeconds: 0.5 }))).rejects.toThrow(
      `failover group ${FG}: failover timed out after 0.5s; this server was last read as Secondary; the failover Azure accepted may still complete`,
    );
    expect(posts(api)).toBe(1);
  });

  it("makes no failover when the server is already primary", async () => {
    const api = await start({ [`GET ${FG}`]: [role("Primary")] });
    const result = await api.provider.create!(inputs(api.url));
    expect(result.outs).toMatchObject({ replicationRole: "Primary", failedOverAt: "" });
    expect(calls(api)).toEqual([`GET ${FG}?${V}`]);
  });

  it("a create retried after a timeout never fires a second failover", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [accepted({ "Azure-AsyncOperation": `/operations/op1?${V}` })],
      "GET /operations/op1": [op("InProgress")],
    });
    await expect(api.provider.create!(inputs(api.url, { timeoutSeconds: 0.3 }))).rejects.toThrow(
      "timed out after 0.3s",
    );
    // Azure finished the first failover meanwhile: the retry reads Primary and stops there.
    const again = await api.provider.create!(inputs(api.url));
    expect(again.outs).toMatchObject({ replicationRole: "Primary", failedOverAt: "" });
    expect(posts(api)).toBe(1);
  });

  it("never sends the token off the ARM endpoint (a polling URL from a header)", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [
        accepted({ "Azure-AsyncOperation": "https://127.0.0.2:1/operations/op1" }),
      ],
    });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      `refusing GET https://127.0.0.2:1/operations/op1: only ${api.url} is called`,
    );
    expect(calls(api)).toEqual([`GET ${FG}?${V}`, `POST ${FG}/failover?${V}`]);
  });

  it("refuses a redirect", async () => {
    const api = await start({
      [`GET ${FG}`]: [{ status: 302, headers: { Location: `/elsewhere${FG}` } }],
    });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      `GET ${FG}: HTTP 302 redirect to ${api.url}/elsewhere${FG} refused`,
    );
    expect(calls(api)).toEqual([`GET ${FG}?${V}`]);
  });

  it("refuses a failoverGroupId that is not a server's failover group, before any request", async () => {
    const api = await start({});
    const bad = "/subscriptions/sub1/resourceGroups/rg-dr/providers/Microsoft.Sql/servers/sql-dr";
    await expect(api.provider.create!(inputs(api.url, { failoverGroupId: bad }))).rejects.toThrow(
      `failoverGroupId must be /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Sql/servers/<server>/failoverGroups/<name> (given: ${bad})`,
    );
    expect(api.requests).toEqual([]);
  });

  it("a group that is not there (404) fails the create with what is missing", async () => {
    const api = await start({});
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      `failover group ${FG}: the group does not exist on server sql-dr (404)`,
    );
    expect(calls(api)).toEqual([`GET ${FG}?${V}`]);
  });

  it("read returns the current role with a credential of its own; a 404 reads as gone", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), armError(404, "ResourceNotFound", "gone")],
    });
    const props: HoldOutputs = {
      ...inputs(api.url),
      replicationRole: "Primary",
      failedOverAt: "2026-01-01T00:00:00.000Z",
    };
    // State written by an earlier version kept a bearer token and the API version.
    const legacy = { ...props, accessToken: "eyJ.stale", apiVersion: "2021-11-01" };
    expect(await api.provider.read!(FG, legacy)).toEqual({
      id: FG,
      props: { ...props, replicationRole: "Secondary" },
      inputs: inputs(api.url),
    });
    expect(await api.provider.read!(FG, props)).toEqual({ id: "" });
    expect(api.requests.map((r) => r.auth)).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(api.accessCalls()).toBe(2);
  });

  it("update never moves a group: primary is a no-op, anything else refuses with what to do", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Primary"), role("Secondary")],
    });
    const olds: HoldOutputs = {
      ...inputs(api.url),
      replicationRole: "Secondary",
      failedOverAt: "2026-01-01T00:00:00.000Z",
    };
    const noop = await api.provider.update!(FG, olds, inputs(api.url, { pollSeconds: 0.02 }));
    expect(noop.outs).toEqual({
      ...inputs(api.url, { pollSeconds: 0.02 }),
      replicationRole: "Primary",
      failedOverAt: olds.failedOverAt,
    });
    await expect(api.provider.update!(FG, olds, inputs(api.url))).rejects.toThrow(
      notHeldMessage(FG, "Secondary"),
    );
    expect(posts(api)).toBe(0);
  });

  it("says what an automatic failover means and how to proceed either way", () => {
    expect(notHeldMessage(FG, "Secondary")).toBe(
      "failover group fg1: server sql-dr is Secondary now, not primary. Azure failed the group over " +
        "(an Automatic group does after its grace period of an outage) or someone did by hand. Only a promotion " +
        "moves a group: a routine deployment never fails one back, onto a region that may have just failed. " +
        "To keep the new primary, promote its site (flip promote in Pulumi.yaml and follow the promotion order). " +
        "To move the group back, fail it over yourself (az sql failover-group set-primary --resource-group " +
        "rg-dr --server sql-dr --name fg1), then deploy again.",
    );
  });

  it("diff: settings update, a new group replaces, drift and a stored token update, nothing else", async () => {
    const api = await start({});
    const olds: HoldOutputs = {
      ...inputs("x"),
      replicationRole: "Primary",
      failedOverAt: "2026-01-01T00:00:00.000Z",
    };
    const none = { changes: false, replaces: [], deleteBeforeReplace: false };
    const update = { changes: true, replaces: [], deleteBeforeReplace: false };
    expect(await api.provider.diff!(FG, olds, inputs("x"))).toEqual(none);
    expect(
      await api.provider.diff!(FG, olds, inputs("x", { failoverGroupId: `${FG}-other` })),
    ).toEqual({
      changes: true,
      replaces: ["failoverGroupId"],
      deleteBeforeReplace: false,
    });
    expect(
      await api.provider.diff!(FG, olds, inputs("x", { mode: "forced", allowDataLoss: true })),
    ).toEqual(update);
    expect(await api.provider.diff!(FG, olds, inputs("x", { requestTimeoutSeconds: 30 }))).toEqual(
      update,
    );
    expect(
      await api.provider.diff!(FG, { ...olds, replicationRole: "Secondary" }, inputs("x")),
    ).toEqual(update);
    expect(
      await api.provider.diff!(
        FG,
        { ...olds, accessToken: "eyJ.stale" } as HoldOutputs,
        inputs("x"),
      ),
    ).toEqual(update);
    expect(api.requests).toEqual([]);
  });
});

describe("the ARM pieces, pure", () => {
  it("parses a failover group's ID under a server", () => {
    expect(parseFailoverGroupId(FG)).toEqual({
      subscriptionId: "sub1",
      resourceGroup: "rg-dr",
      server: "sql-dr",
      name: "fg1",
    });
    expect(() => parseFailoverGroupId(`${FG}/failover`)).toThrow("failoverGroupId must be");
  });

  // RFC 9110 section 10.2.3: Retry-After = HTTP-date / delay-seconds.
  it("reads Retry-After as whole seconds within bounds", () => {
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(retryAfterSeconds("30", now, 60)).toBe(30);
    expect(retryAfterSeconds(" 0 ", now, 60)).toBe(0);
    expect(retryAfterSeconds("86400", now, 60)).toBe(60);
    expect(retryAfterSeconds("Sun, 22 Nov 2026 10:00:10 GMT", now, 60)).toBe(10);
    expect(retryAfterSeconds("Sun, 22 Nov 2026 09:00:00 GMT", now, 60)).toBe(0);
    expect(retryAfterSeconds("Fri, 31 Dec 9999 23:59:59 GMT", now, 60)).toBe(60);
    for (const bad of ["-5", "1.5", "soon", "", undefined]) {
      expect(retryAfterSeconds(bad, now, 60)).toBeUndefined();
    }
  });

  // The azure-native provider's own settings (pulumi-azure-native docs, installation-configuration).
  it("finds the identity the azure-native provider deploys with", () => {
    const sp = { ARM_TENANT_ID: "t", ARM_CLIENT_ID: "c" };
    expect(armIdentity({ ...sp, ARM_CLIENT_SECRET: "s" })).toEqual({
      kind: "client-secret",
      tenantId: "t",
      clientId: "c",
      secret: "s",
    });
    expect(armIdentity({ ...sp, ARM_CLIENT_CERTIFICATE_PATH: "/c.pem" })).toEqual({
      kind: "client-certificate",
      tenantId: "t",
      clientId: "c",
      certificatePath: "/c.pem",
    });
    expect(
      armIdentity({
        ...sp,
        ARM_CLIENT_CERTIFICATE_PATH: "/c.pem",
        ARM_CLIENT_CERTIFICATE_PASSWORD: "pw",
      }),
    ).toMatchObject({ kind: "client-certificate", certificatePassword: "pw" });
    expect(armIdentity({ ...sp, ARM_USE_OIDC: "true", ARM_OIDC_TOKEN: "jwt" })).toEqual({
      kind: "oidc-token",
      tenantId: "t",
      clientId: "c",
      token: "jwt",
    });
    expect(armIdentity({ ...sp, ARM_USE_OIDC: "true", ARM_OIDC_TOKEN_FILE_PATH: "/t" })).toEqual({
      kind: "oidc-token-file",
      tenantId: "t",
      clientId: "c",
      tokenFile: "/t",
    });
    // The provider uses an OIDC token only with ARM_USE_OIDC.
    expect(armIdentity({ ...sp, ARM_OIDC_TOKEN: "jwt" })).toEqual({ kind: "default" });
    expect(armIdentity({ ARM_USE_MSI: "true", ARM_CLIENT_ID: "c" })).toEqual({
      kind: "managed-identity",
      clientId: "c",
    });
    expect(armIdentity({ ARM_USE_MSI: "true" })).toEqual({ kind: "managed-identity" });
    // OIDC through azure/login, az login, AZURE_* variables: DefaultAzureCredential finds them.
    expect(armIdentity({ ...sp, ARM_USE_OIDC: "true" })).toEqual({ kind: "default" });
    expect(armIdentity({})).toEqual({ kind: "default" });
  });
});

describe("the serialized hold provider, with the real DefaultAzureCredential", () => {
  it("gets a token from the Azure CLI at each call and stores none", async () => {
    const tls = await loopbackCertificate();
    const api = await fakeArm(
      {
        [`GET ${FG}`]: [role("Secondary"), role("Primary")],
        [`POST ${FG}/failover`]: [{ status: 200, body: {} }],
      },
      tls,
    );
    const az = fakeAzureCli(tls);
    try {
      // Only the Azure CLI leg of DefaultAzureCredential (@azure/identity 4.x).
      const env = { ...az.env, AZURE_TOKEN_CREDENTIALS: "AzureCliCredential" };
      const { code, stdout, stderr } = await runFixture(
        path.join(ROOT, "test/fixtures/serialized-provider.ts"),
        [
          "components/sql/failover/hold.ts",
          "failoverGroupPrimaryProvider",
          JSON.stringify({
            endpoint: api.url,
            failoverGroupId: FG,
            mode: "planned",
            allowDataLoss: false,
            timeoutSeconds: 20,
            pollSeconds: 0.01,
            requestTimeoutSeconds: 10,
            maxRetries: 1,
          }),
        ],
        env,
        ROOT,
      );
      expect(stderr).toBe("");
      expect(code).toBe(0);
      const out = JSON.parse(stdout);
      // The SDK is loaded from node_modules when the call is made, not serialized.
      expect(out.requires).toContain("@azure/arm-sql");
      expect(out.created.outs.replicationRole).toBe("Primary");
      expect(out.read.props.replicationRole).toBe("Primary");
      expect(stdout).not.toContain("cli-token");
      expect(calls(api)).toEqual([
        `GET ${FG}?${V}`,
        `POST ${FG}/failover?${V}`,
        `GET ${FG}?${V}`,
        `GET ${FG}?${V}`,
      ]);
      // The create's session asked once, the read's once more: no token outlives its call.
      expect(api.requests.map((r) => r.auth)).toEqual([
        "Bearer cli-token-1",
        "Bearer cli-token-1",
        "Bearer cli-token-1",
        "Bearer cli-token-2",
      ]);
      expect(az.calls()).toEqual(
        Array(2).fill(`account get-access-token --output json --resource ${api.url}`),
      );
    } finally {
      api.close();
      az.cleanup();
    }
  });
});
