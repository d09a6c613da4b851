import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPE } from "../contracts/facts";
import { resourceOfType, shown } from "./support";

/**
 * databricks-job-portable
 *
 * Severity: high. Topic: disaster recovery, portability.
 *
 * Both sites build the same jobs from one spec. A job that names an existing cluster by id
 * points at a cluster of one workspace; on the peer workspace that id does not exist and the job
 * fails on failover. Jobs declare job clusters (from the shared pools) instead.
 */
export const databricksJobPortable: ResourceValidationPolicy = {
  name: "databricks-job-portable",
  description:
    "Databricks jobs use job clusters: no existingClusterId on the job or any of its tasks.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: resourceOfType(TYPE.databricksJob, (job, args, report) => {
    if (job.existingClusterId != null) {
      report(
        `Remove existingClusterId from job '${args.name}': it is ${shown(job.existingClusterId)}`,
      );
    }
    for (const task of job.tasks ?? []) {
      for (const t of [task, task.forEachTask?.task]) {
        if (t?.existingClusterId != null) {
          report(
            `Remove existingClusterId from task '${t.taskKey}' of job '${args.name}': it is ${shown(t.existingClusterId)}`,
          );
        }
      }
    }
  }),
};
