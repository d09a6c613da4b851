import * as fs from "node:fs";
import * as path from "node:path";
import { parseConfigValue } from "../../config/load";
import { stackFilePath } from "../../config/pair";
import { readConfigSection, readYamlFile } from "../../config/yamlFile";
import {
  projectOnlyKeysIn,
  projectOnlyProblem,
  stackOnlyKeysIn,
  stackOnlyProblem,
} from "../../config/projectOnly";

/**
 * Config resolution the way the pulumi CLI does it, for a machine without the CLI: project-level
 * values from Pulumi.yaml first, then the stack file, then what --set gives (as `pulumi config
 * set` would). Values reach the program as the CLI sends them: strings, with objects as JSON.
 */

export class EngineConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EngineConfigError";
  }
}

export { PROJECT_ONLY_KEYS } from "../../config/projectOnly";

/** What the program receives in place of a `secure:` value, which cannot be decrypted here. */
export const SECURE_PLACEHOLDER = "[secret]";

export interface ProjectFile {
  name: string;
  /** Project-level config as declared in Pulumi.yaml. */
  config: Record<string, unknown>;
}

export interface StackConfig {
  /** "namespace:key" -> value as the program receives it. */
  config: Record<string, string>;
  secretKeys: string[];
}

const DECLARATION_KEYS = new Set(["type", "description", "default", "value", "secret", "items"]);

function isDeclaration(v: unknown): v is Record<string, unknown> {
  return (
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    Object.keys(v).every((k) => DECLARATION_KEYS.has(k))
  );
}

function namespaced(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/** Replaces every `{secure: ...}` inside a value with the placeholder; reports whether any was found. */
function stripSecure(v: unknown): { value: unknown; secret: boolean } {
  if (Array.isArray(v)) {
    const parts = v.map(stripSecure);
    return { value: parts.map((p) => p.value), secret: parts.some((p) => p.secret) };
  }
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.secure === "string")
      return { value: SECURE_PLACEHOLDER, secret: true };
    let secret = false;
    const value = Object.fromEntries(
      Object.entries(o).map(([k, e]) => {
        const s = stripSecure(e);
        secret ||= s.secret;
        return [k, s.value];
      }),
    );
    return { value, secret };
  }
  return { value: v, secret: false };
}

/** Serializes a value the way the CLI hands config to a program. */
export function toConfigString(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function readProjectFile(dir: string): ProjectFile {
  const file = path.join(dir, "Pulumi.yaml");
  const doc = readYamlFile(file) as { name?: unknown; config?: unknown } | null;
  if (!doc || typeof doc.name !== "string") throw new EngineConfigError(`${file}: no project name`);
  return { name: doc.name, config: (doc.config as Record<string, unknown> | undefined) ?? {} };
}

/**
 * Pulumi.yaml with config values changed at dotted paths, as a merged pull request would change
 * them: `promote` sets the declared default, `sql.failover.mode` the key inside `sql`'s value.
 * Only that key changes; a path under an undeclared top-level key is an error.
 */
export function withProjectSets(
  project: ProjectFile,
  sets: Readonly<Record<string, unknown>>,
): ProjectFile {
  const config = structuredClone(project.config);
  for (const [dotted, value] of Object.entries(sets)) {
    const [top, ...rest] = dotted.split(".");
    const decl = config[top!];
    if (decl === undefined)
      throw new EngineConfigError(`set ${dotted}: ${top} is not declared in Pulumi.yaml`);
    if (!isDeclaration(decl)) {
      config[top!] = rest.length ? setPath(decl, rest, value, dotted) : value;
      continue;
    }
    const slot = "value" in decl ? "value" : "default";
    decl[slot] = rest.length ? setPath(decl[slot], rest, value, dotted) : value;
  }
  return { ...project, config };
}

function setPath(root: unknown, path: string[], value: unknown, dotted: string): unknown {
  if (root === null || typeof root !== "object" || Array.isArray(root))
    throw new EngineConfigError(`set ${dotted}: the value there is not an object`);
  const copy = { ...(root as Record<string, unknown>) };
  const [head, ...rest] = path;
  copy[head!] = rest.length ? setPath(copy[head!] ?? {}, rest, value, dotted) : value;
  return copy;
}

/** Every stack with a Pulumi.<stack>.yaml beside Pulumi.yaml, sorted. */
export function listStacks(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

export function readStackFile(dir: string, stack: string): Record<string, unknown> {
  const file = stackFilePath(dir, stack);
  if (!file) throw new EngineConfigError(`no stack file Pulumi.${stack}.yaml in ${dir}`);
  return readConfigSection(file);
}

/**
 * A `--set` key as `pulumi config set --path` reads it: the top-level key, then the path inside
 * its value ("paired-dr:metastore.restore.everyMinutes", "paired-dr:sql.tenants[0].tier").
 */
export function splitPath(key: string): { key: string; path: (string | number)[] } {
  const colon = key.indexOf(":");
  const firstPath = key.search(/[.[]/);
  const ns = colon >= 0 && (firstPath < 0 || colon < firstPath) ? key.slice(0, colon + 1) : "";
  // Segments: a name, [n], or ["a quoted.name"] (a key with dots: tables."sales.orders").
  const segments = [
    ...key.slice(ns.length).matchAll(/\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([^.[\]]+)/g),
  ].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3])!));
  const [top, ...path] = segments;
  return { key: `${ns}${String(top ?? "")}`, path };
}

