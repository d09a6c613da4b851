import * as fs from "node:fs";
import * as path from "node:path";
import { RunError } from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../config/errors";
import { configOrigin, pairFileProblems } from "../config/load";
import { pairProblems, siteDeclaration, stackNameProblem } from "../config/pair";
import { readConfigSection, readYamlFile } from "../config/yamlFile";
import { captureProgram, type CapturedResource } from "../tools/plan/capture";
import { loadProgram } from "../tools/plan/engine";
import { tempDir, toWireConfig, validRaw } from "./helpers";

/** The one problem line a ConfigError thrown by `fn` carries. */
function problems(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("no ConfigError");
}

function yamlFile(text: string, name = "Pulumi.primary.yaml"): string {
  const file = path.join(tempDir("yaml-"), name);
  fs.writeFileSync(file, text);
  return file;
}

describe("a config error is a user's mistake, not a crash", () => {
  it("is a RunError, which `pulumi up` prints without a stack trace (cmd/run/run.js)", () => {
    expect(RunError.isInstance(new ConfigError(["x"]))).toBe(true);
  });
});

describe("YAML files (config/yamlFile.ts)", () => {
  it("reads a stack file's config, aliases included", () => {
    const file = yamlFile("config:\n  paired-dr:site: &s primary\n  paired-dr:other: *s\n");
    expect(readConfigSection(file)).toEqual({
      "paired-dr:site": "primary",
      "paired-dr:other": "primary",
    });
    expect(readConfigSection(yamlFile(""))).toEqual({});
  });

  it.each([
    [
      "a duplicate key",
      "config:\n  paired-dr:site: primary\n  paired-dr:site: secondary\n",
      "Pulumi.primary.yaml:3:3: Map keys must be unique",
    ],
    [
      "a tab as indentation",
      "config:\n\tpaired-dr:site: primary\n",
      "Pulumi.primary.yaml:2:1: Tabs are not allowed as indentation",
    ],
    [
      "an unclosed flow sequence",
      "config:\n  paired-dr:x: [1, 2\n",
      "Pulumi.primary.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
    [
      "an alias bomb",
      'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n' +
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
      "Pulumi.primary.yaml:2:8: Excessive alias count indicates a resource exhaustion attack (aliases may expand to at most 100 nodes)",
    ],
  ])(
    "names the file, the line and the parser's message for %s, and nothing else",
    (_name, text, line) => {
      expect(problems(() => readYamlFile(yamlFile(text)))).toEqual([line]);
    },
  );

  it("refuses a config: that is not a map", () => {
    expect(problems(() => readConfigSection(yamlFile("config: [1]\n")))).toEqual([
      "Pulumi.primary.yaml: config: must be a map of key: value (given: [1])",
    ]);
  });
});

describe("a stack is named after its site (config/pair.ts)", () => {
  it("refuses a third stack, saying how a second pair is made", () => {
    expect(stackNameProblem("dr2", "secondary")).toBe(
      'Pulumi.dr2.yaml: stack "dr2" is not a site of the pair; allowed stack names: "primary" | "secondary" (each stack finds its peer by the site\'s name, and a third stack would deploy the same resource names as the site it copies). For a second pair (a test environment), copy the project with its own name: in Pulumi.yaml and its own prefix.',
    );
  });

  it("refuses a site that is not the stack's name; leaves an unknown site to the schema", () => {
    expect(stackNameProblem("secondary", "primary")).toBe(
      'Pulumi.secondary.yaml: paired-dr:site: must be the stack\'s name, "secondary" (given: "primary")',
    );
    expect(stackNameProblem("primary", "tertiary")).toBeUndefined();
    expect(stackNameProblem("primary", "primary")).toBeUndefined();
  });
});

describe("the pair across both stack files (config/pair.ts)", () => {
  const primary = {
    file: "Pulumi.primary.yaml",
    site: "primary" as const,
    azure: { region: "eastus2", peerRegion: "centralus" },
    gcp: { region: "us-central1", peerRegion: "us-east1" },
  };
  const secondary = {
    file: "Pulumi.secondary.yaml",
    site: "secondary",
    azure: { region: "centralus", peerRegion: "eastus2" },
    gcp: { region: "us-east1", peerRegion: "us-central1" },
  };

  it("accepts the shipped pair", () => {
    expect(pairProblems(primary, secondary)).toEqual([]);
  });

  it("refuses region and peerRegion swapped in one file: both sites in one region", () => {
    const swapped = { ...primary, azure: { region: "centralus", peerRegion: "eastus2" } };
    expect(pairProblems(swapped, secondary)).toEqual([
      'Pulumi.primary.yaml: paired-dr:azure.region: "centralus" is also Pulumi.secondary.yaml\'s azure.region: both sites would be in one region; allowed: "eastus2", the region Pulumi.secondary.yaml names as its peer (given: "centralus")',
      'Pulumi.primary.yaml: paired-dr:azure.peerRegion: must be the peer\'s region, "centralus" (Pulumi.secondary.yaml\'s azure.region) (given: "eastus2")',
    ]);
  });

  it("refuses the same for GCP, and a peerRegion that is not the peer's region", () => {
    const gcp = { ...primary, gcp: { region: "us-east1", peerRegion: "us-central1" } };
    expect(pairProblems(gcp, secondary)).toHaveLength(2);
    const elsewhere = { ...primary, gcp: { region: "us-central1", peerRegion: "us-east4" } };
    expect(pairProblems(elsewhere, secondary)).toEqual([
      'Pulumi.primary.yaml: paired-dr:gcp.peerRegion: must be the peer\'s region, "us-east1" (Pulumi.secondary.yaml\'s gcp.region) (given: "us-east4")',
    ]);
  });

  it("refuses two stack files that claim one site", () => {
    expect(pairProblems(primary, { ...secondary, site: "primary" })).toEqual([
      'Pulumi.secondary.yaml: paired-dr:site: must be "secondary", the peer of Pulumi.primary.yaml\'s "primary" (given: "primary")',
    ]);
  });

  it("reads the peer's file beside the project, namespaced or not; none there, no check", () => {
    const dir = tempDir("pair-");
    const config = { site: "primary" as const, azure: primary.azure, gcp: primary.gcp };
    expect(pairFileProblems(dir, config)).toEqual([]);
    fs.writeFileSync(
      path.join(dir, "Pulumi.secondary.yaml"),
      "config:\n  paired-dr:site: secondary\n  paired-dr:azure:\n    region: eastus2\n  gcp:\n    region: us-east1\n",
    );
    expect(pairFileProblems(dir, config)).toEqual([
      'Pulumi.primary.yaml: paired-dr:azure.region: "eastus2" is also Pulumi.secondary.yaml\'s azure.region: both sites would be in one region; allowed: another region, paired with "eastus2" (given: "eastus2")',
      'Pulumi.primary.yaml: paired-dr:azure.peerRegion: must be the peer\'s region, "eastus2" (Pulumi.secondary.yaml\'s azure.region) (given: "centralus")',
    ]);
    expect(
      siteDeclaration("f", "paired-dr", { "paired-dr:gcp": { region: "x" }, azure: "nope" }),
    ).toEqual({ file: "f", site: undefined, gcp: { region: "x" } });
  });

  it("refuses a swapped pair through the real program, before anything is registered", async () => {
    const raw = validRaw("primary");
    raw.azure = { ...raw.azure, region: "centralus", peerRegion: "eastus2" };
    const sink: CapturedResource[] = [];
    const run = captureProgram(await loadProgram(), {
      project: "paired-dr",
      stack: "primary",
      config: toWireConfig(raw),
      sink,
    });
    await expect(run).rejects.toThrow(
      'Pulumi.primary.yaml: paired-dr:azure.region: "centralus" is also Pulumi.secondary.yaml\'s azure.region',
    );
    expect(sink).toEqual([]);
  });
});

describe("a problem names the file its key comes from", () => {
  it("the stack file when it sets the key, else Pulumi.yaml when it declares it", () => {
    const dir = tempDir("origin-");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: p\nconfig:\n  sql:\n    value: {}\n");
    fs.writeFileSync(path.join(dir, "Pulumi.primary.yaml"), "config:\n  paired-dr:azure: {}\n");
    const origin = configOrigin(dir, "primary");
    expect([origin("azure"), origin("sql"), origin("gcp")]).toEqual([
      "Pulumi.primary.yaml",
      "Pulumi.yaml",
      undefined,
    ]);
  });
});
