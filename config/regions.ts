/**
 * Region tables kept in code so a pair is checked before anything is registered.
 *
 * Azure: the official region pairs (learn.microsoft.com "Azure region pairs and nonpaired
 * regions"). Three pairings are one-directional: West US 3 -> East US, Brazil South ->
 * South Central US and West India -> South India. A DR pair is valid when either region
 * names the other as its pair.
 *
 * GCP: the regions a stack can sit in, by continent, marking those that can be one half of a
 * configurable (custom) dual-region bucket; and the predefined dual-regions with their two regions
 * (cloud.google.com/storage/docs/locations).
 */

/** Each Azure region and the region Azure pairs it with. */
export const AZURE_REGION_PAIRS: Readonly<Record<string, string>> = {
  eastus: "westus",
  westus: "eastus",
  eastus2: "centralus",
  centralus: "eastus2",
  northcentralus: "southcentralus",
  southcentralus: "northcentralus",
  westus2: "westcentralus",
  westcentralus: "westus2",
  westus3: "eastus",
  canadacentral: "canadaeast",
  canadaeast: "canadacentral",
  brazilsouth: "southcentralus",
  northeurope: "westeurope",
  westeurope: "northeurope",
  uksouth: "ukwest",
  ukwest: "uksouth",
  francecentral: "francesouth",
  francesouth: "francecentral",
  germanywestcentral: "germanynorth",
  germanynorth: "germanywestcentral",
  norwayeast: "norwaywest",
  norwaywest: "norwayeast",
  switzerlandnorth: "switzerlandwest",
  switzerlandwest: "switzerlandnorth",
  swedencentral: "swedensouth",
  swedensouth: "swedencentral",
  eastasia: "southeastasia",
  southeastasia: "eastasia",
  japaneast: "japanwest",
  japanwest: "japaneast",
  koreacentral: "koreasouth",
  koreasouth: "koreacentral",
  australiaeast: "australiasoutheast",
  australiasoutheast: "australiaeast",
  australiacentral: "australiacentral2",
  australiacentral2: "australiacentral",
  centralindia: "southindia",
  southindia: "centralindia",
  westindia: "southindia",
  jioindiawest: "jioindiacentral",
  jioindiacentral: "jioindiawest",
  southafricanorth: "southafricawest",
  southafricawest: "southafricanorth",
  uaenorth: "uaecentral",
  uaecentral: "uaenorth",
};

export const AZURE_REGIONS: readonly string[] = Object.keys(AZURE_REGION_PAIRS).sort();

/** True when `a` and `b` form an official Azure region pair, in either direction. */
export function isAzurePair(a: string, b: string): boolean {
  return a !== b && (AZURE_REGION_PAIRS[a] === b || AZURE_REGION_PAIRS[b] === a);
}

/** The regions Azure pairs with `region` (its own pair plus any one-directional pairings to it). */
export function azurePartners(region: string): string[] {
  const partners = new Set<string>();
  const own = AZURE_REGION_PAIRS[region];
  if (own) partners.add(own);
  for (const [r, p] of Object.entries(AZURE_REGION_PAIRS)) if (p === region) partners.add(r);
  return [...partners].sort();
}

/** The multi-region code a configurable dual-region is created under. */
export type GcsMultiRegion = "US" | "EU" | "ASIA";

export interface GcpRegion {
  readonly continent: "north-america" | "europe" | "asia";
  /** Set when the region can be one half of a configurable dual-region, under this location. */
  readonly customDualRegion?: GcsMultiRegion;
}

const na = { continent: "north-america", customDualRegion: "US" } as const;
const eu = { continent: "europe", customDualRegion: "EU" } as const;
const asia = { continent: "asia", customDualRegion: "ASIA" } as const;

/** GCP regions this program can pair, with their continent. */
export const GCP_REGION_TABLE: Readonly<Record<string, GcpRegion>> = {
  "us-central1": na,
  "us-east1": na,
  "us-east4": na,
  "us-east5": na,
  "us-south1": na,
  "us-west1": na,
  "us-west2": na,
  "us-west3": na,
  "us-west4": na,
  "northamerica-northeast1": { continent: "north-america" },
  "northamerica-northeast2": { continent: "north-america" },
  "europe-central2": eu,
  "europe-north1": eu,
  "europe-southwest1": eu,
  "europe-west1": eu,
  "europe-west3": eu,
  "europe-west4": eu,
  "europe-west8": eu,
  "europe-west9": eu,
  "europe-west2": { continent: "europe" },
  "europe-west6": { continent: "europe" },
  "asia-east1": asia,
  "asia-east2": asia,
  "asia-northeast1": asia,
  "asia-northeast2": asia,
  "asia-northeast3": asia,
  "asia-southeast1": asia,
};

export const GCP_REGIONS: readonly string[] = Object.keys(GCP_REGION_TABLE).sort();

/**
 * Pairs GCS offers only as a predefined dual-region, never configurable: "The US-CENTRAL1 and
 * US-EAST1 dual-region pairing is only available as a predefined dual-region" (NAM4;
 * cloud.google.com/storage/docs/locations, configurable dual-regions, footnote).
 */
const PREDEFINED_ONLY: readonly (readonly [string, string])[] = [["us-central1", "us-east1"]];

/** The location a configurable dual-region over `a` and `b` is created under, if it can be. */
export function customDualRegionLocation(a: string, b: string): GcsMultiRegion | undefined {
  const ra = GCP_REGION_TABLE[a];
  const rb = GCP_REGION_TABLE[b];
  if (a === b || !ra?.customDualRegion || ra.customDualRegion !== rb?.customDualRegion)
    return undefined;
  if (PREDEFINED_ONLY.some(([x, y]) => (x === a && y === b) || (x === b && y === a)))
    return undefined;
  return ra.customDualRegion;
}

/** GCS predefined dual-regions and the two regions each one spans. */
export const GCS_PREDEFINED_DUAL_REGIONS: Readonly<Record<string, readonly [string, string]>> = {
  ASIA1: ["asia-northeast1", "asia-northeast2"],
  EUR4: ["europe-north1", "europe-west4"],
  EUR5: ["europe-west1", "europe-west2"],
  EUR7: ["europe-west2", "europe-west3"],
  EUR8: ["europe-west3", "europe-west6"],
  NAM4: ["us-central1", "us-east1"],
};

export const GCS_DUAL_REGION_CODES: readonly string[] = Object.keys(GCS_PREDEFINED_DUAL_REGIONS);

/** True when the predefined dual-region `code` spans exactly the regions `a` and `b`. */
export function dualRegionSpans(code: string, a: string, b: string): boolean {
  const spans = GCS_PREDEFINED_DUAL_REGIONS[code];
  return !!spans && [a, b].sort().join() === [...spans].sort().join();
}

/** The predefined dual-region that spans `a` and `b`, if there is one. */
export function predefinedDualRegionFor(a: string, b: string): string | undefined {
  return GCS_DUAL_REGION_CODES.find((code) => dualRegionSpans(code, a, b));
}
