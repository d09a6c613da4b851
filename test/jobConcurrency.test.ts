import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  AZURE_DATABRICKS_SCOPE,
  concurrencyProvider,
  databricksIdentity,
  type ConcurrencyInputs,
  type ConcurrencyOutputs,
} from "../components/workspace/jobConcurrency";
import { JOB_CONCURRENCY_KIND } from "../components/naming";
import { jobSettingsDigest } from "../components/workspace/plan";
import { ROOT, byType, findResource, planSteady } from "./helpers";
import {
  countingCredential,
  fakeAzureCli,
  loopbackCertificate,
  loopbackPerTest,
  runFixture,
  scriptedServer,
  type Reply,
} from "./loopback";

const JOB = "123";
const GET = "GET /api/2.2/jobs/get";
const UPDATE = "POST /api/2.2/jobs/update";
const job = (settings: Record<string, unknown>): Reply => ({
  status: 200,
  body: { job_id: 123, settings: { name: "nightly-sales", ...settings } },
});
const runs = (n: number) => job({ max_concurrent_runs: n });
const ok: Reply = { status: 200, body: {} };
/** A Jobs API error as Databricks answers one (REST API reference, "Error handling"). */
const apiError = (status: number, error_code: string, message: string): Reply => ({
  status,
  body: { error_code, message },
});

