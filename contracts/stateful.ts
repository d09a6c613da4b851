/**
 * Resource types that hold data or identity a DR stack cannot lose, and the inputs whose change
 * makes the provider replace a resource. A contract between the program (which protects these
 * types), the policy pack (dr-stateful-resources-protected) and the plan's diff (which flags
 * their replacement loudly); dependency-free, like everything in contracts/.
 */

/** Inputs whose change forces replacement, per type. "*" means every input does. */
export const REPLACE_ON_CHANGE: Readonly<Record<string, readonly string[]>> = {
  // Changing customPlacementConfig or location recreates the bucket (provider docs).
  "gcp:storage/bucket:Bucket": ["name", "project", "location", "customPlacementConfig"],
  "gcp:dataproc/metastoreService:MetastoreService": [
    "serviceId",
    "project",
    "location",
    "databaseType",
  ],
  "azure-native:resources:ResourceGroup": ["resourceGroupName", "location"],
  "azure-native:databricks:Workspace": [
    "workspaceName",
    "resourceGroupName",
    "location",
    "managedResourceGroupId",
  ],
  // A new public IP is a new egress address (pulumi-azure-native replacement.go).
  "azure-native:network:PublicIPAddress": [
    "publicIpAddressName",
    "resourceGroupName",
    "location",
    "publicIPAddressVersion",
    "sku",
  ],
  "azure-native:storage:StorageAccount": [
    "accountName",
    "resourceGroupName",
    "location",
    "isHnsEnabled",
  ],
  "azure-native:keyvault:Vault": ["vaultName", "resourceGroupName", "location"],
  // The provider's own Blob schema marks these ForceNew, source among them, and replaces by
  // deleting first (pulumi-azure-native customresources/custom_storage_azidentity.go).
  "azure-native:storage:Blob": [
    "resourceGroupName",
    "accountName",
    "containerName",
    "blobName",
    "type",
    "contentMd5",
    "source",
  ],
  // content is updated in place since terraform-provider-google v5.35.0 (#18479); these are
  // ForceNew (resource_storage_bucket_object.go).
  "gcp:storage/bucketObject:BucketObject": [
    "bucket",
    "name",
    "contentType",
    "cacheControl",
    "contentDisposition",
    "contentEncoding",
    "contentLanguage",
    "source",
    "storageClass",
    "kmsKeyName",
    "metadata",
  ],
  // administrators is create-only (Servers.json 2021-11-01: x-ms-mutability read, create).
  "azure-native:sql:Server": ["serverName", "resourceGroupName", "location", "administrators"],
  "azure-native:sql:ElasticPool": [
    "elasticPoolName",
    "serverName",
    "resourceGroupName",
    "location",
  ],
  "azure-native:sql:Database": [
    "databaseName",
    "serverName",
    "resourceGroupName",
    "location",
    "createMode",
  ],
  "azure-native:sql:FailoverGroup": ["failoverGroupName", "serverName", "resourceGroupName"],
  // Every field of these forces replacement; a notebook's path does (DESIGN, provider facts).
  "databricks:index/secretScope:SecretScope": ["*"],
  "databricks:index/secret:Secret": ["*"],
  "databricks:index/mount:Mount": ["*"],
  "databricks:index/library:Library": ["*"],
  "databricks:index/notebook:Notebook": ["path"],
  "databricks:index/workspaceFile:WorkspaceFile": ["path"],
  "databricks:index/instancePool:InstancePool": ["nodeTypeId"],
  // terraform-provider-databricks catalog/: a storage credential's and an external location's
  // name are ForceNew (resource_storage_credential.go, resource_external_location.go), so are a
  // metastore assignment's IDs (resource_metastore_assignment.go) and a grant's securable
  // (resource_grants.go).
  "databricks:index/storageCredential:StorageCredential": ["name"],
  "databricks:index/externalLocation:ExternalLocation": ["name"],
  "databricks:index/metastoreAssignment:MetastoreAssignment": ["workspaceId", "metastoreId"],
  "databricks:index/grants:Grants": ["externalLocation"],
  "azure-native:databricks:AccessConnector": ["connectorName", "resourceGroupName", "location"],
};

/** Types whose deletion or replacement can lose data, secrets or a recovery path. */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  // Deleting a resource group deletes everything in it.
  "azure-native:resources:ResourceGroup",
  "azure-native:storage:BlobContainer",
  "databricks:index/directory:Directory",
  "gcp:storage/bucket:Bucket",
  "gcp:dataproc/metastoreService:MetastoreService",
  "azure-native:databricks:Workspace",
  "azure-native:storage:StorageAccount",
  "azure-native:keyvault:Vault",
  "azure-native:sql:Server",
  "azure-native:sql:ElasticPool",
  "azure-native:sql:Database",
  "azure-native:sql:FailoverGroup",
  "databricks:index/secretScope:SecretScope",
  "databricks:index/secret:Secret",
  "databricks:index/notebook:Notebook",
  "databricks:index/workspaceFile:WorkspaceFile",
]);

export function isStateful(type: string): boolean {
  return STATEFUL_TYPES.has(type);
}

/**
 * The changed top-level inputs that force `type` to be replaced. `changed` holds input paths
 * ("customPlacementConfig.dataLocations[0]"); a path counts by its top-level key.
 */
export function replacementTriggers(type: string, changed: readonly string[]): string[] {
  const triggers = REPLACE_ON_CHANGE[type];
  if (!triggers) return [];
  if (triggers.includes("*")) return [...changed];
  return changed.filter((p) => triggers.includes(p.split(/[.[]/)[0]!));
}
