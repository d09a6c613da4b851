import type { ResourceRef } from "../plan/diff";
import type { Failover } from "./cloud";
import type { Implied } from "./implied";
import { SITES, type LostWrites } from "./model";
import type { RunbookResult, StepResult } from "./play";
import type { Step } from "./schema";

/**
 * The failovers of a step, one per failover group; the geo-replication links that moved the same
 * way are said once, naming the first three databases by name.
 */
export function failoverSummary(
  failovers: readonly Failover[],
): { what: string; from: string; to: string; mode: string }[] {
  const out: { what: string; from: string; to: string; mode: string }[] = [];
  const links = new Map<string, string[]>();
  for (const f of failovers) {
    if (f.database === undefined) out.push({ what: f.group, from: f.from, to: f.to, mode: f.mode });
    else {
      const key = `${f.from} ${f.to} ${f.mode}`;
      links.set(key, [...(links.get(key) ?? []), f.database]);
    }
  }
  for (const [key, unsorted] of links) {
    const dbs = [...unsorted].sort();
    const [from, to, mode] = key.split(" ") as [string, string, string];
    const shown =
      dbs.slice(0, 3).join(", ") + (dbs.length > 3 ? ` and ${dbs.length - 3} more` : "");
    out.push({
      what: `${dbs.length} geo-replication link${dbs.length === 1 ? "" : "s"} (${shown})`,
      from,
      to,
      mode,
    });
  }
  return out;
}

export function stepLines(s: StepResult, n: number): string[] {
  const mark = s.ok ? "ok" : "FAILED";
  const lines = [
    `${String(n).padStart(3)}. ${s.step.padEnd(60)} ${mark}${s.blocked ? " (refused)" : ""}`,
  ];
  const pad = "       ";
  lines.push(
    `${pad}roles: primary ${s.roles.primary ?? "-"}, secondary ${s.roles.secondary ?? "-"}`,
  );
  const e = s.effects;
  if (e.created + e.updated + e.deleted + e.replaced)
    lines.push(
      `${pad}changes: ${e.created} created, ${e.updated} updated, ${e.deleted} deleted, ${e.replaced} replaced`,
    );
  for (const f of failoverSummary(e.failovers))
    lines.push(`${pad}failover: ${f.what} ${f.from} -> ${f.to} (${f.mode})`);
  for (const r of e.restores) lines.push(`${pad}restore: ${r}`);
  for (const r of e.syncs) lines.push(`${pad}final sync: ${r}`);
  const w = Object.entries(e.writers)
    .map(([cls, sites]) => `${cls} ${sites.join("+") || "none"}`)
    .join(" · ");
  lines.push(`${pad}writers: ${w}`);
  for (const l of e.lostWrites) lines.push(`${pad}${lostWritesLine(l)}`);
  for (const c of e.stoppedClusters) lines.push(`${pad}${stoppedClusterLine(c)}`);
  const released = releasedLine(e.released);
  if (released) lines.push(`${pad}${released}`);
  for (const v of s.violations)
    lines.push(`${pad}[${v.enforcementLevel}] ${v.policyName}: ${v.message.split("\n").pop()}`);
  for (const err of s.errors) lines.push(`${pad}error: ${err}`);
  for (const r of s.refusals ?? []) lines.push(`${pad}refused by the cloud: ${r}`);
  for (const [name, v] of Object.entries(s.invariants)) {
    if (v.ok) continue;
    for (const x of v.expected ?? []) lines.push(`${pad}${name}: expected breach: ${x}`);
    const broken = v.breaches.filter((b) => !b.gap);
    if (broken.length)
      lines.push(`${pad}${name}: BROKEN: ${broken.map((b) => b.message).join("; ")}`);
  }
  const held = Object.entries(s.invariants)
    .filter(([, v]) => v.ok)
    .map(([k]) => k);
  if (held.length) lines.push(`${pad}holds: ${held.join(", ")}`);
  return lines;
}

/** The list a deep clone makes before it hides a site's writes that were never cloned. */
export function lostWritesLine(l: LostWrites): string {
  return (
    `lost writes listed: ${l.site}'s ${l.tables.join(", ")} hold commits never cloned to ${l.by}; ` +
    `before ${l.by}'s deep clone (epoch ${l.epoch}) overwrites them they are listed and preserved ` +
    `under ${l.preservedAt}<table>/, until an operator releases them`
  );
}

/** A Hive cluster its fence stops, and why. */
export function stoppedClusterLine(c: { site: string; reason: string }): string {
  return `hive fence: ${c.site}'s Hive cluster is stopped (${c.reason})`;
}

