import { stringify as toYaml } from "yaml";
import type { CapturedResource } from "./capture";
import type { PlanDiff, ResourceRef } from "./diff";
import type { StackPlan } from "./engine";
import type { Violation } from "./policyHarness";
import { dependenciesOf, raceLine, type Race } from "./races";
import { findFacts } from "../../contracts/facts";
import { computeRpo, type RpoRow } from "../../policies/rpo";
import { switchoverRto, type RtoEstimate } from "./rto";
import { compactDiff, compactTree, resourceDetails } from "./compact";

export interface RenderedStack {
  plan: StackPlan;
  /** What flipping promote would change in this stack. */
  flip?: PlanDiff;
  /** What the policy pack reported for this stack. */
  policy?: { violations: Violation[] };
  /** Inputs that name a resource of this stack with no dependency path to it (plan errors). */
  races?: Race[];
}

/** The RPO per data class: target, configured worst case (schedules, run limits, replication modes), verdict. */
export function rpoRows(plan: StackPlan): RpoRow[] {
  const resources = plan.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
  const facts = findFacts(resources);
  return facts ? computeRpo(resources, facts) : [];
}

const fmtMinutes = (m: number | null) =>
  m === null ? "n/a" : m < 1 ? `${Math.round(m * 60)} s` : `${Number(m.toFixed(2))} min`;

function policyLines(v: readonly Violation[]): string[] {
  if (!v.length) return ["  no violations"];
  return v.map(
    (x) => `  [${x.enforcementLevel}] ${x.policyName}: ${x.message}${x.urn ? ` (${x.urn})` : ""}`,
  );
}

function raceLines(races: readonly Race[]): string[] {
  if (!races.length) return ["Races on a first deployment: none"];
  return [
    `Races on a first deployment (${races.length}):`,
    ...races.map((r) => `  ${raceLine(r)}`),
  ];
}

const shortType = (t: string) => t.replace(/^pulumi:providers:/, "provider:");

function optionTags(r: CapturedResource): string {
  const tags: string[] = [];
  if (r.options.protect) tags.push("protect");
  if (r.options.retainOnDelete) tags.push("retainOnDelete");
  if (r.options.deleteBeforeReplace) tags.push("deleteBeforeReplace");
  if (r.options.ignoreChanges.length)
    tags.push(`ignoreChanges: ${r.options.ignoreChanges.join(", ")}`);
  return tags.length ? `  [${tags.join("; ")}]` : "";
}

/** The resources as a tree under their components, in the order the program constructs them. */
export function resourceTree(
  resources: readonly CapturedResource[],
  withInputs: boolean,
): string[] {
  const children = new Map<string, CapturedResource[]>();
  for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const known = new Set(resources.map((r) => r.urn));
  const roots = resources.filter((r) => !r.parent || !known.has(r.parent));
  const lines: string[] = [];
  const walk = (r: CapturedResource, indent: string, last: boolean, top: boolean) => {
    const branch = top ? "" : last ? "└─ " : "├─ ";
    lines.push(`${indent}${branch}${shortType(r.type)}  ${r.name}${optionTags(r)}`);
    const inner = top ? indent : indent + (last ? "   " : "│  ");
    const kids = children.get(r.urn) ?? [];
    if (withInputs && r.custom && Object.keys(r.inputs).length) {
      const pad = inner + (kids.length ? "│  " : "   ");
      for (const l of toYaml(r.inputs, { lineWidth: 0 }).trimEnd().split("\n"))
        lines.push(`${pad}  ${l}`);
    }
    kids.forEach((k, i) => walk(k, inner, i === kids.length - 1, false));
  };
  roots.forEach((r) => walk(r, "  ", true, true));
  return lines;
}

const fmt = (v: unknown) => (v === undefined ? "(unset)" : JSON.stringify(v));
const label = (r: ResourceRef) => `${r.type} ${r.name}${r.stateful ? " (stateful)" : ""}`;

