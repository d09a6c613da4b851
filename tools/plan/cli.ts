import { parseArgs } from "node:util";
import { ConfigError } from "../../config/errors";
import { processIo, runAsProcess, type CliIo } from "../io";
import { diffPlans } from "./diff";
import {
  PROJECT_DIR,
  loadProgram,
  planPromoteFlip,
  planStack,
  stacksToPlan,
  steadyStateOutputs,
} from "./engine";
import { PolicyPackProcess, policyPackDir, type Violation } from "./policyHarness";
import { readProjectFile } from "./projectConfig";
import { findRaces, raceLine, type Race } from "./races";
import { EngineConfigError } from "./projectConfig";
import { renderJson, renderMarkdown, renderText, type RenderedStack } from "./render";
import { playImplied } from "../runbook/implied";
import type { Analyze } from "../runbook/play";
import { impliedJson, impliedMarkdown, impliedText } from "../runbook/render";
import { StateError, readDeployedState } from "../runbook/state";

const USAGE = `usage: npm run plan -- [--stack NAME]... [--set key=value]... [--format text|json|markdown] [--diff promote] [--state DIR]

  --stack NAME        plan this stack (repeatable); default: every Pulumi.<stack>.yaml
  --set key=value     override config for this run (repeatable); a path, as 'pulumi config set
                      --path' reads it, changes one value inside the resolved object and leaves
                      the rest: --set metastore.standby=cold, --set 'sql.tenants[3].tier=trial';
                      true, false and whole numbers are typed, the rest strings
  --format FORMAT     text (default), json, or markdown (a pull-request comment)
  --diff promote      show, per stack, only what flipping promote would create, delete,
                      replace, update
  --details [NAME]    text: every resource's inputs, or only the resource with this URN or name
  --no-policy         skip the policy pack (policies/), which otherwise checks every stack
  --state DIR         the deployed state: DIR/<stack>.json, each stack's last outputs as
                      'pulumi stack output --json -s <stack>' prints them (a
                      missing file or {}: never deployed). The stacks are planned on top of it.
The markdown (and, with --state, text and json) ends with the runbook the config implies: the
steps from the deployed state (without --state: from empty, a first deployment) to the roles the
config gives, each played with its failovers, restores, creates and policy verdicts.

exit status: 0 ok; 1 bad config; 2 bad arguments; 3 a mandatory policy violation;
  4 a race on a first deployment (an input naming a resource of the same stack by a literal,
  with no dependency path to it), when there is no mandatory violation`;

class UsageError extends Error {}
/** --help: the usage on stdout, exit 0. */
class HelpRequested extends Error {}

export interface CliOptions {
  stacks: string[];
  sets: string[];
  format: "text" | "json" | "markdown";
  diff: boolean;
  /** Run the policy pack over the analyzer protocol. Default true. */
  policy: boolean;
  /** The deployed state's directory (DIR/<stack>.json). */
  state?: string;
  /** --details: every input (true), or one resource's, by URN or name. */
  details?: true | string;
  /** Pulumi.yaml values by dotted path, as a pull request would change them (tests). */
  projectSets?: Readonly<Record<string, unknown>>;
}

export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      // A bare --details (no value: every input) as parseArgs reads an option with a value.
      args: argv.map((a, i) =>
        a === "--details" && (i === argv.length - 1 || argv[i + 1]!.startsWith("--"))
          ? "--details="
          : a,
      ),
      options: {
        stack: { type: "string", multiple: true, default: [] },
        set: { type: "string", multiple: true, default: [] },
        format: { type: "string", default: "text" },
        diff: { type: "string" },
        "no-policy": { type: "boolean", default: false },
        state: { type: "string" },
        help: { type: "boolean", default: false },
        details: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values } = parsed;
  if (values.help) throw new HelpRequested();
  if (!["text", "json", "markdown"].includes(values.format)) {
    throw new UsageError(
      `--format ${JSON.stringify(values.format)}: allowed: text, json, markdown`,
    );
  }
  if (values.diff !== undefined && values.diff !== "promote") {
    throw new UsageError(`--diff ${JSON.stringify(values.diff)}: allowed: promote`);
  }
  return {
    stacks: values.stack,
    sets: values.set,
    format: values.format as CliOptions["format"],
    diff: values.diff === "promote",
    policy: !values["no-policy"],
    ...(values.state !== undefined && { state: values.state }),
    ...(values.details !== undefined && { details: values.details === "" ? true : values.details }),
  };
}

export interface PlanRun {
  output: string;
  /** Mandatory policy violations across the planned stacks: any makes the run fail. */
  mandatory: number;
  /** Races on a first deployment across the planned stacks: any makes the run fail. */
  races: Race[];
}

/**
 * Plans the stacks, runs the policy pack over them and renders the result. Each stack reads its
 * own and its peer's last outputs from the deployed state (`--state`); without it, a first
 * deployment whose peer is deployed in the steady state of the current config. The text and
 * markdown forms always include the promote flip; see USAGE for the implied runbook.
 */