describe("JobConcurrency against a loopback Jobs API (the passive site's concurrency 0, made real)", () => {
  const loopback = loopbackPerTest();
  const start = async (script: Record<string, Reply[]>) => {
    const api = loopback.serve(
      await scriptedServer(script, loopback.tls(), (route) =>
        apiError(404, "ENDPOINT_NOT_FOUND", `no route ${route}`),
      ),
    );
    const { credential, scopes } = countingCredential();
    const provider = concurrencyProvider(() => ({
      credential,
      tls: { ca: loopback.tls().cert },
    }));
    return { ...api, provider, scopes };
  };
  const inputs = (host: string, over: Partial<ConcurrencyInputs> = {}): ConcurrencyInputs => ({
    kind: JOB_CONCURRENCY_KIND,
    host,
    jobId: JOB,
    maxConcurrentRuns: 0,
    jobSettingsDigest: "0123456789abcdef",
    authType: "azure-cli",
    tenantId: "9c1f3e5a-7b2d-4f8e-a6c4-1e3b5d7f9a2c",
    timeoutSeconds: 10,
    requestTimeoutSeconds: 5,
    maxRetries: 2,
    ...over,
  });
  const calls = (api: { requests: { method: string; url: string; body: string }[] }) =>
    api.requests.map((r) => `${r.method} ${r.url}${r.body ? ` ${r.body}` : ""}`);

  it("sets 0 with jobs/update (only that field), reads it back, and keeps no token", async () => {
    const api = await start({ [UPDATE]: [ok], [GET]: [runs(0)] });
    const result = await api.provider.create!(inputs(api.url));
    expect(result).toEqual({
      id: JOB,
      outs: { ...inputs(api.url), effectiveMaxConcurrentRuns: 0 },
    });
    expect(calls(api)).toEqual([
      `POST /api/2.2/jobs/update {"job_id":123,"new_settings":{"max_concurrent_runs":0}}`,
      `GET /api/2.2/jobs/get?job_id=123`,
    ]);
    // A token for the AzureDatabricks application, asked for when the call was made.
    expect(api.scopes).toEqual([[AZURE_DATABRICKS_SCOPE]]);
    expect(api.requests.map((r) => r.auth)).toEqual(["Bearer tok-1", "Bearer tok-1"]);
    expect(JSON.stringify(result.outs)).not.toContain("tok-");
  });

  it("fails when Databricks does not hold the value it was given", async () => {
    const api = await start({ [UPDATE]: [ok], [GET]: [runs(1)] });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      `Databricks job 123 on ${api.url}: Databricks reports max_concurrent_runs 1 after jobs/update set 0`,
    );
  });

  it("reads an absent max_concurrent_runs as the API's default 1, never as 0", async () => {
    // Jobs API jobs/create: max_concurrent_runs "Defaults to 1".
    const api = await start({ [GET]: [job({})] });
    const read = await api.provider.read!(JOB, {
      ...inputs(api.url),
      effectiveMaxConcurrentRuns: 0,
    });
    expect(read.props).toEqual({ ...inputs(api.url), effectiveMaxConcurrentRuns: 1 });
    expect(read.inputs).toEqual(inputs(api.url));
  });

  it("a refresh that reads another value makes the next update set it again", async () => {
    const api = await start({ [GET]: [runs(1)], [UPDATE]: [ok] });
    const olds = (
      await api.provider.read!(JOB, {
        ...inputs(api.url),
        effectiveMaxConcurrentRuns: 0,
      })
    ).props as ConcurrencyOutputs;
    expect(olds.effectiveMaxConcurrentRuns).toBe(1);
    expect(await api.provider.diff!(JOB, olds, inputs(api.url))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const same = { ...olds, effectiveMaxConcurrentRuns: 0 };
    expect((await api.provider.diff!(JOB, same, inputs(api.url))).changes).toBe(false);
    // The job's settings changed (the provider resets them all): set the value again.
    expect(
      (
        await api.provider.diff!(
          JOB,
          same,
          inputs(api.url, { jobSettingsDigest: "fedcba9876543210" }),
        )
      ).changes,
    ).toBe(true);
    expect(
      (await api.provider.diff!(JOB, same, inputs(api.url, { jobId: "456" }))).replaces,
    ).toEqual(["jobId"]);
  });

  it("reads a deleted job as gone (404 RESOURCE_DOES_NOT_EXIST)", async () => {
    const api = await start({
      [GET]: [apiError(404, "RESOURCE_DOES_NOT_EXIST", "Job 123 does not exist.")],
    });
    expect(
      await api.provider.read!(JOB, { ...inputs(api.url), effectiveMaxConcurrentRuns: 0 }),
    ).toEqual({ id: "" });
  });

  it("names the status and error code of a refusal", async () => {
    const api = await start({
      [UPDATE]: [apiError(400, "INVALID_PARAMETER_VALUE", "max_concurrent_runs must be <= 1000")],
    });
    await expect(
      api.provider.update!(JOB, {} as ConcurrencyOutputs, inputs(api.url)),
    ).rejects.toThrow(
      `Databricks job 123 on ${api.url}: POST /api/2.2/jobs/update: HTTP 400 INVALID_PARAMETER_VALUE: max_concurrent_runs must be <= 1000`,
    );
  });

  it("retries a 5xx and a 429 a bounded number of times", async () => {
    const api = await start({
      [UPDATE]: [
        { status: 429, body: {}, headers: { "Retry-After": "0" } },
        { status: 500, body: {} },
        ok,
      ],
      [GET]: [runs(0)],
    });
    await api.provider.create!(inputs(api.url));
    expect(calls(api).filter((c) => c.startsWith("POST"))).toHaveLength(3);

    const down = await start({ [UPDATE]: [{ status: 500, body: {} }] });
    await expect(down.provider.create!(inputs(down.url, { maxRetries: 1 }))).rejects.toThrow(
      /HTTP 500/,
    );
    // The first attempt and one retry.
    expect(down.requests).toHaveLength(2);
  });

  it("gives up on a socket that never answers, within each attempt's timeout", async () => {
    const api = await start({ [UPDATE]: ["silent"] });
    await expect(
      api.provider.create!(inputs(api.url, { requestTimeoutSeconds: 0.2, maxRetries: 0 })),
    ).rejects.toThrow("POST /api/2.2/jobs/update: no complete answer within 0.2s");
  });

  it("refuses a redirect", async () => {
    const api = await start({ [UPDATE]: [{ status: 302, headers: { Location: "/elsewhere" } }] });
    await expect(api.provider.create!(inputs(api.url))).rejects.toThrow(
      `POST /api/2.2/jobs/update: HTTP 302 redirect to ${api.url}/elsewhere refused`,
    );
  });

  it("refuses a host that is not an https URL and a job ID that is not a number, before any call", async () => {
    const api = await start({});
    await expect(api.provider.create!(inputs("http://adb-1.azuredatabricks.net"))).rejects.toThrow(
      "host must be the workspace's https:// URL (given: http://adb-1.azuredatabricks.net)",
    );
    await expect(api.provider.create!(inputs(api.url, { jobId: "nightly" }))).rejects.toThrow(
      "jobId must be a job's numeric ID (given: nightly)",
    );
    expect(api.requests).toEqual([]);
  });
});

describe("the identity the concurrency resource signs in with", () => {
  const TENANT = "9c1f3e5a-7b2d-4f8e-a6c4-1e3b5d7f9a2c";
  it("follows the Databricks provider's authType and its ARM_* variables", () => {
    expect(databricksIdentity("azure-cli", TENANT, {})).toEqual({
      kind: "azure-cli",
      tenantId: TENANT,
    });
    expect(databricksIdentity("azure-msi", TENANT, { ARM_CLIENT_ID: "c" })).toEqual({
      kind: "managed-identity",
      clientId: "c",
    });
    expect(databricksIdentity("azure-msi", TENANT, {})).toEqual({ kind: "managed-identity" });
    expect(
      databricksIdentity("azure-client-secret", TENANT, {
        ARM_CLIENT_ID: "c",
        ARM_CLIENT_SECRET: "s",
      }),
    ).toEqual({ kind: "client-secret", tenantId: TENANT, clientId: "c", secret: "s" });
    expect(() => databricksIdentity("azure-client-secret", TENANT, { ARM_CLIENT_ID: "c" })).toThrow(
      "azure.databricksAuthType azure-client-secret needs ARM_CLIENT_ID and ARM_CLIENT_SECRET in the environment, as the Databricks provider does",
    );
    expect(() => databricksIdentity("pat", TENANT, {})).toThrow(
      'authType must be "azure-cli", "azure-msi" or "azure-client-secret" (given: pat)',
    );
  });
});