/** Lines describing a promote flip for one stack. */
export function diffLines(d: PlanDiff): string[] {
  const lines = [
    `promote ${d.before.promote} -> ${d.after.promote}: role ${d.before.role} -> ${d.after.role}`,
    `  created: ${d.created.length}, deleted: ${d.deleted.length}, replaced: ${d.replaced.length}, updated: ${d.updated.length}`,
  ];
  for (const r of d.created) lines.push(`  + create  ${label(r)}`);
  for (const r of d.deleted) lines.push(`  - delete  ${label(r)}`);
  for (const r of d.replaced) lines.push(`  +- replace ${label(r.before)}: ${r.reason}`);
  for (const u of d.updated) {
    lines.push(`  ~ update  ${label(u.resource)}`);
    for (const c of u.changes) lines.push(`      ${c.path}: ${fmt(c.before)} -> ${fmt(c.after)}`);
  }
  for (const r of d.dangerous) {
    lines.push(
      `  !!! DATA LOSS RISK: a role flip would delete or replace stateful ${r.type} ${r.name} (${r.urn})`,
    );
  }
  for (const r of d.released)
    lines.push(
      `  released (sql.releaseRecoveredDatabases): ${r.type} ${r.name}, ${r.retained ? "kept in Azure, out of the stack" : "deleted"}`,
    );
  for (const r of d.scratch)
    lines.push(`  removed (a drill's scratch, drill turned off): ${r.type} ${r.name}`);
  return lines;
}

function header(p: StackPlan): string[] {
  const regions = p.outputs.regions as
    | {
        azure?: { region: string; peerRegion: string };
        gcp?: { region: string; peerRegion: string };
      }
    | undefined;
  const where = [
    regions?.azure && `azure ${regions.azure.region} (peer ${regions.azure.peerRegion})`,
    regions?.gcp && `gcp ${regions.gcp.region} (peer ${regions.gcp.peerRegion})`,
  ].filter(Boolean);
  return [
    `Stack ${p.stack}: site ${p.site}, role ${p.role.toUpperCase()} (promote=${p.promote})` +
      (where.length ? `; ${where.join(", ")}` : ""),
  ];
}

/** The settings that depend on the role: what a flip would change in place. */
function roleSettings(flip: PlanDiff): string[] {
  if (
    !flip.updated.length &&
    !flip.created.length &&
    !flip.deleted.length &&
    !flip.replaced.length
  ) {
    return ["  none: flipping the role changes nothing in this stack"];
  }
  return diffLines(flip).map((l) => `  ${l}`);
}

export interface TextOptions {
  /** --diff promote: only what flipping promote changes, no resource tree. */
  diff: boolean;
  /** --details: every input (true), or one resource's, by URN or name. */
  details?: true | string;
  /** Planned on a deployed state (--state): the runbook after the plan says what each step changes. */
  onState?: boolean;
}

/**
 * The text view. By default what an operator reads before `pulumi up`: per stack its header, the
 * resources by component and type, the role-dependent settings grouped, the policy verdict and a
 * summary. `--details` adds every input, or one resource's.
 */
export function renderText(stacks: readonly RenderedStack[], opts: TextOptions): string {
  const out: string[] = [];
  const all = opts.details === true;
  for (const { plan, flip, policy, races } of stacks) {
    out.push(...header(plan));
    if (!opts.diff) {
      out.push(`Resources (${plan.resources.length}):`);
      out.push(...(all ? resourceTree(plan.resources, true) : compactTree(plan.resources)));
    }
    if (flip) {
      out.push(
        opts.diff
          ? `Diff if promote flips:`
          : `Settings that depend on the role (what flipping promote changes):`,
      );
      out.push(
        ...(all
          ? opts.diff
            ? diffLines(flip).map((l) => `  ${l}`)
            : roleSettings(flip)
          : compactDiff(flip).map((l) => `  ${l}`)),
      );
    }
    if (typeof opts.details === "string") {
      const found = resourceDetails(plan.resources, opts.details);
      out.push(
        `Details of ${opts.details}:`,
        ...(found ?? [`  no resource of stack ${plan.stack} has that URN or name`]),
      );
    }
    if (policy?.violations.length === 0 && races?.length === 0)
      out.push("Policy pack: no violations; races on a first deployment: none");
    else {
      if (policy) out.push("Policy pack:", ...policyLines(policy.violations));
      if (races) out.push(...raceLines(races));
    }
    out.push(
      opts.onState
        ? `Plan: ${plan.resources.length} resources once this change is deployed (the runbook below says what each step changes)`
        : `Plan: ${plan.resources.length} to create (as a first deployment; --state DIR plays each step on the deployed state)`,
      "",
    );
  }
  return out.join("\n");
}

