import type { CapturedResource } from "./capture";

/**
 * Races on a first deployment (issue 9). Pulumi orders a create only after the resources it
 * depends on: those in `dependsOn` and those whose outputs its inputs use. An input that names
 * another resource of the same stack by a literal computed from config (a bucket name, an ARM ID,
 * a workspace path) carries no such dependency, so on a first deployment the two are created
 * concurrently and the one that names the other can fail, or succeed against nothing.
 */

export interface ResourceId {
  urn: string;
  type: string;
  name: string;
}

export interface Race {
  stack: string;
  /** The resource whose input names another. */
  resource: ResourceId;
  /** Where in its inputs, as `a.b[0]` (a key that is not a plain word as `["k.e.y"]`). */
  input: string;
  /** The other resource's identity as it appears in the input. */
  literal: string;
  /** The resource named, with no dependency path to it. */
  names: ResourceId;
}

/** How one identity literal of a resource is recognised inside a string input. */
export interface Identity {
  literal: string;
  /**
   * Characters that would continue the identity: the literal counts only where the characters
   * around it are not of this class, so bucket "acme-hive" never matches "acme-hive-warehouse".
   */
  word: RegExp;
  /** Whether the literal must also not follow a word character (false for "/..." paths). */
  anchored: boolean;
  /** Only the whole input value counts (a short display name, such as a Databricks group's). */
  wholeValue?: boolean;
  /** ARM IDs are case-insensitive. */
  ignoreCase?: boolean;
}

const ARM_WORD = /[A-Za-z0-9_.-]/;
const NAME_WORD = /[A-Za-z0-9_-]/;
const BUCKET_WORD = /[a-z0-9_.-]/;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\/\S+$/;
const DATABRICKS_PATH_TYPES = new Set([
  "databricks:index/notebook:Notebook",
  "databricks:index/workspaceFile:WorkspaceFile",
  "databricks:index/directory:Directory",
]);
const BUCKET = "gcp:storage/bucket:Bucket";
const SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account";
const DATABRICKS_GROUP = "databricks:index/group:Group";

/** Providers, stack references and the stack are engine plumbing: they neither race nor are raced. */
export function takesPart(r: CapturedResource): boolean {
  return (
    r.custom &&
    !r.type.startsWith("pulumi:providers:") &&
    r.type !== "pulumi:pulumi:StackReference" &&
    r.type !== "pulumi:pulumi:Stack"
  );
}

const str = (v: unknown): string | undefined =>
  typeof v === "string" && v.length > 0 ? v : undefined;

/** The value at `path` in `obj`, or undefined. */
function at(obj: unknown, path: readonly (string | number)[]): unknown {
  let v = obj;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** Every string leaf of `value`, with its path. */
function stringLeaves(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; value: string }[] {
  if (typeof value === "string") return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...path, i]));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
  return [];
}

export function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((k, i) =>
      typeof k === "number"
        ? `[${k}]`
        : /^[A-Za-z_$][\w$-]*$/.test(k)
          ? `${i ? "." : ""}${k}`
          : `[${JSON.stringify(k)}]`,
    )
    .join("");
}

/** An ARM resource's own name when it is top-level (a resource group, or one type under /providers/). */
function armTopLevelName(id: string): string | undefined {
  const m = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)(.*)$/i.exec(id);
  if (!m) return undefined;
  if (!m[2]) return m[1];
  const tail = m[2].slice(m[2].toLowerCase().lastIndexOf("/providers/") + "/providers/".length);
  const segments = tail.split("/");
  return segments.length === 3 ? segments[2] : undefined;
}

/**
 * What names `r` from outside: its ID when it is a real identifier (an ARM ID, a GCP resource
 * name, a bucket, a Databricks workspace path, a URL, never a generated number), the name-like
 * values other resources use (a bucket's name, a service account's email, a top-level Azure
 * resource's name, a Databricks group's display name), and the URLs among its outputs that are
 * not echoes of its inputs.
 */
