import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { ConfigError } from "./errors";
import { projectFileProblems, stackFileProblems } from "./projectOnly";
import {
  pairProblems,
  stackFilePath,
  siteDeclaration,
  stackFileName,
  stackNameProblem,
  type RegionPair,
} from "./pair";
import { scanRepo, type RepoFiles } from "./repoFiles";
import { peerSite, type Site } from "./sites";
import { configEntry, readConfigSection } from "./yamlFile";
import { CONFIG_NAMESPACE, makeConfigSchema, type PlatformConfig } from "./schema";

/**
 * Turns one config string, as the CLI hands it to the program, into a value: objects and arrays
 * arrive as JSON, booleans as "true"/"false"; everything else stays the string it is, so that a
 * word where a boolean belongs is reported, not coerced.
 */
export function parseConfigValue(raw: string): unknown {
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (/^\s*[[{]/.test(raw)) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** This project's keys from the full config map ("paired-dr:site" -> "site"), values parsed. */
export function projectConfigValues(
  all: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(all)) {
    if (key.startsWith(prefix)) out[key.slice(prefix.length)] = parseConfigValue(raw);
  }
  return out;
}

function given(value: unknown, secret: boolean): string {
  if (value === undefined) return "nothing";
  if (secret) return "[secret]";
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path)
    v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** One line per problem. Unknown keys get a line each, at their own path. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: Readonly<Record<string, unknown>>,
  isSecret: (topLevelKey: string) => boolean = () => false,
  origin: (topLevelKey: string) => string | undefined = () => undefined,
): string[] {
  const key = (path: readonly PropertyKey[]) => {
    const file = path.length ? origin(String(path[0])) : undefined;
    return `${file ? `${file}: ` : ""}${CONFIG_NAMESPACE}:${path.map(String).join(".")}`;
  };
  const lines: string[] = [];
  for (const issue of issues) {
    const secret = issue.path.length > 0 && isSecret(String(issue.path[0]));
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        const path = [...issue.path, k];
        lines.push(
          `${key(path)}: unknown key; ${issue.message} (given: ${given(valueAt(raw, path), isSecret(String(path[0])))})`,
        );
      }
      continue;
    }
    // A custom check that names its own input (a key, a list of modes) is reported with it;
    // otherwise the value at the issue's path is what was given.
    const own =
      issue.code === "custom" &&
      issue.input !== undefined &&
      (typeof issue.input !== "object" || Array.isArray(issue.input));
    const value = own ? issue.input : valueAt(raw, issue.path);
    // zod's own wording for a wrong type ("Invalid input: expected object, received string").
    const message =
      issue.code === "invalid_type" && issue.message.startsWith("Invalid input")
        ? `must be ${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}`
        : issue.message;
    const missing =
      value === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value");
    const required = missing ? "is required; " : "";
    lines.push(`${key(issue.path)}: ${required}${message} (given: ${given(value, secret)})`);
  }
  return lines;
}

/**
 * Validates this project's config values against the repo's files; throws one ConfigError
 * listing every problem.
 */
export function parsePlatformConfig(
  raw: Readonly<Record<string, unknown>>,
  repo: RepoFiles,
  isSecret?: (topLevelKey: string) => boolean,
  origin?: (topLevelKey: string) => string | undefined,
): PlatformConfig {
  const result = makeConfigSchema(repo).safeParse(raw, { reportInput: true });
  if (!result.success)
    throw new ConfigError(describeIssues(result.error.issues, raw, isSecret, origin));
  return result.data;
}

/**
 * Where a top-level key's value comes from: the stack file when it sets the key, else Pulumi.yaml
 * when it declares it (a value set elsewhere, Pulumi ESC for one, is not named).
 */
export function configOrigin(
  projectDir: string,
  stack: string,
): (topLevelKey: string) => string | undefined {
  const stackFile = stackFilePath(projectDir, stack);
  const own = stackFile ? readConfigSection(stackFile) : {};
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  const declared = fs.existsSync(projectFile) ? readConfigSection(projectFile) : {};
  const has = (o: Readonly<Record<string, unknown>>, k: string) =>
    configEntry(o, CONFIG_NAMESPACE, k) !== undefined;
  return (k) =>
    stackFile && has(own, k)
      ? path.basename(stackFile)
      : has(declared, k)
        ? "Pulumi.yaml"
        : undefined;
}

/**
 * The problems of this stack's site and regions against the peer's stack file, read beside its
 * own (none when the peer has no stack file: its config lives elsewhere). The stack is named
 * after its site (stackNameProblem, checked first).
 */
export function pairFileProblems(
  projectDir: string,
  config: { site: Site; azure: RegionPair; gcp: RegionPair },
): string[] {
  const peerFile = stackFilePath(projectDir, peerSite(config.site));
  if (!peerFile) return [];
  const peer = siteDeclaration(
    path.basename(peerFile),
    CONFIG_NAMESPACE,
    readConfigSection(peerFile),
  );
  return pairProblems(
    { file: stackFileName(config.site), site: config.site, azure: config.azure, gcp: config.gcp },
    peer,
  );
}

export interface LoadedConfig {
  readonly config: PlatformConfig;
  /** The repo's notebooks, workspace files and init scripts the workspace spec refers to. */
  readonly repo: RepoFiles;
}

/**
 * Reads every config value of this stack once and validates it, with the repo's files under
 * `projectDir`. Throws before any resource is registered. Components never read config themselves.
 */
export function loadConfig(projectDir: string): LoadedConfig {
  const misplaced = [
    ...projectFileProblems(projectDir, CONFIG_NAMESPACE),
    ...stackFileProblems(projectDir, CONFIG_NAMESPACE, pulumi.getStack()),
  ];
  if (misplaced.length) throw new ConfigError(misplaced);
  const all = pulumi.runtime.allConfig();
  // isConfigSecret is exported by the runtime but not typed; without it no value is hidden.
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  const isSecret = (k: string) => runtime.isConfigSecret?.(`${CONFIG_NAMESPACE}:${k}`) ?? false;
  const stack = pulumi.getStack();
  const values = projectConfigValues(all);
  const named = stackNameProblem(stack, values.site);
  if (named) throw new ConfigError([named]);
  const repo = scanRepo(projectDir);
  const origin = configOrigin(projectDir, stack);
  const config = parsePlatformConfig(values, repo, isSecret, origin);
  const pair = pairFileProblems(projectDir, config);
  if (pair.length) throw new ConfigError(pair);
  return { config, repo };
}