/**
 * The planned switchover's RTO estimate: from the site this change stands down (its last role
 * active), else from the site the plan makes active, to its peer.
 */
export function rtoEstimate(
  plans: readonly StackPlan[],
): { rto: RtoEstimate; from: string; to: string } | undefined {
  const withFacts = plans
    .map((plan) => ({
      plan,
      facts: findFacts(plan.resources.map((r) => ({ type: r.type, props: r.inputs }))),
    }))
    .filter((x): x is { plan: StackPlan; facts: NonNullable<typeof x.facts> } => !!x.facts);
  const drained =
    withFacts.find((x) => x.facts.lastRole === "active" && x.facts.role === "passive") ??
    withFacts.find((x) => x.facts.role === "active");
  const promoted = withFacts.find((x) => x !== drained);
  if (!drained || !promoted) return undefined;
  return {
    rto: switchoverRto(
      { resources: drained.plan.resources, facts: drained.facts },
      { resources: promoted.plan.resources, facts: promoted.facts },
    ),
    from: drained.plan.stack,
    to: promoted.plan.stack,
  };
}

function rtoLines(rto: RtoEstimate, from: string, to: string): string[] {
  const m = (v: number | null) => (v === null ? "not stated" : fmtMinutes(v));
  const out = [
    `RTO estimate of a planned switchover (${from} drains, ${to} is promoted), from the documented figures and this config's bounds (the drill measures it):`,
    "",
    "| step | work | expected | at most | basis |",
    "|---|---|---|---|---|",
    ...rto.parts.map(
      (p) =>
        `| ${p.step} | ${p.work} | ${m(p.expectedMinutes)} | ${p.atMostMinutes === null ? "size-bound" : fmtMinutes(p.atMostMinutes)} | ${p.basis} |`,
    ),
    "",
    (rto.expectedMinutes === null
      ? `Expected: not stated (no documented figure for ${rto.unstated.join(", ")}). `
      : `Expected ${fmtMinutes(rto.expectedMinutes)}. `) +
      `At most ${fmtMinutes(rto.atMostMinutes)}` +
      (rto.unbounded.length ? `, besides ${rto.unbounded.join(", ")} (bound by size).` : "."),
    "",
  ];
  return out;
}

/**
 * What a pull-request comment shows: the roles, then this change's effect (`effect`: the runbook
 * it implies, step by step, with its failovers, restores and creates by name), the switchover's
 * RTO, then per stack its RPO, policy verdict, the promote flip and the resource tree, folded.
 */
