import { isDeepStrictEqual } from "node:util";
import { ConfigError } from "../../config/errors";
import { FACTS_KIND, TYPE, findFacts } from "../../contracts/facts";
import { diffPlans, type PlanDiff } from "../plan/diff";
import {
  PROJECT_DIR,
  loadProgram,
  planStack,
  platformConfig,
  type StackPlan,
} from "../plan/engine";
import type { Violation } from "../plan/policyHarness";
import {
  EngineConfigError,
  readProjectFile,
  toConfigString,
  withProjectSets,
} from "../plan/projectConfig";
import { deployEffects, heldGroupPrimaries, type Failover } from "./cloud";
import { FACTS_RESOURCE } from "../../components/deploymentFacts";
import {
  INVARIANTS,
  converged,
  noStaleOverwrite,
  passiveCannotRun,
  noStatefulLoss,
  drillLeavesProduction,
  oneWriter,
  rpoZero,
  type Breach,
  type InvariantName,
} from "./invariants";
import {
  SITES,
  activeSites,
  deployedRole,
  lakeModel,
  lakeTraffic,
  runnableJobs,
  unreplicatedCopies,
  peerOf,
  stoppedClusters,
  unsyncedNow,
  writers,
  type Fault,
  type LostWrites,
  type Unreplicated,
  type DataClass,
  type Deployed,
  type Platform,
  type Role,
  type Site,
} from "./model";
import { describeStep, type KnownGap, type Runbook, type Step } from "./schema";
import { recordedReferences, recordedSets, type DeployedState } from "./state";

/** Analyzes one stack's registrations with the policy pack (the real pack over gRPC, in the CLI). */
export type Analyze = (stack: string, plan: StackPlan) => Promise<Violation[]>;

export interface InvariantVerdict {
  ok: boolean;
  detail: string;
  /** Each breach, with the declared known gap that covers it, if any. */
  breaches: { message: string; gap?: { issue: number; why: string } }[];
  /** The breaches a declared known gap covers (the step still counts as behaving as expected). */
  expected?: string[];
}

export interface StepResult {
  step: string;
  ok: boolean;
  blocked: boolean;
  violations: Violation[];
  invariants: Record<string, InvariantVerdict>;
  roles: Record<Site, Role | null>;
  /** What the step did: changes, failovers, restores, who writes what; errors when it failed. */
  effects: {
    created: number;
    updated: number;
    deleted: number;
    replaced: number;
    failovers: Failover[];
    restores: string[];
    /** Final syncs the step ran and awaited (a stand-down's). */
    syncs: string[];
    writers: Record<DataClass, Site[]>;
    /** Writes never cloned, listed and preserved before a deep clone overwrote them. */
    lostWrites: LostWrites[];
    /** Hive clusters their fence (workflows/metastore-fence.yaml) stops. */
    stoppedClusters: { site: Site; reason: string }[];
    /** Stateful resources a release let go (sql.releaseRecoveredDatabases), and how. */
    released: { deleted: number; retained: number };
  };
  errors: string[];
  /** What the cloud refused in an `expect-failed` step (the step behaved as expected). */
  refusals?: string[];
  /** The deployment's changes, resource by resource (absent for steps that deploy nothing). */
  diff?: PlanDiff;
}

export interface RunbookResult {
  runbook: string;
  steps: StepResult[];
  /** Each deployed stack's outputs at the end, as `pulumi stack output --json` prints them. */
  outputs: Partial<Record<Site, Record<string, unknown>>>;
  /** Each deployed stack's last deployment at the end. */
  plans: Partial<Record<Site, StackPlan>>;
  /** Each failover group's primary at the end. */
  groupPrimary: Record<string, Site>;
  /** Known gaps declared but never seen: each fails the runbook. */
  unusedGaps: string[];
  ok: boolean;
}

interface State {
  platform: Platform;
  plans: Partial<Record<Site, StackPlan>>;
  sets: Record<string, unknown>;
  /** Per site, its stack file's values the runbook's `stack-set` steps changed. */
  stackSets: Partial<Record<Site, Record<string, unknown>>>;
  /** Per site, the replicated tables written since they were last cloned (model.lakeTraffic). */
  unreplicated: Unreplicated;
  /** Per site, every table listed as lost writes so far. */
  listed: Record<Site, string[]>;
  /** Per site, its metastore took writes after its newest backup a peer could restore. */
  metastoreUnbacked: Record<Site, boolean>;
  /** Faults seeded into each site's next final sync. */
  faults: Partial<Record<Site, Fault>>;
}

