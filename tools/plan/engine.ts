import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import { captureProgram, type CapturedResource } from "./capture";
import { DEPLOYMENT_OUTPUT } from "../../components/lastDeployment";
import { azureNames } from "../../components/naming";
import { deriveRole, type Role } from "../../components/role";
import { sqlRecord } from "../../components/sql/elasticPoolPair";
import { planSql, sqlPlacement } from "../../components/sql/plan";
import { configOrigin, parsePlatformConfig, projectConfigValues } from "../../config/load";
import type { PlatformConfig } from "../../config/schema";
import { scanRepo } from "../../config/repoFiles";
import {
  EngineConfigError,
  withProjectSets,
  listStacks,
  parseOverrides,
  readProjectFile,
  readStackFile,
  resolveStackConfig,
  type StackConfig,
} from "./projectConfig";

/** The repository root: where Pulumi.yaml and index.ts live. */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

export interface StackPlan {
  stack: string;
  site: string;
  role: string;
  promote: boolean;
  resources: CapturedResource[];
  outputs: Record<string, unknown>;
}

export interface PlanOptions {
  /** Project directory. Default: this repository. */
  dir?: string;
  /** `key=value` overrides, as `pulumi config set` would apply them. */
  sets?: readonly string[];
  /** The program to run. Default: the project's index.ts. */
  program?: () => unknown;
  /**
   * The stack's outputs from its last deployment, which the program reads back through a
   * StackReference to itself. Default none: a first deployment.
   */
  lastOutputs?: Record<string, unknown>;
  /** Deployed outputs of other stacks (the peer), as their StackReferences read them. */
  peerOutputs?: Record<string, Record<string, unknown>>;
  /** Changes to Pulumi.yaml's config values, by dotted path (`promotion.acceptColdStandbyRto`). */
  projectSets?: Readonly<Record<string, unknown>>;
}

type Program = () => unknown;

/** Loads index.ts: `export =` a function, seen as the module or its default export. */
export async function loadProgram(dir: string = PROJECT_DIR): Promise<Program> {
  const mod = (await import(path.join(dir, "index.ts"))) as Program | { default?: Program };
  const program = typeof mod === "function" ? mod : mod.default;
  if (typeof program !== "function")
    throw new Error(`${dir}/index.ts does not export a program function`);
  return program;
}

export function stackConfig(
  stack: string,
  opts: PlanOptions = {},
): { project: string; config: StackConfig } {
  const dir = opts.dir ?? PROJECT_DIR;
  const project = withProjectSets(readProjectFile(dir), opts.projectSets ?? {});
  const config = resolveStackConfig(
    project,
    stack,
    readStackFile(dir, stack),
    parseOverrides(project.name, opts.sets ?? []),
  );
  return { project: project.name, config };
}

/**
 * Plans already made in this process, per program, by everything a plan depends on: the resolved
 * config (read from the files each time), the repository's directory and the outputs its
 * StackReferences read. The program is deterministic in these (the mocks' IDs are derived from
 * names), so a runbook or a test that plans the same stack in the same state twice runs it once.
 * The repository's other files (the workspace's notebooks, the peer's stack file) are assumed not
 * to change while the process runs: a process that edits them plans in another directory.
 */
let plans = new WeakMap<Program, Map<string, Promise<StackPlan>>>();

/** Forgets the plans this process made: the next ones are made again (or read, see below). */
export function forgetPlans(): void {
  plans = new WeakMap();
}

/** Runs the program for one stack under mocks and returns what it registered. */
export async function planStack(stack: string, opts: PlanOptions = {}): Promise<StackPlan> {
  const { project, config } = stackConfig(stack, opts);
  const program = opts.program ?? (await loadProgram(opts.dir));
  const key = JSON.stringify([
    stack,
    opts.dir ?? PROJECT_DIR,
    config,
    opts.lastOutputs ?? null,
    opts.peerOutputs ?? null,
  ]);
  // The repository's own program, given or not (a runbook player passes the one it loaded).
  const own =
    !opts.program || (sharedPlanDir !== undefined && program === (await loadProgram(opts.dir)));
  const cache = plans.get(program) ?? new Map<string, Promise<StackPlan>>();
  plans.set(program, cache);
  if (!cache.has(key)) {
    const run = () => runPlan(program, project, stack, config, opts);
    const planned = own ? throughSharedDir(key, run) : run();
    cache.set(key, planned);
    // A failed plan (a config error) is not kept: the caller sees each failure.
    planned.catch(() => cache.delete(key));
  }
  // Each caller gets its own copy: callers edit plans (a seeded input, an added resource).
  return structuredClone(await cache.get(key)!);
}

