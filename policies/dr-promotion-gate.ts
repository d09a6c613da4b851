import type { StackValidationPolicy } from "@pulumi/policy";
import { protocolProblems } from "./promotion";
import { requireFacts } from "./support";

/**
 * dr-promotion-gate
 *
 * Severity: critical. Topic: disaster recovery, promotion (role flip).
 *
 * The promotion protocol of ./promotion: a promotion accepts a cold-standby RTO, acknowledges a
 * forced failover when the peer is not known passive, and uses a forced SQL failover only with
 * both acknowledgments and never over a passive peer; acknowledgments apply to one promotion only
 * (a stack not changing role, or one whose last deployment already had them, must remove them);
 * and the first step of a planned promotion (the active site standing down) is refused when the
 * step after it, the peer's promotion, would be (preflight), so no promotion strands the pair
 * without an active site.
 */
export const drPromotionGate: StackValidationPolicy = {
  name: "dr-promotion-gate",
  description:
    "Promotions are acknowledged, acknowledgments apply to one promotion only, and the first step of a promotion is refused when a later step would be.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, report) => {
    const facts = requireFacts(args, report);
    if (!facts) return;
    for (const p of protocolProblems(facts)) report(p);
  },
};
