import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "./helpers";

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
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

  it("always runs the offline plan and comments its markdown", () => {
    const steps = workflow.jobs["offline-plan"]!.steps;
    expect(workflow.jobs["offline-plan"]!.if).toBeUndefined();
    expect(steps.map((s) => s.run).filter(Boolean)).toEqual([
      "npm ci",
      "npm test",
      "npm run -s plan -- --format markdown > plan.md",
    ]);
    expect(steps.at(-1)).toMatchObject({
      uses: "marocchino/sticky-pull-request-comment@v2",
      with: { path: "plan.md" },
    });
  });

  it("previews both stacks with pulumi/actions only when credentials are present", () => {
    const job = workflow.jobs["cloud-preview"]!;
    expect(job.if).toBe("needs.credentials.outputs.present == 'true'");
    expect(job.strategy!.matrix.stack).toEqual(["primary", "secondary"]);
    const pulumi = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    expect(pulumi.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      "comment-on-pr": true,
      policyPacks: "policies",
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
