import { describe, expect, it } from "vitest";
import {
  FINAL_SYNC_KIND,
  exitValue,
  finalSyncProvider,
  runState,
  type FinalSyncInputs,
  type FinalSyncOutputs,
} from "../components/workspace/finalSync";
import { drainKey, drainRecord } from "../components/drain";
import { parseLastDeployment } from "../components/lastDeployment";
import { concurrencyName } from "../components/naming";
import {
  carriedFinalSync,
  copyJobNames,
  copyRunLimitsMinutes,
  finalSyncKey,
  finalSyncRecord,
  finalSyncTimeoutMinutes,
} from "../components/workspace/plan";
import { TYPE } from "../contracts/facts";
import { planSteady, primaryDrainRecord, primaryStandDown } from "./helpers";
import { COPIES } from "./policies/factory";
import {
  countingCredential,
  loopbackPerTest,
  loopbackServer,
  type RecordedRequest,
} from "./loopback";

/**
 * A loopback Jobs API 2.2, shaped by its reference (run-now with idempotency_token and queue;
 * runs/get with status.state and termination_details; runs/get-output with notebook_output):
 * https://docs.databricks.com/api/azure/workspace/jobs/runnow, .../jobs/getrun,
 * .../jobs/getrunoutput. A token already used returns its run (run-now: "If a run with the
 * provided token already exists, the request does not create a new run but returns the ID of
 * the existing run instead").
 */
interface FakeRun {
  runId: number;
  jobId: number;
  token: string;
  queue: unknown;
  startTime: number;
  /** States the next reads return, in turn; the last one stays: [status.state, code?]. */
  script: [string, string?][];
  output: string;
}

function fakeJobsApi(
  tls: Awaited<ReturnType<ReturnType<typeof loopbackPerTest>["tls"]>>,
  opts: {
    script?: (jobId: number) => [string, string?][];
    existing?: Omit<FakeRun, "runId">[];
    /** Answers the first run-now per job with a 503 after making the run: a lost answer. */
    loseStarts?: boolean;
    /** Per writer job, how many active-run listings still show a run after its cancel. */
    activeWriters?: Record<number, number>;
    /** Per writer job, the end times of its completed runs (runs/list completed_only). */
    completedWriters?: Record<number, number[]>;
  } = {},
) {
  const runs: FakeRun[] = [];
  let next = 1000;
  for (const e of opts.existing ?? []) runs.push({ ...e, runId: next++ });
  const lost = new Set<number>();
  const cancelled: number[] = [];
  const active = new Map(Object.entries(opts.activeWriters ?? {}).map(([k, v]) => [Number(k), v]));
  return loopbackServer((req: RecordedRequest, res) => {
    const url = new URL(req.url, "https://x");
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST" && url.pathname === "/api/2.2/jobs/run-now") {
      const body = JSON.parse(req.body) as {
        job_id: number;
        idempotency_token: string;
        queue: unknown;
      };
      let run = runs.find((r) => r.token === body.idempotency_token);
      if (!run) {
        run = {
          runId: next++,
          jobId: body.job_id,
          token: body.idempotency_token,
          queue: body.queue,
          startTime: Date.now(),
          script: opts.script?.(body.job_id) ?? [
            ["QUEUED"],
            ["RUNNING"],
            ["TERMINATED", "SUCCESS"],
          ],
          output: JSON.stringify({ table: `t${body.job_id}`, sourceVersion: body.job_id % 100 }),
        };
        runs.push(run);
        if (opts.loseStarts && !lost.has(body.job_id)) {
          lost.add(body.job_id);
          return json(503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "try again" });
        }
      }
      return json(200, { run_id: run.runId, number_in_job: run.runId });
    }
    if (req.method === "POST" && url.pathname === "/api/2.2/jobs/runs/cancel-all") {
      const { job_id } = JSON.parse(req.body) as { job_id: number };
      cancelled.push(job_id);
      return json(200, {});
    }
    if (
      req.method === "GET" &&
      url.pathname === "/api/2.2/jobs/runs/list" &&
      url.searchParams.get("completed_only") === "true"
    ) {
      const job = Number(url.searchParams.get("job_id"));
      // Newest end first, as runs/list orders them; `limit` of them.
      const ends = [...(opts.completedWriters?.[job] ?? [])]
        .sort((a, b) => b - a)
        .slice(0, Number(url.searchParams.get("limit")));
      return json(200, {
        runs: ends.map((end_time, i) => ({ run_id: 50 + i, job_id: job, end_time })),
        has_more: false,
      });
    }
    if (req.method === "GET" && url.pathname === "/api/2.2/jobs/runs/list") {
      const job = Number(url.searchParams.get("job_id"));
      const left = active.get(job) ?? 0;
      // A cancelled run takes a poll or two to end.
      if (left > 0) active.set(job, left - 1);
      return json(
        200,
        left > 0 ? { runs: [{ run_id: 9, job_id: job }], has_more: false } : { has_more: false },
      );
    }
    const id = Number(url.searchParams.get("run_id"));
    if (req.method === "GET" && url.pathname === "/api/2.2/jobs/runs/get") {
      const run = runs.find((r) => r.runId === id);
      if (!run) return json(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no run" });
      const [state, code] = run.script.length > 1 ? run.script.shift()! : run.script[0]!;
      return json(200, {
        run_id: run.runId,
        job_id: run.jobId,
        start_time: run.startTime,
        status: {
          state,
          ...(code && {
            termination_details: {
              code,
              type: code === "SUCCESS" ? "SUCCESS" : "CLIENT_ERROR",
              message: code === "SUCCESS" ? "" : "Workload failed: the source is not a Delta table",
            },
          }),
        },
        tasks: [{ run_id: run.runId + 1_000_000, task_key: "deep_clone" }],
      });
    }
    if (req.method === "GET" && url.pathname === "/api/2.2/jobs/runs/get-output") {
      const run = runs.find((r) => r.runId + 1_000_000 === id);
      if (!run) return json(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no task run" });
      return json(200, { notebook_output: { result: run.output, truncated: false } });
    }
    json(404, { error_code: "ENDPOINT_NOT_FOUND", message: `no route ${url.pathname}` });
  }, tls).then((server) => ({ ...server, runs, cancelled }));
}

