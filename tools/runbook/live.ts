import { isDeepStrictEqual } from "node:util";
import { PROJECT_DIR } from "../plan/engine";
import { readStackFile, withProjectSets, type ProjectFile } from "../plan/projectConfig";
import { SITES, recordedRole, type Site } from "./model";
import type { RunbookResult } from "./play";
import { describeStep, type Runbook, type Step } from "./schema";
import type { DeployedState } from "./state";

/**
 * A runbook played on the real stacks (issue 15, section 4): the file that is the procedure drives
 * `pulumi up` through the Automation API, after the whole rest of it was rehearsed offline on the
 * stacks' current outputs. The stacks and the rehearsal are given, so the orchestration is tested
 * against fakes and the adapter (automation.ts) against a stub `pulumi`.
 */

/** The two stacks as the live run reaches them. */
export interface LiveStacks {
  /** The stack's outputs now (`pulumi stack output --json`); undefined for a stack never deployed. */
  outputs(site: Site): Promise<Record<string, unknown> | undefined>;
  /**
   * `pulumi up --refresh` of the stack with the policy pack; resolves with the count of each kind
   * of change, rejects with the CLI's error (a refused policy, a failed resource).
   */
  up(site: Site, onOutput: (text: string) => void): Promise<Record<string, number>>;
  /** `npm run status -- --require-synced` from the project: its exit code and what it printed. */
  requireSynced(onOutput: (text: string) => void): Promise<{ code: number; output: string }>;
}

/** The offline engine's play of `runbook` (from its first step) on the deployed state given. */
export type Rehearse = (runbook: Runbook, state: DeployedState) => Promise<RunbookResult>;

export interface TimelineEntry {
  readonly step: number;
  readonly action: string;
  readonly start: string;
  readonly end: string;
  readonly ok: boolean;
  /** What the step did, or why it stopped the run. */
  readonly what: string;
}

export interface LiveResult {
  readonly ok: boolean;
  readonly timeline: TimelineEntry[];
  /** Why the run did not start, or stopped; absent when every step went through. */
  readonly stopped?: string;
  /** The pair as the live outputs record it where the run ended: each site's role. */
  readonly pair: string;
}

/**
 * The step kinds a live run takes. The rest describe the world, not an action of the team (a
 * region's outage, Azure's own failover, its return, a seeded fault), or deliberately run a
 * deployment that must be refused: they are rehearsed offline only.
 */
export function liveProblems(runbook: Runbook, from: number): string[] {
  return runbook.steps.flatMap((step, i) => {
    if (
      i + 1 < from ||
      "up" in step ||
      "set" in step ||
      "stack-set" in step ||
      "expect" in step ||
      "status" in step
    )
      return [];
    return [
      `step ${i + 1} (${describeStep(step)}) is not an action a live run takes: it describes the world or a deployment meant to be refused, and is rehearsed offline only`,
    ];
  });
}

/** The Pulumi.yaml values the runbook's `set` steps before step `from` make. */
export function setsBefore(runbook: Runbook, from: number): Record<string, unknown> {
  return Object.assign(
    {},
    ...runbook.steps.slice(0, from - 1).flatMap((s) => ("set" in s ? [s.set] : [])),
  );
}

/**
 * The keys of `sets` the working copy's Pulumi.yaml does not hold yet: a `set` step is a pull
 * request, merged and checked out before the run goes past it.
 */
export function unmerged(project: ProjectFile, sets: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(sets)
    .filter(([k, v]) => !isDeepStrictEqual(withProjectSets(project, { [k]: v }), project))
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
}

/** Each site's stack-file values the runbook's `stack-set` steps before step `from` make. */
export function stackSetsBefore(
  runbook: Runbook,
  from: number,
): Partial<Record<Site, Record<string, unknown>>> {
  const out: Partial<Record<Site, Record<string, unknown>>> = {};
  for (const s of runbook.steps.slice(0, from - 1))
    if ("stack-set" in s)
      for (const [site, values] of Object.entries(s["stack-set"]) as [Site, object][])
        out[site] = { ...out[site], ...values };
  return out;
}

