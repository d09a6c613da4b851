import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_DIR } from "../plan/engine";
import { PolicyPackProcess } from "../plan/policyHarness";
import { readProjectFile } from "../plan/projectConfig";
import { policyPackDir } from "../plan/cli";
import { RunbookPlayer, type Analyze, type RunbookResult, type StepResult } from "./play";
import { RunbookError, readRunbook } from "./schema";

const USAGE = `usage: npm run runbook -- <runbooks/FILE.yaml>... | --all [--format text|json]

  --all            play every runbook in runbooks/
  --format FORMAT  text (default) or json
Exit 0 when every step behaved as its runbook expects and every invariant held; 1 otherwise;
2 on a usage or runbook-file error.`;

export const RUNBOOK_DIR = (dir: string) => path.join(dir, "runbooks");

/** Every runbook file in runbooks/, sorted. */
export function allRunbooks(dir: string = PROJECT_DIR): string[] {
  return fs
    .readdirSync(RUNBOOK_DIR(dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(RUNBOOK_DIR(dir), f));
}

/** Plays runbook files with one policy pack process (the real pack over its gRPC protocol). */
export async function playRunbooks(
  files: readonly string[],
  dir: string = PROJECT_DIR,
): Promise<RunbookResult[]> {
  const runbooks = files.map(readRunbook);
  const pack = await PolicyPackProcess.start(policyPackDir(dir));
  try {
    await pack.configure();
    const project = readProjectFile(dir).name;
    const analyze: Analyze = async (stack, plan) => {
      await pack.configureStack(stack, project, false);
      return pack.analyzeAll(plan.resources);
    };
    const player = new RunbookPlayer(analyze, dir);
    const results: RunbookResult[] = [];
    for (const r of runbooks) results.push(await player.play(r));
    return results;
  } finally {
    await pack.stop();
  }
}

function stepLines(s: StepResult, n: number): string[] {
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
  for (const f of e.failovers)
    lines.push(`${pad}failover: ${f.group} ${f.from} -> ${f.to} (${f.mode})`);
  for (const r of e.restores) lines.push(`${pad}restore: ${r}`);
  const w = Object.entries(e.writers)
    .map(([cls, sites]) => `${cls} ${sites.join("+") || "none"}`)
    .join(" · ");
  lines.push(`${pad}writers: ${w}`);
  for (const v of s.violations)
    lines.push(`${pad}[${v.enforcementLevel}] ${v.policyName}: ${v.message.split("\n").pop()}`);
  for (const err of s.errors) lines.push(`${pad}error: ${err}`);
  for (const [name, v] of Object.entries(s.invariants)) {
    if (v.ok) continue;
    for (const x of v.expected ?? []) lines.push(`${pad}${name}: expected breach: ${x}`);
    if (!v.expected || v.expected.length < v.detail.split("; ").length)
      lines.push(`${pad}${name}: BROKEN: ${v.detail}`);
  }
  const held = Object.entries(s.invariants)
    .filter(([, v]) => v.ok)
    .map(([k]) => k);
  if (held.length) lines.push(`${pad}holds: ${held.join(", ")}`);
  return lines;
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

export function renderJson(results: readonly RunbookResult[]): string {
  const one = (r: RunbookResult) => ({
    runbook: r.runbook,
    steps: r.steps.map((s) => ({
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
    })),
    unusedGaps: r.unusedGaps,
    ok: r.ok,
  });
  return JSON.stringify(results.length === 1 ? one(results[0]!) : results.map(one), null, 2);
}

async function main(argv: string[]): Promise<number> {
  let values: { all: boolean; format: string; help: boolean };
  let files: string[];
  try {
    const parsed = parseArgs({
      args: argv,
      options: {
        all: { type: "boolean", default: false },
        format: { type: "string", default: "text" },
        help: { type: "boolean", default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values as typeof values;
    files = values.all ? allRunbooks() : parsed.positionals;
    if (values.help || !files.length) throw new Error("");
    if (!["text", "json"].includes(values.format))
      throw new Error(`--format ${JSON.stringify(values.format)}: allowed: text, json`);
  } catch (e) {
    const msg = (e as Error).message;
    process.stderr.write(`${msg ? `runbook: ${msg}\n` : ""}${USAGE}\n`);
    return 2;
  }
  try {
    const results = await playRunbooks(files);
    const text = values.format === "json" ? renderJson(results) : renderText(results);
    await new Promise<void>((resolve) => process.stdout.write(`${text}\n`, () => resolve()));
    return results.every((r) => r.ok) ? 0 : 1;
  } catch (e) {
    if (e instanceof RunbookError) {
      process.stderr.write(`runbook: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`runbook: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
      process.exit(1);
    },
  );
}
