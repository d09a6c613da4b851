import type { StackValidationPolicy } from "@pulumi/policy";
import { TYPE } from "../contracts/facts";
import { GCS_DEFAULT_RPO_MINUTES } from "./rpo";
import { ofType, requireFacts, shown } from "./support";

export interface GcpBucketTurboReplicationConfig {
  /** The RPO default dual-region replication achieves; a tighter GCS target needs turbo. */
  defaultReplicationRpoMinutes?: number;
}

/**
 * gcp-bucket-turbo-replication
 *
 * Severity: high. Topic: disaster recovery, RPO.
 *
 * Default dual-region replication copies 99.9% of new objects to the second region within an
 * hour and all of them within 12 hours; when the GCS RPO target is tighter than that, only turbo
 * replication (rpo ASYNC_TURBO, 15 minutes) can meet it.
 */
export const gcpBucketTurboReplication: StackValidationPolicy = {
  name: "gcp-bucket-turbo-replication",
  description:
    "When the GCS RPO target is below what default replication achieves, every bucket uses rpo ASYNC_TURBO.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: {
      defaultReplicationRpoMinutes: {
        type: "integer",
        minimum: 1,
        default: GCS_DEFAULT_RPO_MINUTES,
      },
    },
  },
  validateStack: (args, report) => {
    const facts = requireFacts(args, report);
    if (!facts) return;
    const config = args.getConfig<GcpBucketTurboReplicationConfig>();
    const threshold = config.defaultReplicationRpoMinutes ?? GCS_DEFAULT_RPO_MINUTES;
    const target = facts.rpoTargetsMinutes.gcs;
    if (target >= threshold) return;
    for (const bucket of ofType(args.resources, TYPE.bucket)) {
      const rpo = bucket.props.rpo;
      if (rpo !== "ASYNC_TURBO") {
        report(
          `Set rpo ASYNC_TURBO on bucket '${bucket.name}' for the ${target}-minute GCS RPO target: it is ${shown(rpo)}; change storage.buckets.<bucket>.turboReplication, or the target rpoTargetsMinutes.gcs`,
          bucket.urn,
        );
      }
    }
  },
};
