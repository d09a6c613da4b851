import type { StackValidationPolicy } from "@pulumi/policy";
import { siteGeographyProblem } from "../config/geography";
import { requireFacts } from "./support";

/**
 * dr-site-geography
 *
 * Severity: medium. Topic: disaster recovery, region selection.
 *
 * A site's Azure and GCP regions are in one geography (config/geography.ts). Advisory: a team may
 * accept the spread where no GCP region is near its Azure region, but it should see the cost: a
 * regional disaster that reaches one of a site's clouds may also reach one of its peer's.
 */
export const drSiteGeography: StackValidationPolicy = {
  name: "dr-site-geography",
  description: "Each site's Azure and GCP regions are in one geography (metro area).",
  enforcementLevel: "advisory",
  severity: "medium",
  validateStack: (args, report) => {
    const facts = requireFacts(args, report);
    if (!facts) return;
    const problem = siteGeographyProblem(facts.regions.azure.region, facts.regions.gcp.region);
    if (problem) report(`Put site ${facts.site}'s two clouds in one geography: ${problem}`);
  },
};
