import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import ts from "typescript";
import { parse } from "yaml";
import { ROOT } from "./helpers";

type Step = {
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
};
type Job = {
  if?: string;
  env?: Record<string, string>;
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

  it("always runs the offline plan and comments it before the tests; a refused plan fails the job last", () => {
    const job = workflow.jobs["offline-plan"]!;
    expect(job.if).toBeUndefined();
    const after = (i: number) => job.steps.slice(i).map((s) => s.run ?? s.uses);
    const plan = job.steps.findIndex((s) => s.id === "plan");
    expect(after(plan - 1)).toEqual([
      "npm ci",
      "code=0\n" +
        "npm run -s plan -- --format markdown > plan.md || code=$?\n" +
        'echo "code=$code" >> "$GITHUB_OUTPUT"\n',
      "marocchino/sticky-pull-request-comment@v2",
      "npm test",
      'echo "npm run plan exited $CODE"\nexit 1\n',
    ]);
    expect(job.steps[plan + 1]).toMatchObject({
      if: "${{ !cancelled() && needs.credentials.outputs.present != 'true' }}",
      with: { header: "paired-dr-offline-plan", path: "plan.md" },
    });
    expect(job.steps.at(-1)).toMatchObject({
      if: "${{ !cancelled() && steps.plan.outputs.code != '0' }}",
      env: { CODE: "${{ steps.plan.outputs.code }}" },
    });
  });

  it("signs azure-native in with OIDC, naming the client, tenant and subscription", () => {
    expect(workflow.jobs["cloud-preview"]!.env).toEqual({
      PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
      ARM_USE_OIDC: "true",
      ARM_CLIENT_ID: "${{ secrets.AZURE_CLIENT_ID }}",
      ARM_TENANT_ID: "${{ secrets.AZURE_TENANT_ID }}",
      ARM_SUBSCRIPTION_ID: "${{ secrets.AZURE_SUBSCRIPTION_ID }}",
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
      ["secondary", "${{ !cancelled() }}"],
    ]);
    expect(job.steps.filter((s) => s.run && s.run !== "npm ci").map((s) => s.if)).toEqual([
      "${{ !cancelled() }}",
      "${{ !cancelled() }}",
      "${{ !cancelled() }}",
      "${{ !cancelled() && steps.promote.outputs.changed == 'true' }}",
    ]);
    expect(runs.slice(1, 3)).toEqual([
      'mkdir -p "$RUNNER_TEMP/state"\n' +
        "for stack in primary secondary; do\n" +
        '  pulumi stack output --json -s "$stack" > "$RUNNER_TEMP/state/$stack.json"\n' +
        "done\n",
      'npm run -s plan -- --format markdown --state "$RUNNER_TEMP/state" > plan.md',
    ]);
    // A pull request that changes promote gets the recovery point now, whatever status exits.
    expect(runs[4]).toContain(
      'npm run -s status -- --state "$RUNNER_TEMP/state" --format markdown > status.md',
    );
    expect(runs[4]).toMatch(/^set \+e$/m);
    expect(runs[4]).toContain(">> plan.md");
    expect(job.steps.at(-1)).toMatchObject({
      if: "${{ !cancelled() }}",
      uses: "marocchino/sticky-pull-request-comment@v2",
      with: { header: "paired-dr-offline-plan", path: "plan.md" },
    });
  });
});

describe("telling whether a pull request changes promote (preview.yml)", () => {
  const step = workflow.jobs["cloud-preview"]!.steps.find((s) => s.run?.includes("GITHUB_OUTPUT"))!;
  const script = /node -e '([^']+)'/.exec(step.run!)![1]!;
  const changed = (base: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paired-dr-promote-"));
    try {
      fs.writeFileSync(path.join(dir, "base.yaml"), base);
      fs.writeFileSync(path.join(dir, "out"), "");
      execFileSync(process.execPath, ["-e", script, path.join(dir, "base.yaml")], {
        cwd: ROOT,
        env: { ...process.env, GITHUB_OUTPUT: path.join(dir, "out") },
      });
      return fs.readFileSync(path.join(dir, "out"), "utf8");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it("runs the step's own script against the base's Pulumi.yaml", () => {
    const head = read("Pulumi.yaml");
    expect(changed(head)).toBe("changed=false\n");
    const flipped = head.replace(/(\n  promote:\n(?:    .*\n)*?    default: )false/, "$1true");
    expect(flipped).not.toBe(head);
    expect(changed(flipped)).toBe("changed=true\n");
  });
});

describe("the scheduled status workflow", () => {
  const status = parse(read(".github/workflows/status.yml")) as {
    on: { schedule: { cron: string }[] };
    jobs: Record<string, Job>;
  };

  it("runs npm run status every 15 minutes and fails when it does not exit 0", () => {
    expect(status.on.schedule).toEqual([{ cron: "*/15 * * * *" }]);
    const run = status.jobs.status!.steps.at(-1)!.run!;
    expect(run).toContain("npm run -s status -- --format markdown > status.md");
    expect(run).toContain('cat status.md >> "$GITHUB_STEP_SUMMARY"');
    expect(run.trim().split("\n").at(-1)).toBe("exit $code");
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

describe("the test suite", () => {
  /** The tests (`it`, `test`, `it.each(...)`) given a time limit, as file:line. */
  function limitedTests(file: string, source: string): string[] {
    const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const isTest = (e: ts.Expression): boolean =>
      (ts.isIdentifier(e) && (e.text === "it" || e.text === "test")) ||
      (ts.isPropertyAccessExpression(e) && isTest(e.expression)) ||
      (ts.isCallExpression(e) && isTest(e.expression));
    const visit = (node: ts.Node) => {
      // it(name, fn, 60_000) or it(name, fn, { timeout }): a third argument is a limit.
      if (ts.isCallExpression(node) && isTest(node.expression) && node.arguments.length >= 3)
        found.push(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
      ts.forEachChild(node, visit);
    };
    visit(sf);
    return found;
  }

  it("sets no per-test time limit: no test may depend on the machine's speed", () => {
    const dir = path.join(ROOT, "test");
    const files = fs
      .readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".test.ts"));
    expect(files.length).toBeGreaterThan(40);
    expect(
      files.flatMap((f) => limitedTests(f, fs.readFileSync(path.join(dir, f), "utf8"))),
    ).toEqual([]);
    expect(
      limitedTests(
        "x.test.ts",
        'it("a", () => {}, 60_000);\nit.each([1])("b", () => {}, { timeout: 5 });\nsetTimeout(() => {}, 2);',
      ),
    ).toEqual(["x.test.ts:1", "x.test.ts:2"]);
  });
});
