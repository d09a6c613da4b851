import { performance } from "node:perf_hooks";
import { parseCli, runPlan } from "../plan/cli";

/** One measured plan in a fresh process: prints {planMs, maxRssMb, bytes} as JSON. */
async function main() {
  const start = performance.now();
  const out = await runPlan(parseCli(process.argv.slice(2)));
  const planMs = performance.now() - start;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  await new Promise<void>((resolve) =>
    process.stdout.write(JSON.stringify({ planMs, maxRssMb, bytes: out.length }) + "\n", () =>
      resolve(),
    ),
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(String(e instanceof Error ? e.stack : e) + "\n");
    process.exit(1);
  },
);
