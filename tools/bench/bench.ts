import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

/**
 * Benchmarks the offline plan. Each scenario runs in fresh processes (so module loading and peak
 * memory are the user's), RUNS times; the table gives the median and the worst run.
 *   npm run bench [-- --runs N]
 */
const ROOT = path.resolve(__dirname, "..", "..");
const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 5;

const SCENARIOS: { name: string; args: string[] }[] = [
  { name: "both stacks, text (plans each stack and its promote flip)", args: [] },
  { name: "both stacks, json (no flip)", args: ["--format", "json"] },
  { name: "both stacks, json --diff promote", args: ["--format", "json", "--diff", "promote"] },
];

interface Sample {
  processMs: number;
  planMs: number;
  maxRssMb: number;
}

function once(args: string[]): Sample {
  const start = performance.now();
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "tools/bench/planOnce.ts"), ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  const processMs = performance.now() - start;
  if (r.status !== 0) throw new Error(`plan ${args.join(" ")} failed:\n${r.stderr}`);
  const { planMs, maxRssMb } = JSON.parse(r.stdout) as { planMs: number; maxRssMb: number };
  return { processMs, planMs, maxRssMb };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (n: number) => n.toFixed(0);

console.log(`node ${process.version}, ${runs} runs per scenario, fresh process each\n`);
console.log(
  "| scenario | process wall ms (median / max) | plan ms (median / max) | peak RSS MB (max) |",
);
console.log("|---|---|---|---|");
for (const s of SCENARIOS) {
  const samples = Array.from({ length: runs }, () => once(s.args));
  const wall = samples.map((x) => x.processMs);
  const plan = samples.map((x) => x.planMs);
  const rss = Math.max(...samples.map((x) => x.maxRssMb));
  console.log(
    `| ${s.name} | ${f(median(wall))} / ${f(Math.max(...wall))} | ${f(median(plan))} / ${f(Math.max(...plan))} | ${f(rss)} |`,
  );
}
