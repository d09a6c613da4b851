import type { StackValidationPolicy } from "@pulumi/policy";
import { STATEFUL_TYPES } from "../contracts/stateful";
import { findFacts } from "../contracts/facts";

/**
 * dr-stateful-resources-protected
 *
 * Severity: critical. Topic: disaster recovery, data loss.
 *
 * A role flip or a rename must never delete data: every resource of a stateful type (buckets,
 * the metastore, the lake, SQL, Key Vault, secrets, notebooks) carries `protect: true`, so the
 * engine refuses a delete or a delete-replace until someone removes the protection on purpose.
 * The exceptions the deployment facts name: a release the program arms
 * (sql.releaseRecoveredDatabases), which the gate lets go only once the other site holds their
 * data (policies/promotion.ts, releaseProblems); and a drill's scratch (its metastore service),
 * which holds a copy of a backup and nothing else, and which turning the drill off deletes.
 */
export const drStatefulResourcesProtected: StackValidationPolicy = {
  name: "dr-stateful-resources-protected",
  description:
    "Resources of a stateful type (contracts/stateful.ts) are protected, except those an armed release or a drill's scratch names.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, report) => {
    const facts = findFacts(args.resources);
    const released = new Set([
      ...(facts?.sql.release?.resources ?? []),
      ...(facts?.drill?.scratch ?? []),
    ]);
    for (const r of args.resources) {
      if (!STATEFUL_TYPES.has(r.type) || r.opts.protect === true || released.has(r.name)) continue;
      report(`Set protect: true on ${r.type} '${r.name}': protect is ${r.opts.protect}`, r.urn);
    }
  },
};
