import type { StackValidationPolicy } from "@pulumi/policy";
import { RPO_CONFIG_KEYS, computeRpo } from "./rpo";
import { minutes, requireFacts } from "./support";

/**
 * dr-rpo-budget
 *
 * Severity: high. Topic: disaster recovery, RPO.
 *
 * The data this stack can lose per class (metastore, lake, SQL, GCS), computed from its
 * schedules and replication settings by ./rpo, stays within the deployment's RPO targets.
 */
export const drRpoBudget: StackValidationPolicy = {
  name: "dr-rpo-budget",
  description:
    "The achieved RPO of each data class (metastore, lake, sql, gcs) is within its target.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const facts = requireFacts(args, report);
    if (!facts) return;
    for (const row of computeRpo(args.resources, facts)) {
      if (row.verdict !== "over") continue;
      report(
        `Bring the ${row.dataClass} RPO within ${minutes(row.targetMinutes)} minutes: it is ${minutes(row.achievedMinutes!)} (${row.basis}); change ${RPO_CONFIG_KEYS[row.dataClass]}`,
      );
    }
  },
};
