/**
 * Where each region of config/regions.ts is, and the metro area ("geography") it shares with the
 * other cloud's regions nearby. A site's Azure and GCP regions belong in one geography: a site
 * whose two clouds are far apart loses half of itself to a regional disaster that also reaches
 * half of its peer (issue 16: Azure East US 2 in Virginia with GCP us-central1 in Iowa, beside
 * Azure Central US in Iowa with GCP us-east1 in South Carolina).
 *
 * Places: Azure's region list (learn.microsoft.com/azure/reliability/regions-list, physical
 * location) and GCP's (cloud.google.com/compute/docs/regions-zones). A geography is a named metro
 * area, not a distance: the regions' published coordinates are too coarse for a threshold (Azure
 * West Central US plots in Utah), and two regions of one cloud never share one.
 */

/** Region -> [place, geography]. */
type Table = Readonly<Record<string, readonly [place: string, geography: string]>>;

export const AZURE_REGION_GEOGRAPHY: Table = {
  eastus: ["Virginia, US", "us-east-virginia"],
  eastus2: ["Virginia (Boydton), US", "us-east-virginia"],
  centralus: ["Iowa (Des Moines), US", "us-central-iowa"],
  northcentralus: ["Illinois (Chicago), US", "us-northcentral-illinois"],
  southcentralus: ["Texas (San Antonio), US", "us-south-texas"],
  westcentralus: ["Wyoming (Cheyenne), US", "us-mountain"],
  westus: ["California (SF Bay Area), US", "us-west-california"],
  westus2: ["Washington (Quincy), US", "us-northwest"],
  westus3: ["Phoenix, Arizona, US", "us-southwest"],
  canadacentral: ["Toronto, CA", "ca-toronto"],
  canadaeast: ["Quebec City, CA", "ca-quebec"],
  brazilsouth: ["Sao Paulo State, BR", "br-saopaulo"],
  northeurope: ["Dublin, IE", "ie-dublin"],
  westeurope: ["Amsterdam, NL", "nl-netherlands"],
  uksouth: ["London, GB", "uk-london"],
  ukwest: ["Cardiff, GB", "uk-cardiff"],
  francecentral: ["Paris, FR", "fr-paris"],
  francesouth: ["Marseille, FR", "fr-marseille"],
  germanywestcentral: ["Frankfurt, DE", "de-frankfurt"],
  germanynorth: ["Berlin, DE", "de-berlin"],
  norwayeast: ["Oslo, NO", "no-oslo"],
  norwaywest: ["Stavanger, NO", "no-stavanger"],
  switzerlandnorth: ["Zurich, CH", "ch-zurich"],
  switzerlandwest: ["Geneva, CH", "ch-geneva"],
  swedencentral: ["Gavle, SE", "se-gavle"],
  swedensouth: ["Malmo, SE", "se-malmo"],
  eastasia: ["Hong Kong, HK", "hk"],
  southeastasia: ["Singapore, SG", "sg"],
  japaneast: ["Tokyo, Saitama, JP", "jp-tokyo"],
  japanwest: ["Osaka, JP", "jp-osaka"],
  koreacentral: ["Seoul, KR", "kr-seoul"],
  koreasouth: ["Busan, KR", "kr-busan"],
  australiaeast: ["Sydney (NSW), AU", "au-sydney"],
  australiasoutheast: ["Melbourne (Victoria), AU", "au-melbourne"],
  australiacentral: ["Canberra, AU", "au-canberra"],
  australiacentral2: ["Canberra, AU", "au-canberra"],
  centralindia: ["Pune, IN", "in-pune"],
  southindia: ["Chennai, IN", "in-chennai"],
  westindia: ["Mumbai, IN", "in-mumbai"],
  jioindiawest: ["Jamnagar, IN", "in-jamnagar"],
  jioindiacentral: ["Nagpur, IN", "in-nagpur"],
  southafricanorth: ["Johannesburg, ZA", "za-johannesburg"],
  southafricawest: ["Cape Town, ZA", "za-capetown"],
  uaenorth: ["Dubai, AE", "ae-dubai"],
  uaecentral: ["Abu Dhabi, AE", "ae-abudhabi"],
};

