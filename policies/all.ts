/**
 * Every policy of the pack, in a fixed order. No PolicyPack here: constructing one starts the
 * analyzer server, so tests import this list and index.ts alone builds the pack.
 */
import type { Policies } from "@pulumi/policy";
import { azureDatabricksWorkspaceStorageRedundancy } from "./azure-databricks-workspace-storage-redundancy";
import { azureSqlFailoverGroupGracePeriod } from "./azure-sql-failover-group-grace-period";
import { azureSqlPaidTenantsInFailoverGroups } from "./azure-sql-paid-tenants-in-failover-groups";
import { azureSqlServerSecure } from "./azure-sql-server-secure";
import { azureStorageLakeSecure } from "./azure-storage-lake-secure";
import { databricksClusterNotAllowed } from "./databricks-cluster-not-allowed";
import { databricksJobPortable } from "./databricks-job-portable";
import { databricksPassiveStandsDown } from "./databricks-passive-stands-down";
import { drOneActiveSite } from "./dr-one-active-site";
import { drPromotionGate } from "./dr-promotion-gate";
import { drRegionPair } from "./dr-region-pair";
import { drRpoBudget } from "./dr-rpo-budget";
import { drSiteGeography } from "./dr-site-geography";
import { drStatefulResourcesProtected } from "./dr-stateful-resources-protected";
import { gcpBucketDualRegion } from "./gcp-bucket-dual-region";
import { gcpBucketTurboReplication } from "./gcp-bucket-turbo-replication";
import { gcpMetastoreBackupWithinRpo } from "./gcp-metastore-backup-within-rpo";

export const allPolicies: Policies = [
  // Which site runs, and how a site becomes the one that runs.
  drOneActiveSite,
  drPromotionGate,
  drRegionPair,
  drSiteGeography,
  drStatefulResourcesProtected,
  drRpoBudget,
  // Databricks workspace
  databricksPassiveStandsDown,
  databricksJobPortable,
  databricksClusterNotAllowed,
  // GCP: shared buckets and the Hive metastore
  gcpBucketDualRegion,
  gcpBucketTurboReplication,
  gcpMetastoreBackupWithinRpo,
  // Azure: workspace storage, the lake, SQL
  azureDatabricksWorkspaceStorageRedundancy,
  azureStorageLakeSecure,
  azureSqlServerSecure,
  azureSqlFailoverGroupGracePeriod,
  azureSqlPaidTenantsInFailoverGroups,
];