export function identities(r: CapturedResource): Identity[] {
  const out: Identity[] = [];
  const add = (literal: string | undefined, rest: Omit<Identity, "literal">) => {
    if (literal && !out.some((i) => i.literal === literal)) out.push({ literal, ...rest });
  };
  const id = str(r.id);
  if (id?.startsWith("/subscriptions/")) {
    add(id, { word: ARM_WORD, anchored: false, ignoreCase: true });
    add(armTopLevelName(id), { word: NAME_WORD, anchored: true });
  } else if (id?.startsWith("projects/")) {
    add(id, { word: ARM_WORD, anchored: true });
  } else if (id && URL_SCHEME.test(id)) {
    add(id.replace(/\/+$/, ""), { word: ARM_WORD, anchored: true });
  }
  if (DATABRICKS_PATH_TYPES.has(r.type)) {
    add(str(r.outputs.path) ?? id, { word: ARM_WORD, anchored: false });
    add(str(r.outputs.workspacePath), { word: ARM_WORD, anchored: false });
  }
  if (r.type === BUCKET) add(str(r.outputs.name) ?? id, { word: BUCKET_WORD, anchored: true });
  if (r.type === SERVICE_ACCOUNT) add(str(r.outputs.email), { word: ARM_WORD, anchored: true });
  if (r.type === DATABRICKS_GROUP)
    add(str(r.inputs.displayName), { word: NAME_WORD, anchored: true, wholeValue: true });
  for (const leaf of stringLeaves(r.outputs)) {
    if (URL_SCHEME.test(leaf.value) && at(r.inputs, leaf.path) === undefined)
      add(leaf.value.replace(/\/+$/, ""), { word: ARM_WORD, anchored: true });
  }
  return out;
}

/**
 * Whether `identity` occurs in `value` as a whole token. `lowered` is `value` in lower case, when
 * the caller has it (a plan compares every input string with every identity: lowering each
 * string once, not once per identity, is most of the analysis' time on a large fleet).
 */
export function occursIn(
  identity: Identity,
  value: string,
  lowered: string = value.toLowerCase(),
): boolean {
  const hay = identity.ignoreCase ? lowered : value;
  const needle = identity.ignoreCase ? identity.literal.toLowerCase() : identity.literal;
  if (!hay.includes(needle)) return false;
  if (identity.wholeValue) return hay === needle;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) {
    const before = hay[i - 1];
    const after = hay[i + needle.length];
    if (identity.anchored && before !== undefined && identity.word.test(before)) continue;
    if (after !== undefined && identity.word.test(after)) continue;
    return true;
  }
  return false;
}

/** The URN part of a "<provider urn>::<provider id>" reference. */
const providerUrn = (ref: string) => (ref ? ref.slice(0, ref.lastIndexOf("::")) : "");

/** The dependencies the plan shows: `dependsOn` and every property dependency, sorted, once each. */
export function dependenciesOf(r: CapturedResource): string[] {
  return [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()])].sort();
}

/**
 * Everything `r` waits for before it is created: its dependencies, transitively. A component in
 * that set stands for all of its descendants (Pulumi waits for a component's children); so does
 * a resource's provider, which is configured only after what its inputs use. A parent is not a
 * dependency: a child is created alongside its parent's siblings.
 */
export function dependencyClosure(
  resources: readonly CapturedResource[],
): (urn: string) => ReadonlySet<string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, string[]>();
  for (const r of resources) {
    if (!r.parent) continue;
    const siblings = children.get(r.parent);
    if (siblings) siblings.push(r.urn);
    else children.set(r.parent, [r.urn]);
  }
  const direct = (urn: string): string[] => {
    const r = byUrn.get(urn);
    if (!r) return [];
    const deps = [...dependenciesOf(r), providerUrn(r.provider)].filter(Boolean);
    return r.custom ? deps : [...deps, ...(children.get(urn) ?? [])];
  };
  const memo = new Map<string, Set<string>>();
  return (urn: string) => {
    const known = memo.get(urn);
    if (known) return known;
    const seen = new Set<string>();
    const queue = direct(urn);
    while (queue.length) {
      const next = queue.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...direct(next));
    }
    memo.set(urn, seen);
    return seen;
  };
}

const ref = (r: CapturedResource): ResourceId => ({ urn: r.urn, type: r.type, name: r.name });
const stackOf = (urn: string) => urn.split("::")[0]!.replace(/^urn:pulumi:/, "");

