import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { RESTORE_WORKFLOW_FILE } from "../components/metastore/metastorePair";
import { workflowRunProvider, type WorkflowRunInputs } from "../components/metastore/workflowRun";
import { parsePlatformConfig } from "../config/load";
import { REPO, ROOT, validRaw } from "./helpers";
import { loopbackServer } from "./loopback";

type Step = Record<string, any>;
const source = fs.readFileSync(path.join(ROOT, RESTORE_WORKFLOW_FILE), "utf8");
const workflow = parse(source) as { main: { params: string[]; steps: Step[] } };
const steps = workflow.main.steps;
const step = (name: string): any => steps.find((s) => name in s)![name];

/** Every step, nested ones included, with the path that leads to it. */
function walk(list: Step[], trail: string[] = []): { name: string; body: any; trail: string[] }[] {
  return list.flatMap((s) => {
    const [name, body] = Object.entries(s)[0]!;
    const here = [...trail, name];
    const nested = [
      ...(body.for?.steps ?? []),
      ...(body.except?.steps ?? []),
      ...(body.steps ?? []),
      ...(body.switch ?? []).flatMap((c: any) => c.steps ?? []),
    ];
    return [{ name, body, trail: here }, ...walk(nested, here)];
  });
}

/**
 * Evaluates one of the workflow's own expressions in JS, with the few standard-library functions
 * it uses, so that the selection logic is tested as written in the file.
 */
function evaluate(expr: string, vars: Record<string, unknown>): any {
  const body = expr
    .replace(/^\$\{/, "")
    .replace(/\}$/, "")
    .replace(/\band\b/g, "&&")
    .replace(/\bor\b/g, "||");
  const lib = {
    text: {
      match_regex: (s: string, r: string) => new RegExp(r).test(s),
      substring: (s: string, a: number, b: number) => s.substring(a, b),
    },
    time: { parse: (t: string) => Date.parse(t) / 1000 },
    len: (x: string | unknown[]) => x.length,
  };
  const scope = { ...lib, ...vars };
  return new Function(...Object.keys(scope), `return (${body});`)(...Object.values(scope));
}

/** Runs the scan step's condition and assignments over a listing, as the workflow's for loop does. */
function pickLatest(items: { name: string; timeCreated: string }[]) {
  const scan = step("scanPage").for;
  const rule = scan.steps[0].keepNewestCompleted.switch[0];
  let vars: Record<string, unknown> = {
    marker: "backup_metastore.json",
    latest: null,
    latestTime: 0,
  };
  for (const object of items) {
    if (evaluate(rule.condition, { ...vars, object })) {
      for (const a of rule.assign) {
        const [k, e] = Object.entries(a)[0] as [string, string];
        vars = { ...vars, [k]: evaluate(e, { ...vars, object }) };
      }
    }
  }
  return vars.latest;
}

