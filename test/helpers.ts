import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, expect } from "vitest";
import { parsePlatformConfig, projectConfigValues } from "../config/load";
import { ConfigError } from "../config/errors";
import { scanRepo } from "../config/repoFiles";
import type { CapturedResource } from "../tools/plan/capture";
import type { CliIo } from "../tools/io";
import {
  planStack,
  steadyStateOutputs,
  type PlanOptions,
  type StackPlan,
} from "../tools/plan/engine";
import { readProjectFile, readStackFile, resolveStackConfig } from "../tools/plan/projectConfig";

export const ROOT = path.resolve(__dirname, "..");

/** The raw config of a shipped stack, as the loader sees it (Pulumi.yaml values + the stack file). */
export function validRaw(stack = "primary"): Record<string, any> {
  const resolved = resolveStackConfig(readProjectFile(ROOT), stack, readStackFile(ROOT, stack));
  return projectConfigValues(resolved.config);
}

/** The repo's workspace sources, as the loader scans them. */
export const REPO = scanRepo(ROOT);

/** Config in the CLI's wire form ("paired-dr:key" -> string) from a raw config object. */
export function toWireConfig(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [
      `paired-dr:${k}`,
      typeof v === "string" ? v : JSON.stringify(v),
    ]),
  );
}

export function byType(resources: readonly CapturedResource[], type: string): CapturedResource[] {
  return resources.filter((r) => r.type === type);
}

/** The one resource of `type` named `name`; fails when there is none or more than one. */
export function findResource(
  resources: readonly CapturedResource[],
  type: string,
  name: string,
): CapturedResource {
  const found = resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1)
    throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
  return found[0]!;
}

/** The problem lines config validation reports for `raw`; fails the test if it is accepted. */
export function configProblems(raw: Record<string, unknown>): string[] {
  try {
    parsePlatformConfig(raw, REPO);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  throw new Error("config was accepted");
}

/** The problems after changing one part of the shipped primary config. */
export function problemsAfter(
  part: string,
  change: (value: Record<string, any>) => void,
): string[] {
  const raw = validRaw();
  change(raw[part]);
  return configProblems(raw);
}

const peerStack = (stack: string) => (stack === "primary" ? "secondary" : "primary");

/**
 * Plans a stack whose peer is deployed with the same config (the steady state): what a stack of an
 * initialized pair sees. Without a peer, resources that wait for the peer (failover groups, their
 * holds, deep clones) are not registered.
 */
export function planSteady(stack: string, opts: PlanOptions = {}): Promise<StackPlan> {
  const peer = peerStack(stack);
  return planStack(stack, {
    ...opts,
    peerOutputs: { [peer]: steadyStateOutputs(peer, { sets: opts.sets }), ...opts.peerOutputs },
  });
}

/**
 * The primary's planned stand-down from a deployed pair: the secondary passive, the primary
 * deployed active against it, then deployed with promote=true (its drain and final sync).
 */
export async function primaryStandDown(): Promise<{
  secondary: StackPlan;
  primaryActive: StackPlan;
  standingDown: StackPlan;
}> {
  const secondary = await planSteady("secondary");
  const peerOutputs = { secondary: secondary.outputs };
  const primaryActive = await planSteady("primary", { peerOutputs });
  const standingDown = await planSteady("primary", {
    sets: ["promote=true"],
    lastOutputs: primaryActive.outputs,
    peerOutputs,
  });
  return { secondary, primaryActive, standingDown };
}

/** The shipped primary's final metastore backup when it drains at epoch 1 (primaryStandDown). */
export const PRIMARY_DRAIN_BACKUP =
  "projects/acmedata-platform-dr/locations/us-east4/services/acmedata-primary-hms/backups/drain-primary-e1";

/** What the shipped primary's drain records (deployment.finalSync), given its copy jobs. */
export const primaryDrainRecord = (copies: readonly string[]) => ({
  key: "drain-primary-e1",
  epoch: 1,
  jobs: [...copies],
  tables: {},
  metastoreBackup: PRIMARY_DRAIN_BACKUP,
});

/** Deploys a stack through a sequence of promote values, each on top of the last, peer steady. */
export async function sequence(
  stack: string,
  promotes: boolean[],
  sets: string[] = [],
): Promise<StackPlan[]> {
  const plans: StackPlan[] = [];
  for (const promote of promotes) {
    plans.push(
      await planSteady(stack, {
        sets: [...sets, `promote=${promote}`],
        lastOutputs: plans.at(-1)?.outputs,
      }),
    );
  }
  return plans;
}

/** A captured registration for hand-made plans: custom, default provider, no dependencies. */
export function res(
  type: string,
  name: string,
  inputs: Record<string, unknown> = {},
  parent = "",
): CapturedResource {
  const parentType = parent ? `${parent.split("::")[2]}$` : "";
  return {
    urn: `urn:pulumi:s::p::${parentType}${type}::${name}`,
    type,
    name,
    parent,
    custom: true,
    id: `${name}-id`,
    provider: "",
    dependencies: [],
    propertyDependencies: {},
    inputs,
    wireInputs: inputs,
    outputs: inputs,
    wireOutputs: inputs,
    options: { protect: false, ignoreChanges: [], replaceOnChanges: [], aliases: [] },
  };
}

/**
 * The lost-writes list of the shipped spec when the secondary, promoted at epoch 2, first clones
 * into the stood-down primary: the replicated tables the primary's jobs write (its ingest and
 * loads, and the nightly aggregation; the mart they also write is scratch).
 */
export const PRIMARY_LOST_WRITES_AT_EPOCH_2 = {
  site: "primary",
  by: "secondary",
  epoch: 2,
  tables: ["sales.daily_sales", "sales.orders", "sales.partner_orders"],
  preservedAt: "abfss://lake@acmedataprilake.dfs.core.windows.net/_paired-dr/preserved/",
} as const;

const tempDirs: string[] = [];
// Registered by every test file that imports this module: its temporary folders go with it.
afterAll(() => {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A new temporary folder, removed when the test file ends. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A command's run in this process, as spawnSync would report its process's. */
export async function runCommand(
  main: (argv: string[], io: CliIo) => Promise<number>,
  ...argv: string[]
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const status = await main(argv, {
    out: async (text) => void (stdout += text),
    err: (text) => void (stderr += text),
  });
  return { status, stdout, stderr };
}
