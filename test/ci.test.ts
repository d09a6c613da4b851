import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "./helpers";

type Step = { if?: string; uses?: string; run?: string; with?: Record<string, unknown> };
type Job = {
  if?: string;
  needs?: string;
  steps: Step[];
  strategy?: { matrix: { stack: string[] } };
};

const workflow = parse(
  fs.readFileSync(path.join(ROOT, ".github/workflows/preview.yml"), "utf8"),
) as {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
};
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");

describe("the pull-request workflow", () => {
  it("runs on pull requests", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
  });

  it("always runs the offline plan; it comments its markdown when there are no credentials", () => {
    const job = workflow.jobs["offline-plan"]!;
    expect(job.if).toBeUndefined();
    expect(job.steps.map((s) => s.run).filter(Boolean)).toEqual([
      "npm ci",
      "npm test",
      "npm run -s plan -- --format markdown > plan.md",
    ]);
    expect(job.steps.at(-1)).toMatchObject({
      if: "always() && needs.credentials.outputs.present != 'true'",
      uses: "marocchino/sticky-pull-request-comment@v2",
      with: { header: "paired-dr-offline-plan", path: "plan.md" },
    });
  });

  it("with credentials: previews both stacks, exports their outputs, and comments the plan on them", () => {
    const job = workflow.jobs["cloud-preview"]!;
    expect(job.if).toBe("needs.credentials.outputs.present == 'true'");
    const previews = job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(previews.map((s) => s.with)).toEqual(
      ["primary", "secondary"].map((stack) =>
        expect.objectContaining({
          command: "preview",
          "stack-name": stack,
          "comment-on-pr": true,
          policyPacks: "policies",
        }),
      ),
    );
    const runs = job.steps.map((s) => s.run).filter(Boolean);
    // The state stays on the runner: no step uploads it.
    expect(job.steps.some((s) => s.uses?.includes("upload-artifact"))).toBe(false);
    // A refused preview fails the job but does not skip the export, the plan or the comment.
    expect(
      job.steps
        .filter((s) => s.uses?.startsWith("pulumi/actions"))
        .map((s) => [s.with?.["stack-name"], s.if]),
    ).toEqual([
      ["primary", undefined],
      ["secondary", "always()"],
    ]);
    expect(job.steps.filter((s) => s.run && s.run !== "npm ci").map((s) => s.if)).toEqual([
      "always()",
      "always()",
    ]);
    expect(runs.slice(1)).toEqual([
      'mkdir -p "$RUNNER_TEMP/state"\n' +
        "for stack in primary secondary; do\n" +
        '  pulumi stack output --json -s "$stack" > "$RUNNER_TEMP/state/$stack.json"\n' +
        "done\n",
      'npm run -s plan -- --format markdown --state "$RUNNER_TEMP/state" > plan.md',
    ]);
    expect(job.steps.at(-1)).toMatchObject({
      if: "always()",
      uses: "marocchino/sticky-pull-request-comment@v2",
      with: { header: "paired-dr-offline-plan", path: "plan.md" },
    });
  });
});

describe("CI and README", () => {
  it("CI runs the README's two commands", () => {
    const ci = read(".ci/run");
    const readme = read("README.md");
    expect(readme).toContain("npm ci && npm run plan");
    expect(readme).toContain("npm test ");
    expect(ci).toContain("npm ci");
    expect(ci).toContain("npm run -s plan");
    expect(ci).toMatch(/^npm test /m);
  });
});