describe("the restore workflow file", () => {
  it("reads its settings from the environment the component sets", () => {
    const assigned = step("init").assign.map((a: Record<string, string>) => Object.entries(a)[0]);
    expect(Object.fromEntries(assigned.slice(0, 5))).toEqual({
      service: '${sys.get_env("METASTORE_SERVICE")}',
      bucket: '${sys.get_env("BACKUP_BUCKET")}',
      prefix: '${sys.get_env("BACKUP_PREFIX")}',
      rpoSeconds: '${int(sys.get_env("RPO_MINUTES")) * 60}',
      timeoutSeconds: '${int(sys.get_env("RESTORE_TIMEOUT_SECONDS"))}',
    });
  });

  it("picks the backup that completed last, by its completion marker's time, not by name", () => {
    const at = (name: string, time: string) => ({ name, timeCreated: time });
    const latest = pickLatest([
      at("metastore/primary/zzz-oldest/backup_metastore.json", "2026-11-21T01:00:00Z"),
      at("metastore/primary/aaa-newest/backup_metastore.json", "2026-11-21T03:00:00Z"),
      at("metastore/primary/mmm-middle/backup_metastore.json", "2026-11-21T02:00:00Z"),
      // Still running: avro files but no marker yet, and the newest objects of all.
      at("metastore/primary/running/avro/part-0.avro", "2026-11-21T03:30:00Z"),
      at("metastore/primary/running/service.json", "2026-11-21T03:31:00Z"),
    ]);
    expect(latest).toBe("metastore/primary/aaa-newest/");
    expect(
      pickLatest([at("metastore/primary/x/avro/part-0.avro", "2026-11-21T03:30:00Z")]),
    ).toBeNull();
    // No sorting anywhere in the steps (the header comment names the tutorial's sort-by-name fault).
    expect(source.replace(/^\s*#.*$/gm, "")).not.toMatch(/sort/);
  });

  it("follows every page of the listing", () => {
    const next = step("nextPage").switch[0];
    expect(next).toEqual({
      condition: '${"nextPageToken" in page}',
      assign: [{ pageToken: "${page.nextPageToken}" }],
      next: "listPage",
    });
    expect(step("listPage").args.pageToken).toBe("${pageToken}");
  });

  it("fails, by raising, when there is no completed backup or the newest is older than the RPO", () => {
    expect(step("requireCompletedBackup").switch).toEqual([
      {
        condition: "${latest == null}",
        raise: '${"no completed metastore backup under gs://" + bucket + "/" + prefix}',
      },
    ]);
    const fresh = step("requireFreshBackup").switch[0];
    expect(fresh.condition).toBe("${sys.now() - latestTime > rpoSeconds}");
    expect(fresh.raise).toMatch(/beyond the RPO/);
  });

  it("restores with the chosen backup location and fails, by raising, when the restore fails or times out", () => {
    const restore = step("restore");
    expect(restore.try.call).toBe("googleapis.metastore.v1.projects.locations.services.restore");
    expect(restore.try.args.body).toEqual({
      backupLocation: '${"gs://" + bucket + "/" + latest}',
      restoreType: "FULL",
    });
    expect(restore.try.args.connector_params.timeout).toBe("${timeoutSeconds}");
    expect(restore.except.steps).toHaveLength(1);
    expect(Object.keys(restore.except.steps[0].failRestore)).toEqual(["raise"]);
  });

  it("has no failure path that does not raise: no except swallows an error, no return before the restore", () => {
    const all = walk(steps);
    const excepts = all.filter((s) => s.body.except);
    expect(excepts.map((s) => s.name)).toEqual(["restore"]);
    for (const e of excepts) {
      const last = e.body.except.steps.at(-1);
      expect(Object.values(last)[0]).toHaveProperty("raise");
    }
    const returns = all.filter((s) => "return" in s.body);
    expect(returns.map((s) => s.name)).toEqual(["done"]);
    expect(steps.at(-1)).toHaveProperty("done");
    const raises = all
      .filter((s) => "raise" in s.body || (s.body.switch ?? []).some((c: any) => "raise" in c))
      .map((s) => s.name);
    expect(raises).toEqual(["requireCompletedBackup", "requireFreshBackup", "failRestore"]);
  });

  it("bounds the timeout: the restore waits at most RESTORE_TIMEOUT_SECONDS, which config caps", () => {
    expect(step("restore").try.args.connector_params.timeout).toBe("${timeoutSeconds}");
    const raw = validRaw();
    raw.metastore.restore.timeoutMinutes = 721;
    raw.metastore.rpoMinutes = 1440;
    expect(() => parsePlatformConfig(raw, REPO)).toThrow(
      "paired-dr:metastore.restore.timeoutMinutes: too large; allowed: a whole number of minutes from 5 to 720 (given: 721)",
    );
  });
});

/** A loopback stand-in for the Workflow Executions API. */
async function fakeExecutionsApi(states: string[], opts: { startStatus?: number } = {}) {
  let polls = 0;
  const name = "projects/p/locations/r/workflows/w/executions/e1";
  const server = await loopbackServer((req, res) => {
    res.setHeader("Content-Type", "application/json");
    if (req.method === "POST") {
      res.statusCode = opts.startStatus ?? 200;
      const denied = { error: { code: res.statusCode, message: "denied" } };
      res.end(JSON.stringify(res.statusCode === 200 ? { name, state: "ACTIVE" } : denied));
      return;
    }
    const state = states[Math.min(polls++, states.length - 1)];
    res.end(
      JSON.stringify({
        name,
        state,
        ...(state === "SUCCEEDED" && { result: '{"restored":"gs://b/x/"}' }),
        ...(state === "FAILED" && { error: { payload: "restore failed" } }),
      }),
    );
  });
  return { url: `${server.origin}/v1`, requests: server.requests, close: server.close };
}

describe("WorkflowRun (one restore on a cold promotion)", () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());
  const inputs = (endpoint: string, over: Partial<WorkflowRunInputs> = {}): WorkflowRunInputs => ({
    endpoint,
    workflow: "projects/p/locations/r/workflows/w",
    target: "projects/p/locations/r/services/s",
    accessToken: "tok",
    timeoutSeconds: 5,
    pollSeconds: 0.01,
    ...over,
  });

  it("starts one execution, polls until it succeeds, and records it", async () => {
    const api = await fakeExecutionsApi(["ACTIVE", "ACTIVE", "SUCCEEDED"]);
    close = api.close;
    const result = await workflowRunProvider.create!(inputs(api.url));
    expect(result.id).toBe("projects/p/locations/r/workflows/w/executions/e1");
    expect(result.outs).toMatchObject({ state: "SUCCEEDED", result: '{"restored":"gs://b/x/"}' });
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /v1/projects/p/locations/r/workflows/w/executions",
      "GET /v1/projects/p/locations/r/workflows/w/executions/e1",
      "GET /v1/projects/p/locations/r/workflows/w/executions/e1",
      "GET /v1/projects/p/locations/r/workflows/w/executions/e1",
    ]);
    expect(api.requests[0]!.auth).toBe("Bearer tok");
    expect(JSON.parse(api.requests[0]!.body)).toEqual({
      argument: '{"target":"projects/p/locations/r/services/s"}',
    });
  });

  it("fails the deployment when the run fails", async () => {
    const api = await fakeExecutionsApi(["ACTIVE", "FAILED"]);
    close = api.close;
    await expect(workflowRunProvider.create!(inputs(api.url))).rejects.toThrow(
      'workflow run projects/p/locations/r/workflows/w/executions/e1 ended FAILED: {"payload":"restore failed"}',
    );
  });

  it("fails the deployment when the run outlives its timeout", async () => {
    const api = await fakeExecutionsApi(["ACTIVE"]);
    close = api.close;
    await expect(
      workflowRunProvider.create!(inputs(api.url, { timeoutSeconds: 0.05 })),
    ).rejects.toThrow(
      "workflow run projects/p/locations/r/workflows/w/executions/e1 still ACTIVE after 0.05s; giving up",
    );
  });

  it("fails the deployment when the run cannot start", async () => {
    const api = await fakeExecutionsApi([], { startStatus: 403 });
    close = api.close;
    await expect(workflowRunProvider.create!(inputs(api.url))).rejects.toThrow(
      /HTTP 403: .*denied/,
    );
  });

  it("runs again only for a new workflow or target, never for a new token", async () => {
    const olds = { ...inputs("x"), execution: "e1", state: "SUCCEEDED", result: "" };
    expect(
      await workflowRunProvider.diff!("e1", olds, inputs("x", { accessToken: "new" })),
    ).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await workflowRunProvider.diff!("e1", olds, inputs("x", { target: "other" }))).toEqual({
      changes: true,
      replaces: ["target"],
      deleteBeforeReplace: false,
    });
  });
});
