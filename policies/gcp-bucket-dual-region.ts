import type { ResourceValidationPolicy } from "@pulumi/policy";
import { GCS_PREDEFINED_DUAL_REGIONS } from "../config/regions";
import { TYPE } from "../contracts/facts";
import { resourceOfType, shown } from "./support";

/**
 * gcp-bucket-dual-region
 *
 * Severity: high. Topic: disaster recovery, data protection.
 *
 * The buckets both sites share (warehouse, metastore backups) survive a region loss only as a
 * dual-region: a predefined code (NAM4, EUR4, ...) or a configurable dual-region of exactly two
 * regions. Versioning keeps overwritten objects recoverable; uniform access and enforced public
 * access prevention keep the data private.
 */
export const gcpBucketDualRegion: ResourceValidationPolicy = {
  name: "gcp-bucket-dual-region",
  description:
    "GCS buckets are dual-region, versioned, with uniform bucket-level access and public access prevention enforced.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: resourceOfType(TYPE.bucket, (bucket, args, report) => {
    const location = bucket.location;
    const dataLocations = bucket.customPlacementConfig?.dataLocations;
    if (dataLocations != null) {
      const list: unknown[] = Array.isArray(dataLocations) ? dataLocations : [];
      const regions = new Set(list.map((r) => String(r).toLowerCase()));
      if (list.length !== 2 || regions.size !== 2) {
        report(
          `Make bucket '${args.name}' dual-region: customPlacementConfig.dataLocations is ${shown(dataLocations)}, not two regions`,
        );
      }
    } else if (
      typeof location !== "string" ||
      !Object.hasOwn(GCS_PREDEFINED_DUAL_REGIONS, location.toUpperCase())
    ) {
      report(
        `Make bucket '${args.name}' dual-region: location is ${shown(location)}, not a predefined dual-region`,
      );
    }
    if (bucket.versioning?.enabled !== true) {
      report(
        `Enable versioning on bucket '${args.name}': versioning.enabled is ${shown(bucket.versioning?.enabled)}`,
      );
    }
    if (bucket.uniformBucketLevelAccess !== true) {
      report(
        `Enable uniformBucketLevelAccess on bucket '${args.name}': it is ${shown(bucket.uniformBucketLevelAccess)}`,
      );
    }
    if (bucket.publicAccessPrevention !== "enforced") {
      report(
        `Set publicAccessPrevention enforced on bucket '${args.name}': it is ${shown(bucket.publicAccessPrevention)}`,
      );
    }
  }),
};