export function renderText(results: readonly RunbookResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`== runbook ${r.runbook}: ${r.ok ? "ok" : "FAILED"}`);
    r.steps.forEach((s, i) => out.push(...stepLines(s, i + 1)));
    for (const g of r.unusedGaps) out.push(`  known gap: ${g}`);
    out.push("");
  }
  const failed = results.filter((r) => !r.ok).length;
  out.push(`Runbooks: ${results.length - failed} passed, ${failed} failed`);
  return out.join("\n");
}

/** One step as JSON (the contract of `--format json`). */
export function stepJson(s: StepResult) {
  return {
    step: s.step,
    ok: s.ok,
    blocked: s.blocked,
    violations: s.violations.map((v) => ({
      policy: v.policyName,
      enforcementLevel: v.enforcementLevel,
      message: v.message.split("\n").pop(),
    })),
    invariants: s.invariants,
    roles: s.roles,
    effects: s.effects,
    errors: s.errors,
  };
}

export function renderJson(results: readonly RunbookResult[]): string {
  const one = (r: RunbookResult) => ({
    runbook: r.runbook,
    steps: r.steps.map(stepJson),
    unusedGaps: r.unusedGaps,
    ok: r.ok,
  });
  return JSON.stringify(results.length === 1 ? one(results[0]!) : results.map(one), null, 2);
}

// ---------------------------------------------------------------------------------------------
// The runbook a change implies (the plan's pull-request comment)

const roleOf = (r: string | null) => r ?? "not deployed";

/** Where the implied runbook starts, in one sentence. */
export function basisLine(implied: Implied): string {
  const roles = SITES.map((s) => `${s} ${roleOf(implied.from[s])} → ${implied.to[s]}`).join(", ");
  switch (implied.basis) {
    case "assumed-first-deployment":
      return `No deployed state was given (--state DIR), so this assumes a first deployment from empty: ${roles}.`;
    case "first-deployment":
      return `The deployed state shows neither stack deployed: a first deployment, ${roles}.`;
    case "deployed":
      return `From the deployed state (each stack's last outputs): ${roles}.`;
  }
}

/** What the step is, as the operator does it. */
export function stepAction(step: Step): string {
  if ("up" in step) return `pulumi up -s ${step.up} --policy-pack policies`;
  if ("expect-blocked" in step)
    return `pulumi up -s ${step["expect-blocked"]} --policy-pack policies`;
  if ("expect-failed" in step)
    return `pulumi up -s ${step["expect-failed"]} --policy-pack policies`;
  if ("outage" in step) return `${step.outage}'s region is down`;
  if ("automatic-failover" in step)
    return `Azure fails ${step["automatic-failover"]}'s automatic failover groups over`;
  if ("recover" in step) return `${step.recover}'s region is back`;
  if ("set" in step)
    return `a pull request sets ${Object.entries(step.set)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join(", ")}`;
  return "check the platform";
}

const MAX_LISTED = 8;

/** Resources by name when few, else counted by type. */
export function resourceList(refs: readonly ResourceRef[]): string {
  if (refs.length <= MAX_LISTED) return refs.map((r) => `\`${r.type}\` \`${r.name}\``).join(", ");
  const counts = new Map<string, number>();
  for (const r of refs) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([t, n]) => `${n} × \`${t}\``)
    .join(", ");
}

function outcome(s: StepResult, deploys: boolean): string {
  if (s.blocked) return ": **refused by the policy pack**";
  if (s.errors.length) return ": **fails**";
  const note = !s.ok
    ? "**an invariant breaks**"
    : Object.values(s.invariants).some((v) => !v.ok)
      ? "with a known gap"
      : "";
  if (deploys) return note ? `: goes through, ${note}` : ": goes through";
  return note ? `: ${note}` : "";
}

