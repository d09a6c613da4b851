import type { ResourceValidationPolicy } from "@pulumi/policy";
import { STATEFUL_TYPES } from "../components/stateful";

/**
 * dr-stateful-resources-protected
 *
 * Severity: critical. Topic: disaster recovery, data loss.
 *
 * A role flip or a rename must never delete data: every resource of a stateful type (buckets,
 * the metastore, the lake, SQL, Key Vault, secrets, notebooks) carries `protect: true`, so the
 * engine refuses a delete or a delete-replace until someone removes the protection on purpose.
 */
export const drStatefulResourcesProtected: ResourceValidationPolicy = {
  name: "dr-stateful-resources-protected",
  description: "Resources of a stateful type (components/stateful.ts) are protected.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: (args, report) => {
    if (!STATEFUL_TYPES.has(args.type)) return;
    if (args.opts.protect !== true) {
      report(`Set protect: true on ${args.type} '${args.name}': protect is ${args.opts.protect}`);
    }
  },
};