/** Where a runbook starts: the stacks as deployed (default: nothing deployed). */
export interface StartingPoint {
  plans: Partial<Record<Site, StackPlan>>;
  groupPrimary: Record<string, Site>;
}

const emptyPlan = (stack: string): StackPlan => ({
  stack,
  site: stack,
  role: "",
  promote: false,
  resources: [],
  outputs: {},
});

const asDeployed = (p: StackPlan): Deployed => ({ resources: p.resources, outputs: p.outputs });

/** Collapses per-data-set writers into the sites that write each class. */
function writerSummary(p: Platform): Record<DataClass, Site[]> {
  const w = writers(p);
  const out = {} as Record<DataClass, Site[]>;
  for (const [cls, sets] of Object.entries(w) as [DataClass, Record<string, Site[]>][])
    out[cls] = SITES.filter((s) => Object.values(sets).some((sites) => sites.includes(s)));
  return out;
}

const roleOf = (p: Platform): Record<Site, Role | null> => ({
  primary: deployedRole(p.stacks.primary.deployed),
  secondary: deployedRole(p.stacks.secondary.deployed),
});

/**
 * A deployment that failed at `failed`: what it had applied by then (every resource `failed`
 * waits for, transitively, as planned), the rest as deployed before, the outputs unchanged.
 */
export function doneBefore(
  before: Deployed | undefined,
  plan: StackPlan,
  failed: string,
): Deployed {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const done = new Set<string>();
  const visit = (urn: string) => {
    for (const d of byUrn.get(urn)?.dependencies ?? [])
      if (!done.has(d) && byUrn.has(d)) {
        done.add(d);
        visit(d);
      }
  };
  visit(failed);
  const kept = (before?.resources ?? []).map((r) => (done.has(r.urn) ? byUrn.get(r.urn)! : r));
  const created = plan.resources.filter(
    (r) => done.has(r.urn) && !kept.some((k) => k.urn === r.urn),
  );
  return { resources: [...kept, ...created], outputs: before?.outputs ?? {} };
}

/** The databases a step created as copies of a live database (createMode Copy). */
function copiedNow(diff: PlanDiff | undefined, deployed: Deployed | undefined): string[] {
  const created = new Set((diff?.created ?? []).map((r) => r.urn));
  return (deployed?.resources ?? [])
    .filter(
      (r) =>
        created.has(r.urn) &&
        r.type === TYPE.sqlDatabase &&
        (r.inputs as Record<string, unknown>).createMode === "Copy",
    )
    .map((r) => String((r.inputs as Record<string, unknown>).databaseName));
}

/**
 * Whether a step's promotion restored, by name, the final metastore backup the old site's drain
 * recorded (workflows/metastore-restore.yaml, argument `backup`): it holds every write the old
 * site's Hive clients made, its cluster stopped before it.
 */
function restoredFinalBackup(
  diff: PlanDiff | undefined,
  promoted: Deployed | undefined,
  old: Deployed | undefined,
): boolean {
  const drain = old?.outputs.deployment as
    { finalSync?: { metastoreBackup?: unknown } } | undefined;
  const backup = drain?.finalSync?.metastoreBackup;
  if (typeof backup !== "string") return false;
  const created = new Set((diff?.created ?? []).map((r) => r.urn));
  return (promoted?.resources ?? []).some(
    (r) =>
      created.has(r.urn) &&
      r.type === TYPE.dynamicResource &&
      (r.inputs as { argument?: { backup?: unknown } }).argument?.backup === backup,
  );
}

/** Each site's recorded fencing epoch (components/fence.ts); null when it recorded none. */
function epochs(p: Platform): Record<Site, number | null> {
  const of = (d: Deployed | undefined) => {
    const e = (d?.outputs.deployment as { epoch?: unknown } | undefined)?.epoch;
    return typeof e === "number" ? e : null;
  };
  return { primary: of(p.stacks.primary.deployed), secondary: of(p.stacks.secondary.deployed) };
}

/**
 * A promotion that restores the peer's backups over its own metadata when the peer was active
 * (it has backups) but not promoted since this site was (its epoch not above this site's): what
 * it restores is older than what this site holds (a switchover called off after the drain).
 */
