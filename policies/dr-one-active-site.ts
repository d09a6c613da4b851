import type { StackValidationPolicy } from "@pulumi/policy";
import { requireFacts } from "./support";

/**
 * dr-one-active-site
 *
 * Severity: critical. Topic: disaster recovery, split brain.
 *
 * Exactly one site is active: two active sites both run the jobs and write the lake, the
 * metastore and SQL. When the peer stack cannot be read, this stack cannot tell whether the peer
 * still runs; promoting it then is a forced failover that needs an explicit acknowledgment.
 */
export const drOneActiveSite: StackValidationPolicy = {
  name: "dr-one-active-site",
  description:
    "Never two active sites; promoting while the peer stack is unreadable needs promotion.acknowledgeForcedFailover.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, report) => {
    const facts = requireFacts(args, report);
    if (!facts) return;
    if (facts.role === "active" && facts.peer.role === "active") {
      report(`Make one site passive: both sites are active (${facts.site} and its peer)`);
    }
    const promoting = facts.role === "active" && facts.lastRole === "passive";
    if (promoting && !facts.peer.readable && !facts.promotion.acknowledgeForcedFailover) {
      report(
        `Set promotion.acknowledgeForcedFailover to promote site '${facts.site}': the peer stack cannot be read`,
      );
    }
  },
};
