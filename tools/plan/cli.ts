import { parseArgs } from "node:util";
import { ConfigError } from "../../config/load";
import { diffPlans } from "./diff";
import { PROJECT_DIR, loadProgram, planPromoteFlip, planStack, stacksToPlan } from "./engine";
import { EngineConfigError } from "./projectConfig";
import { renderJson, renderMarkdown, renderText, type RenderedStack } from "./render";

const USAGE = `usage: npm run plan -- [--stack NAME]... [--set key=value]... [--format text|json|markdown] [--diff promote]

  --stack NAME        plan this stack (repeatable); default: every Pulumi.<stack>.yaml
  --set key=value     override config for this run, as 'pulumi config set' would (repeatable)
  --format FORMAT     text (default), json, or markdown (a pull-request comment)
  --diff promote      show, per stack, what flipping promote would create, delete, replace, update`;

class UsageError extends Error {}

export interface CliOptions {
  stacks: string[];
  sets: string[];
  format: "text" | "json" | "markdown";
  diff: boolean;
}

export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        stack: { type: "string", multiple: true, default: [] },
        set: { type: "string", multiple: true, default: [] },
        format: { type: "string", default: "text" },
        diff: { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values } = parsed;
  if (values.help) throw new UsageError("");
  if (!["text", "json", "markdown"].includes(values.format)) {
    throw new UsageError(
      `--format ${JSON.stringify(values.format)}: allowed: text, json, markdown`,
    );
  }
  if (values.diff !== undefined && values.diff !== "promote") {
    throw new UsageError(`--diff ${JSON.stringify(values.diff)}: allowed: promote`);
  }
  return {
    stacks: values.stack,
    sets: values.set,
    format: values.format as CliOptions["format"],
    diff: values.diff === "promote",
  };
}

/** Plans the stacks and renders them; the text and markdown forms always include the flip. */
export async function runPlan(opts: CliOptions, dir: string = PROJECT_DIR): Promise<string> {
  const program = await loadProgram(dir);
  const rendered: RenderedStack[] = [];
  for (const stack of stacksToPlan(opts.stacks, dir)) {
    const planOpts = { dir, sets: opts.sets, program };
    const plan = await planStack(stack, planOpts);
    const needFlip = opts.diff || opts.format !== "json";
    rendered.push({
      plan,
      flip: needFlip ? diffPlans(plan, await planPromoteFlip(plan, planOpts)) : undefined,
    });
  }
  if (opts.format === "json") return renderJson(rendered, opts.diff);
  if (opts.format === "markdown") return renderMarkdown(rendered);
  return renderText(rendered, opts.diff);
}

async function main(): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (e) {
    const msg = (e as Error).message;
    process.stderr.write(`${msg ? `plan: ${msg}\n` : ""}${USAGE}\n`);
    return 2;
  }
  try {
    const out = await runPlan(opts);
    // Wait for the write to drain: process.exit would cut a piped stdout at 64 KiB.
    await new Promise<void>((resolve) => process.stdout.write(`${out}\n`, () => resolve()));
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof EngineConfigError) {
      process.stderr.write(`plan: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  process.on("unhandledRejection", (err) => {
    process.stderr.write(
      `plan: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(
        `plan: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
