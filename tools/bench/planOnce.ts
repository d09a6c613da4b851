import { performance } from "node:perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import * as sql from "@pulumi/azure-native/sql";
import { TenantDatabase } from "../../components/sql/tenantDatabase";
import { captureProgram } from "../plan/capture";
import { parseCli, runPlan } from "../plan/cli";
import { readProjectFile } from "../plan/projectConfig";
import { PROJECT_DIR } from "../plan/engine";
import { PolicyPackProcess, policyPackDir } from "../plan/policyHarness";
import { playRunbooks } from "../runbook/cli";
import { allRunbooks } from "../runbook/schema";
import { generateFleet } from "./fleet";

class Bare extends pulumi.CustomResource {
  constructor(name: string, args: Record<string, unknown>) {
    super("paired-dr:bench:Bare", name, args);
  }
}

/**
 * One measurement in a fresh process; prints {ms, maxRssMb, resources} as JSON.
 *   planOnce.ts [plan args...] [--fleet N]   the plan, with a generated fleet of N tenants
 *   planOnce.ts --runbooks                   every runbook in runbooks/ (npm run runbook -- --all)
 *   planOnce.ts --floor N --kind bare|tenant|generated [--with-policy]
 *                                            N registrations of one kind through the same engine
 *                                            (and judged by the policy pack)
 */
async function main(argv: string[]) {
  const take = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const [value] = argv.splice(i, 2).slice(1);
    return value;
  };
  const runbooks = argv.includes("--runbooks");
  const fleet = take("--fleet");
  const floor = take("--floor");
  const kind = take("--kind") ?? "bare";
  const withPolicy = argv.includes("--with-policy");
  const start = performance.now();
  let resources = 0;
  if (runbooks) {
    const results = await playRunbooks(allRunbooks(PROJECT_DIR));
    if (!results.every((r) => r.ok)) throw new Error("a runbook failed: npm run runbook -- --all");
    resources = -1;
  } else if (floor) {
    const n = Number(floor);
    const { resources: captured } = await captureProgram(
      () => {
        for (let i = 0; i < n; i++) {
          const name = `r${i}`;
          const args = {
            resourceGroupName: "rg",
            serverName: "srv",
            databaseName: `tenant-${i}`,
            elasticPoolId: "/pool",
          };
          if (kind === "generated") new sql.Database(name, args);
          else if (kind === "tenant") new TenantDatabase(name, args);
          else new Bare(name, args);
        }
      },
      { project: "paired-dr", stack: "bench", config: {} },
    );
    resources = captured.length;
    if (withPolicy) {
      // The pack judging the bare resources as it judges a plan: every Analyze, then AnalyzeStack.
      const pack = await PolicyPackProcess.start(policyPackDir(PROJECT_DIR));
      try {
        await pack.configure();
        await pack.configureStack("bench", "paired-dr", true);
        await pack.analyzeAll(captured);
      } finally {
        await pack.stop();
      }
    }
  } else {
    const opts = parseCli(argv);
    if (fleet) {
      const sqlConfig = readProjectFile(PROJECT_DIR).config.sql as {
        value: Record<string, unknown>;
      };
      opts.sets.push(
        `sql=${JSON.stringify({ ...sqlConfig.value, tenants: generateFleet(Number(fleet)) })}`,
      );
    }
    const out = await runPlan(opts);
    // Counted from the JSON form; other forms report -1 (not counted).
    resources = opts.format === "json" ? (out.match(/"urn":/g) ?? []).length : -1;
  }
  const ms = performance.now() - start;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  await new Promise<void>((resolve) =>
    process.stdout.write(JSON.stringify({ ms, maxRssMb, resources }) + "\n", () => resolve()),
  );
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(String(e instanceof Error ? e.stack : e) + "\n");
    process.exit(1);
  },
);