function staleRestore(
  diff: PlanDiff | undefined,
  promoted: Deployed | undefined,
  site: Site,
  epochs: { own: number | null; peer: number | null },
): { scope: "metastore"; message: string }[] {
  const created = new Set((diff?.created ?? []).map((r) => r.urn));
  const restores = (promoted?.resources ?? []).some(
    (r) =>
      created.has(r.urn) &&
      r.type === TYPE.dynamicResource &&
      String((r.inputs as { runKey?: unknown }).runKey ?? "").startsWith("promotion-") &&
      (r.inputs as { argument?: { restoreNothing?: unknown } }).argument?.restoreNothing !== true,
  );
  const peer = epochs.peer ?? 0;
  return restores && peer > 0 && peer <= (epochs.own ?? 0)
    ? [
        {
          scope: "metastore",
          message: `metastore: ${site}'s promotion restores ${peerOf(site)}'s backups (epoch ${peer}) over its own newer metadata (epoch ${epochs.own})`,
        },
      ]
    : [];
}

/** A stack file's values as `pulumi config set` overrides (key=value, objects as JSON). */
export function stackOverrides(values: Readonly<Record<string, unknown>> | undefined): string[] {
  return Object.entries(values ?? {}).map(([k, v]) => `${k}=${toConfigString(v)}`);
}

const drillOf = (plan: StackPlan | undefined) =>
  findFacts((plan?.resources ?? []).map((r) => ({ type: r.type, props: r.inputs })))?.drill ?? null;

/** The resources a drill registered on a stack, by name, as its deployment facts list them. */
export function drillResources(plan: StackPlan | undefined): string[] {
  return [...(drillOf(plan)?.resources ?? [])];
}

/** The drill's resources before and after a deployment; null when neither had a drill. */
function drillNamed(before: StackPlan | undefined, after: StackPlan | undefined) {
  const drills = [drillOf(before), drillOf(after)].filter((d) => d !== null);
  return drills.length ? new Set(drills.flatMap((d) => d.resources)) : null;
}

/** The facts record changes on every role change and creates nothing: not a pending change. */
const withoutFacts = (p: StackPlan): StackPlan => ({
  ...p,
  resources: p.resources.filter((r) => r.inputs.kind !== FACTS_KIND),
});

function isEmpty(d: PlanDiff): boolean {
  return !d.created.length && !d.deleted.length && !d.replaced.length && !d.updated.length;
}

export class RunbookPlayer {
  private readonly program: Promise<() => unknown>;

  /**
   * `sets`: stack config overrides (`pulumi config set`); `projectSets`: Pulumi.yaml values by
   * dotted path, under the runbook's own `set` steps. `planner` makes each stack's plan: the
   * program under mocks, or a seeded variant of it (a test of what a safeguard prevents).
   */
  constructor(
    private readonly analyze: Analyze,
    private readonly dir: string = PROJECT_DIR,
    private readonly sets: readonly string[] = [],
    private readonly projectSets: Readonly<Record<string, unknown>> = {},
    private readonly planner: typeof planStack = planStack,
  ) {
    this.program = loadProgram(dir);
  }

  /** What `pulumi up -s site` would register against the state now. */
  private async plan(state: State, site: Site): Promise<StackPlan> {
    return this.planner(site, {
      dir: this.dir,
      program: await this.program,
      sets: [...this.sets, ...stackOverrides(state.stackSets[site])],
      projectSets: { ...this.projectSets, ...state.sets },
      lastOutputs: state.plans[site]?.outputs,
      peerOutputs: { [peerOf(site)]: { ...(state.plans[peerOf(site)]?.outputs ?? {}) } },
    });
  }

  /** `pulumi up -s site` against the state now: the new plan, or why it stops. */
  private async up(state: State, site: Site) {
    const before = state.plans[site];
    const plan = await this.plan(state, site);
    const violations = await this.analyze(site, plan);
    const diff = diffPlans(before ?? emptyPlan(site), plan);
    return { plan, violations, diff };
  }

