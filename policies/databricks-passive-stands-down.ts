import type { StackValidationPolicy } from "@pulumi/policy";
import { TYPE } from "../contracts/facts";
import { ofType, requireFacts, shown } from "./support";
import { JOB_CONCURRENCY_KIND, concurrencyName } from "../components/naming";

const JOB_TRIGGERS = ["schedule", "continuous", "trigger"] as const;

/**
 * databricks-passive-stands-down
 *
 * Severity: high. Topic: disaster recovery, cost.
 *
 * A passive site builds the same workspace objects as the active one but must not run them: no
 * idle pool instances (they bill), every job paused, and concurrency 0 as Databricks reports it
 * through the job's concurrency resource (a job that ran on both sites would write the lake
 * twice). A job with no schedule, continuous or trigger cannot carry a pause status, so it is
 * itself a violation.
 */
export const databricksPassiveStandsDown: StackValidationPolicy = {
  name: "databricks-passive-stands-down",
  description:
    "On a passive site, instance pools keep no idle instances and every job is paused, with max_concurrent_runs 0 as Databricks reports it.",
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
    const concurrency = new Map(
      args.resources
        .filter((r) => r.type === TYPE.dynamicResource && r.props.kind === JOB_CONCURRENCY_KIND)
        .map((r) => [r.name, r]),
    );
    for (const job of ofType(args.resources, TYPE.databricksJob)) {
      // The Job's own maxConcurrentRuns proves nothing: the provider never sends a 0
      // (terraform-provider-databricks common/reflect_resource.go reads it with GetOk), so the
      // job keeps the API's default of 1. Its concurrency resource sets it and reads it back.
      const set = concurrency.get(concurrencyName(job.name));
      if (!set) {
        report(
          `Give job '${job.name}' its concurrency resource '${concurrencyName(job.name)}' (passive site): the provider never sends maxConcurrentRuns 0, so without it Databricks keeps 1`,
          job.urn,
        );
      } else if (set.props.maxConcurrentRuns !== 0) {
        report(
          `Set maxConcurrentRuns 0 on job '${job.name}' through '${set.name}' (passive site): it is ${shown(set.props.maxConcurrentRuns)}`,
          set.urn,
        );
      } else if (
        typeof set.props.effectiveMaxConcurrentRuns === "number" &&
        set.props.effectiveMaxConcurrentRuns !== 0
      ) {
        report(
          `Databricks reports max_concurrent_runs ${set.props.effectiveMaxConcurrentRuns} for job '${job.name}' (passive site): run pulumi up to set 0 again`,
          set.urn,
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
