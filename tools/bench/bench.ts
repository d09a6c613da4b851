import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

/**
 * Benchmarks the offline plan in fresh processes (module loading and peak memory are the user's),
 * RUNS times each; tables give the median and the worst run.
 *   npm run bench [-- --runs N] [-- --fleets 100,1000,5000,20000]
 * 1. The shipped config: both stacks, as text (with each stack's promote flip) and as JSON, with
 *    and without the policy pack (the difference is what the pack's process and calls cost); as
 *    markdown (the pull-request comment, with the runbook the config implies); every runbook.
 * 2. Tenant fleets (one paid tenant in five): both stacks as JSON with the policy pack, and the
 *    floor: the same number of bare resources registered by the same engine, without and with
 *    the policy pack judging them (what the pack costs a plan of that size by itself); then the
 *    ratios. Also the per-database cost of the generated
 *    sql.Database class against the TenantDatabase the program uses.
 */
const ROOT = path.resolve(__dirname, "..", "..");
const arg = (flag: string, fallback: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const runs = Number(arg("--runs", "3"));
const fleets = arg("--fleets", "100,1000,5000,20000").split(",").map(Number);

interface Sample {
  processMs: number;
  ms: number;
  maxRssMb: number;
  resources: number;
}

function once(args: string[]): Sample {
  const start = performance.now();
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "tools/bench/planOnce.ts"), ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const processMs = performance.now() - start;
  if (r.status !== 0) throw new Error(`planOnce ${args.join(" ")} failed:\n${r.stderr}`);
  return { processMs, ...(JSON.parse(r.stdout) as Omit<Sample, "processMs">) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (n: number) => n.toFixed(0);
function measure(args: string[]) {
  const samples = Array.from({ length: runs }, () => once(args));
  const ms = samples.map((s) => s.ms);
  const wall = samples.map((s) => s.processMs);
  return {
    resources: samples[0]!.resources,
    ms: `${f(median(ms))} / ${f(Math.max(...ms))}`,
    wall: `${f(median(wall))} / ${f(Math.max(...wall))}`,
    rss: f(Math.max(...samples.map((s) => s.maxRssMb))),
    medianMs: median(ms),
    medianWall: median(wall),
  };
}

console.log(`node ${process.version}, ${runs} runs per row, a fresh process each\n`);
console.log(
  "| scenario | resources | in-process ms (median / max) | process wall ms (median / max) | peak RSS MB |",
);
console.log("|---|---|---|---|---|");
const row = (name: string, m: ReturnType<typeof measure>) =>
  console.log(
    `| ${name} | ${m.resources < 0 ? "—" : m.resources} | ${m.ms} | ${m.wall} | ${m.rss} |`,
  );
row("shipped config, text with promote flips", measure([]));
row("shipped config, json (with the policy pack)", measure(["--format", "json"]));
row("shipped config, json, --no-policy", measure(["--format", "json", "--no-policy"]));
row(
  "shipped config, markdown (with the runbook the config implies)",
  measure(["--format", "markdown"]),
);
row("every runbook (npm run runbook -- --all)", measure(["--runbooks"]));
const ratios: string[] = [];
for (const n of fleets) {
  const plan = measure(["--format", "json", "--fleet", String(n)]);
  row(`fleet ${n} tenants, both stacks, json`, plan);
  const floor = measure(["--floor", String(plan.resources), "--kind", "bare"]);
  row(`floor: ${plan.resources} bare resources`, floor);
  const judged = measure(["--floor", String(plan.resources), "--kind", "bare", "--with-policy"]);
  row(`floor judged: ${plan.resources} bare resources, with the policy pack`, judged);
  ratios.push(
    `fleet ${n}: ${(plan.medianMs / floor.medianMs).toFixed(2)} × the floor in process, ` +
      `${(plan.medianWall / floor.medianWall).toFixed(2)} × by wall, ` +
      `${(Number(plan.rss) / Number(floor.rss)).toFixed(2)} × its peak RSS; ` +
      `the bare resources judged by the pack alone are ${(judged.medianMs / floor.medianMs).toFixed(2)} × the floor`,
  );
}
const perDb = 1000;
const tenant = measure(["--floor", String(perDb), "--kind", "tenant"]);
const generated = measure(["--floor", String(perDb), "--kind", "generated"]);
row(`${perDb} TenantDatabase registrations`, tenant);
row(`${perDb} generated sql.Database registrations`, generated);
console.log(
  `\nper database: TenantDatabase ${(tenant.medianMs / perDb).toFixed(2)} ms, generated sql.Database ${(generated.medianMs / perDb).toFixed(2)} ms`,
);
console.log(`\n${ratios.join("\n")}`);
