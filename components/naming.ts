import { createHash } from "node:crypto";
import type { Site } from "./role";

/** Short site codes for names with tight length limits (storage accounts, key vaults). */
export const SITE_CODE: Readonly<Record<Site, string>> = { primary: "pri", secondary: "sec" };

/**
 * Azure resource names for one site, deterministic from the prefix and the site. A change here
 * renames, and so replaces, live resources: treat it as a breaking change.
 */
export function azureNames(prefix: string, site: Site) {
  const compact = prefix.replace(/-/g, "");
  return {
    resourceGroup: `${prefix}-${site}-rg`,
    networkSecurityGroup: `${prefix}-${site}-dbx-nsg`,
    virtualNetwork: `${prefix}-${site}-dbx-vnet`,
    hostSubnet: "dbx-host",
    containerSubnet: "dbx-container",
    /** Private endpoints of the site's services (the SQL server's). */
    privateEndpointSubnet: "private-endpoints",
    /** The Databricks subnets' egress: a NAT gateway and its static public IP. */
    natGateway: `${prefix}-${site}-dbx-nat`,
    /** The managed identity Unity Catalog reaches the lakes with. */
    accessConnector: `${prefix}-${site}-dbx-access`,
    egressIp: `${prefix}-${site}-dbx-egress-ip`,
    workspace: `${prefix}-${site}-dbw`,
    managedResourceGroup: `${prefix}-${site}-dbw-managed-rg`,
    /** Storage account: 3-24 lowercase letters and digits, globally unique. */
    lake: `${compact}${SITE_CODE[site]}lake`,
    /** Key Vault: 3-24 letters, digits and '-', globally unique. */
    keyVault: `${prefix}-${SITE_CODE[site]}-kv`,
  };
}
export type AzureNames = ReturnType<typeof azureNames>;

/**
 * A Databricks job's concurrency resource (components/workspace/jobConcurrency.ts): named after
 * its job, and marked among the dynamic resources by its `kind` input.
 */
export const JOB_CONCURRENCY_KIND = "databricks-job-concurrency";
export const concurrencyName = (jobResourceName: string) => `${jobResourceName}-concurrency`;

/** How the metastore's two workflows and their schedules end: the restore, and the Hive cluster's fence. */
export const HMS_RESTORE = "-hms-restore";
export const HMS_FENCE = "-hms-fence";

/** A scheduler job that starts the restore workflow, told from the fence's by its name. */
export const isRestoreSchedule = (jobName: unknown): boolean =>
  typeof jobName === "string" && jobName.endsWith(HMS_RESTORE);

/** GCP names for one site, deterministic from the prefix and the site. */

export function gcpNames(prefix: string, site: Site) {
  return {
    metastoreService: `${prefix}-${site}-hms`,
    /** A drill's scratch service (components/drill/plan.ts): never the site's own. */
    drillService: `${prefix}-${site}-hms-drill`,
    /** Service account IDs: 6-30 characters. */
    syncAccount: `${prefix}-${SITE_CODE[site]}-hms-sync`,
    restoreWorkflow: `${prefix}-${site}${HMS_RESTORE}`,
    restoreSchedule: `${prefix}-${site}${HMS_RESTORE}`,
    fenceAccount: `${prefix}-${SITE_CODE[site]}-hms-fence`,
    fenceWorkflow: `${prefix}-${site}${HMS_FENCE}`,
    fenceSchedule: `${prefix}-${site}${HMS_FENCE}`,
    finalBackupWorkflow: `${prefix}-${site}-hms-final-backup`,
    /** A project custom role's ID: 3-64 letters, digits, underscores and periods. */
    operationsRole: `${prefix.replace(/-/g, "_")}_${site}_metastore_operations`,
    hiveCluster: `${prefix}-${site}-hive`,
  };
}

/** ARM IDs computed from config alone, so a stack can name its peer's resources while the peer is down. */
export function armIds(subscriptionId: string, names: AzureNames) {
  const group = `/subscriptions/${subscriptionId}/resourceGroups/${names.resourceGroup}`;
  return {
    resourceGroup: group,
    virtualNetwork: `${group}/providers/Microsoft.Network/virtualNetworks/${names.virtualNetwork}`,
    workspace: `${group}/providers/Microsoft.Databricks/workspaces/${names.workspace}`,
    managedResourceGroup: `/subscriptions/${subscriptionId}/resourceGroups/${names.managedResourceGroup}`,
    lake: `${group}/providers/Microsoft.Storage/storageAccounts/${names.lake}`,
    keyVault: `${group}/providers/Microsoft.KeyVault/vaults/${names.keyVault}`,
  };
}

/** The abfss:// URL of a path in a lake container. */
export function lakeUrl(account: string, container: string, lakePath = ""): string {
  return `abfss://${container}@${account}.dfs.core.windows.net/${lakePath}`;
}

/** A stable GUID from its parts (role assignment names must be GUIDs and must not change). */
export function stableGuid(...parts: string[]): string {
  const h = createHash("sha256").update(parts.join("/")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
