import * as fs from "node:fs";
import * as path from "node:path";
import type { DrillReport } from "../../components/drill/plan";
import type { Site } from "../../components/role";
import { StateError, type DeployedState } from "../runbook/state";

/**
 * The drill report a stack's outputs hold while its drill is on (index.ts, outputs.drill), as the
 * two files a platform team keeps: drill-<id>.json and drill-<id>.md. Read from the outputs, not
 * the cloud: the deployment that ran the drill wrote them.
 */
export function drillReportFiles(state: DeployedState): {
  site: Site;
  report: DrillReport;
  files: Record<string, string>;
} {
  for (const site of ["secondary", "primary"] as const) {
    const drill = (
      state[site] as { drill?: { report?: DrillReport; markdown?: string } } | undefined
    )?.drill;
    if (drill?.report && typeof drill.markdown === "string")
      return {
        site,
        report: drill.report,
        files: {
          [`drill-${drill.report.id}.json`]: `${JSON.stringify(drill.report, null, 2)}\n`,
          [`drill-${drill.report.id}.md`]: drill.markdown,
        },
      };
  }
  throw new StateError(
    "no stack's outputs hold a drill report: set drill: {id: <id>} in Pulumi.secondary.yaml and run pulumi up -s secondary (npm run status shows the last drill's verdict once it is off)",
  );
}

/** Writes the report's files into `dir` (created); returns their paths. */
export function writeDrillReport(state: DeployedState, dir: string) {
  const found = drillReportFiles(state);
  fs.mkdirSync(dir, { recursive: true });
  const written = Object.entries(found.files).map(([name, text]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  });
  return { ...found, written };
}
