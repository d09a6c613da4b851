import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ProjectFile } from "../tools/plan/projectConfig";
import { automationStacks } from "../tools/runbook/automation";
import { main } from "../tools/runbook/cli";
import {
  renderLive,
  runLive,
  setsBefore,
  stackSetsBefore,
  unmerged,
  unmergedStack,
  type LiveStacks,
} from "../tools/runbook/live";
import type { RunbookResult, StepResult } from "../tools/runbook/play";
import { readRunbook, type Runbook } from "../tools/runbook/schema";
import { ROOT, runCommand, tempDir } from "./helpers";

const SWITCHOVER = readRunbook(path.join(ROOT, "runbooks/planned-switchover.yaml"));
const project = (promote: boolean): ProjectFile => ({
  name: "paired-dr",
  config: { promote: { value: promote }, prefix: { value: "acmedata" } },
});
const outputs = (role: string, promote: boolean) => ({
  role,
  promote,
  deployment: { role },
});

/** Stacks that record what a live run asked of them; each `up` applies the next roles given. */
function fakeStacks(
  roles: Record<"primary" | "secondary", string>,
  afterUps: Record<"primary" | "secondary", string>[] = [],
  failAt?: number,
  statusCode = 0,
) {
  const calls: string[] = [];
  let now = { ...roles };
  let ups = 0;
  const stacks: LiveStacks = {
    async outputs(site) {
      calls.push(`outputs ${site}`);
      return outputs(now[site], false);
    },
    async up(site, onOutput) {
      calls.push(`up ${site}`);
      onOutput(`Updating (${site})\n`);
      if (++ups === failAt)
        throw new Error(
          "code: 255\n stdout: ...\n stderr: error: preview failed\nmandatory policy violation: dr-promotion-gate",
        );
      now = { ...(afterUps[ups - 1] ?? now) };
      return { create: 2, update: 1, same: 40 };
    },
    async requireSynced(onOutput) {
      calls.push("status --require-synced");
      const output = statusCode
        ? "Recovery status\nlake: sales.orders 12 min behind\nExit 4: a class is unsynced"
        : "Exit 0";
      onOutput(output);
      return { code: statusCode, output };
    },
  };
  return { stacks, calls };
}

const rehearsalOf = (runbook: Runbook, failing?: { index: number; error: string }) =>
  ({
    runbook: runbook.name,
    steps: runbook.steps.map(
      (_, i) =>
        ({
          step: `step ${i}`,
          ok: failing?.index !== i,
          errors: failing?.index === i ? [failing.error] : [],
          violations: [],
        }) as unknown as StepResult,
    ),
    ok: failing === undefined,
    unusedGaps: [],
  }) as unknown as RunbookResult;

let clock = 0;
const now = () => new Date(Date.UTC(2026, 10, 22, 12, 0, clock++));