export async function executePlan(opts: CliOptions, dir: string = PROJECT_DIR): Promise<PlanRun> {
  const program = await loadProgram(dir);
  const planOpts = { dir, sets: opts.sets, program, projectSets: opts.projectSets };
  const stacks = stacksToPlan(opts.stacks, dir);
  const state = opts.state === undefined ? undefined : readDeployedState(opts.state);
  const deployed = state as Record<string, Record<string, unknown>> | undefined;
  // What each stack's StackReferences read: with a deployed state, the stack's own and its
  // peer's last outputs (a stack never deployed reads as empty); without one, no last deployment
  // and the peer deployed in the steady state of the current config (its role as its own config
  // resolves it), computed without running its program.
  const referencesOf = (stack: string) => ({
    ...(deployed?.[stack] && { lastOutputs: deployed[stack] }),
    peerOutputs: Object.fromEntries(
      stacksToPlan([], dir)
        .filter((s) => s !== stack)
        .map((s) => [s, deployed ? (deployed[s] ?? {}) : steadyStateOutputs(s, planOpts)]),
    ),
  });

  // The pack's process loads on the other core while the stacks are planned; it is judged after.
  const shared = opts.policy ? PolicyPackProcess.shared(policyPackDir(dir)) : undefined;
  const rendered: RenderedStack[] = [];
  for (const stack of stacks) {
    const withPeers = { ...planOpts, ...referencesOf(stack) };
    const plan = await planStack(stack, withPeers);
    const needFlip = opts.diff || opts.format !== "json";
    rendered.push({
      plan,
      flip: needFlip ? diffPlans(plan, await planPromoteFlip(plan, withPeers)) : undefined,
      races: findRaces(plan.resources),
    });
  }

  const withRunbook = opts.format === "markdown" || state !== undefined;
  const project = readProjectFile(dir).name;
  const judge = async (pack: PolicyPackProcess | undefined) => {
    let mandatory = 0;
    await pack?.configure();
    for (const r of rendered) {
      if (!pack) break;
      await pack.configureStack(r.plan.stack, project, true);
      const violations: Violation[] = await pack.analyzeAll(r.plan.resources);
      r.policy = { violations };
      mandatory += violations.filter((v) => v.enforcementLevel === "mandatory").length;
    }
    const analyze: Analyze = async (stack, plan) =>
      pack ? pack.analyzeUp(stack, project, plan.resources) : [];
    const implied = withRunbook
      ? await playImplied(analyze, state, { dir, sets: opts.sets, projectSets: opts.projectSets })
      : undefined;
    return { mandatory, implied };
  };
  const { mandatory, implied } = shared ? await shared.use(judge) : await judge(undefined);
  const output =
    opts.format === "json"
      ? renderJson(rendered, opts.diff, implied && impliedJson(implied.implied, implied.result))
      : opts.format === "markdown"
        ? renderMarkdown(rendered, implied ? impliedMarkdown(implied.implied, implied.result) : [])
        : [
            renderText(rendered, {
              diff: opts.diff,
              onState: state !== undefined,
              ...(opts.details !== undefined && { details: opts.details }),
            }),
            ...(implied ? impliedText(implied.implied, implied.result) : []),
          ].join("\n");
  return { output, mandatory, races: rendered.flatMap((r) => r.races ?? []) };
}

/** A mandatory policy violation outranks a race: the pack's verdict is the one a reviewer acts on first. */
export function exitStatus(run: Pick<PlanRun, "mandatory" | "races">): 0 | 3 | 4 {
  return run.mandatory ? 3 : run.races.length ? 4 : 0;
}

/** The rendered plan (see executePlan). */
export async function runPlan(opts: CliOptions, dir: string = PROJECT_DIR): Promise<string> {
  return (await executePlan(opts, dir)).output;
}

/** The pull-request comment when the config cannot be planned: the error, and nothing planned. */
export function configErrorMarkdown(
  message: string,
  what = "The configuration is invalid",
): string {
  return [
    "## paired-dr offline plan",
    "",
    "> [!CAUTION]",
    `> **${what}: nothing was planned.** Fix it in this pull request:`,
    "",
    "```",
    message,
    "```",
  ].join("\n");
}

/** The plan command: its exit code, its output written to `io`. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseCli(argv);
  } catch (e) {
    if (e instanceof HelpRequested) {
      await io.out(`${USAGE}\n`);
      return 0;
    }
    io.err(`plan: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    const run = await executePlan(opts);
    const { output, mandatory, races } = run;
    await io.out(`${output}\n`);
    if (mandatory) io.err(`plan: ${mandatory} mandatory policy violation(s)\n`);
    for (const r of races) io.err(`plan: race in stack ${r.stack}: ${raceLine(r)}\n`);
    if (races.length) io.err(`plan: ${races.length} race(s) on a first deployment\n`);
    return exitStatus(run);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof EngineConfigError || e instanceof StateError) {
      io.err(`plan: ${e.message}\n`);
      // The pull-request comment is stdout: it says why there is no plan.
      if (opts.format === "markdown")
        await io.out(
          `${configErrorMarkdown(
            e.message,
            e instanceof StateError ? "The deployed state (--state) cannot be read" : undefined,
          )}\n`,
        );
      return 1;
    }
    throw e;
  }
}

if (require.main === module) runAsProcess("plan", main);
