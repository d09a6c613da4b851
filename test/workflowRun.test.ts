import { afterEach, describe, expect, it } from "vitest";
import {
  deployingGoogleIdentity,
  googleIdentity,
  retryable,
  type GoogleAccess,
} from "../components/googleCalls";
import {
  ERROR_EXCERPT_CHARS,
  RUN_LABEL,
  workflowRunProvider,
  type WorkflowRunInputs,
  type WorkflowRunOutputs,
} from "../components/metastore/workflowRun";
import { loopbackServer, type RecordedRequest } from "./loopback";

const WORKFLOW = "projects/p/locations/r/workflows/w";
const JOB = "projects/p/locations/r/jobs/restore";
const KEY = "promotion-e2";

type FakeExecution = {
  name: string;
  state: string;
  labels: Record<string, string>;
  argument: string;
  /** States the next reads return, in turn; the last one stays. */
  script: string[];
  error?: { payload: string; context?: string };
};

/**
 * A loopback Workflow Executions API and Cloud Scheduler API, shaped by their REST references
 * (workflowexecutions v1 projects.locations.workflows.executions: create, get, list, cancel;
 * cloudscheduler v1 projects.locations.jobs.pause), answering the real client libraries.
 */
async function fakeGoogle(
  opts: {
    /** Executions that exist before the run. */
    existing?: Omit<FakeExecution, "script">[];
    /** The states of each execution the run creates, read after read. */
    script?: string[];
    /** Answers that replace the API's, by request, in order: a status, or "silent" (never answer). */
    faults?: { match: (r: RecordedRequest) => boolean; answer: number | "silent" | "redirect" }[];
    error?: FakeExecution["error"];
    noJob?: boolean;
  } = {},
) {
  const executions: FakeExecution[] = (opts.existing ?? []).map((e) => ({
    ...e,
    script: [e.state],
  }));
  const paused: string[] = [];
  const faults = [...(opts.faults ?? [])];
  const server = await loopbackServer((req, res, origin) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const fault = faults.findIndex((f) => f.match(req));
    const answer = fault >= 0 ? faults.splice(fault, 1)[0]!.answer : undefined;
    const url = new URL(req.url, origin);
    // The API's effect happens; only its answer is lost (a create that a 503 or a dead socket hides).
    const act = (): [number, unknown] => {
      if (req.method === "POST" && url.pathname === `/v1/${JOB}:pause`) {
        if (opts.noJob) return [404, { error: { code: 404, message: "job not found" } }];
        paused.push(JOB);
        return [200, { name: JOB, state: "PAUSED" }];
      }
      if (req.method === "POST" && url.pathname === `/v1/${WORKFLOW}/executions`) {
        const body = JSON.parse(req.body) as { argument: string; labels: Record<string, string> };
        const e: FakeExecution = {
          name: `${WORKFLOW}/executions/e${executions.length + 1}`,
          state: "ACTIVE",
          labels: body.labels,
          argument: body.argument,
          script: [...(opts.script ?? ["SUCCEEDED"])],
          ...(opts.error && { error: opts.error }),
        };
        executions.push(e);
        return [200, { name: e.name, state: "ACTIVE", labels: e.labels }];
      }
      if (req.method === "GET" && url.pathname === `/v1/${WORKFLOW}/executions`) {
        expect(url.searchParams.get("view")).toBe("FULL");
        const filter = url.searchParams.get("filter");
        expect(['state="ACTIVE" OR state="QUEUED"', 'state="SUCCEEDED"']).toContain(filter);
        const states = [...filter!.matchAll(/state="([A-Z]+)"/g)].map((m) => m[1]!);
        // Newest first, as the API orders them (ListExecutions reference: by createTime, descending).
        const matching = executions.filter((e) => states.includes(e.state)).reverse();
        return [200, { executions: matching.map(({ script, ...e }) => e) }];
      }
      const cancel = /^\/v1\/(.+):cancel$/.exec(url.pathname);
      const e = executions.find(
        (x) => `/v1/${x.name}` === (cancel ? `/v1/${cancel[1]}` : url.pathname),
      );
      if (!e) return [404, { error: { code: 404, message: "not found" } }];
      if (cancel) {
        if (!["ACTIVE", "QUEUED"].includes(e.state))
          return [400, { error: { code: 400, message: "execution is not running" } }];
        e.state = "CANCELLED";
        return [200, { name: e.name, state: e.state }];
      }
      e.state = e.script.length > 1 ? e.script.shift()! : (e.script[0] ?? e.state);
      const { script, ...shown } = e;
      return [
        200,
        { ...shown, ...(e.state === "SUCCEEDED" && { result: '{"restored":"gs://b/x"}' }) },
      ];
    };
    if (answer === "redirect") {
      res.writeHead(302, { Location: `${origin}/elsewhere` });
      res.end();
      return;
    }
    const [status, body] = act();
    if (answer === "silent") return;
    if (typeof answer === "number")
      return json(answer, { error: { code: answer, message: `fault ${answer}` } });
    json(status, body);
  });
  return { ...server, executions, paused };
}

