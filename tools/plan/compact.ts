import { stringify as toYaml } from "yaml";
import { isStateful } from "../../contracts/stateful";
import type { CapturedResource } from "./capture";
import type { PlanDiff, ResourceRef, Update } from "./diff";

/**
 * The plan as an operator reads it (what `pulumi preview` shows, compacted): per component, its
 * resources grouped by type with counts and markers, the role-dependent changes grouped by what
 * changes, and a closing summary. `--details` shows every input.
 */

const WIDTH = 100;

/** `azure-native:sql:Database` -> `Database`: the provider goes on the group's line. */
const provider = (type: string) => type.split(":")[0]!;
const shortType = (type: string) => type.split(":").pop()!;

/** One type's resources under one parent: `sql:Database ×61 [protect, stateful]`. */
function typeGroup(type: string, members: readonly CapturedResource[]): string {
  const marks: string[] = [];
  const protectedCount = members.filter((r) => r.options.protect).length;
  if (protectedCount)
    marks.push(protectedCount === members.length ? "protect" : `protect ${protectedCount}`);
  if (isStateful(type)) marks.push("stateful");
  const name = members.length === 1 ? ` ${members[0]!.name}` : ` ×${members.length}`;
  return `${shortType(type)}${name}${marks.length ? ` [${marks.join(", ")}]` : ""}`;
}

/** Words joined by ", " into lines of at most WIDTH columns, each starting with `indent`. */
export function wrap(indent: string, head: string, words: readonly string[]): string[] {
  const lines: string[] = [];
  const first = `${indent}${head}`;
  const next = `${indent}${" ".repeat(head.length)}`;
  let line = first;
  for (const [i, w] of words.entries()) {
    const piece = `${w}${i < words.length - 1 ? "," : ""}`;
    const fresh = line === first || line === next;
    if (!fresh && line.length + 1 + piece.length > WIDTH) {
      lines.push(line);
      line = next + piece;
    } else line += `${fresh ? "" : " "}${piece}`;
  }
  lines.push(line);
  return lines;
}

/**
 * The resources as components, each with its resources grouped by provider and type, in
 * the order the program constructs them; `mark` is the change each gets (`+` on a first deployment).
 */
export function compactTree(resources: readonly CapturedResource[], mark = "+"): string[] {
  const components = resources.filter((r) => !r.custom);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  // Each resource counts under its nearest component: a component's own component children are
  // listed as components of their own.
  const owner = (r: CapturedResource): string => {
    let p = r.parent;
    while (p && byUrn.get(p)?.custom) p = byUrn.get(p)!.parent;
    return p && byUrn.has(p) ? p : "";
  };
  const owned = new Map<string, CapturedResource[]>();
  for (const r of resources) if (r.custom) owned.set(owner(r), [...(owned.get(owner(r)) ?? []), r]);
  const lines: string[] = [];
  const group = (urn: string, indent: string) => {
    const members = owned.get(urn) ?? [];
    const byProvider = new Map<string, Map<string, CapturedResource[]>>();
    for (const r of members) {
      const types = byProvider.get(provider(r.type)) ?? new Map<string, CapturedResource[]>();
      types.set(r.type, [...(types.get(r.type) ?? []), r]);
      byProvider.set(provider(r.type), types);
    }
    for (const [p, types] of byProvider)
      lines.push(
        ...wrap(
          indent,
          `${p}: `,
          [...types].map(([t, m]) => typeGroup(t, m)),
        ),
      );
  };
  if (owned.has("")) {
    lines.push(`  ${mark} (the stack itself)`);
    group("", "      ");
  }
  for (const c of components) {
    const count = owned.get(c.urn)?.length ?? 0;
    lines.push(`  ${mark} ${c.type} ${c.name} (${count} resource${count === 1 ? "" : "s"})`);
    group(c.urn, "      ");
  }
  return lines;
}

