import { isDeepStrictEqual } from "node:util";
import { isStateful, replacementTriggers } from "../../contracts/stateful";
import { findFacts } from "../../contracts/facts";
import { SECRET_PLACEHOLDER, displayValue, secretValue, type CapturedResource } from "./capture";
import type { StackPlan } from "./engine";

export interface InputChange {
  path: string;
  before: unknown;
  after: unknown;
}

export interface ResourceRef {
  urn: string;
  type: string;
  name: string;
  stateful: boolean;
}

export interface Replacement {
  before: ResourceRef;
  after: ResourceRef;
  /** Why: a new type, a new parent, or the inputs that force replacement. */
  reason: string;
}

export interface Update {
  resource: ResourceRef;
  changes: InputChange[];
}

export interface PlanDiff {
  stack: string;
  before: { promote: boolean; role: string };
  after: { promote: boolean; role: string };
  created: ResourceRef[];
  deleted: ResourceRef[];
  replaced: Replacement[];
  updated: Update[];
  /** Stateful resources deleted or replaced: a flip must never produce one. */
  dangerous: ResourceRef[];
  /**
   * Stateful resources deleted that the deployment before registered unprotected for the release
   * its facts name (components/sql/plan.ts, releasePhase; the policy pack lets a stateful resource
   * go unprotected only there): deleted, or kept in Azure (`retained`).
   */
  released: (ResourceRef & { retained: boolean })[];
  /**
   * Stateful resources deleted that the deployment before registered unprotected as a drill's
   * scratch (components/drill/plan.ts; its facts name them): turning the drill off removes them.
   */
  scratch: ResourceRef[];
}

const ref = (r: CapturedResource): ResourceRef => ({
  urn: r.urn,
  type: r.type,
  name: r.name,
  stateful: isStateful(r.type),
});

/** A secret in a comparable tree: compared by value, shown only as a placeholder. */
class Secret {
  constructor(readonly value: unknown) {}
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Secret);

function comparable(v: unknown): unknown {
  const secret = secretValue(v);
  if (secret) return new Secret(comparable(secret.value));
  if (Array.isArray(v)) return v.map(comparable);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, comparable(e)]));
}

const shown = (v: unknown): unknown =>
  v instanceof Secret
    ? SECRET_PLACEHOLDER
    : Array.isArray(v)
      ? v.map(shown)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, e]) => [k, shown(e)]))
        : displayValue(v);

/**
 * The inputs that change between two captures of a resource. Secrets are compared by value (a
 * changed secret is a change) and shown as "[secret]".
 */
export function changedWireInputs(before: CapturedResource, after: CapturedResource) {
  return changedInputs(comparable(before.wireInputs), comparable(after.wireInputs)).map((c) => ({
    path: c.path,
    before: shown(c.before),
    after: shown(c.after),
  }));
}

/** Every leaf path at which `before` and `after` differ, with both values. */
export function changedInputs(before: unknown, after: unknown, prefix = ""): InputChange[] {
  if (isDeepStrictEqual(before, after)) return [];
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedInputs(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => changedInputs(b, after[i], `${prefix}[${i}]`));
  }
  return [{ path: prefix, before, after }];
}

/**
 * What changes between two plans of one stack. Resources are matched by URN; an unmatched pair
 * with the same logical name is a replacement (new type or parent), as is a matched resource
 * whose changed inputs force one.
 */
export function diffPlans(before: StackPlan, after: StackPlan): PlanDiff {
  const afterByUrn = new Map(after.resources.map((r) => [r.urn, r]));
  const beforeUrns = new Set(before.resources.map((r) => r.urn));
  const gone = before.resources.filter((r) => !afterByUrn.has(r.urn));
  const fresh = after.resources.filter((r) => !beforeUrns.has(r.urn));

  const replaced: Replacement[] = [];
  const deleted: ResourceRef[] = [];
  const unmatchedFresh = new Set(fresh);
  for (const old of gone) {
    const twin = fresh.find((r) => unmatchedFresh.has(r) && r.name === old.name);
    if (!twin) {
      deleted.push(ref(old));
      continue;
    }
    unmatchedFresh.delete(twin);
    const reason =
      twin.type !== old.type
        ? `type ${old.type} -> ${twin.type}`
        : `parent ${old.parent} -> ${twin.parent}`;
    replaced.push({ before: ref(old), after: ref(twin), reason });
  }

  const updated: Update[] = [];
  for (const old of before.resources) {
    const now = afterByUrn.get(old.urn);
    if (!now) continue;
    // What ignoreChanges names keeps its old value: the engine sends no change for it.
    const ignored = now.options.ignoreChanges;
    const changes = changedWireInputs(old, now).filter(
      (c) =>
        !ignored.some(
          (p) => c.path === p || c.path.startsWith(`${p}.`) || c.path.startsWith(`${p}[`),
        ),
    );
    if (!changes.length) continue;
    const triggers = replacementTriggers(
      old.type,
      changes.map((c) => c.path),
    );
    if (triggers.length)
      replaced.push({
        before: ref(old),
        after: ref(now),
        reason: `changed ${triggers.join(", ")}`,
      });
    else updated.push({ resource: ref(old), changes });
  }

  const beforeByUrn = new Map(before.resources.map((r) => [r.urn, r]));
  // Named by the release the deployment before armed, and registered unprotected by it.
  const facts = findFacts(before.resources.map((r) => ({ type: r.type, props: r.inputs })));
  const releasing = new Set(facts?.sql.release?.resources ?? []);
  const unprotected = (r: ResourceRef) => beforeByUrn.get(r.urn)?.options.protect === false;
  const armed = (r: ResourceRef) => releasing.has(r.name) && unprotected(r);
  const drillScratch = new Set(facts?.drill?.scratch ?? []);
  const scratch = deleted.filter((r) => r.stateful && drillScratch.has(r.name) && unprotected(r));
  const released = deleted
    .filter((r) => r.stateful && armed(r))
    .map((r) => ({ ...r, retained: beforeByUrn.get(r.urn)?.options.retainOnDelete === true }));
  const dangerous = [
    ...deleted.filter((r) => r.stateful && !armed(r) && !scratch.includes(r)),
    ...replaced.filter((r) => r.before.stateful).map((r) => r.before),
  ];
  return {
    stack: before.stack,
    before: { promote: before.promote, role: before.role },
    after: { promote: after.promote, role: after.role },
    created: [...unmatchedFresh].map(ref),
    deleted,
    replaced,
    updated,
    dangerous,
    released,
    scratch,
  };
}