/**
 * Every input of a resource that names another resource of the same plan by a literal, with no
 * dependency path to it. The resources are one stack's registrations: a name of a resource
 * another stack registers (the peer's server, the primary's buckets seen from the secondary) is
 * a cross-stack reference, not a race.
 */
export function findRaces(resources: readonly CapturedResource[]): Race[] {
  const parts = resources.filter(takesPart);
  const named = parts.map((r) => ({ r, ids: identities(r) })).filter((t) => t.ids.length);
  const candidates = candidateIndex(named.map((t) => t.ids));
  const waitsFor = dependencyClosure(resources);
  const races: Race[] = [];
  for (const r of parts) {
    // A dynamic resource's serialized provider is code, not a reference to anything.
    const { __provider: _code, ...inputs } = r.inputs;
    for (const leaf of stringLeaves(inputs)) {
      const lowered = leaf.value.toLowerCase();
      for (const [n, idx] of candidates(leaf.value, lowered)) {
        const t = named[n]!;
        if (t.r.urn === r.urn) continue;
        const hits = idx.map((i) => t.ids[i]!).filter((i) => occursIn(i, leaf.value, lowered));
        if (!hits.length || waitsFor(r.urn).has(t.r.urn)) continue;
        const literal = hits.reduce((a, b) => (b.literal.length > a.literal.length ? b : a));
        races.push({
          stack: stackOf(r.urn),
          resource: ref(r),
          input: formatPath(leaf.path),
          literal: literal.literal,
          names: ref(t.r),
        });
      }
    }
  }
  return races;
}

/**
 * Where an identity's occurrence can end in `hay`: before a character no identity continues
 * with (every word class contains [a-z0-9_-]), or at the end. occursIn needs exactly that, so
 * looking only there finds every occurrence and skips the positions inside a token.
 */
function tokenEnds(hay: string): number[] {
  const ends: number[] = [];
  for (let e = 1; e < hay.length; e++) if (!COMMON_WORD.test(hay[e]!)) ends.push(e);
  if (hay.length) ends.push(hay.length);
  return ends;
}
const COMMON_WORD = /[a-z0-9_-]/;

/**
 * The identities that can occur in a string, found by their last few characters (the resource's
 * own name; a prefix would be the same "/subscriptions/..." for every ARM ID) instead of by
 * trying every identity of the plan on every input string (quadratic: a second per plan on a
 * fleet of a thousand tenants). Returns, in plan order, resource index -> identity indexes.
 */
function candidateIndex(
  ids: readonly (readonly Identity[])[],
): (value: string, lowered: string) => [number, number[]][] {
  const SUFFIX = 6;
  const index = new Map<string, [number, number][]>();
  const lengths = new Set<number>();
  ids.forEach((list, n) =>
    list.forEach((id, i) => {
      const needle = id.ignoreCase ? id.literal.toLowerCase() : id.literal;
      const k = Math.min(SUFFIX, needle.length);
      lengths.add(k);
      const key = `${id.ignoreCase ? "i" : "c"}${needle.slice(needle.length - k)}`;
      const slot = index.get(key);
      if (slot) slot.push([n, i]);
      else index.set(key, [[n, i]]);
    }),
  );
  return (value, lowered) => {
    const found = new Map<number, Set<number>>();
    for (const [mode, hay] of [
      ["c", value],
      ["i", lowered],
    ] as const) {
      for (const end of tokenEnds(hay))
        for (const k of lengths)
          for (const [n, i] of (k <= end && index.get(mode + hay.slice(end - k, end))) || []) {
            const set = found.get(n);
            if (set) set.add(i);
            else found.set(n, new Set([i]));
          }
    }
    return [...found.entries()]
      .sort(([a], [b]) => a - b)
      .map(([n, set]) => [n, [...set].sort((a, b) => a - b)]);
  };
}

/** One line per race, as the text and markdown plans show them. */
export function raceLine(race: Race): string {
  return (
    `${race.resource.type} ${race.resource.name} input ${race.input} names ` +
    `${race.names.type} ${race.names.name} by a literal (${JSON.stringify(race.literal)}) ` +
    `with no dependency path`
  );
}