  /**
   * The starting point for stacks whose last outputs are known (`pulumi stack output --json`):
   * each stack's resources as this program registers them with the config its outputs record
   * (promote and the acknowledgments) and the references its last deployment read (its role
   * before, the peer's role then); the failover groups' primaries as the recorded holds left them.
   */
  async deployed(outputs: DeployedState): Promise<StartingPoint> {
    const plans: Partial<Record<Site, StackPlan>> = {};
    for (const site of SITES) {
      const own = outputs[site];
      if (!own) continue;
      const { lastOutputs, peerOutputs } = recordedReferences(own, outputs[peerOf(site)]);
      const plan = await this.planner(site, {
        dir: this.dir,
        program: await this.program,
        sets: this.sets,
        projectSets: { ...this.projectSets, ...recordedSets(own) },
        ...(lastOutputs && { lastOutputs }),
        peerOutputs: { [peerOf(site)]: peerOutputs },
      });
      plans[site] = { ...plan, outputs: own };
    }
    const stacks = Object.fromEntries(
      SITES.map((s) => [s, { reachable: true, deployed: plans[s] && asDeployed(plans[s]) }]),
    ) as Record<Site, { deployed?: Deployed; reachable: boolean }>;
    return { plans, groupPrimary: heldGroupPrimaries(stacks) };
  }

  /**
   * Plays the runbook from `start` (default: nothing deployed). `untilRefused`: stop after the
   * first deployment that is refused or fails, as an operator would.
   */
  async play(
    runbook: Runbook,
    start?: StartingPoint,
    { untilRefused = false }: { untilRefused?: boolean } = {},
  ): Promise<RunbookResult> {
    const plans = { ...start?.plans };
    const state: State = {
      platform: {
        stacks: {
          primary: { reachable: true, deployed: plans.primary && asDeployed(plans.primary) },
          secondary: { reachable: true, deployed: plans.secondary && asDeployed(plans.secondary) },
        },
        groupPrimary: { ...start?.groupPrimary },
      },
      plans,
      sets: {},
      stackSets: {},
      unreplicated: { primary: [], secondary: [] },
      listed: { primary: [], secondary: [] },
      metastoreUnbacked: { primary: false, secondary: false },
      faults: {},
    };
    // What was running when the runbook starts has been writing.
    state.unreplicated = lakeTraffic(state.platform, state.unreplicated).unreplicated;
    const gapsSeen = new Set<KnownGap>();
    const steps: StepResult[] = [];
    for (const [i, step] of runbook.steps.entries()) {
      const rolesBefore = roleOf(state.platform);
      const plansBefore = { ...state.plans };
      const writersBefore = writers(state.platform);
      const epochsBefore = epochs(state.platform);
      const result = await this.step(state, step);
      const promoted = SITES.find(
        (site) => rolesBefore[site] !== "active" && roleOf(state.platform)[site] === "active",
      );
      const rpo: Breach[] = [];
      if (promoted && runbook.invariants.includes("rpo-zero")) {
        const old = peerOf(promoted);
        rpo.push(
          ...rpoZero(promoted, old, {
            lake: state.unreplicated[old],
            metastore:
              state.metastoreUnbacked[old] &&
              !restoredFinalBackup(
                result.diff,
                state.platform.stacks[promoted].deployed,
                state.platform.stacks[old].deployed,
              ),
            // A link failed over planned now synchronized first; a copy made now from the drained
            // site holds what it wrote before the drain (the runbook had the application stop
            // writing first); any other copy of its own lacks it.
            sql: unreplicatedCopies(state.platform, promoted).filter(
              (db) =>
                writersBefore.sql[db]?.includes(old) &&
                !result.out.effects.failovers.some(
                  (f) => f.database === db && f.mode === "planned",
                ) &&
                !copiedNow(result.diff, state.platform.stacks[promoted].deployed).includes(db),
            ),
            gcs:
              !state.platform.stacks[old].reachable &&
              Object.values(writersBefore.gcs).some((sites) => sites.includes(old)),
          }),
        );
      }
      // What the old site had not replicated is the promoted site's loss now, said once.
      if (promoted) state.metastoreUnbacked[peerOf(promoted)] = false;
      // Reading the platform (an expectation, a status check) is not a step of its traffic.
      if (!("expect" in step) && !("status" in step)) {
        const traffic = lakeTraffic(state.platform, state.unreplicated);
        state.unreplicated = traffic.unreplicated;
        result.out.effects.lostWrites = traffic.lost;
        for (const l of traffic.lost) state.listed[l.site].push(...l.tables);
        // A site whose clients write its metastore has metadata its newest backup lacks.
        for (const sites of Object.values(writers(state.platform).metastore))
          for (const site of sites) state.metastoreUnbacked[site] = true;
      }
      const lastStep = i === runbook.steps.length - 1;
      const pending = lastStep ? await this.pending(state) : [];
      const breaches: Record<InvariantName, Breach[]> = {
        "one-writer": oneWriter(state.platform),
        "no-stale-overwrite": [
          ...noStaleOverwrite(state.platform),
          ...(promoted
            ? staleRestore(result.diff, state.platform.stacks[promoted].deployed, promoted, {
                own: epochsBefore[promoted],
                peer: epochsBefore[peerOf(promoted)],
              })
            : []),
        ],
        "passive-cannot-run": passiveCannotRun(state.platform),
        "no-stateful-loss": result.diff ? noStatefulLoss(result.diff) : [],
        converged: lastStep ? converged(state.platform, pending) : [],
        "rpo-zero": rpo,
        "drill-leaves-production": drillLeavesProduction(
          result.diff,
          drillNamed(
            plansBefore[result.diff?.stack as Site],
            state.plans[result.diff?.stack as Site],
          ),
          (name) => name === FACTS_RESOURCE,
        ),
      };
      let invariantsOk = true;
      for (const name of INVARIANTS) {
        if (name === "converged" && !lastStep) continue;
        if (name === "rpo-zero" && !runbook.invariants.includes(name)) continue;
        const all = breaches[name].map((b) => {
          const gap = runbook["known-gaps"].find(
            (g) => g.invariant === name && g.scope === b.scope,
          );
          if (gap) gapsSeen.add(gap);
          return { message: b.message, ...(gap && { gap: { issue: gap.issue, why: gap.why } }) };
        });
        if (all.some((b) => !b.gap)) invariantsOk = false;
        const expected = all.filter((b) => b.gap);
        result.out.invariants[name] = {
          ok: all.length === 0,
          detail: all.length ? all.map((b) => b.message).join("; ") : "holds",
          breaches: all,
          ...(expected.length && {
            expected: expected.map(
              (b) => `${b.message} (known gap, issue ${b.gap!.issue}: ${b.gap!.why})`,
            ),
          }),
        };
      }
      result.out.ok = result.out.ok && invariantsOk;
      result.out.roles = roleOf(state.platform);
      result.out.effects.writers = writerSummary(state.platform);
      result.out.effects.stoppedClusters = stoppedClusters(state.platform);
      steps.push(result.out);
      if (untilRefused && (result.out.blocked || result.out.errors.length)) break;
    }
    const unusedGaps = [
      ...runbook["known-gaps"]
        .filter((g) => !gapsSeen.has(g))
        .map(
          (g) => `${g.invariant} in ${g.scope} (issue ${g.issue}) never occurred: remove the gap`,
        ),
      ...Object.entries(state.faults).map(
        ([site, fault]) =>
          `fault ${fault} in ${site}'s final sync never struck: no sync ran after it`,
      ),
    ];
    const outputs: RunbookResult["outputs"] = {};
    for (const site of SITES) if (state.plans[site]) outputs[site] = state.plans[site]!.outputs;
    return {
      runbook: runbook.name,
      steps,
      outputs,
      plans: { ...state.plans },
      groupPrimary: { ...state.platform.groupPrimary },
      unusedGaps,
      ok: steps.every((s) => s.ok) && unusedGaps.length === 0,
    };
  }