/**
 * A directory through which processes that plan the same repository at once (a test run's
 * workers) share their plans: a plan of the repository's own program that one of them made is
 * read by the others rather than made again. Plans of any other program given as `program` are
 * not shared (it is known by identity only). Undefined: not shared.
 */
let sharedPlanDir: string | undefined;

export function sharePlansThrough(dir: string | undefined): void {
  sharedPlanDir = dir;
}

async function throughSharedDir(key: string, make: () => Promise<StackPlan>): Promise<StackPlan> {
  if (!sharedPlanDir) return make();
  const file = path.join(sharedPlanDir, `${createHash("sha256").update(key).digest("hex")}.plan`);
  try {
    return v8.deserialize(fs.readFileSync(file)) as StackPlan;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const plan = await make();
  // Written whole, then renamed: a reader sees no file or all of it.
  const partial = `${file}.${process.pid}`;
  fs.writeFileSync(partial, v8.serialize(plan));
  fs.renameSync(partial, file);
  return plan;
}

async function runPlan(
  program: Program,
  project: string,
  stack: string,
  config: StackConfig,
  opts: PlanOptions,
): Promise<StackPlan> {
  const { resources, outputs } = await captureProgram(program, {
    project,
    stack,
    config: config.config,
    secretKeys: config.secretKeys,
    stackOutputs: { ...opts.peerOutputs, ...(opts.lastOutputs && { [stack]: opts.lastOutputs }) },
  });
  return {
    stack,
    site: String(outputs.site),
    role: String(outputs.role),
    promote: outputs.promote === true,
    resources,
    outputs,
  };
}

/** A stack's role as its resolved config gives it (site and promote), without running it. */
export function stackRole(stack: string, opts: PlanOptions = {}): Role {
  const { project, config } = stackConfig(stack, opts);
  const site = config.config[`${project}:site`];
  if (site !== "primary" && site !== "secondary")
    throw new EngineConfigError(`stack ${stack}: site is ${JSON.stringify(site)}`);
  return deriveRole(site, config.config[`${project}:promote`] === "true");
}

/** A stack's config as the program parses it (throws ConfigError on bad input). */
export function platformConfig(stack: string, opts: PlanOptions = {}): PlatformConfig {
  const { config } = stackConfig(stack, opts);
  const dir = opts.dir ?? PROJECT_DIR;
  return parsePlatformConfig(
    projectConfigValues(config.config),
    scanRepo(dir),
    undefined,
    configOrigin(dir, stack),
  );
}

/**
 * The outputs a stack would show after it and its peer have both been deployed with the current
 * config and nothing is changing role (the steady state): what its peer's StackReference reads
 * when no deployed state is given. Computed from its config, without running its program.
 */
export function steadyStateOutputs(stack: string, opts: PlanOptions = {}): Record<string, unknown> {
  const config = platformConfig(stack, opts);
  const role = deriveRole(config.site, config.promote);
  const placement = sqlPlacement(config.sql, config.site).placement;
  const sql = planSql(config.sql, config.prefix, config.site, role, false, false, placement);
  return {
    site: config.site,
    role,
    promote: config.promote,
    [DEPLOYMENT_OUTPUT]: {
      role,
      lake: azureNames(config.prefix, config.site).lake,
      acknowledgments: [],
      sql: sqlRecord({
        prefix: config.prefix,
        site: config.site,
        subscriptionId: config.azure.subscriptionId,
        spec: config.sql,
        plan: sql,
        placement,
        // Steady: every group it owns exists.
        failoverGroups: sql.failoverGroups.map((g) => g.name),
      }),
    },
  };
}

/** The stacks to plan: the ones asked for, or every stack with a Pulumi.<stack>.yaml. */
export function stacksToPlan(requested: readonly string[], dir: string = PROJECT_DIR): string[] {
  return requested.length ? [...requested] : listStacks(dir);
}

/**
 * Plans the stack again with `promote` flipped (the value both stacks would read after the PR),
 * deployed on top of `plan`: the flip reads `plan`'s outputs as its last deployment.
 */
export async function planPromoteFlip(plan: StackPlan, opts: PlanOptions = {}): Promise<StackPlan> {
  return planStack(plan.stack, {
    ...opts,
    sets: [...(opts.sets ?? []), `promote=${!plan.promote}`],
    lastOutputs: plan.outputs,
  });
}