const WRITERS = [
  { name: "orders-stream", jobId: "201" },
  { name: "nightly-sales", jobId: "202" },
];
const JOBS = [
  { name: "replicate-sales-orders", jobId: "101" },
  { name: "replicate-sales-customers", jobId: "102" },
];

describe("FinalSync against a loopback Jobs API: a drained site's last run of each copy, awaited", () => {
  const loopback = loopbackPerTest();
  const provider = () => {
    const { credential, scopes } = countingCredential();
    return {
      provider: finalSyncProvider(() => ({ credential, tls: { ca: loopback.tls().cert } })),
      scopes,
    };
  };
  const inputs = (host: string, over: Partial<FinalSyncInputs> = {}): FinalSyncInputs => ({
    kind: FINAL_SYNC_KIND,
    host,
    jobs: JOBS,
    writers: WRITERS,
    syncKey: "drain-e4",
    authType: "azure-cli",
    tenantId: "9c1f3e5a-7b2d-4f8e-a6c4-1e3b5d7f9a2c",
    timeoutSeconds: 30,
    requestTimeoutSeconds: 5,
    maxRetries: 2,
    pollSeconds: 0.01,
    ...over,
  });

  it("runs each job once, queued behind any scheduled run, waits for all, and records what each copied", async () => {
    const api = loopback.serve(await fakeJobsApi(loopback.tls()));
    const { provider: p, scopes } = provider();
    const result = await p.create!(inputs(api.origin));
    expect(result.id).toBe("drain-e4");
    expect((result.outs as FinalSyncOutputs).synced).toEqual([
      {
        name: "replicate-sales-orders",
        jobId: "101",
        runId: 1000,
        output: { table: "t101", sourceVersion: 1 },
      },
      {
        name: "replicate-sales-customers",
        jobId: "102",
        runId: 1001,
        output: { table: "t102", sourceVersion: 2 },
      },
    ]);
    expect(api.runs.map((r) => [r.jobId, r.token, r.queue])).toEqual([
      [101, "drain-e4-0-101", { enabled: true }],
      [102, "drain-e4-0-102", { enabled: true }],
    ]);
    // Each request carries the AzureDatabricks application's token.
    expect(new Set(api.requests.map((r) => r.auth.split("-")[0]))).toEqual(new Set(["Bearer tok"]));
    expect(scopes.flat()).toContain("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default");
  });

  it("cancels the writers' active runs and waits for them to end before any copy starts", async () => {
    const api = loopback.serve(await fakeJobsApi(loopback.tls(), { activeWriters: { 201: 2 } }));
    await provider().provider.create!(inputs(api.origin));
    expect(api.cancelled.sort()).toEqual([201, 202]);
    const order = api.requests.map((r) => `${r.method} ${r.url.split("?")[0]}`);
    const lastList = order.lastIndexOf("GET /api/2.2/jobs/runs/list");
    expect(order.indexOf("POST /api/2.2/jobs/run-now")).toBeGreaterThan(lastList);
    // orders-stream was listed active twice after its cancel, then not.
    expect(
      api.requests.filter((r) =>
        r.url.startsWith("/api/2.2/jobs/runs/list?job_id=201&active_only=true"),
      ),
    ).toHaveLength(3);
    const slow = loopback.serve(
      await fakeJobsApi(loopback.tls(), { activeWriters: { 202: 1_000_000 } }),
    );
    await expect(
      provider().provider.create!(inputs(slow.origin, { timeoutSeconds: 0.2, pollSeconds: 0.05 })),
    ).rejects.toThrow(
      "nightly-sales still has an active run 0.2s after it was cancelled; nothing is copied while a writer runs",
    );
    expect(slow.requests.some((r) => r.url === "/api/2.2/jobs/run-now")).toBe(false);
  });

  // Review of issue 15: a drain that failed, was reverted (the writers ran again at the same
  // epoch) and is tried again must not adopt the copies' earlier runs, which predate those writes.
  it("runs every copy anew once the writers have written since an earlier attempt; adopts them while they have not", async () => {
    const earlier = (token: string, jobId: number) => ({
      jobId,
      token,
      queue: { enabled: true },
      startTime: Date.now() - 3_600_000,
      script: [["TERMINATED", "SUCCESS"]] as [string, string?][],
      output: JSON.stringify({ table: `t${jobId}`, sourceVersion: 1 }),
    });
    // The earlier attempt ran both copies while no writer had ever run (generation 0).
    const existing = [earlier("drain-e4-0-101", 101), earlier("drain-e4-0-102", 102)];
    const still = loopback.serve(await fakeJobsApi(loopback.tls(), { existing }));
    const adopted = await provider().provider.create!(inputs(still.origin));
    expect(adopted.outs.synced.map((r: { runId: number }) => r.runId)).toEqual([1000, 1001]);
    expect(still.runs).toHaveLength(2);
    // Since then nightly-sales ran and ended: both copies run again under the new time's token.
    const end = Date.UTC(2026, 10, 22, 12, 0, 0);
    const wrote = loopback.serve(
      await fakeJobsApi(loopback.tls(), {
        existing,
        completedWriters: { 202: [end - 60_000, end] },
      }),
    );
    const fresh = await provider().provider.create!(inputs(wrote.origin));
    expect(fresh.outs.synced.map((r: { runId: number }) => r.runId)).toEqual([1002, 1003]);
    expect(wrote.runs.slice(2).map((r) => r.token)).toEqual([
      `drain-e4-${end.toString(36)}-101`,
      `drain-e4-${end.toString(36)}-102`,
    ]);
  });

  it("never starts a second run when a start's answer is lost: the retry's token returns the same run", async () => {
    const api = loopback.serve(await fakeJobsApi(loopback.tls(), { loseStarts: true }));
    const result = await provider().provider.create!(inputs(api.origin));
    expect(api.runs).toHaveLength(2);
    expect(api.requests.filter((r) => r.url === "/api/2.2/jobs/run-now")).toHaveLength(4);
    expect((result.outs as FinalSyncOutputs).synced.map((s) => s.runId)).toEqual([1000, 1001]);
  });

  it("fails the deployment when a run fails, naming the job, the run and why", async () => {
    const api = loopback.serve(
      await fakeJobsApi(loopback.tls(), {
        script: (job) =>
          job === 102
            ? [["RUNNING"], ["TERMINATED", "RUN_EXECUTION_ERROR"]]
            : [["TERMINATED", "SUCCESS"]],
      }),
    );
    await expect(provider().provider.create!(inputs(api.origin))).rejects.toThrow(
      `final sync drain-e4 on ${api.origin}: replicate-sales-customers run 1001 ended TERMINATED RUN_EXECUTION_ERROR: Workload failed: the source is not a Delta table`,
    );
  });

  it("gives up at its deadline, saying the run keeps going", async () => {
    const api = loopback.serve(await fakeJobsApi(loopback.tls(), { script: () => [["RUNNING"]] }));
    await expect(
      provider().provider.create!(inputs(api.origin, { timeoutSeconds: 0.2, pollSeconds: 0.05 })),
    ).rejects.toThrow(
      "replicate-sales-orders run 1000 still RUNNING after 0.2s (it keeps running; a retried deployment waits for it instead of starting another)",
    );
  });

  it("a retried deployment adopts its successful runs, and passes over a run an earlier one left failed", async () => {
    const api = loopback.serve(
      await fakeJobsApi(loopback.tls(), {
        existing: [
          {
            jobId: 101,
            token: "drain-e4-0-101",
            queue: { enabled: true },
            startTime: Date.now() - 3_600_000,
            script: [["TERMINATED", "RUN_EXECUTION_ERROR"]],
            output: "",
          },
          {
            jobId: 102,
            token: "drain-e4-0-102",
            queue: { enabled: true },
            startTime: Date.now() - 600_000,
            script: [["TERMINATED", "SUCCESS"]],
            output: JSON.stringify({ table: "sales.customers", sourceVersion: 57 }),
          },
        ],
      }),
    );
    const result = await provider().provider.create!(inputs(api.origin));
    expect((result.outs as FinalSyncOutputs).synced).toEqual([
      {
        name: "replicate-sales-orders",
        jobId: "101",
        runId: 1002,
        output: { table: "t101", sourceVersion: 1 },
      },
      {
        name: "replicate-sales-customers",
        jobId: "102",
        runId: 1001,
        output: { table: "sales.customers", sourceVersion: 57 },
      },
    ]);
    expect(api.runs.map((r) => r.token)).toEqual([
      "drain-e4-0-101",
      "drain-e4-0-102",
      "drain-e4-0-101-r1",
    ]);
  });

  it("runs again for a new key or new jobs, and keeps its record when only a bound changes", async () => {
    const api = loopback.serve(await fakeJobsApi(loopback.tls()));
    const { provider: p } = provider();
    const olds = (await p.create!(inputs(api.origin))).outs as FinalSyncOutputs;
    expect(await p.diff!("drain-e4", olds, inputs(api.origin, { timeoutSeconds: 60 }))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const kept = await p.update!("drain-e4", olds, inputs(api.origin, { timeoutSeconds: 60 }));
    expect((kept.outs as FinalSyncOutputs).synced).toEqual(olds.synced);
    expect(api.runs).toHaveLength(2);
    const again = await p.update!("drain-e4", olds, inputs(api.origin, { syncKey: "drain-e6" }));
    expect((again.outs as FinalSyncOutputs).synced.map((s) => s.runId)).toEqual([1002, 1003]);
    expect((await p.diff!("drain-e4", olds, inputs(api.origin))).changes).toBe(false);
  });

  it("refuses inputs it cannot run before any call", async () => {
    const { provider: p } = provider();
    await expect(p.create!(inputs("https://127.0.0.1:1", { syncKey: "Drain E4" }))).rejects.toThrow(
      "final sync: syncKey must be 1-30 lowercase letters, digits or '-' (given: Drain E4)",
    );
    await expect(p.create!(inputs("https://127.0.0.1:1", { jobs: [] }))).rejects.toThrow(
      "jobs must name at least one replication job",
    );
    await expect(
      p.create!(inputs("https://127.0.0.1:1", { jobs: [{ name: "x", jobId: "abc" }] })),
    ).rejects.toThrow("job x has no numeric jobId (given: abc)");
    await expect(
      p.create!(inputs("https://127.0.0.1:1", { writers: [{ name: "w", jobId: "" }] })),
    ).rejects.toThrow("job w has no numeric jobId (given: )");
    await expect(p.create!(inputs("http://127.0.0.1:1"))).rejects.toThrow(
      "host must be the workspace's https:// URL",
    );
  });
});

describe("a run's state and output, as Jobs API 2.2 and the older fields report them", () => {
  it("reads status.state and termination_details, else life_cycle_state and result_state", () => {
    expect(runState({ status: { state: "QUEUED" } })).toEqual({
      ended: false,
      succeeded: false,
      state: "QUEUED",
      message: "",
    });
    expect(
      runState({ status: { state: "TERMINATED", termination_details: { code: "SUCCESS" } } }),
    ).toMatchObject({ ended: true, succeeded: true });
    expect(
      runState({
        status: {
          state: "TERMINATED",
          termination_details: { code: "CANCELED", message: "by user" },
        },
      }),
    ).toEqual({ ended: true, succeeded: false, state: "TERMINATED CANCELED", message: "by user" });
    expect(runState({ state: { life_cycle_state: "SKIPPED", state_message: "max runs" } })).toEqual(
      {
        ended: true,
        succeeded: false,
        state: "SKIPPED",
        message: "max runs",
      },
    );
    expect(
      runState({ state: { life_cycle_state: "TERMINATED", result_state: "SUCCESS" } }),
    ).toMatchObject({ ended: true, succeeded: true, state: "TERMINATED SUCCESS" });
  });

  it("takes the notebook's exit value when it is a whole JSON object", () => {
    expect(exitValue({ notebook_output: { result: '{"sourceVersion": 41}' } })).toEqual({
      sourceVersion: 41,
    });
    expect(
      exitValue({ notebook_output: { result: '{"sourceVersion"', truncated: true } }),
    ).toBeNull();
    expect(exitValue({ notebook_output: { result: "done" } })).toBeNull();
    expect(exitValue({})).toBeNull();
  });
});

describe("the stand-down's final sync in the program", () => {
  const active = { role: "active" as const, epoch: 3 };

  it("is made only by an active site standing down while its peer is not active", () => {
    expect(finalSyncKey("primary", "passive", active, "passive", true, 7)).toBe("drain-primary-e3");
    // A first deployment has no active period to end; one recorded before epochs ends epoch 0.
    expect(finalSyncKey("primary", "passive", {}, "passive", true, 7)).toBe(undefined);
    expect(finalSyncKey("primary", "passive", { role: "active" }, undefined, true, 7)).toBe(
      "drain-primary-e0",
    );
    // Staying active, staying passive, or standing down after the peer's forced promotion (its
    // copies would be fenced, and the peer's clones list what it lacks).
    expect(finalSyncKey("primary", "active", active, "passive", true, 7)).toBe(undefined);
    expect(
      finalSyncKey("primary", "passive", { role: "passive", epoch: 3 }, "passive", true, 7),
    ).toBe(undefined);
    expect(finalSyncKey("primary", "passive", active, "active", true, 7)).toBe(undefined);
    // Nowhere to copy to, or nothing to copy.
    expect(finalSyncKey("primary", "passive", active, "passive", false, 7)).toBe(undefined);
    expect(finalSyncKey("primary", "passive", active, "passive", true, 0)).toBe(undefined);
  });

  it("records the copies that ran and each deep clone's source version", () => {
    const run = (name: string, output: Record<string, unknown> | null) => ({
      name,
      jobId: "1",
      runId: 2,
      output,
    });
    expect(
      finalSyncRecord("drain-primary-e3", 3, [
        run("replicate-sales-orders", {
          table: "sales.orders",
          sourceVersion: 41,
          targetVersion: 9,
        }),
        run("replicate-landing-orders", { landing: "orders", files: 12, copiedFiles: 0 }),
        run("replicate-finance-invoices", null),
        // A version that is not a whole number is not recorded as one.
        run("replicate-sales-customers", { table: "sales.customers", sourceVersion: "7" }),
      ]),
    ).toEqual({
      key: "drain-primary-e3",
      epoch: 3,
      jobs: [
        "replicate-finance-invoices",
        "replicate-landing-orders",
        "replicate-sales-customers",
        "replicate-sales-orders",
      ],
      tables: { "sales.orders": 41 },
    });
    expect(copyJobNames(undefined)).toEqual([]);
    // A table and a landing folder may share a key: each copy keeps its own run limit.
    const replication = {
      tables: { orders: { path: "t/orders", rpoMinutes: 60 } },
      landing: { orders: { path: "landing/orders", rpoMinutes: 240 } },
    } as never;
    expect(copyRunLimitsMinutes(replication)).toEqual([29, 119]);
    expect(finalSyncTimeoutMinutes(copyRunLimitsMinutes(replication))).toBe(10 + 2 * 119);
    expect(copyJobNames(replication)).toEqual(["replicate-landing-orders", "replicate-orders"]);
  });

  it("is carried while the site stays passive, and dropped when it is active again", () => {
    const record = {
      key: "drain-primary-e3",
      epoch: 3,
      jobs: ["replicate-sales-orders"],
      tables: {},
    };
    expect(carriedFinalSync("passive", { role: "passive", finalSync: record })).toEqual(record);
    expect(carriedFinalSync("active", { role: "passive", finalSync: record })).toBe(undefined);
    // A stand-down that made none keeps none from an earlier one (a new active period between).
    expect(carriedFinalSync("passive", { role: "active", finalSync: record })).toBe(undefined);
    expect(carriedFinalSync("passive", { role: "passive" })).toBe(undefined);
  });

  it("is read back from the outputs, and anything malformed reads as none", () => {
    const record = {
      key: "drain-primary-e3",
      epoch: 3,
      jobs: ["replicate-sales-orders"],
      tables: { "sales.orders": 41 },
    };
    expect(parseLastDeployment({ role: "passive", finalSync: record }).finalSync).toEqual(record);
    for (const bad of [
      { ...record, epoch: -0.5 },
      { ...record, jobs: "replicate-sales-orders" },
      { ...record, tables: { "sales.orders": "41" } },
      { ...record, tables: [41] },
      { ...record, key: 3 },
      null,
    ])
      expect(parseLastDeployment({ role: "passive", finalSync: bad }).finalSync).toBe(undefined);
  });

  it("stands the writers down first, syncs, then the copies, then records the site passive", async () => {
    const { secondary, standingDown: plan } = await primaryStandDown();
    const syncs = plan.resources.filter(
      (r) => r.type === TYPE.dynamicResource && r.inputs.kind === FINAL_SYNC_KIND,
    );
    expect(syncs.map((r) => r.name)).toEqual(["workspace-final-sync"]);
    const sync = syncs[0]!;
    const jobId = (name: string) =>
      plan.resources.find((r) => r.type === TYPE.databricksJob && r.inputs.name === name)!;
    const names = (list: unknown) => (list as { name: string }[]).map((j) => j.name).sort();
    expect(names(sync.inputs.jobs)).toEqual(COPIES);
    expect(names(sync.inputs.writers)).toEqual([
      "backfill-orders",
      "nightly-sales",
      "orders-stream",
      "partner-files",
      "weekly-kpis",
    ]);
    expect(sync.inputs).toMatchObject({
      syncKey: "drain-primary-e1",
      // 10 minutes for the writers' runs to end, then the longest copy's 29-minute limit twice.
      timeoutSeconds: 68 * 60,
      requestTimeoutSeconds: 30,
      maxRetries: 4,
      pollSeconds: 15,
    });
    const concurrencyOf = (job: string) =>
      plan.resources.find(
        (r) => r.type === TYPE.dynamicResource && r.name === concurrencyName(jobId(job).name),
      )!;
    // Every writer's concurrency 0 comes before the sync; every copy's after it.
    for (const w of names(sync.inputs.writers))
      expect(sync.dependencies).toContain(concurrencyOf(w).urn);
    for (const c of COPIES) {
      expect(sync.dependencies).toContain(jobId(c).urn);
      expect(concurrencyOf(c).dependencies).toContain(sync.urn);
    }
    const fence = plan.resources.find(
      (r) => r.type === TYPE.storageBlob && r.name === "workspace-fence",
    )!;
    expect(fence.dependencies).toContain(sync.urn);
    // The record the peer's promotion is checked against; kept while the site stays passive.
    const recorded = (plan.outputs.deployment as Record<string, unknown>).finalSync;
    // With the metastore's part of the same drain (test/metastore.test.ts).
    expect(recorded).toEqual(primaryDrainRecord(COPIES));
    const again = await planSteady("primary", {
      sets: ["promote=true"],
      lastOutputs: plan.outputs,
      peerOutputs: { secondary: secondary.outputs },
    });
    expect(again.resources.some((r) => r.inputs.kind === FINAL_SYNC_KIND)).toBe(false);
    expect(again.resources.some((r) => r.name === "metastore-final-backup")).toBe(false);
    expect((again.outputs.deployment as Record<string, unknown>).finalSync).toEqual(recorded);
    // Active again: a new active period, no record.
    const back = await planSteady("primary", {
      lastOutputs: again.outputs,
      peerOutputs: { secondary: secondary.outputs },
    });
    expect((back.outputs.deployment as Record<string, unknown>).finalSync).toBe(undefined);
  });
});

describe("what a drain records: the lake's final sync and the metastore's final backup", () => {
  const lake = { key: "drain-primary-e3", epoch: 3, jobs: ["replicate-sales-orders"], tables: {} };
  const backup =
    "projects/p/locations/us-east4/services/acmedata-primary-hms/backups/drain-primary-e3";

  it("joins whichever parts the drain made under its one key", () => {
    expect(drainRecord(undefined, undefined)).toBeUndefined();
    expect(drainRecord(lake, undefined)).toEqual(lake);
    expect(drainRecord(lake, { key: "drain-primary-e3", epoch: 3, backup })).toEqual({
      ...lake,
      metastoreBackup: backup,
    });
    // No copies: the backup alone is the drain.
    expect(drainRecord(undefined, { key: "drain-primary-e3", epoch: 3, backup })).toEqual({
      key: "drain-primary-e3",
      epoch: 3,
      jobs: [],
      tables: {},
      metastoreBackup: backup,
    });
    // A run whose result named no backup records none: the gate then refuses the promotion.
    expect(drainRecord(lake, { key: "drain-primary-e3", epoch: 3 })).toEqual(lake);
    expect(drainKey("secondary", { epoch: 12 })).toBe("drain-secondary-e12");
    expect(drainKey("primary", {})).toBe("drain-primary-e0");
  });

  it("reads back only a backup's resource name", () => {
    const read = (metastoreBackup: unknown) =>
      parseLastDeployment({ role: "passive", finalSync: { ...lake, metastoreBackup } }).finalSync;
    expect(read(backup)).toEqual({ ...lake, metastoreBackup: backup });
    for (const bad of ["gs://b/metastore/primary/x", 7, "projects/p/backups/x"])
      expect(read(bad)).toEqual(lake);
  });
});
