import { afterEach, describe, expect, it } from "vitest";
import { loopbackServer } from "./loopback";
import {
  failoverGroupPrimaryProvider as provider,
  failoverUrl,
  type FailoverInputs,
  type FailoverOutputs,
} from "../components/sql/armFailover";

const FG =
  "/subscriptions/sub1/resourceGroups/rg-dr/providers/Microsoft.Sql/servers/sql-dr/failoverGroups/fg1";
const V = "api-version=2021-11-01";

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
const role = (replicationRole: string): Reply => ({
  status: 200,
  body: { id: FG, name: "fg1", properties: { replicationRole } },
});
const op = (status: string, error?: { code: string; message: string }): Reply => ({
  status: 200,
  body: { name: "op1", status, ...(error && { error }) },
});
const armError = (status: number, code: string, message: string): Reply => ({
  status,
  body: { error: { code, message } },
});

/**
 * A loopback stand-in for ARM. Each "METHOD path" (query left out) answers from its own script,
 * repeating the last reply once the script runs out; an unscripted route answers 404. Relative
 * Azure-AsyncOperation and Location values are made absolute on this server, as ARM sends them.
 */
async function fakeArm(script: Record<string, Reply[]>) {
  const served: Record<string, number> = {};
  const server = await loopbackServer((req, res, origin) => {
    const route = `${req.method} ${req.url.split("?")[0]}`;
    const replies = script[route];
    const reply: Reply = replies
      ? replies[Math.min((served[route] = (served[route] ?? -1) + 1), replies.length - 1)]!
      : armError(404, "ResourceNotFound", `no route ${route}`);
    for (const [k, v] of Object.entries(reply.headers ?? {})) {
      res.setHeader(k, v.startsWith("/") ? `${origin}${v}` : v);
    }
    res.statusCode = reply.status;
    if (reply.body === undefined) {
      res.end();
      return;
    }
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify(reply.body));
  });
  return { url: server.origin, requests: server.requests, close: server.close };
}

