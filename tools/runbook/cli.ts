import { parseArgs } from "node:util";
import { PROJECT_DIR } from "../plan/engine";
import { PolicyPackProcess, policyPackDir } from "../plan/policyHarness";
import { readProjectFile } from "../plan/projectConfig";
import { RunbookPlayer, type Analyze, type RunbookResult } from "./play";
import { renderJson, renderText } from "./render";
import { RunbookError, allRunbooks, readRunbook, type Runbook } from "./schema";
import { writeDeployedState, type DeployedState } from "./state";
import { automationStacks } from "./automation";
import { renderLive, runLive } from "./live";
import { processIo, runAsProcess, type CliIo } from "../io";

const USAGE = `usage: npm run runbook -- <runbooks/FILE.yaml>... | --all [--format text|json] [--export-state DIR]
       npm run runbook -- --live <runbooks/FILE.yaml> [--from N]

  --all                play every runbook in runbooks/
  --format FORMAT      text (default) or json
  --export-state DIR   (one runbook) write each stack's outputs at its end to DIR/<stack>.json,
                       as 'pulumi stack output --json' would: 'npm run plan --
                       --state DIR' then plans on top of them
  --live               run the one runbook on the real stacks, through the Automation API and
                       the pulumi CLI on PATH: first the steps from N rehearsed offline on the
                       stacks' current outputs (nothing runs if one would be refused), then each
                       step for real, stopping at the first that fails, is refused, or sets a
                       value Pulumi.yaml does not hold yet (merge its pull request, then --from N);
                       prints a timeline
  --from N             (--live) start at step N (default 1)
Exit 0 when every step behaved as its runbook expects and every invariant held; 1 otherwise;
2 on a usage or runbook-file error.`;

/** Runs `use` with a player on the real policy pack (the process's pack, over its gRPC protocol). */
function withPlayer<T>(dir: string, use: (player: RunbookPlayer) => Promise<T>): Promise<T> {
  return PolicyPackProcess.shared(policyPackDir(dir)).use(async (pack) => {
    await pack.configure();
    const project = readProjectFile(dir).name;
    const analyze: Analyze = (stack, plan) => pack.analyzeUp(stack, project, plan.resources);
    return use(new RunbookPlayer(analyze, dir));
  });
}

/** Rehearses a runbook from the stacks' deployed outputs, stopping where it is refused. */
export const rehearseOn = (runbook: Runbook, state: DeployedState, dir: string = PROJECT_DIR) =>
  withPlayer(dir, async (player) =>
    player.play(runbook, await player.deployed(state), { untilRefused: true }),
  );

async function live(file: string, from: number, io: CliIo): Promise<number> {
  const runbook = readRunbook(file);
  const result = await runLive(runbook, {
    stacks: automationStacks(PROJECT_DIR, policyPackDir(PROJECT_DIR)),
    rehearse: (r, state) => rehearseOn(r, state),
    project: () => readProjectFile(PROJECT_DIR),
    from,
    onOutput: (text) => io.err(text),
  });
  await io.out(`${renderLive(result)}\n`);
  return result.ok ? 0 : 1;
}

/** Plays runbook files with one policy pack process (the real pack over its gRPC protocol). */
export function playRunbooks(
  files: readonly string[],
  dir: string = PROJECT_DIR,
): Promise<RunbookResult[]> {
  const runbooks = files.map(readRunbook);
  return withPlayer(dir, async (player) => {
    const results: RunbookResult[] = [];
    for (const r of runbooks) results.push(await player.play(r));
    return results;
  });
}

/** The runbook command: its exit code, its output written to `io`. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let values: {
    all: boolean;
    format: string;
    help: boolean;
    live: boolean;
    from?: string;
    "export-state"?: string;
  };
  let files: string[];
  try {
    const parsed = parseArgs({
      args: argv,
      options: {
        all: { type: "boolean", default: false },
        format: { type: "string", default: "text" },
        help: { type: "boolean", default: false },
        "export-state": { type: "string" },
        live: { type: "boolean", default: false },
        from: { type: "string" },
      },
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values as typeof values;
    files = values.all ? allRunbooks(PROJECT_DIR) : parsed.positionals;
    if (values.help || !files.length) throw new Error("");
    if (!["text", "json"].includes(values.format))
      throw new Error(`--format ${JSON.stringify(values.format)}: allowed: text, json`);
    if (values["export-state"] !== undefined && files.length !== 1)
      throw new Error(`--export-state: give exactly one runbook (${files.length} given)`);
    if (values.live && values.all) throw new Error("--live: give one runbook file, not --all");
    if (values.live && files.length !== 1)
      throw new Error(`--live: give exactly one runbook (${files.length} given)`);
    if (values.from !== undefined && (!values.live || !/^[1-9]\d*$/.test(values.from)))
      throw new Error(
        `--from ${JSON.stringify(values.from)}: allowed: a step number from 1, with --live`,
      );
  } catch (e) {
    const msg = (e as Error).message;
    io.err(`${msg ? `runbook: ${msg}\n` : ""}${USAGE}\n`);
    return 2;
  }
  try {
    if (values.live) return await live(files[0]!, Number(values.from ?? 1), io);
    const results = await playRunbooks(files);
    if (values["export-state"] !== undefined)
      writeDeployedState(values["export-state"], results[0]!.outputs);
    const text = values.format === "json" ? renderJson(results) : renderText(results);
    await io.out(`${text}\n`);
    return results.every((r) => r.ok) ? 0 : 1;
  } catch (e) {
    if (e instanceof RunbookError) {
      io.err(`runbook: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) runAsProcess("runbook", main);
