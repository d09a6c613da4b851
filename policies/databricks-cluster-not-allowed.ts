import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPE } from "../contracts/facts";
import { resourceOfType } from "./support";

/**
 * databricks-cluster-not-allowed
 *
 * Severity: medium. Topic: disaster recovery, portability, cost.
 *
 * An all-purpose cluster belongs to one workspace and keeps running (and billing) on the passive
 * site; the jobs it would serve cannot follow a failover. Compute comes from job clusters.
 */
export const databricksClusterNotAllowed: ResourceValidationPolicy = {
  name: "databricks-cluster-not-allowed",
  description: "No databricks:index/cluster:Cluster resources: jobs declare job clusters.",
  enforcementLevel: "mandatory",
  severity: "medium",
  // Reads no property: a cluster whose inputs are still unknown in preview is reported all the same.
  validateResource: resourceOfType(TYPE.databricksCluster, (_cluster, args, report) => {
    report(`Remove cluster '${args.name}': jobs use job clusters, not ${args.type}`);
  }),
};
