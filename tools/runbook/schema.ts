import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../config/errors";
import { readYamlFile } from "../../config/yamlFile";
import { z } from "zod";
import { DATA_CLASSES, FAULTS } from "./model";
import { INVARIANTS, OPT_IN_INVARIANTS } from "./invariants";

/**
 * A runbook: a promotion (or any sequence) as the steps a platform team takes, with what must
 * hold after each. The step names are a contract other tools read; keep their meanings.
 */
const site = z.enum(["primary", "secondary"]);

export const stepSchema = z.union(
  [
    /** `pulumi up -s <stack> --policy-pack policies`, with the config as of now. */
    z.strictObject({ up: site }),
    /** Runs `up`; passes only if a mandatory policy refuses it (the deployed state stays as it was). */
    z.strictObject({ "expect-blocked": site }),
    /**
     * Runs `up`; passes only if the cloud refuses it (the rule is named in the step), leaving the
     * deployed state as it was.
     */
    z.strictObject({ "expect-failed": site }),
    /** The stack's regions are down: it cannot be updated, and what it deployed is frozen. */
    z.strictObject({ outage: site }),
    /**
     * Azure's own failover: the site's region has been down past the grace period, and every
     * failover group with the Automatic policy whose primary is on it now has the peer's server
     * as primary (sql-docs auto-failover-group-sql-db.md, failover policy).
     */
    z.strictObject({ "automatic-failover": site }),
    /** The regions are back: what the stack last deployed runs again, as deployed. */
    z.strictObject({ recover: site }),
    /**
     * Seeds a fault into the site's next final sync (a stand-down's): a writer that keeps
     * running after it was cancelled, or a copy whose run fails. The deployment that runs the
     * sync fails as FinalSync fails it; a fault no sync ever meets fails the runbook.
     */
    z.strictObject({ fault: z.partialRecord(site, z.enum(FAULTS)) }),
    /**
     * `npm run status -- --require-synced` must pass (exit 0): live, it is run; offline, the
     * model says what it would find (model.ts, unsyncedNow).
     */
    z.strictObject({ status: z.enum(["require-synced"]) }),
    /** A merged pull request: Pulumi.yaml config values by dotted path; only those keys change. */
    z.strictObject({ set: z.record(z.string(), z.unknown()) }),
    /**
     * A merged pull request to stack files: per site, top-level config values of its
     * Pulumi.<site>.yaml (a drill: `drill: {id: ...}`; `drill: false` turns it off).
     */
    z.strictObject({ "stack-set": z.partialRecord(site, z.record(z.string(), z.unknown())) }),
    /** Assertions on the platform now. */
    z.strictObject({
      expect: z.strictObject({
        /** The site whose deployed role is active, none, or both (a region back before its up). */
        active: z.enum(["primary", "secondary", "none", "primary and secondary"]).optional(),
        /** Failover groups whose primary is this site (all of them). */
        "sql-primary": site.optional(),
        /** The sites that write a data class now. */
        writers: z.partialRecord(z.enum(DATA_CLASSES), z.array(site)).optional(),
        /**
         * Per site, the Databricks jobs (by name) that can start a run now, by schedule or by
         * hand: those whose max_concurrent_runs Databricks reports above 0.
         */
        runnable: z.partialRecord(site, z.array(z.string())).optional(),
        /**
         * Per site, the replicated tables listed and preserved so far as its writes that were never
         * cloned (a fenced deep clone into its lake lists them before it overwrites them).
         */
        "lost-writes": z.partialRecord(site, z.array(z.string())).optional(),
        /** Per site, the resources (by name) a drill has registered there (deployment facts). */
        "drill-resources": z.partialRecord(site, z.array(z.string())).optional(),
      }),
    }),
  ],
  {
    error:
      "a step is one of up, expect-blocked, expect-failed, outage, automatic-failover or recover (each with primary or secondary), fault, status (require-synced), set, stack-set or expect",
  },
);
export type Step = z.output<typeof stepSchema>;

/**
 * A defect a later issue fixes, declared so the runbook documents it: a breach of `invariant` in
 * `scope` counts as expected. A declared gap that never occurs fails the runbook, so a fixed
 * defect cannot stay declared.
 */
export const knownGapSchema = z.strictObject({
  invariant: z.enum(INVARIANTS),
  scope: z.enum([...DATA_CLASSES, "stacks"]),
  issue: z.number().int().positive(),
  why: z.string().min(1),
});
export type KnownGap = z.output<typeof knownGapSchema>;

export const runbookSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/, "lowercase letters, digits and '-'"),
  description: z.string().min(1),
  /** Invariants checked only where a runbook asks for them, beside those every runbook holds. */
  invariants: z.array(z.enum(OPT_IN_INVARIANTS)).default([]),
  "known-gaps": z.array(knownGapSchema).default([]),
  steps: z.array(stepSchema).min(1),
});
export type Runbook = z.output<typeof runbookSchema>;

export class RunbookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunbookError";
  }
}

/** Parses a runbook file; one error naming the file and every problem by path. */
export function readRunbook(file: string): Runbook {
  let doc: unknown;
  try {
    doc = readYamlFile(file, file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new RunbookError(e.problems.join("\n"));
  }
  const parsed = runbookSchema.safeParse(doc);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`,
    );
    throw new RunbookError(`${file}: not a runbook:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/** How a step reads in a report: `up: secondary`, `set: {promote: true}`. */
export function describeStep(step: Step): string {
  const [verb, arg] = Object.entries(step)[0]!;
  return `${verb}: ${typeof arg === "string" ? arg : JSON.stringify(arg)}`;
}

export const RUNBOOK_DIR = (dir: string) => path.join(dir, "runbooks");

/** Every runbook file in runbooks/, sorted. */
export function allRunbooks(dir: string): string[] {
  return fs
    .readdirSync(RUNBOOK_DIR(dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(RUNBOOK_DIR(dir), f));
}

/**
 * Every known gap the shipped runbooks declare, once per invariant and scope: the defects the
 * project knows of, each with the issue that fixes it.
 */
export function declaredGaps(dir: string): KnownGap[] {
  const seen = new Map<string, KnownGap>();
  for (const file of allRunbooks(dir))
    for (const g of readRunbook(file)["known-gaps"]) seen.set(`${g.invariant} ${g.scope}`, g);
  return [...seen.values()];
}
