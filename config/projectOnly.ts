import * as fs from "node:fs";
import * as path from "node:path";
import { stackFilePath } from "./pair";
import { readConfigSection } from "./yamlFile";

/** Keys that must be set only in Pulumi.yaml, so both stacks always read the same value. */
export const PROJECT_ONLY_KEYS = ["promote"] as const;

/** Keys only a stack file sets: each stack decides them for itself (a drill, on the standby). */
export const STACK_ONLY_KEYS = ["drill"] as const;

/** The one message for a stack-only key found in Pulumi.yaml. */
export function stackOnlyProblem(key: string, given: unknown): string {
  return (
    `${key} is set in Pulumi.yaml (given: ${JSON.stringify(given)}), but it is a stack's own: a drill ` +
    `runs on the secondary's passive standby only. Set it in Pulumi.secondary.yaml ` +
    `(pulumi config set --path drill.id <id> -s secondary) and remove it from Pulumi.yaml.`
  );
}

/** The stack-only keys Pulumi.yaml's `config:` declares or sets, namespaced, with their values. */
export function stackOnlyKeysIn(
  project: string,
  projectConfig: Readonly<Record<string, unknown>>,
): [string, unknown][] {
  return Object.entries(projectConfig)
    .filter(([k]) => (STACK_ONLY_KEYS as readonly string[]).includes(bareKey(project, k)))
    .map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v]);
}

function bareKey(project: string, key: string): string {
  return key.includes(":")
    ? key.startsWith(`${project}:`)
      ? key.slice(project.length + 1)
      : ""
    : key;
}

/** The one message for a project-only key found in a stack file (the program and the plan say it). */
export function projectOnlyProblem(key: string, stack: string, given: unknown): string {
  return (
    `${key} is set in Pulumi.${stack}.yaml (given: ${JSON.stringify(given)}), but it is project-level: ` +
    `set it only in Pulumi.yaml so both stacks read the same value (a per-stack value can make both ` +
    `sites active). Remove it from the stack file (pulumi config rm ${key.split(":").pop()} -s ${stack}).`
  );
}

/** The project-only keys a stack file's `config:` sets, namespaced, with their values. */
export function projectOnlyKeysIn(
  project: string,
  stackConfig: Readonly<Record<string, unknown>>,
): [string, unknown][] {
  return Object.entries(stackConfig)
    .filter(([k]) => (PROJECT_ONLY_KEYS as readonly string[]).includes(bareKey(project, k)))
    .map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v]);
}

/**
 * The problems of the stack file beside Pulumi.yaml (the CLI merges its values into the config
 * the program receives, so the program reads the file itself to tell where a value came from).
 * No stack file, none: config may come from elsewhere (Pulumi ESC) and is then not a stack file's.
 */
export function stackFileProblems(projectDir: string, project: string, stack: string): string[] {
  const file = stackFilePath(projectDir, stack);
  if (!file) return [];
  const config = readConfigSection(file);
  return projectOnlyKeysIn(project, config).map(([k, v]) => projectOnlyProblem(k, stack, v));
}

/** The problems of Pulumi.yaml: a stack-only key declared or set there. */
export function projectFileProblems(projectDir: string, project: string): string[] {
  const file = path.join(projectDir, "Pulumi.yaml");
  if (!fs.existsSync(file)) return [];
  const config = readConfigSection(file);
  return stackOnlyKeysIn(project, config).map(([k, v]) => {
    const declared =
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? (v as Record<string, unknown>)
        : undefined;
    return stackOnlyProblem(
      k,
      declared && ("value" in declared || "default" in declared)
        ? (declared.value ?? declared.default)
        : v,
    );
  });
}
