import { acknowledgmentsSet, type OnePromotionKey } from "../../contracts/acknowledgments";
import { clearedValue } from "../../policies/promotion";
import { PROJECT_DIR, platformConfig, stackRole } from "../plan/engine";
import { SITES, peerOf, recordedRole, type Role, type Site } from "./model";
import { RunbookPlayer, type Analyze, type RunbookResult } from "./play";
import { declaredGaps, type Runbook, type Step } from "./schema";
import type { DeployedState } from "./state";

/**
 * The runbook a change of config implies: from what is deployed (or from nothing), the steps the
 * promotion protocol (policies/promotion.ts) takes to reach the roles the config now gives, with
 * why each step is there. Played by the runbook engine, it is what a pull request's comment shows.
 */

export interface ImpliedStep {
  readonly step: Step;
  /** Why the step is there, in the protocol's words. */
  readonly why: string;
}

export type Basis =
  /** No deployed state was given: a first deployment is assumed. */
  | "assumed-first-deployment"
  /** The deployed state was given, and neither stack has been deployed. */
  | "first-deployment"
  | "deployed";

export interface Implied {
  readonly basis: Basis;
  readonly from: Record<Site, Role | null>;
  readonly to: Record<Site, Role>;
  /** The one-promotion keys the config sets. */
  readonly acknowledgments: readonly OnePromotionKey[];
  readonly steps: readonly ImpliedStep[];
}

const up = (site: Site, why: string): ImpliedStep => ({ step: { up: site }, why });

/**
 * The steps from the deployed roles `from` (null: never deployed) to the config's roles `to`,
 * given the acknowledgments the config sets. One order for every promotion: the active site
 * stands down (or, acknowledged as a forced failover, its region is down), the standby is
 * promoted, the acknowledgments are removed by the next pull request, and the demoted site is
 * deployed once more (after its region is back).
 */
export function impliedSteps(
  from: Readonly<Record<Site, Role | null>>,
  to: Readonly<Record<Site, Role>>,
  acks: readonly OnePromotionKey[],
): ImpliedStep[] {
  const active = SITES.find((s) => to[s] === "active")!;
  const passive = peerOf(active);
  if (SITES.every((s) => from[s] === null))
    return [
      up(active, "first deployment of the active site"),
      up(passive, "first deployment of the passive site"),
      up(active, "the active site once more: it creates what needs the peer's resources"),
    ];
  const demoted = SITES.filter((s) => from[s] === "active" && to[s] === "passive");
  const promoted = SITES.filter((s) => from[s] !== "active" && to[s] === "active");
  if (!demoted.length && !promoted.length) {
    const steps = [up(active, "roles unchanged"), up(passive, "roles unchanged")];
    if (from[passive] === null)
      steps.push(
        up(active, "the active site once more: it creates what needs the peer's resources"),
      );
    return steps;
  }
  const forced = acks.includes("promotion.acknowledgeForcedFailover");
  const steps: ImpliedStep[] = [];
  for (const d of demoted)
    steps.push(
      forced
        ? {
            step: { outage: d },
            why: `promotion.acknowledgeForcedFailover declares ${d}'s region down: its stack cannot be deployed`,
          }
        : up(d, "step 1: the active site stands down"),
    );
  for (const p of promoted) steps.push(up(p, "step 2: the standby is promoted"));
  if (forced)
    for (const d of demoted) {
      steps.push({ step: { recover: d }, why: `later: ${d}'s region is back` });
      steps.push(up(d, "the demoted site catches up as passive"));
    }
  if (acks.length) {
    steps.push({
      step: { set: Object.fromEntries(acks.map((k) => [k, clearedValue(k)])) },
      why: "the next pull request removes the acknowledgments: they applied to this promotion only",
    });
    for (const p of promoted) steps.push(up(p, "the promoted site without the acknowledgments"));
  }
  steps.push(up(passive, "step 3: the demoted site once more"));
  return steps;
}

export interface ImpliedOptions {
  dir?: string;
  /** `key=value` stack config overrides, as `pulumi config set` would apply them. */
  sets?: readonly string[];
  /** Changes to Pulumi.yaml's values by dotted path (what a pull request changes). */
  projectSets?: Readonly<Record<string, unknown>>;
}

/** The config's roles and acknowledgments (each stack's, as its config resolves). */
export function configTarget(opts: ImpliedOptions = {}): {
  to: Record<Site, Role>;
  acknowledgments: OnePromotionKey[];
} {
  const planOpts = { dir: opts.dir ?? PROJECT_DIR, sets: opts.sets, projectSets: opts.projectSets };
  const set = new Set<OnePromotionKey>();
  for (const site of SITES) {
    const c = platformConfig(site, planOpts);
    acknowledgmentsSet({
      promotion: c.promotion,
      sql: {
        failoverMode: c.sql.failover.mode,
        acknowledgeDataLoss: c.sql.failover.acknowledgeDataLoss,
      },
    }).forEach((k) => set.add(k));
  }
  return {
    to: { primary: stackRole("primary", planOpts), secondary: stackRole("secondary", planOpts) },
    acknowledgments: [...set],
  };
}

/** The runbook this config implies from `state` (undefined: none given), played. */
export async function playImplied(
  analyze: Analyze,
  state: DeployedState | undefined,
  opts: ImpliedOptions = {},
): Promise<{ implied: Implied; result: RunbookResult }> {
  const { to, acknowledgments } = configTarget(opts);
  const from = {
    primary: recordedRole(state?.primary),
    secondary: recordedRole(state?.secondary),
  };
  const deployedAny = SITES.some((s) => from[s] !== null);
  const implied: Implied = {
    basis: !state ? "assumed-first-deployment" : deployedAny ? "deployed" : "first-deployment",
    from,
    to,
    acknowledgments,
    steps: impliedSteps(from, to, acknowledgments),
  };
  const dir = opts.dir ?? PROJECT_DIR;
  // A breach the shipped runbooks declare as a known gap is reported with the issue that fixes it.
  const runbook: Runbook = {
    name: "this-change",
    description: "the steps this config implies from the deployed state",
    invariants: [],
    "known-gaps": declaredGaps(dir),
    steps: implied.steps.map((s) => s.step),
  };
  const player = new RunbookPlayer(analyze, dir, opts.sets, opts.projectSets);
  const start = state && deployedAny ? await player.deployed(state) : undefined;
  const result = await player.play(runbook, start, { untilRefused: true });
  // Declared gaps this change never meets are not its concern; a step not reached fails it.
  const ok = result.steps.length === implied.steps.length && result.steps.every((s) => s.ok);
  return { implied, result: { ...result, unusedGaps: [], ok } };
}