describe("a runbook run live (issue 15, section 4): the orchestration, against fake stacks", () => {
  it("rehearses the steps from the start on the stacks' outputs, runs the ups, and stops at a set not merged, saying how to go on", async () => {
    const { stacks, calls } = fakeStacks({ primary: "active", secondary: "passive" });
    const rehearsed: { steps: number; state: unknown }[] = [];
    const r = await runLive(SWITCHOVER, {
      stacks,
      rehearse: async (rb, state) => {
        rehearsed.push({ steps: rb.steps.length, state });
        return rehearsalOf(rb);
      },
      project: () => project(false),
      now,
    });
    // The whole runbook, on both stacks' outputs as they are now.
    expect(rehearsed).toEqual([
      {
        steps: SWITCHOVER.steps.length,
        state: { primary: outputs("active", false), secondary: outputs("passive", false) },
      },
    ]);
    expect(calls.filter((c) => c.startsWith("up"))).toEqual([
      "up primary",
      "up secondary",
      "up primary",
    ]);
    expect(r.ok).toBe(false);
    expect(r.timeline.map((t) => [t.step, t.action, t.ok, t.what])).toEqual([
      [1, "up: primary", true, "pulumi up -s primary: 2 create, 1 update"],
      [2, "up: secondary", true, "pulumi up -s secondary: 2 create, 1 update"],
      [3, "up: primary", true, "pulumi up -s primary: 2 create, 1 update"],
      [
        4,
        'set: {"promote":true}',
        false,
        "step 4 sets promote: true, which Pulumi.yaml does not hold: merge the pull request that sets it, check it out, and run again with --from 4",
      ],
    ]);
    expect(r.stopped).toBe(r.timeline.at(-1)!.what);
    expect(r.pair).toBe("primary active, secondary passive");
    // Each step's start and end, in order.
    expect(r.timeline.every((t) => t.start <= t.end)).toBe(true);
    expect(renderLive(r).split("\n").at(-1)).toBe("pair now: primary active, secondary passive");
  });

  it("--from after the merge: the drain and the promotion, each expectation read from the stacks' outputs", async () => {
    const { stacks, calls } = fakeStacks({ primary: "active", secondary: "passive" }, [
      { primary: "passive", secondary: "passive" },
      { primary: "passive", secondary: "active" },
      { primary: "passive", secondary: "active" },
    ]);
    let rehearsedSteps = 0;
    const r = await runLive(SWITCHOVER, {
      stacks,
      rehearse: async (rb) => {
        rehearsedSteps = rb.steps.length;
        return rehearsalOf(rb);
      },
      project: () => project(true),
      from: 4,
      now,
    });
    expect(rehearsedSteps).toBe(SWITCHOVER.steps.length - 3);
    expect(r.ok).toBe(true);
    expect(r.stopped).toBe(undefined);
    expect(r.timeline.map((t) => [t.step, t.action, t.what])).toEqual([
      [
        4,
        'set: {"promote":true}',
        'Pulumi.yaml holds {"promote":true} (the pull request is merged)',
      ],
      [5, "up: primary", "pulumi up -s primary: 2 create, 1 update"],
      [6, expect.stringMatching(/^expect: /), "active: none, as the stacks' outputs record"],
      [7, "status: require-synced", "npm run status -- --require-synced: exit 0, nothing unsynced"],
      [8, "up: secondary", "pulumi up -s secondary: 2 create, 1 update"],
      [9, expect.stringMatching(/^expect: /), "active: secondary, as the stacks' outputs record"],
      [10, "up: primary", "pulumi up -s primary: 2 create, 1 update"],
    ]);
    expect(calls.filter((c) => c.startsWith("status"))).toEqual(["status --require-synced"]);
    expect(calls.filter((c) => c.startsWith("up"))).toEqual([
      "up primary",
      "up secondary",
      "up primary",
    ]);
    expect(r.pair).toBe("primary passive, secondary active");
  });

  it("a status check that does not pass stops the run before the promotion, with what it found", async () => {
    const { stacks, calls } = fakeStacks(
      { primary: "active", secondary: "passive" },
      [{ primary: "passive", secondary: "passive" }],
      undefined,
      4,
    );
    const r = await runLive(SWITCHOVER, {
      stacks,
      rehearse: async (rb) => rehearsalOf(rb),
      project: () => project(true),
      from: 4,
      now,
    });
    expect([r.ok, r.stopped]).toEqual([
      false,
      "step 7 (npm run status -- --require-synced) exited 4: Recovery status lake: sales.orders 12 min behind Exit 4: a class is unsynced",
    ]);
    expect(calls.filter((c) => c.startsWith("up"))).toEqual(["up primary"]);
  });

  it("runs nothing when the rehearsal refuses a step, naming it", async () => {
    const { stacks, calls } = fakeStacks({ primary: "active", secondary: "passive" });
    const r = await runLive(SWITCHOVER, {
      stacks,
      rehearse: async (rb) =>
        rehearsalOf(rb, { index: 3, error: "dr-promotion-gate: no final sync" }),
      project: () => project(true),
      from: 4,
      now,
    });
    expect(r.ok).toBe(false);
    expect(r.stopped).toBe(
      "the rehearsal on the stacks' current outputs refuses step 7 (step 3): dr-promotion-gate: no final sync; nothing was run",
    );
    expect(r.timeline).toEqual([]);
    expect(calls.filter((c) => c.startsWith("up"))).toEqual([]);
  });

  it("stops at the first failed deployment, with the CLI's last lines and the pair as recorded", async () => {
    const { stacks } = fakeStacks(
      { primary: "active", secondary: "passive" },
      [{ primary: "passive", secondary: "passive" }],
      2,
    );
    const r = await runLive(SWITCHOVER, {
      stacks,
      rehearse: async (rb) => rehearsalOf(rb),
      project: () => project(true),
      from: 5,
      now,
    });
    // Step 7 is the status check (passing here), step 8 the promotion.
    expect(r.timeline.map((t) => [t.step, t.ok])).toEqual([
      [5, true],
      [6, true],
      [7, true],
      [8, false],
    ]);
    expect(r.stopped).toBe(
      "step 8 (pulumi up -s secondary) failed: error: preview failed mandatory policy violation: dr-promotion-gate",
    );
    expect(r.pair).toBe("primary passive, secondary passive");
  });

  it("an expectation the live outputs contradict stops the run", async () => {
    // The drain went through, but the primary still records active (its outputs say so).
    const { stacks } = fakeStacks({ primary: "active", secondary: "passive" });
    const r = await runLive(SWITCHOVER, {
      stacks,
      rehearse: async (rb) => rehearsalOf(rb),
      project: () => project(true),
      from: 5,
      now,
    });
    expect(r.stopped).toBe("step 6 expects active: none, but the stacks' outputs record primary");
  });

  it("refuses, before anything, a runbook with steps a live run does not take, earlier sets not merged, or a step out of range", async () => {
    const { stacks, calls } = fakeStacks({ primary: "active", secondary: "passive" });
    const unplanned = readRunbook(path.join(ROOT, "runbooks/unplanned-failover.yaml"));
    const rehearse = async (rb: Runbook) => rehearsalOf(rb);
    const refused = await runLive(unplanned, { stacks, rehearse, project: () => project(true) });
    expect(refused.stopped).toMatch(
      /^step \d+ \(outage: primary\) is not an action a live run takes: it describes the world or a deployment meant to be refused, and is rehearsed offline only/,
    );
    const early = await runLive(SWITCHOVER, {
      stacks,
      rehearse,
      project: () => project(false),
      from: 5,
    });
    expect(early.stopped).toBe(
      "the project's files do not hold what the steps before step 5 set (promote: true): merge and check out their pull requests first",
    );
    const range = await runLive(SWITCHOVER, {
      stacks,
      rehearse,
      project: () => project(true),
      from: 11,
    });
    expect(range.stopped).toBe("--from 11: allowed: a step number from 1 to 10");
    expect(calls.filter((c) => c.startsWith("up"))).toEqual([]);
  });

  it("a set is merged when Pulumi.yaml already holds the value at its dotted path", () => {
    const p: ProjectFile = {
      name: "paired-dr",
      config: { promote: { value: true }, sql: { value: { failover: { mode: "planned" } } } },
    };
    expect(unmerged(p, { promote: true, "sql.failover.mode": "planned" })).toEqual([]);
    expect(unmerged(p, { promote: false, "sql.failover.mode": "forced" })).toEqual([
      "promote: false",
      'sql.failover.mode: "forced"',
    ]);
    expect(setsBefore(SWITCHOVER, 4)).toEqual({});
    expect(setsBefore(SWITCHOVER, 5)).toEqual({ promote: true });
  });

  it("a stack-set is a pull request to a stack file: the run goes past it only once the file holds the value", async () => {
    const DRILL = readRunbook(path.join(ROOT, "runbooks/drill.yaml"));
    const file = { "paired-dr:site": "secondary" };
    const withDrill = { ...file, "paired-dr:drill": { id: "2026-11" } };
    expect(unmergedStack("paired-dr", file, { drill: { id: "2026-11" } })).toEqual([
      'drill: {"id":"2026-11"}',
    ]);
    expect(unmergedStack("paired-dr", withDrill, { drill: { id: "2026-11" } })).toEqual([]);
    // Off is the schema's default: a file without the key holds false.
    expect(unmergedStack("paired-dr", file, { drill: false })).toEqual([]);
    expect(unmergedStack("paired-dr", withDrill, { drill: false })).toEqual(["drill: false"]);
    expect(stackSetsBefore(DRILL, 5)).toEqual({ secondary: { drill: { id: "2026-11" } } });
    expect(stackSetsBefore(DRILL, 9)).toEqual({ secondary: { drill: false } });

    const { stacks, calls } = fakeStacks({ primary: "active", secondary: "passive" });
    const files: Record<string, Record<string, unknown>> = { primary: {}, secondary: file };
    const run = (from: number) =>
      runLive(DRILL, {
        stacks,
        rehearse: async (rb) => rehearsalOf(rb),
        project: () => project(false),
        stackFile: (site) => files[site]!,
        from,
        now,
      });
    const stopped = await run(4);
    expect(stopped.ok).toBe(false);
    expect(stopped.stopped).toBe(
      'step 4 sets drill: {"id":"2026-11"} in Pulumi.secondary.yaml, which the stack file does not hold: merge the pull request that sets it, check it out, and run again with --from 4',
    );
    expect(calls.filter((c) => c.startsWith("up"))).toEqual([]);
    // Past step 4 with the file not merged: refused before anything runs.
    expect((await run(5)).stopped).toBe(
      `the project's files do not hold what the steps before step 5 set (drill: {"id":"2026-11"} in Pulumi.secondary.yaml): merge and check out their pull requests first`,
    );
    files.secondary = withDrill;
    const drilled = await run(4);
    expect(drilled.timeline.map((t) => [t.step, t.action, t.what]).slice(0, 3)).toEqual([
      [
        4,
        'stack-set: {"secondary":{"drill":{"id":"2026-11"}}}',
        'the stack files hold {"secondary":{"drill":{"id":"2026-11"}}} (the pull request is merged)',
      ],
      [5, "up: secondary", "pulumi up -s secondary: 2 create, 1 update"],
      [6, expect.stringMatching(/^expect: /), "active: primary, as the stacks' outputs record"],
    ]);
    expect(drilled.stopped).toBe(
      "step 8 sets drill: false in Pulumi.secondary.yaml, which the stack file does not hold: merge the pull request that sets it, check it out, and run again with --from 8",
    );
  });
});

