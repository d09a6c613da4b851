import type { StackValidationPolicy } from "@pulumi/policy";
import { GCP_REGION_TABLE, isAzurePair } from "../config/regions";
import { requireFacts } from "./support";

/**
 * dr-region-pair
 *
 * Severity: high. Topic: disaster recovery, region selection.
 *
 * The Azure half sits in an official region pair (sequential platform updates, recovery
 * priority, paired-region geo-redundant storage); the GCP half in two different regions of one
 * continent (the dual-region buckets and the metastore restore stay on one continent).
 */
export const drRegionPair: StackValidationPolicy = {
  name: "dr-region-pair",
  description: "The sites use an Azure region pair and two different GCP regions on one continent.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const facts = requireFacts(args, report);
    if (!facts) return;
    const { azure, gcp } = facts.regions;
    if (!isAzurePair(azure.region, azure.peerRegion)) {
      report(
        `Use an Azure region pair: ${azure.region} and ${azure.peerRegion} are not paired; change azure.peerRegion`,
      );
    }
    if (gcp.region === gcp.peerRegion) {
      report(
        `Use two different GCP regions: region and peerRegion are both ${gcp.region}; change gcp.peerRegion`,
      );
      return;
    }
    const unknown = [gcp.region, gcp.peerRegion].filter((r) => !Object.hasOwn(GCP_REGION_TABLE, r));
    for (const region of unknown) {
      report(
        `Use a known GCP region: ${region} is not in the region table; change gcp.region or gcp.peerRegion`,
      );
    }
    if (unknown.length > 0) return;
    const a = GCP_REGION_TABLE[gcp.region]!.continent;
    const b = GCP_REGION_TABLE[gcp.peerRegion]!.continent;
    if (a !== b) {
      report(
        `Use two GCP regions on one continent: ${gcp.region} is in ${a}, ${gcp.peerRegion} in ${b}; change gcp.peerRegion`,
      );
    }
  },
};