export function renderMarkdown(
  stacks: readonly RenderedStack[],
  effect: readonly string[] = [],
): string {
  const out: string[] = ["## paired-dr offline plan", ""];
  out.push("| stack | site | role | promote | resources |", "|---|---|---|---|---|");
  for (const { plan } of stacks) {
    out.push(
      `| \`${plan.stack}\` | ${plan.site} | **${plan.role}** | ${plan.promote} | ${plan.resources.length} |`,
    );
  }
  out.push("", ...effect);
  const estimate = rtoEstimate(stacks.map((x) => x.plan));
  if (estimate) out.push(...rtoLines(estimate.rto, estimate.from, estimate.to));
  for (const { plan, flip, policy, races } of stacks) {
    out.push(`### \`${plan.stack}\` (${plan.role})`, "");
    const rows = rpoRows(plan);
    if (rows.length) {
      out.push(
        "RPO per data class, the configured worst case (from the schedules, run limits and replication modes; `npm run status` measures the live one):",
        "",
        "| data class | RPO target | worst case | verdict | basis |",
        "|---|---|---|---|---|",
      );
      for (const r of rows) {
        out.push(
          `| ${r.dataClass} | ${fmtMinutes(r.targetMinutes)} | ${fmtMinutes(r.achievedMinutes)} | ${r.verdict === "over" ? "**over**" : r.verdict} | ${r.basis} |`,
        );
      }
      out.push("");
    }
    if (policy) {
      const mandatory = policy.violations.filter((v) => v.enforcementLevel === "mandatory").length;
      out.push(
        `**Policy pack**: ${mandatory} mandatory, ${policy.violations.length - mandatory} other violation(s).`,
        "",
      );
      for (const v of policy.violations)
        out.push(`- \`${v.enforcementLevel}\` **${v.policyName}**: ${v.message}`);
      if (policy.violations.length) out.push("");
    }
    if (races) {
      out.push(`**Races on a first deployment**: ${races.length || "none"}.`, "");
      for (const r of races)
        out.push(
          `- \`${r.resource.type}\` \`${r.resource.name}\` input \`${r.input}\` names ` +
            `\`${r.names.type}\` \`${r.names.name}\` by a literal with no dependency path (\`${r.literal}\`)`,
        );
      if (races.length) out.push("");
    }
    if (flip) {
      if (flip.dangerous.length) {
        out.push(
          `> [!CAUTION]`,
          `> Flipping \`promote\` would delete or replace **${flip.dangerous.length}** stateful resource(s):`,
        );
        for (const r of flip.dangerous) out.push(`> - \`${r.type}\` \`${r.name}\``);
        out.push("");
      }
      out.push(
        `**If \`promote\` flips** (role ${flip.before.role} → ${flip.after.role}): ` +
          `${flip.created.length} created, ${flip.deleted.length} deleted, ${flip.replaced.length} replaced, ${flip.updated.length} updated.`,
        "",
      );
      if (flip.updated.length) {
        out.push("| resource | input | now | after flip |", "|---|---|---|---|");
        for (const u of flip.updated) {
          for (const c of u.changes)
            out.push(
              `| \`${u.resource.name}\` | \`${c.path}\` | \`${fmt(c.before)}\` | \`${fmt(c.after)}\` |`,
            );
        }
        out.push("");
      }
    }
    out.push(
      "<details><summary>Resource tree</summary>",
      "",
      "```",
      ...resourceTree(plan.resources, false),
      "```",
      "",
      "</details>",
      "",
    );
  }
  return out.join("\n");
}

/**
 * The JSON contract: {"stacks":[{"stack","site","role","resources":[...],"races":[...]}]}, and
 * "runbook" (the implied runbook) when one was played.
 */
export function renderJson(
  stacks: readonly RenderedStack[],
  withDiff: boolean,
  runbook?: unknown,
): string {
  return JSON.stringify(
    {
      stacks: stacks.map(({ plan, flip, policy, races }) => ({
        stack: plan.stack,
        site: plan.site,
        role: plan.role,
        promote: plan.promote,
        outputs: plan.outputs,
        resources: plan.resources.map((r) => ({
          urn: r.urn,
          type: r.type,
          name: r.name,
          parent: r.parent,
          custom: r.custom,
          id: r.id,
          provider: r.provider,
          dependencies: dependenciesOf(r),
          inputs: r.inputs,
          options: r.options,
        })),
        ...(withDiff && flip && { diff: flip }),
        ...(policy && { policy: { violations: policy.violations } }),
        ...(races && { races }),
      })),
      ...(runbook !== undefined && { runbook }),
    },
    null,
    2,
  );
}