describe("each job's concurrency in the plan", () => {
  it("follows its job, with the job's role value and settings digest; a passive fence waits for all", async () => {
    for (const stack of ["primary", "secondary"]) {
      for (const promote of [false, true]) {
        const plan = await planSteady(stack, { sets: [`promote=${promote}`] });
        const provider = findResource(
          plan.resources,
          "pulumi:providers:databricks",
          "workspace-databricks",
        );
        const jobs = byType(plan.resources, "databricks:index/job:Job");
        const set = plan.resources.filter((r) => r.inputs.kind === JOB_CONCURRENCY_KIND);
        expect(set.map((r) => r.name).sort()).toEqual(
          jobs.map((j) => `${j.name}-concurrency`).sort(),
        );
        for (const j of jobs) {
          const c = set.find((r) => r.name === `${j.name}-concurrency`)!;
          const { __provider: _code, ...inputs } = c.inputs;
          expect(inputs).toEqual({
            kind: JOB_CONCURRENCY_KIND,
            host: provider.inputs.host,
            jobId: j.id,
            maxConcurrentRuns: j.inputs.maxConcurrentRuns,
            jobSettingsDigest: jobSettingsDigest(j.inputs),
            authType: "azure-cli",
            tenantId: "9c1f3e5a-7b2d-4f8e-a6c4-1e3b5d7f9a2c",
            timeoutSeconds: 300,
            requestTimeoutSeconds: 30,
            maxRetries: 4,
          });
          // Set after the job is created or updated (jobs/reset puts the Job's value back).
          expect(c.dependencies).toContain(j.urn);
        }
        const fence = findResource(plan.resources, "azure-native:storage:Blob", "workspace-fence");
        const passive = plan.role === "passive";
        for (const c of set) expect(fence.dependencies.includes(c.urn)).toBe(passive);
      }
    }
  });
});

describe("the serialized concurrency provider, with the real AzureCliCredential", () => {
  it("gets a Databricks token from the Azure CLI at each call and stores none", async () => {
    const tls = await loopbackCertificate();
    const api = await scriptedServer({ [UPDATE]: [ok], [GET]: [runs(0)] }, tls, (route) =>
      apiError(404, "ENDPOINT_NOT_FOUND", `no route ${route}`),
    );
    const az = fakeAzureCli(tls);
    const tenant = "9c1f3e5a-7b2d-4f8e-a6c4-1e3b5d7f9a2c";
    try {
      const { code, stdout, stderr } = await runFixture(
        path.join(ROOT, "test/fixtures/serialized-provider.ts"),
        [
          "components/workspace/jobConcurrency.ts",
          "jobConcurrencyProvider",
          JSON.stringify({
            kind: JOB_CONCURRENCY_KIND,
            host: api.url,
            jobId: JOB,
            maxConcurrentRuns: 0,
            jobSettingsDigest: "0123456789abcdef",
            authType: "azure-cli",
            tenantId: tenant,
            timeoutSeconds: 20,
            requestTimeoutSeconds: 10,
            maxRetries: 1,
          }),
        ],
        az.env,
        ROOT,
      );
      expect(stderr).toBe("");
      expect(code).toBe(0);
      const out = JSON.parse(stdout);
      expect(out.requires).toEqual(
        expect.arrayContaining(["@azure/core-rest-pipeline", "@azure/identity"]),
      );
      expect(out.created.outs.effectiveMaxConcurrentRuns).toBe(0);
      expect(out.read.props.effectiveMaxConcurrentRuns).toBe(0);
      expect(stdout).not.toContain("cli-token");
      expect(api.requests.map((r) => `${r.method} ${r.url} ${r.auth}`)).toEqual([
        "POST /api/2.2/jobs/update Bearer cli-token-1",
        "GET /api/2.2/jobs/get?job_id=123 Bearer cli-token-1",
        "GET /api/2.2/jobs/get?job_id=123 Bearer cli-token-2",
      ]);
      // The AzureDatabricks application's token, for the configured tenant, at each call.
      expect(az.calls()).toEqual(
        Array(2).fill(
          `account get-access-token --output json --resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d --tenant ${tenant}`,
        ),
      );
    } finally {
      api.close();
      az.cleanup();
    }
  });
});