describe("the Automation API adapter, against a stub pulumi on PATH", () => {
  const saved = { PATH: process.env.PATH, HOME: process.env.PULUMI_HOME };
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.HOME === undefined) delete process.env.PULUMI_HOME;
    else process.env.PULUMI_HOME = saved.HOME;
  });

  /** A `pulumi` that logs each command line and answers as the CLI would for these commands. */
  const stub = (upExit = 0, previewExit = 0) => {
    const dir = tempDir("pulumi-stub-");
    const log = path.join(dir, "calls.jsonl");
    const script = `#!${process.execPath}
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + "\\n");
const stack = args[args.indexOf("--stack") + 1];
const is = (...words) => words.every((w, i) => args[i] === w);
if (is("version")) { process.stdout.write("v3.210.0\\n"); process.exit(0); }
if (is("stack", "select")) {
  if (stack === "secondary") { process.stderr.write("error: no stack named 'secondary' found\\n"); process.exit(255); }
  process.exit(0);
}
if (is("stack", "init")) process.exit(0);
if (is("stack", "output")) {
  process.stdout.write(stack === "primary" ? '{"role":"active","promote":false}' : "{}");
  process.exit(0);
}
if (is("preview")) {
  process.stdout.write("Previewing update (" + stack + ")\\n");
  process.exit(${previewExit});
}
if (is("up")) {
  process.stdout.write("Updating (" + stack + ")\\n");
  if (${upExit}) { process.stderr.write("error: update failed\\n"); process.exit(${upExit}); }
  process.exit(0);
}
if (is("stack", "history")) {
  process.stdout.write(JSON.stringify([{ version: 3, kind: "update", result: "succeeded",
    startTime: "2026-11-22T12:00:00Z", endTime: "2026-11-22T12:05:00Z", message: "",
    environment: {}, config: {}, resourceChanges: { create: 2, update: 3, same: 200 } }]));
  process.exit(0);
}
process.stderr.write("stub: unexpected command " + args.join(" ") + "\\n");
process.exit(2);
`;
    fs.writeFileSync(path.join(dir, "pulumi"), script, { mode: 0o755 });
    process.env.PATH = `${dir}${path.delimiter}${saved.PATH}`;
    process.env.PULUMI_HOME = dir;
    const calls = () =>
      fs
        .readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as string[])
        .filter((a) => a[0] !== "version");
    return { calls };
  };

  it("reads a stack's outputs by selecting it; a stack never created has none", async () => {
    const { calls } = stub();
    const live = automationStacks(ROOT, path.join(ROOT, "policies"));
    expect(await live.outputs("primary")).toEqual({ role: "active", promote: false });
    expect(await live.outputs("secondary")).toBe(undefined);
    // The Automation API runs every command non-interactively.
    expect(calls()).toEqual([
      ["stack", "select", "--stack", "primary", "--non-interactive"],
      ["stack", "output", "--json", "--stack", "primary", "--non-interactive"],
      ["stack", "output", "--json", "--show-secrets", "--stack", "primary", "--non-interactive"],
      ["stack", "select", "--stack", "secondary", "--non-interactive"],
    ]);
  });

  it("runs pulumi up with --refresh and the policy pack on the stack, creating it on a first deployment", async () => {
    const { calls } = stub();
    const pack = path.join(ROOT, "policies");
    const live = automationStacks(ROOT, pack);
    const printed: string[] = [];
    expect(await live.up("secondary", (t) => printed.push(t))).toEqual({
      create: 2,
      update: 3,
      same: 200,
    });
    expect(printed.join("")).toContain("Updating (secondary)");
    const up = calls().find((a) => a[0] === "up")!;
    // The preview first: stack policies run before anything changes.
    expect(calls().map((a) => a.slice(0, 2).join(" "))).toEqual([
      "stack select",
      "stack init",
      "preview --refresh",
      "up --yes",
      "stack output",
      "stack output",
      "stack history",
    ]);
    expect(up.slice(0, 6)).toEqual([
      "up",
      "--yes",
      "--skip-preview",
      "--refresh",
      "--policy-pack",
      pack,
    ]);
    expect(up.slice(up.indexOf("--stack"), up.indexOf("--stack") + 2)).toEqual([
      "--stack",
      "secondary",
    ]);
  });

  it("runs npm run status -- --require-synced from the project directory, with its exit code and output", async () => {
    const dir = tempDir("npm-stub-");
    const log = path.join(dir, "calls.jsonl");
    fs.writeFileSync(
      path.join(dir, "npm"),
      `#!${process.execPath}
require("node:fs").appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd() }) + "\\n");
process.stdout.write("lake: sales.orders 12 min behind\\n");
process.stderr.write("Exit 4\\n");
process.exit(4);
`,
      { mode: 0o755 },
    );
    process.env.PATH = `${dir}${path.delimiter}${saved.PATH}`;
    const printed: string[] = [];
    const live = automationStacks(ROOT, path.join(ROOT, "policies"));
    const r = await live.requireSynced((t) => printed.push(t));
    expect(r.code).toBe(4);
    expect(r.output).toContain("lake: sales.orders 12 min behind\n");
    expect(r.output).toContain("Exit 4\n");
    expect(printed.join("")).toBe(r.output);
    expect(JSON.parse(fs.readFileSync(log, "utf8").trim())).toEqual({
      args: ["run", "--silent", "status", "--", "--require-synced"],
      cwd: ROOT,
    });
  });

  it("a failed up rejects with the CLI's error", async () => {
    stub(255);
    const live = automationStacks(ROOT, path.join(ROOT, "policies"));
    await expect(live.up("primary", () => {})).rejects.toThrow("error: update failed");
  });

  it("a preview the policy pack refuses runs no update", async () => {
    const { calls } = stub(0, 255);
    const live = automationStacks(ROOT, path.join(ROOT, "policies"));
    await expect(live.up("primary", () => {})).rejects.toThrow(
      "Command failed with exit code 255: pulumi preview --refresh --policy-pack",
    );
    const preview = calls().find((a) => a[0] === "preview")!;
    expect(preview.slice(0, 4)).toEqual([
      "preview",
      "--refresh",
      "--policy-pack",
      path.join(ROOT, "policies"),
    ]);
    expect(calls().filter((a) => a[0] === "up")).toEqual([]);
  });
});

describe("npm run runbook -- --live: its arguments", () => {
  const cli = (...args: string[]) => runCommand(main, ...args);

  it("takes exactly one runbook, and --from only with --live, before anything runs (exit 2)", async () => {
    const all = await cli("--live", "--all");
    expect([all.status, all.stdout, all.stderr.split("\n")[0]]).toEqual([
      2,
      "",
      "runbook: --live: give one runbook file, not --all",
    ]);
    const two = await cli("--live", "runbooks/planned-switchover.yaml", "runbooks/failback.yaml");
    expect([two.status, two.stderr.split("\n")[0]]).toEqual([
      2,
      "runbook: --live: give exactly one runbook (2 given)",
    ]);
    const from = await cli("--from", "3", "runbooks/planned-switchover.yaml");
    expect([from.status, from.stderr.split("\n")[0]]).toEqual([
      2,
      'runbook: --from "3": allowed: a step number from 1, with --live',
    ]);
    const zero = await cli("--live", "--from", "0", "runbooks/planned-switchover.yaml");
    expect([zero.status, zero.stderr.split("\n")[0]]).toEqual([
      2,
      'runbook: --from "0": allowed: a step number from 1, with --live',
    ]);
  });
});