export const GCP_REGION_GEOGRAPHY: Table = {
  "us-central1": ["Council Bluffs, Iowa, US", "us-central-iowa"],
  "us-east1": ["Moncks Corner, South Carolina, US", "us-southeast-carolina"],
  "us-east4": ["Ashburn, Virginia, US", "us-east-virginia"],
  "us-east5": ["Columbus, Ohio, US", "us-east-ohio"],
  "us-south1": ["Dallas, Texas, US", "us-south-texas"],
  "us-west1": ["The Dalles, Oregon, US", "us-northwest"],
  "us-west2": ["Los Angeles, California, US", "us-west-california"],
  "us-west3": ["Salt Lake City, Utah, US", "us-mountain"],
  "us-west4": ["Las Vegas, Nevada, US", "us-southwest"],
  "northamerica-northeast1": ["Montreal, Quebec, CA", "ca-quebec"],
  "northamerica-northeast2": ["Toronto, Ontario, CA", "ca-toronto"],
  "europe-central2": ["Warsaw, PL", "pl-warsaw"],
  "europe-north1": ["Hamina, FI", "fi-hamina"],
  "europe-southwest1": ["Madrid, ES", "es-madrid"],
  "europe-west1": ["St. Ghislain, BE", "be-belgium"],
  "europe-west2": ["London, GB", "uk-london"],
  "europe-west3": ["Frankfurt, DE", "de-frankfurt"],
  "europe-west4": ["Eemshaven, NL", "nl-netherlands"],
  "europe-west6": ["Zurich, CH", "ch-zurich"],
  "europe-west8": ["Milan, IT", "it-milan"],
  "europe-west9": ["Paris, FR", "fr-paris"],
  "asia-east1": ["Changhua County, TW", "tw-changhua"],
  "asia-east2": ["Hong Kong, HK", "hk"],
  "asia-northeast1": ["Tokyo, JP", "jp-tokyo"],
  "asia-northeast2": ["Osaka, JP", "jp-osaka"],
  "asia-northeast3": ["Seoul, KR", "kr-seoul"],
  "asia-southeast1": ["Jurong West, SG", "sg"],
};

/** Where a region is ("Ashburn, Virginia, US"), or the region itself when the table lacks it. */
export function placeOf(cloud: "azure" | "gcp", region: string): string {
  return (cloud === "azure" ? AZURE_REGION_GEOGRAPHY : GCP_REGION_GEOGRAPHY)[region]?.[0] ?? region;
}

/** The GCP regions in the same geography as an Azure region (none when no GCP region is near). */
export function gcpRegionsNear(azureRegion: string): string[] {
  const geography = AZURE_REGION_GEOGRAPHY[azureRegion]?.[1];
  return Object.entries(GCP_REGION_GEOGRAPHY)
    .filter(([, [, g]]) => g === geography)
    .map(([r]) => r);
}

/**
 * Why a site's Azure and GCP regions are not one geography, naming both places and the GCP
 * regions that would be (gcp.region), or undefined when they are.
 */
export function siteGeographyProblem(azureRegion: string, gcpRegion: string): string | undefined {
  const azure = AZURE_REGION_GEOGRAPHY[azureRegion]?.[1];
  if (azure !== undefined && azure === GCP_REGION_GEOGRAPHY[gcpRegion]?.[1]) return undefined;
  const near = gcpRegionsNear(azureRegion);
  return (
    `Azure ${azureRegion} (${placeOf("azure", azureRegion)}) and GCP ${gcpRegion} (${placeOf("gcp", gcpRegion)}) ` +
    `are not in one geography: a regional disaster can take out half of this site and half of its peer; ` +
    (near.length
      ? `change gcp.region to ${near.join(" or ")}, in the same geography as Azure ${azureRegion}`
      : `no GCP region is near Azure ${azureRegion}: change azure.region, or accept the spread`)
  );
}