  /** Stacks whose next `pulumi up` with the current config would change something. */
  private async pending(state: State): Promise<string[]> {
    const out: string[] = [];
    for (const site of SITES) {
      const deployed = state.plans[site];
      if (!deployed) {
        out.push(site);
        continue;
      }
      // Only whether it would change something: the policy pack is not asked.
      const plan = await this.plan(state, site);
      if (!isEmpty(diffPlans(withoutFacts(deployed), withoutFacts(plan)))) out.push(site);
    }
    return out;
  }

  private async step(state: State, step: Step): Promise<{ out: StepResult; diff?: PlanDiff }> {
    const out: StepResult = {
      step: describeStep(step),
      ok: true,
      blocked: false,
      violations: [],
      invariants: {},
      roles: { primary: null, secondary: null },
      effects: {
        created: 0,
        updated: 0,
        deleted: 0,
        replaced: 0,
        failovers: [],
        restores: [],
        syncs: [],
        writers: { lake: [], metastore: [], sql: [], gcs: [] },
        lostWrites: [],
        stoppedClusters: [],
        released: { deleted: 0, retained: 0 },
      },
      errors: [],
    };
    const stacks = state.platform.stacks as Record<
      Site,
      { deployed?: Deployed; reachable: boolean }
    >;

    if ("outage" in step) {
      stacks[step.outage] = { ...stacks[step.outage], reachable: false };
      return { out };
    }
    if ("automatic-failover" in step) {
      const down = step["automatic-failover"];
      const groups = SITES.flatMap((s) => stacks[s].deployed?.resources ?? []).filter(
        (r) => r.type === TYPE.sqlFailoverGroup,
      );
      const moved = groups
        .filter(
          (g) =>
            (g.inputs as Record<string, any>).readWriteEndpoint?.failoverPolicy === "Automatic",
        )
        .map((g) => String((g.inputs as Record<string, any>).failoverGroupName))
        .filter((name) => state.platform.groupPrimary[name] === down);
      const groupPrimary = { ...state.platform.groupPrimary };
      for (const name of moved) groupPrimary[name] = peerOf(down);
      (state.platform as { groupPrimary: Record<string, Site> }).groupPrimary = groupPrimary;
      out.effects.failovers = moved.map((group) => ({
        group,
        from: down,
        to: peerOf(down),
        mode: "forced" as const,
      }));
      return { out };
    }
    if ("recover" in step) {
      stacks[step.recover] = { ...stacks[step.recover], reachable: true };
      return { out };
    }
    if ("fault" in step) {
      Object.assign(state.faults, step.fault);
      return { out };
    }
    if ("status" in step) {
      const unsynced = unsyncedNow(state.platform, state.unreplicated, state.metastoreUnbacked);
      if (unsynced.length) {
        out.ok = false;
        out.errors.push(
          `npm run status -- --require-synced would not pass: ${unsynced.join("; ")}`,
        );
      }
      return { out };
    }
    if ("set" in step) {
      Object.assign(state.sets, step.set);
      // The merged file must still be valid: a key it does not declare fails the step here.
      try {
        withProjectSets(readProjectFile(this.dir), { ...this.projectSets, ...state.sets });
      } catch (e) {
        out.ok = false;
        out.errors.push((e as Error).message);
      }
      return { out };
    }
    if ("stack-set" in step) {
      for (const [site, values] of Object.entries(step["stack-set"]) as [
        Site,
        Record<string, unknown>,
      ][]) {
        state.stackSets[site] = { ...state.stackSets[site], ...values };
        // The stack file must still be valid: a key or value the schema refuses fails the step here.
        try {
          platformConfig(site, {
            dir: this.dir,
            sets: [...this.sets, ...stackOverrides(state.stackSets[site])],
            projectSets: { ...this.projectSets, ...state.sets },
          });
        } catch (e) {
          if (!(e instanceof ConfigError || e instanceof EngineConfigError)) throw e;
          out.ok = false;
          out.errors.push(e.message);
        }
      }
      return { out };
    }
    if ("expect" in step) {
      const e = step.expect;
      if (e.active !== undefined) {
        const active = activeSites(state.platform);
        const got = active.length === 0 ? "none" : active.join(" and ");
        if (got !== e.active) out.errors.push(`expected active: ${e.active}, found ${got}`);
      }
      if (e["sql-primary"] !== undefined) {
        const wrong = Object.entries(state.platform.groupPrimary).filter(
          ([, s]) => s !== e["sql-primary"],
        );
        if (!Object.keys(state.platform.groupPrimary).length)
          out.errors.push(
            `expected sql-primary: ${e["sql-primary"]}, but no failover group exists`,
          );
        for (const [g, s] of wrong)
          out.errors.push(`expected sql-primary: ${e["sql-primary"]}, but ${g}'s primary is ${s}`);
      }
      if (e.writers) {
        const now = writerSummary(state.platform);
        for (const [cls, sites] of Object.entries(e.writers) as [DataClass, Site[]][])
          if (!isDeepStrictEqual([...sites].sort(), [...now[cls]].sort()))
            out.errors.push(
              `expected ${cls} writers: ${sites.join(", ") || "none"}, found ${now[cls].join(", ") || "none"}`,
            );
      }
      if (e.runnable) {
        const now = runnableJobs(state.platform);
        for (const [site, jobs] of Object.entries(e.runnable) as [Site, string[]][])
          if (!isDeepStrictEqual([...jobs].sort(), [...now[site]].sort()))
            out.errors.push(
              `expected ${site}'s runnable jobs: ${jobs.join(", ") || "none"}, found ${now[site].join(", ") || "none"}`,
            );
      }
      for (const [site, names] of Object.entries(e["drill-resources"] ?? {}) as [
        Site,
        string[],
      ][]) {
        const now = drillResources(state.plans[site]);
        if (!isDeepStrictEqual([...names].sort(), [...now].sort()))
          out.errors.push(
            `expected ${site}'s drill resources: ${names.join(", ") || "none"}, found ${now.join(", ") || "none"}`,
          );
      }
      for (const [site, tables] of Object.entries(e["lost-writes"] ?? {}) as [Site, string[]][])
        if (!isDeepStrictEqual([...tables].sort(), [...state.listed[site]].sort()))
          out.errors.push(
            `expected ${site}'s lost writes listed: ${tables.join(", ") || "none"}, found ${state.listed[site].join(", ") || "none"}`,
          );
      out.ok = out.errors.length === 0;
      return { out };
    }

    const site =
      "up" in step
        ? step.up
        : "expect-failed" in step
          ? step["expect-failed"]
          : step["expect-blocked"];
    const expectBlocked = "expect-blocked" in step;
    const expectFailed = "expect-failed" in step;
    if (!stacks[site].reachable) {
      out.ok = false;
      out.errors.push(`${site}'s region is down: pulumi up -s ${site} cannot reach its clouds`);
      return { out };
    }
    let result;
    try {
      result = await this.up(state, site);
    } catch (e) {
      if (!(e instanceof ConfigError || e instanceof EngineConfigError)) throw e;
      out.ok = false;
      out.errors.push(e.message);
      return { out };
    }
    const { plan, violations, diff } = result;
    out.violations = violations;
    out.blocked = violations.some((v) => v.enforcementLevel === "mandatory");
    out.effects = {
      ...out.effects,
      created: diff.created.length,
      updated: diff.updated.length,
      deleted: diff.deleted.length,
      replaced: diff.replaced.length,
      released: {
        deleted: diff.released.filter((r) => !r.retained).length,
        retained: diff.released.filter((r) => r.retained).length,
      },
    };
    if (out.blocked || expectBlocked) {
      out.ok = expectBlocked === out.blocked;
      if (!out.blocked)
        out.errors.push(`expected pulumi up -s ${site} to be refused by a mandatory policy`);
      else if (!expectBlocked)
        out.errors.push(`pulumi up -s ${site} was refused by a mandatory policy`);
      return { out };
    }
    const effects = deployEffects(state.platform, site, asDeployed(plan), diff, state.faults[site]);
    // A fault is met by the sync it was seeded for, whether or not the deployment goes through.
    if (effects.finalSync) delete state.faults[site];
    if (effects.errors.length || expectFailed) {
      // Refused as the cloud would: the stack's deployed state stays as it was, but for what a
      // deployment whose final sync failed did before it (Pulumi undoes nothing).
      if (effects.failedSync && effects.errors.length === 1) {
        const before = stacks[site].deployed;
        stacks[site] = { ...stacks[site], deployed: doneBefore(before, plan, effects.failedSync) };
      }
      out.ok = expectFailed && effects.errors.length > 0;
      if (expectFailed) out.refusals = effects.errors;
      else out.errors.push(...effects.errors);
      if (expectFailed && !effects.errors.length)
        out.errors.push(`expected pulumi up -s ${site} to fail in the cloud, and it went through`);
      return { out };
    }
    out.effects.failovers = effects.failovers;
    out.effects.restores = effects.restores;
    out.effects.syncs = effects.syncs;
    // Each copy ran after the writers stopped: what the site wrote is in the peer's lake.
    if (effects.finalSync) {
      const synced = new Set(effects.finalSync.jobs);
      const tables = lakeModel(stacks[site].deployed)
        .jobs.filter((j) => j.replication && j.table && synced.has(j.name))
        .map((j) => j.table!);
      state.unreplicated[site] = state.unreplicated[site].filter((t) => !tables.includes(t));
    }
    stacks[site] = { ...stacks[site], deployed: asDeployed(plan) };
    (state.platform as { groupPrimary: Record<string, Site> }).groupPrimary = effects.groupPrimary;
    state.plans[site] = plan;
    out.diff = diff;
    return { out, diff };
  }
}