/** The implied runbook as markdown: each step, why, and what it does. */
export function impliedMarkdown(implied: Implied, result: RunbookResult): string[] {
  const out = ["## This change as a runbook", "", basisLine(implied)];
  if (implied.acknowledgments.length)
    out.push(
      "",
      `Acknowledgments set: ${implied.acknowledgments.map((k) => `\`${k}\``).join(", ")}.`,
    );
  out.push("");
  result.steps.forEach((s, i) => {
    const { step, why } = implied.steps[i]!;
    out.push(`${i + 1}. \`${stepAction(step)}\` (${why})${outcome(s, "up" in step)}`);
    const d = s.diff;
    if (d) {
      out.push(
        `   - changes: ${d.created.length} created, ${d.updated.length} updated, ${d.deleted.length} deleted, ${d.replaced.length} replaced`,
      );
      if (d.created.length) out.push(`   - creates: ${resourceList(d.created)}`);
      if (d.deleted.length) out.push(`   - deletes: ${resourceList(d.deleted)}`);
      if (d.replaced.length)
        out.push(`   - replaces: ${resourceList(d.replaced.map((r) => r.before))}`);
      if (d.dangerous.length)
        out.push(`   - **data loss risk**: stateful ${resourceList(d.dangerous)}`);
    }
    for (const f of failoverSummary(s.effects.failovers))
      out.push(`   - failover: \`${f.what}\` ${f.from} → ${f.to} (${f.mode})`);
    for (const r of s.effects.restores) out.push(`   - restore: ${r}`);
    for (const r of s.effects.syncs) out.push(`   - final sync: ${r}`);
    for (const l of s.effects.lostWrites) out.push(`   - ${lostWritesLine(l)}`);
    for (const c of s.effects.stoppedClusters) out.push(`   - ${stoppedClusterLine(c)}`);
    const released = releasedLine(s.effects.released);
    if (released) out.push(`   - ${released}`);
    for (const v of s.violations.filter((x) => x.enforcementLevel === "mandatory"))
      out.push(`   - refused by \`${v.policyName}\`: ${v.message.split("\n").pop()}`);
    if (!s.blocked) for (const e of s.errors) out.push(`   - error: ${e}`);
    for (const [name, v] of Object.entries(s.invariants)) {
      if (v.ok) continue;
      for (const b of v.breaches)
        out.push(
          b.gap
            ? `   - known gap (issue ${b.gap.issue}), \`${name}\`: ${b.message}`
            : `   - invariant \`${name}\` breaks: ${b.message}`,
        );
    }
    if ("up" in step && !s.blocked && !s.errors.length) {
      const w = Object.entries(s.effects.writers)
        .map(([cls, sites]) => `${cls} ${sites.join("+") || "none"}`)
        .join(" · ");
      out.push(`   - writers after: ${w}`);
    }
  });
  implied.steps.slice(result.steps.length).forEach(({ step, why }, i) => {
    out.push(
      `${result.steps.length + i + 1}. \`${stepAction(step)}\` (${why}): not reached while the step before it cannot go through`,
    );
  });
  out.push("");
  const gaps = new Map<string, { issue: number; why: string }>();
  for (const s of result.steps)
    for (const v of Object.values(s.invariants))
      for (const b of v.breaches) if (b.gap) gaps.set(`${b.gap.issue} ${b.gap.why}`, b.gap);
  const failed = result.steps.find((s) => !s.ok);
  out.push(
    failed
      ? `**Step ${result.steps.indexOf(failed) + 1} of ${implied.steps.length} would not go as planned.**`
      : `Every step goes through and the pair converges${gaps.size ? "; the invariants hold after each step but for the known gaps below" : ", with every invariant holding after each step"}.`,
    "",
  );
  if (gaps.size) {
    out.push("Known gaps met, each with the issue that fixes it:", "");
    for (const g of [...gaps.values()].sort((a, b) => a.issue - b.issue))
      out.push(`- issue ${g.issue}: ${g.why}`);
    out.push("");
  }
  return out;
}

/** The implied runbook as text lines. */
export function impliedText(implied: Implied, result: RunbookResult): string[] {
  const out = ["This change as a runbook:", `  ${basisLine(implied)}`];
  result.steps.forEach((s, i) => {
    out.push(...stepLines({ ...s, step: `${s.step}  (${implied.steps[i]!.why})` }, i + 1));
  });
  return out;
}

/** The implied runbook as JSON. */
export function impliedJson(implied: Implied, result: RunbookResult) {
  return {
    basis: implied.basis,
    from: implied.from,
    to: implied.to,
    acknowledgments: implied.acknowledgments,
    steps: result.steps.map((s, i) => ({ ...stepJson(s), why: implied.steps[i]!.why })),
    ok: result.ok,
  };
}

/** A release's line: what it deleted and what it took out of the stack, kept in Azure. */
function releasedLine(r: { deleted: number; retained: number }): string | undefined {
  const parts = [
    r.deleted && `${r.deleted} deleted`,
    r.retained && `${r.retained} kept in Azure, out of the stack`,
  ].filter(Boolean);
  return parts.length ? `released (sql.releaseRecoveredDatabases): ${parts.join(", ")}` : undefined;
}