/**
 * A value set at a path, as `pulumi config set --path` stores it: true and false are booleans,
 * a base-10 integer is a number, anything else is a string (pulumi/pulumi
 * sdk/go/common/resource/config/object.go, coerce).
 */
export function pathValue(raw: string): unknown {
  if (raw === "true" || raw === "false") return raw === "true";
  if (/^-?(0|[1-9]\d*)$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
  return raw;
}

function setAtPath(
  root: unknown,
  path: readonly (string | number)[],
  value: unknown,
  key: string,
): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const isIndex = typeof head === "number";
  if (root === null || typeof root !== "object" || Array.isArray(root) !== isIndex)
    throw new EngineConfigError(
      `--set ${key}: ${JSON.stringify(String(head))} needs ${isIndex ? "a list" : "an object"} to be set in, but the value there is ${JSON.stringify(root)}`,
    );
  // A list grows by one at its end, never with a gap (as the CLI refuses an index past it).
  if (isIndex && head > (root as unknown[]).length)
    throw new EngineConfigError(
      `--set ${key}: index ${head} is past the end of a list of ${(root as unknown[]).length}`,
    );
  const copy = (Array.isArray(root) ? [...root] : { ...root }) as Record<string | number, unknown>;
  copy[head] = setAtPath(copy[head] ?? (typeof rest[0] === "number" ? [] : {}), rest, value, key);
  return copy;
}

/** Parses `--set key=value` arguments into namespaced keys. */
export function parseOverrides(project: string, sets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new EngineConfigError(`--set ${JSON.stringify(s)}: expected key=value`);
    out[namespaced(project, s.slice(0, eq).trim())] = s.slice(eq + 1);
  }
  return out;
}

/**
 * Resolves one stack's config: Pulumi.yaml values and defaults, then the stack file, then the
 * overrides. A declared key with neither a value nor a default must come from the stack.
 */
export function resolveStackConfig(
  project: ProjectFile,
  stack: string,
  stackFile: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, string>> = {},
): StackConfig {
  const config: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const required: string[] = [];

  for (const [key, decl] of Object.entries(project.config)) {
    const k = namespaced(project.name, key);
    if (isDeclaration(decl)) {
      const value = "value" in decl ? decl.value : decl.default;
      if (value !== undefined) config[k] = toConfigString(value);
      else if ("type" in decl) required.push(k);
      if (decl.secret === true) secretKeys.add(k);
    } else {
      config[k] = toConfigString(decl);
    }
  }

  const stackOnly = stackOnlyKeysIn(project.name, project.config);
  if (stackOnly.length) {
    throw new EngineConfigError(
      stackOnly
        .map(([k, v]) => stackOnlyProblem(k, isDeclaration(v) ? (v.value ?? v.default) : v))
        .join("\n"),
    );
  }
  const misplaced = projectOnlyKeysIn(project.name, stackFile);
  if (misplaced.length) {
    throw new EngineConfigError(
      misplaced.map(([k, v]) => projectOnlyProblem(k, stack, v)).join("\n"),
    );
  }
  for (const [key, raw] of Object.entries(stackFile)) {
    const k = namespaced(project.name, key);
    const { value, secret } = stripSecure(raw);
    config[k] = toConfigString(value);
    if (secret) secretKeys.add(k);
  }

  for (const [k, v] of Object.entries(overrides)) {
    const { key, path } = splitPath(k);
    if (!path.length) {
      config[key] = v;
      secretKeys.delete(key);
      continue;
    }
    // A key not set yet starts empty, as the CLI creates it.
    const current =
      key in config ? parseConfigValue(config[key]!) : typeof path[0] === "number" ? [] : {};
    config[key] = JSON.stringify(setAtPath(current, path, pathValue(v), k));
  }

  const missing = required.filter((k) => !(k in config));
  if (missing.length) {
    throw new EngineConfigError(
      `stack ${stack} is missing required configuration: ${missing.join(", ")} (declared in Pulumi.yaml without a default)`,
    );
  }
  return { config, secretKeys: [...secretKeys].sort() };
}
