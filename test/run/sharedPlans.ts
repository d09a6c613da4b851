import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    planDir: string;
  }
}

/**
 * The test run's global setup: one directory for the run, through which its workers share the
 * plans they make (tools/plan/engine.ts sharePlansThrough), removed when the run ends.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), "paired-dr-plans-"));
  project.provide("planDir", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
