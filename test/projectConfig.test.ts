import * as fs from "node:fs";
import * as path from "node:path";
import { stackFileProblems } from "../config/projectOnly";
import { describe, expect, it } from "vitest";
import {
  EngineConfigError,
  SECURE_PLACEHOLDER,
  listStacks,
  parseOverrides,
  readProjectFile,
  resolveStackConfig,
  type ProjectFile,
} from "../tools/plan/projectConfig";
import { ROOT, tempDir } from "./helpers";

const project: ProjectFile = {
  name: "paired-dr",
  config: {
    promote: { type: "boolean", default: false, description: "flip" },
    prefix: { type: "string", default: "acme" },
    storage: { description: "buckets", value: { dualRegion: "NAM4" } },
    "gcp:project": "shared-project",
    plain: "text",
  },
};

describe("config resolution as the CLI does it", () => {
  it("takes project values and defaults, then the stack file, then --set", () => {
    const resolved = resolveStackConfig(
      project,
      "primary",
      {
        "paired-dr:site": "primary",
        "paired-dr:prefix": "other",
        "paired-dr:azure": { region: "eastus2" },
      },
      parseOverrides("paired-dr", ["plain=changed", "gcp:region=us-east1"]),
    );
    expect(resolved).toEqual({
      config: {
        "paired-dr:promote": "false",
        "paired-dr:prefix": "other",
        "paired-dr:storage": '{"dualRegion":"NAM4"}',
        "gcp:project": "shared-project",
        "paired-dr:plain": "changed",
        "paired-dr:site": "primary",
        "paired-dr:azure": '{"region":"eastus2"}',
        "gcp:region": "us-east1",
      },
      secretKeys: [],
    });
  });

  it("sets one value inside an object with a dotted --set, as 'pulumi config set --path' does", () => {
    const resolved = resolveStackConfig(
      project,
      "primary",
      {
        "paired-dr:azure": { region: "eastus2", network: { hostSubnet: "10.0.0.0/22" } },
        "paired-dr:tenants": [{ id: "a", tier: "paid" }, { id: "b" }],
      },
      parseOverrides("paired-dr", [
        "storage.dualRegion=custom",
        "azure.network.hostSubnet=10.1.0.0/22",
        "azure.peerSubscriptionId=abc",
        "tenants[1].tier=trial",
      ]),
    );
    expect(JSON.parse(resolved.config["paired-dr:storage"]!)).toEqual({ dualRegion: "custom" });
    expect(JSON.parse(resolved.config["paired-dr:tenants"]!)).toEqual([
      { id: "a", tier: "paid" },
      { id: "b", tier: "trial" },
    ]);
    expect(JSON.parse(resolved.config["paired-dr:azure"]!)).toEqual({
      region: "eastus2",
      network: { hostSubnet: "10.1.0.0/22" },
      peerSubscriptionId: "abc",
    });
  });

  it("refuses a dotted --set through a value that is not an object, or past a list's end", () => {
    expect(() =>
      resolveStackConfig(project, "primary", {}, parseOverrides("paired-dr", ["prefix.x=1"])),
    ).toThrow(
      new EngineConfigError(
        '--set paired-dr:prefix.x: "x" needs an object to be set in, but the value there is "acme"',
      ),
    );
    expect(() =>
      resolveStackConfig(
        project,
        "primary",
        { "paired-dr:tenants": [{ id: "a" }] },
        parseOverrides("paired-dr", ["tenants[2].id=c"]),
      ),
    ).toThrow(
      new EngineConfigError(
        "--set paired-dr:tenants[2].id: index 2 is past the end of a list of 1",
      ),
    );
  });

  it("creates a key not set yet, types values as the CLI does, and reads quoted segments", () => {
    const resolved = resolveStackConfig(
      project,
      "secondary",
      { "paired-dr:tables": { "sales.orders": { rpoMinutes: 15 } } },
      parseOverrides("paired-dr", [
        "drill.id=2026-11",
        'tables["sales.orders"].rpoMinutes=30',
        "limits.enabled=true",
        "limits.ratio=0.5",
        "limits.zip=007",
      ]),
    );
    expect(JSON.parse(resolved.config["paired-dr:drill"]!)).toEqual({ id: "2026-11" });
    expect(JSON.parse(resolved.config["paired-dr:tables"]!)).toEqual({
      "sales.orders": { rpoMinutes: 30 },
    });
    // pulumi/pulumi config/object.go coerce: booleans and base-10 integers; the rest strings.
    expect(JSON.parse(resolved.config["paired-dr:limits"]!)).toEqual({
      enabled: true,
      ratio: "0.5",
      zip: "007",
    });
  });

  it("passes secure values as opaque secrets, also inside objects", () => {
    const resolved = resolveStackConfig(project, "s", {
      "paired-dr:token": { secure: "v1:AAAABBBB" },
      "paired-dr:db": { user: "admin", password: { secure: "v1:CCCC" } },
    });
    expect(resolved.config["paired-dr:token"]).toBe(SECURE_PLACEHOLDER);
    expect(resolved.config["paired-dr:db"]).toBe(
      `{"user":"admin","password":"${SECURE_PLACEHOLDER}"}`,
    );
    expect(resolved.secretKeys).toEqual(["paired-dr:db", "paired-dr:token"]);
  });

  it("refuses promote in a stack file: it is project-level", () => {
    expect(() => resolveStackConfig(project, "secondary", { "paired-dr:promote": true })).toThrow(
      "paired-dr:promote is set in Pulumi.secondary.yaml (given: true), but it is project-level",
    );
    expect(() => resolveStackConfig(project, "secondary", { promote: "true" })).toThrow(
      EngineConfigError,
    );
  });

  it("requires a declared key without a default from the stack", () => {
    const strict: ProjectFile = { name: "p", config: { site: { type: "string" } } };
    expect(() => resolveStackConfig(strict, "dev", {})).toThrow(
      "stack dev is missing required configuration: p:site (declared in Pulumi.yaml without a default)",
    );
    expect(resolveStackConfig(strict, "dev", { "p:site": "primary" }).config).toEqual({
      "p:site": "primary",
    });
  });

  it("rejects a --set without '='", () => {
    expect(() => parseOverrides("paired-dr", ["promote"])).toThrow(
      '--set "promote": expected key=value',
    );
    expect(parseOverrides("paired-dr", ["promote=true"])).toEqual({ "paired-dr:promote": "true" });
  });

  it("reads the shipped project and finds both stacks", () => {
    const p = readProjectFile(ROOT);
    expect(p.name).toBe("paired-dr");
    expect(p.config.promote).toEqual({
      type: "boolean",
      default: false,
      description: expect.stringContaining("Flips the roles of both stacks"),
    });
    expect(listStacks(ROOT)).toEqual(["primary", "secondary"]);
  });
});

describe("the real program's check of its stack file", () => {
  it("refuses promote set in Pulumi.<stack>.yaml with the same message as the plan", () => {
    const dir = tempDir("stackfile-");
    fs.writeFileSync(
      path.join(dir, "Pulumi.secondary.yaml"),
      'config:\n  paired-dr:site: secondary\n  paired-dr:promote: "true"\n',
    );
    expect(stackFileProblems(dir, "paired-dr", "secondary")).toEqual([
      'paired-dr:promote is set in Pulumi.secondary.yaml (given: "true"), but it is project-level: set it only in Pulumi.yaml so both stacks read the same value (a per-stack value can make both sites active). Remove it from the stack file (pulumi config rm promote -s secondary).',
    ]);
    expect(stackFileProblems(dir, "paired-dr", "primary")).toEqual([]);
  });
});
