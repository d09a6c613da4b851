import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");

// The import graph runs one way: contracts -> config -> components -> program, with the policy
// pack and the tools on top. A room may import itself and the rooms below it.
const BELOW: Readonly<Record<string, readonly string[]>> = {
  contracts: [],
  config: ["contracts"],
  components: ["contracts", "config"],
  policies: ["contracts", "config", "components"],
};

/** Every .ts file under `dir`, relative to the repository root. */
function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.posix.join(dir, f));
}

interface Edge {
  file: string;
  /** A repository path for a relative import, or the package's name. */
  target: string;
  local: boolean;
}

/** What `file` imports, type-only imports included. */
function edges(file: string): Edge[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(path.join(ROOT, file), "utf8"));
  return importedFiles.map(({ fileName }) => {
    const local = fileName.startsWith(".");
    const target = local ? path.posix.join(path.posix.dirname(file), fileName) : fileName;
    return { file, target, local };
  });
}

const room = (p: string) => p.split("/")[0]!;

/** The imports that leave a room for one not below it (or, from contracts/, for any package). */
function backArrows(all: readonly Edge[]): string[] {
  return all
    .filter(({ file, target, local }) => {
      const from = room(file);
      if (!local) return from === "contracts";
      return room(target) !== from && !BELOW[from]!.includes(room(target));
    })
    .map(({ file, target }) => `${file} -> ${target}`);
}

describe("the import graph", () => {
  it("runs one way: contracts, config, components, then the policy pack", () => {
    const all = Object.keys(BELOW).flatMap((dir) => sources(dir).flatMap(edges));
    expect(all.length).toBeGreaterThan(100);
    expect(backArrows(all)).toEqual([]);
  });

  it("holds the two contracts the program and the policy pack share, and nothing else", () => {
    expect(sources("contracts").sort()).toEqual([
      "contracts/acknowledgments.ts",
      "contracts/facts.ts",
      "contracts/stateful.ts",
    ]);
  });

  it("names each back-arrow: a component importing a policy, a contract importing a package", () => {
    expect(
      backArrows([
        { file: "components/deploymentFacts.ts", target: "policies/facts", local: true },
        { file: "config/schema.ts", target: "components/naming", local: true },
        { file: "contracts/facts.ts", target: "zod", local: false },
        { file: "policies/rpo.ts", target: "components/naming", local: true },
        { file: "components/naming.ts", target: "zod", local: false },
      ]),
    ).toEqual([
      "components/deploymentFacts.ts -> policies/facts",
      "config/schema.ts -> components/naming",
      "contracts/facts.ts -> zod",
    ]);
  });
});
