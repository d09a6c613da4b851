import type { StackValidationPolicy } from "@pulumi/policy";
import { TYPE } from "../contracts/facts";
import { ofType, requireFacts } from "./support";

/** Storage SKUs that keep every copy in one region. */
export const SINGLE_REGION_SKUS: ReadonlySet<string> = new Set([
  "Standard_LRS",
  "Standard_ZRS",
  "Premium_LRS",
  "Premium_ZRS",
]);

/**
 * azure-databricks-workspace-storage-redundancy
 *
 * Severity: medium. Topic: disaster recovery, storage redundancy.
 *
 * The workspace's managed (DBFS) storage account holds what the workspace writes outside the
 * lake. A single-region SKU loses it with the region, so it is geo-redundant unless the
 * deployment explicitly accepts single-region storage (allowSingleRegionStorage).
 */
export const azureDatabricksWorkspaceStorageRedundancy: StackValidationPolicy = {
  name: "azure-databricks-workspace-storage-redundancy",
  description:
    "Databricks workspaces use a geo-redundant managed storage SKU unless single-region storage is explicitly allowed.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateStack: (args, report) => {
    const facts = requireFacts(args, report);
    if (!facts || facts.allowSingleRegionStorage) return;
    for (const workspace of ofType(args.resources, TYPE.databricksWorkspace)) {
      const sku = workspace.props.parameters?.storageAccountSkuName?.value;
      if (typeof sku === "string" && SINGLE_REGION_SKUS.has(sku)) {
        report(
          `Use a geo-redundant storageAccountSkuName on workspace '${workspace.name}' (or allow single-region storage): it is ${sku}`,
          workspace.urn,
        );
      }
    }
  },
};