const fmt = (v: unknown) => (v === undefined ? "(unset)" : JSON.stringify(v));
function names(refs: readonly { name: string }[], max = 4): string {
  const shown = refs
    .slice(0, max)
    .map((r) => r.name)
    .join(", ");
  return refs.length > max ? `${shown} and ${refs.length - max} more` : shown;
}
const stateful = (r: ResourceRef) => (r.stateful ? " (stateful)" : "");

/**
 * A promote flip's changes, grouped: updates with the same type and the same changes are one
 * line (`~ 7 databricks:index/job:Job: maxConcurrentRuns 1 -> 0; ...`), creates and deletes by
 * type. Data loss and releases are never grouped away.
 */
export function compactDiff(d: PlanDiff): string[] {
  const lines = [
    `promote ${d.before.promote} -> ${d.after.promote}: role ${d.before.role} -> ${d.after.role}: ` +
      `${d.created.length} to create, ${d.updated.length} to update, ${d.replaced.length} to replace, ${d.deleted.length} to delete`,
  ];
  const byType = (refs: readonly ResourceRef[], sign: string) => {
    const types = new Map<string, ResourceRef[]>();
    for (const r of refs) types.set(r.type, [...(types.get(r.type) ?? []), r]);
    for (const [t, rs] of types)
      lines.push(`  ${sign} ${rs.length} ${t}${stateful(rs[0]!)}: ${names(rs)}`);
  };
  byType(d.created, "+");
  // Updates of one type that change the same inputs are one group; each input shows its change
  // when every member changes it alike, else what they all end at, else only its path.
  const groups = new Map<string, Update[]>();
  for (const u of d.updated) {
    const key = JSON.stringify([u.resource.type, u.changes.map((c) => c.path)]);
    groups.set(key, [...(groups.get(key) ?? []), u]);
  }
  for (const [key, us] of groups) {
    const [type, paths] = JSON.parse(key) as [string, string[]];
    const changes = paths.map((path, i) => {
      const each = us.map((u) => u.changes[i]!);
      const alike = (f: (c: (typeof each)[number]) => unknown) =>
        new Set(each.map((c) => fmt(f(c)))).size === 1;
      if (alike((c) => c.before) && alike((c) => c.after))
        return `${path}: ${fmt(each[0]!.before)} -> ${fmt(each[0]!.after)}`;
      return alike((c) => c.after)
        ? `${path}: -> ${fmt(each[0]!.after)}`
        : `${path} (each its own)`;
    });
    const what = changes.join("; ");
    lines.push(
      `  ~ ${us.length} ${type}${stateful(us[0]!.resource)}: ${names(
        us.map((u) => u.resource),
        3,
      )}`,
      `      ${what.length > 160 ? `${what.slice(0, 157)}...` : what}`,
    );
  }
  for (const r of d.replaced) lines.push(`  +- ${r.before.type} ${r.before.name}: ${r.reason}`);
  byType(d.deleted, "-");
  for (const r of d.dangerous)
    lines.push(`  !!! DATA LOSS RISK: deletes or replaces stateful ${r.type} ${r.name}`);
  for (const r of d.released)
    lines.push(
      `  released (sql.releaseRecoveredDatabases): ${r.type} ${r.name}, ${r.retained ? "kept in Azure" : "deleted"}`,
    );
  for (const r of d.scratch) lines.push(`  removed (a drill's scratch): ${r.type} ${r.name}`);
  return lines;
}

/**
 * One resource's inputs and options, found by URN or name (`--details NAME`); undefined when no
 * resource has that URN or name.
 */
export function resourceDetails(
  resources: readonly CapturedResource[],
  which: string,
): string[] | undefined {
  const found = resources.filter((r) => r.urn === which || r.name === which);
  if (!found.length) return undefined;
  return found.flatMap((r) => [
    `  ${r.type} ${r.name}`,
    `    urn: ${r.urn}`,
    ...toYaml({ inputs: r.inputs, options: r.options }, { lineWidth: 0 })
      .trimEnd()
      .split("\n")
      .map((l) => `    ${l}`),
  ]);
}
