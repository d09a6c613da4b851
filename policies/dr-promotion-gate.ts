import type { StackValidationPolicy } from "@pulumi/policy";
import { requireFacts } from "./support";

/**
 * dr-promotion-gate
 *
 * Severity: critical. Topic: disaster recovery, promotion (role flip to active).
 *
 * Applies only to a promotion: a stack that was passive at its last deployment and is now
 * active. A cold metastore standby means a long RTO (the service is created, then restored) and
 * needs acceptColdStandbyRto; a peer not known to be passive needs acknowledgeForcedFailover; a
 * forced SQL failover loses unreplicated transactions and needs both acknowledgments.
 */
export const drPromotionGate: StackValidationPolicy = {
  name: "dr-promotion-gate",
  description:
    "A promotion accepts a cold-standby RTO, acknowledges a forced failover when the peer is not passive, and acknowledges data loss for a forced SQL failover.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, report) => {
    const facts = requireFacts(args, report);
    if (!facts) return;
    const promotion =
      facts.lastRole !== null && facts.lastRole !== facts.role && facts.role === "active";
    if (!promotion) return;
    const site = facts.site;
    const { acceptColdStandbyRto, acknowledgeForcedFailover } = facts.promotion;
    if (facts.metastore.standby !== "hot" && !acceptColdStandbyRto) {
      report(
        `Set promotion.acceptColdStandbyRto to promote site '${site}': its metastore standby is ${facts.metastore.standby}`,
      );
    }
    if (facts.peer.role !== "passive" && !acknowledgeForcedFailover) {
      report(
        `Set promotion.acknowledgeForcedFailover to promote site '${site}': the peer's role is ${facts.peer.role ?? "unknown"}`,
      );
    }
    if (facts.sql.failoverMode === "forced") {
      if (!facts.sql.acknowledgeDataLoss) {
        report(`Set sql.acknowledgeDataLoss to promote site '${site}': sql.failoverMode is forced`);
      }
      if (!acknowledgeForcedFailover) {
        report(
          `Set promotion.acknowledgeForcedFailover to promote site '${site}': sql.failoverMode is forced`,
        );
      }
    }
  },
};