describe("FailoverGroupPrimary (an Azure SQL server made primary on promotion)", () => {
  let close: (() => void) | undefined;
  afterEach(() => {
    close?.();
    close = undefined;
  });
  const start = async (script: Record<string, Reply[]>) => {
    const api = await fakeArm(script);
    close = api.close;
    return api;
  };
  const inputs = (endpoint: string, over: Partial<FailoverInputs> = {}): FailoverInputs => ({
    endpoint,
    failoverGroupId: FG,
    apiVersion: "2021-11-01",
    mode: "planned",
    allowDataLoss: false,
    accessToken: "tok",
    timeoutSeconds: 5,
    pollSeconds: 0.01,
    maxRetries: 4,
    ...over,
  });
  const calls = (api: { requests: { method: string; url: string }[] }) =>
    api.requests.map((r) => `${r.method} ${r.url}`);

  it("builds the planned and forced failover URLs", () => {
    expect(failoverUrl(FG, "planned", "2021-11-01", "https://management.azure.com/")).toBe(
      `https://management.azure.com${FG}/failover?${V}`,
    );
    expect(failoverUrl(FG, "forced", "2023-08-01", "https://management.azure.com")).toBe(
      `https://management.azure.com${FG}/forceFailoverAllowDataLoss?api-version=2023-08-01`,
    );
  });

  it("planned failover: polls the Azure-AsyncOperation until it succeeds, then checks the role", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [
        { status: 202, headers: { "Azure-AsyncOperation": `/operations/op1?${V}` } },
      ],
      "GET /operations/op1": [op("InProgress"), op("InProgress"), op("Succeeded")],
    });
    const result = await provider.create!(inputs(api.url));
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
    expect(api.requests.map((r) => r.auth)).toEqual(Array(6).fill("Bearer tok"));
    expect(api.requests[1]!.body).toBe("{}");
  });

  it("planned failover: polls the Location header while it answers 202, until 200", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [{ status: 202, headers: { Location: `/results/r1?${V}` } }],
      "GET /results/r1": [{ status: 202 }, { status: 202 }, { status: 200, body: {} }],
    });
    const result = await provider.create!(inputs(api.url));
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
    await expect(provider.create!(inputs(api.url, { mode: "forced" }))).rejects.toThrow(
      `failover group ${FG}: forced failover can lose data (transactions not yet replicated to this server); it needs the explicit acknowledgment allowDataLoss: true`,
    );
    await expect(
      provider.update!(
        FG,
        { ...inputs(api.url), replicationRole: "Primary", failedOverAt: "" },
        inputs(api.url, { mode: "forced" }),
      ),
    ).rejects.toThrow("it needs the explicit acknowledgment allowDataLoss: true");
    expect(api.requests).toEqual([]);
  });

  it("forced failover with the acknowledgment posts forceFailoverAllowDataLoss", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/forceFailoverAllowDataLoss`]: [{ status: 200, body: {} }],
    });
    const result = await provider.create!(inputs(api.url, { mode: "forced", allowDataLoss: true }));
    expect(result.outs.replicationRole).toBe("Primary");
    expect(calls(api)).toEqual([
      `GET ${FG}?${V}`,
      `POST ${FG}/forceFailoverAllowDataLoss?${V}`,
      `GET ${FG}?${V}`,
    ]);
  });

  it("throws a 409 Conflict at once with status, code and message, without retrying", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [
        armError(409, "FailoverGroupBusy", "Another operation is in progress on the group."),
      ],
    });
    await expect(provider.create!(inputs(api.url))).rejects.toThrow(
      `POST ${FG}/failover?${V}: HTTP 409 FailoverGroupBusy: Another operation is in progress on the group.`,
    );
    expect(calls(api)).toEqual([`GET ${FG}?${V}`, `POST ${FG}/failover?${V}`]);
  });

  it("retries a 429, waiting its Retry-After, and a 5xx on a poll, then succeeds", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary")],
      [`POST ${FG}/failover`]: [
        { ...armError(429, "TooManyRequests", "Slow down."), headers: { "Retry-After": "1" } },
        { status: 202, headers: { "Azure-AsyncOperation": `/operations/op1?${V}` } },
      ],
      "GET /operations/op1": [armError(500, "InternalServerError", "Try again."), op("Succeeded")],
    });
    const t0 = Date.now();
    const result = await provider.create!(inputs(api.url));
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

  it("gives up on a 5xx after maxRetries retries, with the last error", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [
        armError(503, "ServiceUnavailable", "attempt 1"),
        armError(503, "ServiceUnavailable", "attempt 2"),
        armError(503, "ServiceUnavailable", "attempt 3"),
        armError(502, "BadGateway", "attempt 4"),
      ],
    });
    await expect(provider.create!(inputs(api.url, { maxRetries: 3 }))).rejects.toThrow(
      `POST ${FG}/failover?${V}: HTTP 502 BadGateway: attempt 4 (gave up after 4 attempts)`,
    );
    expect(calls(api)).toEqual([`GET ${FG}?${V}`, ...Array(4).fill(`POST ${FG}/failover?${V}`)]);
  });

  it("times out when the operation stays InProgress", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [
        { status: 202, headers: { "Azure-AsyncOperation": `/operations/op1?${V}` } },
      ],
      "GET /operations/op1": [op("InProgress")],
    });
    const t0 = Date.now();
    await expect(provider.create!(inputs(api.url, { timeoutSeconds: 0.2 }))).rejects.toThrow(
      `failover group ${FG}: failover timed out after 0.2s; a failover already started may still complete in Azure`,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(api.requests.filter((r) => r.url.startsWith("/operations/")).length).toBeGreaterThan(2);
  });

  it("never sleeps a Retry-After past the timeout", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [
        {
          status: 202,
          headers: { "Azure-AsyncOperation": `/operations/op1?${V}`, "Retry-After": "30" },
        },
      ],
    });
    const t0 = Date.now();
    await expect(provider.create!(inputs(api.url, { timeoutSeconds: 0.2 }))).rejects.toThrow(
      `failover group ${FG}: failover timed out after 0.2s`,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(calls(api)).toEqual([`GET ${FG}?${V}`, `POST ${FG}/failover?${V}`]);
  });

  it("throws the code and message of a Failed operation", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [
        { status: 202, headers: { "Azure-AsyncOperation": `/operations/op1?${V}` } },
      ],
      "GET /operations/op1": [
        op("InProgress"),
        op("Failed", { code: "FailoverGroupFailoverFailed", message: "Partner unreachable." }),
      ],
    });
    await expect(provider.create!(inputs(api.url))).rejects.toThrow(
      `failover group ${FG}: failover Failed: FailoverGroupFailoverFailed: Partner unreachable.`,
    );
    expect(calls(api)).toEqual([
      `GET ${FG}?${V}`,
      `POST ${FG}/failover?${V}`,
      `GET /operations/op1?${V}`,
      `GET /operations/op1?${V}`,
    ]);
  });

  it("throws when the operation succeeded but the server is still not primary", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [{ status: 200, body: {} }],
    });
    await expect(provider.create!(inputs(api.url))).rejects.toThrow(
      `failover group ${FG}: failover finished but this server is Secondary, not Primary`,
    );
    expect(calls(api)).toEqual([`GET ${FG}?${V}`, `POST ${FG}/failover?${V}`, `GET ${FG}?${V}`]);
  });

  it("makes no failover when the server is already primary", async () => {
    const api = await start({ [`GET ${FG}`]: [role("Primary")] });
    const result = await provider.create!(inputs(api.url));
    expect(result.outs).toMatchObject({ replicationRole: "Primary", failedOverAt: "" });
    expect(calls(api)).toEqual([`GET ${FG}?${V}`]);
  });

  it("never sends the token to a polling URL off the ARM endpoint", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary")],
      [`POST ${FG}/failover`]: [
        { status: 202, headers: { "Azure-AsyncOperation": "http://127.0.0.1:1/operations/op1" } },
      ],
    });
    await expect(provider.create!(inputs(api.url))).rejects.toThrow(
      `failover group ${FG}: refusing to poll http://127.0.0.1:1, which is not ${api.url}`,
    );
    expect(calls(api)).toEqual([`GET ${FG}?${V}`, `POST ${FG}/failover?${V}`]);
  });

  it("refuses a failoverGroupId that is not a server's failover group, before any request", async () => {
    const api = await start({});
    const bad = "/subscriptions/sub1/resourceGroups/rg-dr/providers/Microsoft.Sql/servers/sql-dr";
    await expect(provider.create!(inputs(api.url, { failoverGroupId: bad }))).rejects.toThrow(
      `failoverGroupId must be /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Sql/servers/<server>/failoverGroups/<name> (given: ${bad})`,
    );
    expect(api.requests).toEqual([]);
  });

  it("read returns the current role, e.g. Secondary after someone failed back", async () => {
    const api = await start({ [`GET ${FG}`]: [role("Secondary")] });
    const props: FailoverOutputs = {
      ...inputs(api.url),
      replicationRole: "Primary",
      failedOverAt: "2026-01-01T00:00:00.000Z",
    };
    expect(await provider.read!(FG, props)).toEqual({
      id: FG,
      props: { ...props, replicationRole: "Secondary" },
    });
    expect(calls(api)).toEqual([`GET ${FG}?${V}`]);
    expect(api.requests[0]!.auth).toBe("Bearer tok");
  });

  it("update fails over again when the role read is not primary, and not when it is", async () => {
    const api = await start({
      [`GET ${FG}`]: [role("Secondary"), role("Primary"), role("Primary")],
      [`POST ${FG}/failover`]: [{ status: 200, body: {} }],
    });
    const olds: FailoverOutputs = {
      ...inputs(api.url),
      replicationRole: "Secondary",
      failedOverAt: "2026-01-01T00:00:00.000Z",
    };
    const again = await provider.update!(FG, olds, inputs(api.url));
    expect(again.outs.replicationRole).toBe("Primary");
    expect(again.outs.failedOverAt).not.toBe(olds.failedOverAt);
    const noop = await provider.update!(FG, olds, inputs(api.url, { pollSeconds: 0.02 }));
    expect(noop.outs).toEqual({
      ...inputs(api.url, { pollSeconds: 0.02 }),
      replicationRole: "Primary",
      failedOverAt: olds.failedOverAt,
    });
    expect(calls(api)).toEqual([
      `GET ${FG}?${V}`,
      `POST ${FG}/failover?${V}`,
      `GET ${FG}?${V}`,
      `GET ${FG}?${V}`,
    ]);
  });

  it("diff: a new token alone is no change; a new failover group replaces; mode and drift update", async () => {
    const olds: FailoverOutputs = {
      ...inputs("x"),
      replicationRole: "Primary",
      failedOverAt: "2026-01-01T00:00:00.000Z",
    };
    const none = { changes: false, replaces: [], deleteBeforeReplace: false };
    const update = { changes: true, replaces: [], deleteBeforeReplace: false };
    expect(await provider.diff!(FG, olds, inputs("x", { accessToken: "new" }))).toEqual(none);
    expect(await provider.diff!(FG, olds, inputs("x", { failoverGroupId: `${FG}-other` }))).toEqual(
      { changes: true, replaces: ["failoverGroupId"], deleteBeforeReplace: false },
    );
    expect(
      await provider.diff!(FG, olds, inputs("x", { mode: "forced", allowDataLoss: true })),
    ).toEqual(update);
    expect(
      await provider.diff!(FG, { ...olds, replicationRole: "Secondary" }, inputs("x")),
    ).toEqual(update);
  });
});