const access =
  (token = "tok"): (() => GoogleAccess) =>
  () =>
    deployingGoogleIdentity({ GOOGLE_OAUTH_ACCESS_TOKEN: token });

const inputs = (endpoint: string, over: Partial<WorkflowRunInputs> = {}): WorkflowRunInputs => ({
  endpoint,
  schedulerEndpoint: endpoint,
  workflow: WORKFLOW,
  target: "projects/p/locations/r/services/s",
  runKey: KEY,
  argument: { restoreWhateverAge: true },
  quiesceSchedule: "",
  fresh: false,
  timeoutSeconds: 5,
  pollSeconds: 0.01,
  requestTimeoutSeconds: 0.5,
  maxRetries: 3,
  ...over,
});

const calls = (requests: RecordedRequest[]) =>
  requests.map((r) => `${r.method} ${r.url.replace(/\?.*$/, "")}`);

describe("WorkflowRun: one run of a workflow, on the official Executions client", () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it("starts one labelled execution with the deploying identity's token, polls it until it succeeds, and records it", async () => {
    const api = await fakeGoogle({ script: ["ACTIVE", "ACTIVE", "SUCCEEDED"] });
    close = api.close;
    const result = await workflowRunProvider(access()).create!(inputs(api.origin));
    expect(result.id).toBe(`${WORKFLOW}/executions/e1`);
    expect(result.outs).toEqual({
      ...inputs(api.origin),
      execution: `${WORKFLOW}/executions/e1`,
      state: "SUCCEEDED",
      result: '{"restored":"gs://b/x"}',
      resumed: false,
      cancelled: [],
    });
    expect(calls(api.requests)).toEqual([
      // Its own execution, running or succeeded, before it starts one.
      `GET /v1/${WORKFLOW}/executions`,
      `GET /v1/${WORKFLOW}/executions`,
      `POST /v1/${WORKFLOW}/executions`,
      `GET /v1/${WORKFLOW}/executions/e1`,
      `GET /v1/${WORKFLOW}/executions/e1`,
      `GET /v1/${WORKFLOW}/executions/e1`,
    ]);
    expect(new Set(api.requests.map((r) => r.auth))).toEqual(new Set(["Bearer tok"]));
    expect(JSON.parse(api.requests[2]!.body)).toEqual({
      argument: '{"restoreWhateverAge":true,"target":"projects/p/locations/r/services/s"}',
      labels: { [RUN_LABEL]: KEY },
    });
  });

  it("resumes the execution an earlier deployment started for the same run instead of starting a second", async () => {
    const api = await fakeGoogle({
      existing: [
        {
          name: `${WORKFLOW}/executions/old`,
          state: "ACTIVE",
          labels: { [RUN_LABEL]: KEY },
          argument: "{}",
        },
        // Another run's execution is not this run's.
        {
          name: `${WORKFLOW}/executions/other`,
          state: "ACTIVE",
          labels: { [RUN_LABEL]: "promotion-e1" },
          argument: "{}",
        },
      ],
    });
    close = api.close;
    api.executions[0]!.script = ["ACTIVE", "SUCCEEDED"];
    const result = await workflowRunProvider(access()).create!(inputs(api.origin));
    expect(result.outs).toMatchObject({ execution: `${WORKFLOW}/executions/old`, resumed: true });
    expect(calls(api.requests).filter((c) => c.startsWith("POST"))).toEqual([]);
  });

  it("takes the result of its execution that already succeeded (a deployment that failed after the run) instead of restoring again", async () => {
    const api = await fakeGoogle({
      existing: [
        {
          name: `${WORKFLOW}/executions/done`,
          state: "SUCCEEDED",
          labels: { [RUN_LABEL]: KEY },
          argument: "{}",
        },
        // Newer, and another run's: passed over.
        {
          name: `${WORKFLOW}/executions/scheduled`,
          state: "SUCCEEDED",
          labels: { "paired-dr-site": "secondary" },
          argument: "{}",
        },
      ],
    });
    close = api.close;
    const result = await workflowRunProvider(access()).create!(inputs(api.origin));
    expect(result.outs).toMatchObject({
      execution: `${WORKFLOW}/executions/done`,
      state: "SUCCEEDED",
      result: '{"restored":"gs://b/x"}',
      resumed: true,
    });
    expect(calls(api.requests).filter((c) => c.startsWith("POST"))).toEqual([]);
  });

  it("fresh: takes no earlier succeeded execution's result (a final backup is only good made now), but still waits for one of its own that runs", async () => {
    const done = {
      name: `${WORKFLOW}/executions/done`,
      state: "SUCCEEDED",
      labels: { [RUN_LABEL]: KEY },
      argument: "{}",
    };
    const api = await fakeGoogle({ existing: [done] });
    close = api.close;
    const result = await workflowRunProvider(access()).create!(inputs(api.origin, { fresh: true }));
    expect(result.outs).toMatchObject({ execution: `${WORKFLOW}/executions/e2`, resumed: false });
    // One look, for running executions only; then the start.
    expect(calls(api.requests).slice(0, 2)).toEqual([
      `GET /v1/${WORKFLOW}/executions`,
      `POST /v1/${WORKFLOW}/executions`,
    ]);
    const running = await fakeGoogle({ existing: [{ ...done, state: "ACTIVE" }] });
    running.executions[0]!.script = ["ACTIVE", "SUCCEEDED"];
    const resumed = await workflowRunProvider(access()).create!(
      inputs(running.origin, { fresh: true }),
    );
    running.close();
    expect(resumed.outs).toMatchObject({ execution: done.name, resumed: true });
    expect(calls(running.requests).filter((c) => c.startsWith("POST"))).toEqual([]);
  });

  it("never starts a second execution when the start's answer is lost: a 503 after the start, or a socket that never answers", async () => {
    for (const answer of [503, "silent"] as const) {
      const api = await fakeGoogle({
        faults: [{ match: (r) => r.method === "POST", answer }],
      });
      const result = await workflowRunProvider(access()).create!(inputs(api.origin));
      api.close();
      expect(api.executions.map((e) => e.name)).toEqual([`${WORKFLOW}/executions/e1`]);
      expect(result.outs).toMatchObject({
        execution: `${WORKFLOW}/executions/e1`,
        state: "SUCCEEDED",
      });
      expect(calls(api.requests)).toEqual([
        `GET /v1/${WORKFLOW}/executions`,
        `GET /v1/${WORKFLOW}/executions`,
        `POST /v1/${WORKFLOW}/executions`,
        // Looks before it starts again, and finds the one it made.
        `GET /v1/${WORKFLOW}/executions`,
        `GET /v1/${WORKFLOW}/executions/e1`,
      ]);
    }
  });

  it("retries polls that are throttled, fail on the server or never answer, and gives up after its retries", async () => {
    const poll = (r: RecordedRequest) => r.method === "GET" && r.url.includes("/executions/e1");
    const api = await fakeGoogle({
      script: ["ACTIVE", "SUCCEEDED"],
      faults: [
        { match: poll, answer: 429 },
        { match: poll, answer: "silent" },
        { match: poll, answer: 500 },
      ],
    });
    close = api.close;
    const result = await workflowRunProvider(access()).create!(inputs(api.origin));
    expect(result.outs).toMatchObject({ state: "SUCCEEDED" });
    // Three reads that failed, each retried, and the one that answered.
    expect(api.requests.filter(poll)).toHaveLength(4);

    const down = await fakeGoogle({
      faults: Array.from({ length: 10 }, () => ({ match: poll, answer: 503 as const })),
    });
    await expect(
      workflowRunProvider(access()).create!(inputs(down.origin, { maxRetries: 2 })),
    ).rejects.toThrow(`workflow run of ${WORKFLOW}: reading ${WORKFLOW}/executions/e1: HTTP 503: `);
    // One attempt and two retries, no more.
    expect(down.requests.filter(poll)).toHaveLength(3);
    down.close();
  });

  it("refuses a redirect, and fails a start the API refuses at once, without retrying it", async () => {
    const api = await fakeGoogle({
      faults: [{ match: (r) => r.method === "POST", answer: 403 }],
    });
    close = api.close;
    await expect(workflowRunProvider(access()).create!(inputs(api.origin))).rejects.toThrow(
      `workflow run of ${WORKFLOW}: starting an execution: HTTP 403: `,
    );
    expect(calls(api.requests).filter((c) => c.startsWith("POST"))).toHaveLength(1);

    const moved = await fakeGoogle({
      faults: [{ match: (r) => r.method === "GET", answer: "redirect" }],
    });
    await expect(workflowRunProvider(access()).create!(inputs(moved.origin))).rejects.toThrow(
      "HTTP 302",
    );
    expect(moved.requests.map((r) => r.url)).not.toContain("/elsewhere");
    moved.close();
  });

  it("fails the deployment when the execution fails, quoting its error payload, cut to a bounded length", async () => {
    const payload = JSON.stringify({ message: "x".repeat(5_000) });
    const api = await fakeGoogle({
      script: ["ACTIVE", "FAILED"],
      error: { payload, context: "in step restoreNewest" },
    });
    close = api.close;
    const failure = await workflowRunProvider(access()).create!(inputs(api.origin)).then(
      () => undefined,
      (e: Error) => e.message,
    );
    const lead = `workflow run of ${WORKFLOW}: ${WORKFLOW}/executions/e1 ended FAILED: `;
    expect(failure!.startsWith(`${lead}${payload.slice(0, ERROR_EXCERPT_CHARS)}… (`)).toBe(true);
    expect(failure!.length).toBeLessThan(lead.length + ERROR_EXCERPT_CHARS + 40);
  });

  it("fails the deployment when the execution outlives its timeout, saying a new deployment resumes it", async () => {
    const api = await fakeGoogle({ script: ["ACTIVE"] });
    close = api.close;
    await expect(
      workflowRunProvider(access()).create!(inputs(api.origin, { timeoutSeconds: 0.2 })),
    ).rejects.toThrow(
      `workflow run of ${WORKFLOW}: ${WORKFLOW}/executions/e1 still ACTIVE (it keeps running; a new deployment waits for it instead of starting another) after 0.2s; giving up`,
    );
  });

  it("quiesces first: pauses the restore schedule and cancels every other running execution, then starts its own", async () => {
    const scheduled = (n: number, state = "ACTIVE") => ({
      name: `${WORKFLOW}/executions/s${n}`,
      state,
      labels: { "paired-dr-site": "secondary" },
      argument: "{}",
    });
    const api = await fakeGoogle({
      existing: [scheduled(1), scheduled(2, "QUEUED"), scheduled(3, "SUCCEEDED")],
    });
    close = api.close;
    const result = await workflowRunProvider(access()).create!(
      inputs(api.origin, { quiesceSchedule: JOB }),
    );
    expect(api.paused).toEqual([JOB]);
    expect(result.outs).toMatchObject({
      cancelled: [`${WORKFLOW}/executions/s2`, `${WORKFLOW}/executions/s1`],
      // The fake numbers executions in order: three existed.
      execution: `${WORKFLOW}/executions/e4`,
      state: "SUCCEEDED",
    });
    expect(calls(api.requests).slice(0, 5)).toEqual([
      `POST /v1/${JOB}:pause`,
      `GET /v1/${WORKFLOW}/executions`,
      // Newest first.
      `POST /v1/${WORKFLOW}/executions/s2:cancel`,
      `POST /v1/${WORKFLOW}/executions/s1:cancel`,
      // Once more, a poll later: a start sent just before the pause.
      `GET /v1/${WORKFLOW}/executions`,
    ]);
    expect(api.executions.map((e) => e.state)).toEqual([
      "CANCELLED",
      "CANCELLED",
      "SUCCEEDED",
      "SUCCEEDED",
    ]);

    // No schedule to pause, and an execution that ended between the listing and its cancel.
    const racing = await fakeGoogle({ existing: [scheduled(1)], noJob: true });
    const cancel = (r: RecordedRequest) => r.url.endsWith(":cancel");
    const listed = racing.executions[0]!;
    const original = racing.requests.push.bind(racing.requests);
    racing.requests.push = (...rs: RecordedRequest[]) => {
      if (rs.some(cancel)) listed.state = "SUCCEEDED";
      return original(...rs);
    };
    const out = await workflowRunProvider(access()).create!(
      inputs(racing.origin, { quiesceSchedule: JOB }),
    );
    expect(out.outs).toMatchObject({
      cancelled: [`${WORKFLOW}/executions/s1`],
      state: "SUCCEEDED",
    });
    racing.close();
  });

  it("obtains the credential at each operation and keeps none in state", async () => {
    const api = await fakeGoogle();
    close = api.close;
    let n = 0;
    const provider = workflowRunProvider(() => access(`token-${++n}`)());
    const first = await provider.create!(inputs(api.origin));
    await provider.create!(inputs(api.origin, { runKey: "promotion-e3" }));
    expect([...new Set(api.requests.map((r) => r.auth))]).toEqual([
      "Bearer token-1",
      "Bearer token-2",
    ]);
    expect(JSON.stringify(first.outs)).not.toContain("token-");
  });
});

