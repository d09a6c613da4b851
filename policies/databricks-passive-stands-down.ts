import type { StackValidationPolicy } from "@pulumi/policy";
import { TYPE } from "./facts";
import { ofType, requireFacts, shown } from "./support";

const JOB_TRIGGERS = ["schedule", "continuous", "trigger"] as const;

/**
 * databricks-passive-stands-down
 *
 * Severity: high. Topic: disaster recovery, cost.
 *
 * A passive site builds the same workspace objects as the active one but must not run them: no
 * idle pool instances (they bill), every job paused with maxConcurrentRuns 0 (a job that ran on
 * both sites would write the lake twice). A job with no schedule, continuous or trigger cannot
 * carry a pause status, so it is itself a violation.
 */
export const databricksPassiveStandsDown: StackValidationPolicy = {
  name: "databricks-passive-stands-down",
  description:
    "On a passive site, instance pools keep no idle instances and every job is paused with maxConcurrentRuns 0.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const facts = requireFacts(args, report);
    if (facts?.role !== "passive") return;
    for (const pool of ofType(args.resources, TYPE.instancePool)) {
      const idle = pool.props.minIdleInstances;
      if (idle !== 0) {
        report(
          `Set minIdleInstances 0 on instance pool '${pool.name}' (passive site): it is ${shown(idle)}`,
          pool.urn,
        );
      }
    }
    for (const job of ofType(args.resources, TYPE.databricksJob)) {
      const runs = job.props.maxConcurrentRuns;
      if (runs !== 0) {
        report(
          `Set maxConcurrentRuns 0 on job '${job.name}' (passive site): it is ${shown(runs)}`,
          job.urn,
        );
      }
      const triggers = JOB_TRIGGERS.filter((k) => job.props[k] != null);
      if (triggers.length === 0) {
        report(
          `Give job '${job.name}' a paused schedule, continuous or trigger (passive site): it has none`,
          job.urn,
        );
      }
      for (const k of triggers) {
        const status = job.props[k].pauseStatus;
        if (status !== "PAUSED") {
          report(
            `Pause the ${k} of job '${job.name}' (passive site): pauseStatus is ${shown(status)}`,
            job.urn,
          );
        }
      }
    }
  },
};
