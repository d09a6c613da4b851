import type { StackValidationPolicy } from "@pulumi/policy";
import { oneActiveProblems } from "./promotion";
import { requireFacts } from "./support";

/**
 * dr-one-active-site
 *
 * Severity: critical. Topic: disaster recovery, split brain.
 *
 * Never two active sites: two active sites both run the jobs and write the lake, the metastore
 * and SQL. The peer's role is always read (from the state backend, which survives a region). The
 * one exception is the promotion of a forced failover (promotion.acknowledgeForcedFailover), where
 * the peer's region is down and its recorded role cannot be changed; it never excuses a stack that
 * is not being promoted.
 */
export const drOneActiveSite: StackValidationPolicy = {
  name: "dr-one-active-site",
  description:
    "Never two active sites; only an acknowledged forced failover may promote over a peer recorded active.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, report) => {
    const facts = requireFacts(args, report);
    if (!facts) return;
    for (const p of oneActiveProblems(facts)) report(p);
  },
};