describe("WorkflowRun: what a later deployment does with a recorded run", () => {
  const provider = workflowRunProvider(() => {
    throw new Error("no call may be made");
  });
  const olds: WorkflowRunOutputs = {
    ...inputs("https://workflowexecutions.googleapis.com"),
    execution: `${WORKFLOW}/executions/e1`,
    state: "SUCCEEDED",
    result: "{}",
    resumed: false,
    cancelled: [],
  };
  const news = (over: Partial<WorkflowRunInputs> = {}) => inputs(olds.endpoint, over);

  it("runs again only for a new workflow or target; a new run key is recorded without a run", async () => {
    expect(await provider.diff!("e1", olds, news())).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    for (const k of ["workflow", "target"] as const) {
      expect(await provider.diff!("e1", olds, news({ [k]: "other" }))).toEqual({
        changes: true,
        replaces: [k],
        deleteBeforeReplace: false,
      });
    }
    // A site that stays active takes a new epoch once its peer stood down after a promotion
    // (components/fence.ts): never a second restore into it.
    expect(await provider.diff!("e1", olds, news({ runKey: "promotion-e3" }))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("records new settings without a call, and keeps a run recorded before run keys existed", async () => {
    // What the run was given is what it ran with: another argument alone changes nothing.
    const asked = news({ argument: { restoreWhateverAge: true, restoreNothing: true } });
    expect(await provider.diff!("e1", olds, asked)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const changed = news({
      timeoutSeconds: 60,
      argument: { restoreWhateverAge: true, waitForIdle: true },
    });
    expect(await provider.diff!("e1", olds, changed)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect((await provider.update!("e1", olds, changed)).outs).toEqual({
      ...changed,
      argument: olds.argument,
      execution: olds.execution,
      state: "SUCCEEDED",
      result: "{}",
      resumed: false,
      cancelled: [],
    });
    // The earlier version's state: an access token, no run key, and the target as the API
    // names the service (with the project number).
    const { runKey, ...legacy } = olds;
    const before = {
      ...legacy,
      target: "projects/123456789012/locations/r/services/s",
      accessToken: "ya29.stale",
    } as unknown as WorkflowRunOutputs;
    expect(await provider.diff!("e1", before, news())).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const updated = (await provider.update!("e1", before, news())).outs as Record<string, unknown>;
    expect(updated).not.toHaveProperty("accessToken");
    expect(updated.runKey).toBe(runKey);
  });
});

describe("the deploying Google identity, as the gcp provider reads it", () => {
  it("follows the provider's order: an access token, then credentials (JSON or a path), then ADC", () => {
    expect(
      googleIdentity({ GOOGLE_OAUTH_ACCESS_TOKEN: "ya29", GOOGLE_CREDENTIALS: "/k.json" }),
    ).toEqual({
      kind: "access-token",
      token: "ya29",
    });
    expect(googleIdentity({ GOOGLE_CREDENTIALS: ' {"type":"service_account"}' })).toEqual({
      kind: "credentials-json",
      json: '{"type":"service_account"}',
    });
    expect(googleIdentity({ GOOGLE_CLOUD_KEYFILE_JSON: "/k.json" })).toEqual({
      kind: "credentials-file",
      path: "/k.json",
    });
    expect(googleIdentity({ GCLOUD_KEYFILE_JSON: "/g.json" })).toEqual({
      kind: "credentials-file",
      path: "/g.json",
    });
    expect(googleIdentity({ GOOGLE_OAUTH_ACCESS_TOKEN: " " })).toEqual({ kind: "default" });
    expect(googleIdentity({})).toEqual({ kind: "default" });
  });

  it("retries throttling, server errors and missing answers, never a refusal", () => {
    expect(retryable({ status: 429 })).toBe(true);
    expect(retryable({ response: { status: 503 } })).toBe(true);
    expect(retryable({ code: 14 })).toBe(true);
    expect(retryable(new Error("The operation was aborted."))).toBe(true);
    for (const status of [400, 403, 404, 409]) expect(retryable({ status })).toBe(false);
    expect(retryable({ code: 7 })).toBe(false);
  });
});
