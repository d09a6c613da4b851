import {
  AZURE_REGION_GEOGRAPHY,
  GCP_REGION_GEOGRAPHY,
  gcpRegionsNear,
  siteGeographyProblem,
} from "../config/geography";
import { describe, expect, it } from "vitest";
import {
  AZURE_REGIONS,
  AZURE_REGION_PAIRS,
  GCP_REGIONS,
  GCP_REGION_TABLE,
  GCS_PREDEFINED_DUAL_REGIONS,
  azurePartners,
  customDualRegionLocation,
  dualRegionSpans,
  isAzurePair,
  predefinedDualRegionFor,
} from "../config/regions";
import { deriveRole, ownsSingletons, peerSite } from "../components/role";

describe("Azure region pairs", () => {
  it("pairs East US 2 with Central US in both directions", () => {
    expect(isAzurePair("eastus2", "centralus")).toBe(true);
    expect(isAzurePair("centralus", "eastus2")).toBe(true);
  });

  it("accepts the one-directional pairings from either side, and nothing else", () => {
    expect(isAzurePair("westus3", "eastus")).toBe(true);
    expect(isAzurePair("eastus", "westus3")).toBe(true);
    expect(isAzurePair("brazilsouth", "southcentralus")).toBe(true);
    expect(isAzurePair("eastus2", "westus")).toBe(false);
    expect(isAzurePair("eastus2", "eastus2")).toBe(false);
    expect(azurePartners("eastus")).toEqual(["westus", "westus3"]);
    expect(azurePartners("southcentralus")).toEqual(["brazilsouth", "northcentralus"]);
  });

  it("names only known regions as pairs, and every two-way pair is mutual", () => {
    const oneWay = new Set(["westus3", "brazilsouth", "westindia"]);
    for (const [region, pair] of Object.entries(AZURE_REGION_PAIRS)) {
      expect(AZURE_REGION_PAIRS[pair], `${region} -> ${pair}`).toBeDefined();
      if (!oneWay.has(region))
        expect(AZURE_REGION_PAIRS[pair], `${pair} -> ${region}`).toBe(region);
    }
  });
});

describe("GCS dual-regions", () => {
  it("NAM4 spans us-central1 and us-east1, in either order", () => {
    expect(dualRegionSpans("NAM4", "us-east1", "us-central1")).toBe(true);
    expect(dualRegionSpans("NAM4", "us-central1", "us-west1")).toBe(false);
    expect(predefinedDualRegionFor("us-central1", "us-east1")).toBe("NAM4");
    expect(predefinedDualRegionFor("us-central1", "us-west1")).toBeUndefined();
  });

  it("every predefined dual-region spans two known regions on one continent", () => {
    for (const [code, [a, b]] of Object.entries(GCS_PREDEFINED_DUAL_REGIONS)) {
      expect(GCP_REGION_TABLE[a]?.continent, code).toBeDefined();
      expect(GCP_REGION_TABLE[a]?.continent, code).toBe(GCP_REGION_TABLE[b]?.continent);
    }
  });

  it("a configurable dual-region needs two different regions under the same multi-region", () => {
    expect(customDualRegionLocation("us-central1", "us-west1")).toBe("US");
    expect(customDualRegionLocation("europe-west1", "europe-west4")).toBe("EU");
    expect(customDualRegionLocation("us-central1", "us-central1")).toBeUndefined();
    expect(customDualRegionLocation("us-central1", "europe-west1")).toBeUndefined();
    expect(customDualRegionLocation("europe-west1", "europe-west2")).toBeUndefined();
    expect(customDualRegionLocation("us-central1", "nowhere1")).toBeUndefined();
    // NAM4's pair is predefined only (cloud.google.com/storage/docs/locations, footnote).
    expect(customDualRegionLocation("us-central1", "us-east1")).toBeUndefined();
    expect(customDualRegionLocation("us-east1", "us-central1")).toBeUndefined();
    expect(customDualRegionLocation("us-east4", "us-central1")).toBe("US");
  });
});

describe("where the regions are (config/geography.ts)", () => {
  it("places every region a stack can use, in both clouds", () => {
    expect(Object.keys(AZURE_REGION_GEOGRAPHY).sort()).toEqual([...AZURE_REGIONS]);
    expect(Object.keys(GCP_REGION_GEOGRAPHY).sort()).toEqual([...GCP_REGIONS]);
  });

  it("accepts a site whose two clouds share a metro area: the shipped pair", () => {
    expect(siteGeographyProblem("eastus2", "us-east4")).toBeUndefined();
    expect(siteGeographyProblem("centralus", "us-central1")).toBeUndefined();
    expect(gcpRegionsNear("westeurope")).toEqual(["europe-west4"]);
  });

  it("names both places and the GCP region to move to (the example before issue 16)", () => {
    expect(siteGeographyProblem("eastus2", "us-central1")).toBe(
      "Azure eastus2 (Virginia (Boydton), US) and GCP us-central1 (Council Bluffs, Iowa, US) are not in one geography: a regional disaster can take out half of this site and half of its peer; change gcp.region to us-east4, in the same geography as Azure eastus2",
    );
    expect(siteGeographyProblem("centralus", "us-east1")).toMatch(
      /^Azure centralus \(Iowa \(Des Moines\), US\) and GCP us-east1 \(Moncks Corner, South Carolina, US\).*change gcp\.region to us-central1,/,
    );
  });

  it("says when no GCP region is near the Azure one", () => {
    expect(siteGeographyProblem("brazilsouth", "us-east1")).toMatch(
      /no GCP region is near Azure brazilsouth: change azure\.region, or accept the spread$/,
    );
  });
});

describe("the role model", () => {
  it("derives the role from site and promote", () => {
    expect(deriveRole("primary", false)).toBe("active");
    expect(deriveRole("secondary", false)).toBe("passive");
    expect(deriveRole("primary", true)).toBe("passive");
    expect(deriveRole("secondary", true)).toBe("active");
  });

  it("makes exactly one site active for either value of promote", () => {
    for (const promote of [false, true]) {
      const roles = (["primary", "secondary"] as const).map((s) => deriveRole(s, promote));
      expect(roles.filter((r) => r === "active")).toHaveLength(1);
    }
  });

  it("keeps singleton ownership on the primary site, whatever the role", () => {
    expect(ownsSingletons("primary")).toBe(true);
    expect(ownsSingletons("secondary")).toBe(false);
    expect(peerSite("primary")).toBe("secondary");
    expect(peerSite("secondary")).toBe("primary");
  });
});