/**
 * The values of `values` a stack file (its `config:`) does not hold yet. A key may be written
 * bare or namespaced; `false` is held by a file without the key (the schema's default).
 */
export function unmergedStack(
  project: string,
  file: Readonly<Record<string, unknown>>,
  values: Readonly<Record<string, unknown>>,
): string[] {
  return Object.entries(values)
    .filter(([k, v]) => {
      const held = file[`${project}:${k}`] ?? file[k];
      return !(isDeepStrictEqual(held, v) || (v === false && held === undefined));
    })
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
}

const pairOf = (state: DeployedState) =>
  SITES.map((s) => `${s} ${recordedRole(state[s]) ?? "not deployed"}`).join(", ");

async function liveState(stacks: LiveStacks): Promise<DeployedState> {
  const state: DeployedState = {};
  for (const site of SITES) {
    const outputs = await stacks.outputs(site);
    if (outputs) state[site] = outputs;
  }
  return state;
}

const changesText = (c: Record<string, number>) =>
  Object.entries(c)
    .filter(([k, n]) => k !== "same" && n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ") || "no changes";

/**
 * Plays `runbook` from step `from` on the live stacks. Before the first step: every step from
 * there must be one a live run takes, the Pulumi.yaml values of the earlier `set` steps must be
 * merged, and the rehearsal of the steps from there, on the stacks' current outputs, must go
 * through. Then each step in order; the run stops at the first that fails or is refused, or at a
 * `set` not merged yet, saying how to go on.
 */
export async function runLive(
  runbook: Runbook,
  o: {
    stacks: LiveStacks;
    rehearse: Rehearse;
    project: () => ProjectFile;
    /** A stack file's `config:` (Pulumi.<site>.yaml), read when a step needs it; default this project's. */
    stackFile?: (site: Site) => Record<string, unknown>;
    from?: number;
    now?: () => Date;
    onOutput?: (text: string) => void;
  },
): Promise<LiveResult> {
  const from = o.from ?? 1;
  const stackFile = o.stackFile ?? ((site: Site) => readStackFile(PROJECT_DIR, site));
  const now = () => (o.now ?? (() => new Date()))().toISOString();
  const timeline: TimelineEntry[] = [];
  const stop = async (stopped: string): Promise<LiveResult> => ({
    ok: false,
    timeline,
    stopped,
    pair: pairOf(await liveState(o.stacks)),
  });
  if (!Number.isInteger(from) || from < 1 || from > runbook.steps.length)
    return stop(`--from ${from}: allowed: a step number from 1 to ${runbook.steps.length}`);
  const problems = liveProblems(runbook, from);
  if (problems.length) return stop(problems.join("\n"));
  const earlier = [
    ...unmerged(o.project(), setsBefore(runbook, from)),
    ...(
      Object.entries(stackSetsBefore(runbook, from)) as [Site, Record<string, unknown>][]
    ).flatMap(([site, values]) =>
      unmergedStack(o.project().name, stackFile(site), values).map(
        (v) => `${v} in Pulumi.${site}.yaml`,
      ),
    ),
  ];
  if (earlier.length)
    return stop(
      `the project's files do not hold what the steps before step ${from} set (${earlier.join(", ")}): merge and check out their pull requests first`,
    );

  const state = await liveState(o.stacks);
  const rest: Runbook = { ...runbook, steps: runbook.steps.slice(from - 1) };
  const rehearsal = await o.rehearse(rest, state);
  const refused = rehearsal.steps.findIndex((s) => !s.ok);
  if (refused >= 0 || !rehearsal.ok) {
    const s = rehearsal.steps[refused];
    return stop(
      s
        ? `the rehearsal on the stacks' current outputs refuses step ${from + refused} (${s.step}): ${[...s.errors, ...s.violations.map((v) => `${v.policyName}: ${v.message}`)].join("; ") || "an invariant breaks"}; nothing was run`
        : `the rehearsal on the stacks' current outputs does not end as the runbook expects (${rehearsal.unusedGaps.join("; ")}); nothing was run`,
    );
  }

  for (const [i, step] of rest.steps.entries()) {
    const n = from + i;
    const action = describeStep(step);
    const start = now();
    const entry = (ok: boolean, what: string) =>
      timeline.push({ step: n, action, start, end: now(), ok, what });
    const outcome = await liveStep(step, { ...o, stackFile }, n);
    entry(outcome.ok, outcome.what);
    if (!outcome.ok) return stop(outcome.what);
  }
  return { ok: true, timeline, pair: pairOf(await liveState(o.stacks)) };
}

async function liveStep(
  step: Step,
  o: {
    stacks: LiveStacks;
    project: () => ProjectFile;
    stackFile: (site: Site) => Record<string, unknown>;
    onOutput?: (text: string) => void;
  },
  n: number,
): Promise<{ ok: boolean; what: string }> {
  if ("stack-set" in step) {
    const missing = (
      Object.entries(step["stack-set"]) as [Site, Record<string, unknown>][]
    ).flatMap(([site, values]) =>
      unmergedStack(o.project().name, o.stackFile(site), values).map(
        (v) => `${v} in Pulumi.${site}.yaml`,
      ),
    );
    return missing.length
      ? {
          ok: false,
          what: `step ${n} sets ${missing.join(", ")}, which the stack file does not hold: merge the pull request that sets it, check it out, and run again with --from ${n}`,
        }
      : {
          ok: true,
          what: `the stack files hold ${JSON.stringify(step["stack-set"])} (the pull request is merged)`,
        };
  }
  if ("set" in step) {
    const missing = unmerged(o.project(), step.set);
    return missing.length
      ? {
          ok: false,
          what: `step ${n} sets ${missing.join(", ")}, which Pulumi.yaml does not hold: merge the pull request that sets it, check it out, and run again with --from ${n}`,
        }
      : {
          ok: true,
          what: `Pulumi.yaml holds ${JSON.stringify(step.set)} (the pull request is merged)`,
        };
  }
  if ("expect" in step) {
    // Only the roles are read live; the rest of an expectation is the rehearsal's.
    const want = step.expect.active;
    if (want === undefined) return { ok: true, what: "checked in the rehearsal" };
    const state = await liveState(o.stacks);
    const active = SITES.filter((s) => recordedRole(state[s]) === "active");
    const got = active.length ? active.join(" and ") : "none";
    return got === want
      ? { ok: true, what: `active: ${got}, as the stacks' outputs record` }
      : {
          ok: false,
          what: `step ${n} expects active: ${want}, but the stacks' outputs record ${got}`,
        };
  }
  if ("status" in step) {
    const { code, output } = await o.stacks.requireSynced(o.onOutput ?? (() => {}));
    return code === 0
      ? { ok: true, what: "npm run status -- --require-synced: exit 0, nothing unsynced" }
      : {
          ok: false,
          what: `step ${n} (npm run status -- --require-synced) exited ${code}: ${lastLines(output)}`,
        };
  }
  if (!("up" in step)) throw new Error(`step ${n}: not a live step`);
  try {
    const changes = await o.stacks.up(step.up, o.onOutput ?? (() => {}));
    return { ok: true, what: `pulumi up -s ${step.up}: ${changesText(changes)}` };
  } catch (e) {
    return {
      ok: false,
      what: `step ${n} (pulumi up -s ${step.up}) failed: ${cliError((e as Error).message)}`,
    };
  }
}

/** What the CLI said on stderr (the Automation API's CommandError), its last three lines. */
export function cliError(message: string): string {
  const stderr = /stderr:([\s\S]*?)(?:\n\s*err\?:|$)/.exec(message);
  return lastLines(stderr ? stderr[1]! : message);
}

/** The last three non-empty lines of a command's output, on one line. */
function lastLines(text: string): string {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-3)
    .join(" ");
}

/** The timeline as text: each step's start, end and what it did. */
export function renderLive(r: LiveResult): string {
  const lines = r.timeline.map(
    (t) =>
      `${String(t.step).padStart(3)}. ${t.action.padEnd(40)} ${t.start} -> ${t.end}  ${t.ok ? "ok" : "FAILED"}\n       ${t.what}`,
  );
  if (r.stopped) lines.push(`stopped: ${r.stopped}`);
  lines.push(`pair now: ${r.pair}`);
  return lines.join("\n");
}
