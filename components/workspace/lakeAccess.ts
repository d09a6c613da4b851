import * as pulumi from "@pulumi/pulumi";
import * as databricks from "@pulumi/databricks";
import * as authorization from "@pulumi/azure-native/authorization";
import * as azureDatabricks from "@pulumi/azure-native/databricks";
import type * as storage from "@pulumi/azure-native/storage";
import type { WorkspaceSpec } from "../../config/workspaceSchema";
import { armIds, azureNames, lakeUrl, stableGuid } from "../naming";
import { peerSite, type Site } from "../role";

/** Built-in role "Storage Blob Data Contributor" (azure-docs role-based-access-control built-in-roles/storage.md). */
const STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

/** What the way to the lakes is built from: the site, its subscription and metastore, the spec. */
export interface LakeAccessArgs {
  readonly site: Site;
  readonly prefix: string;
  readonly azure: {
    readonly subscriptionId: string;
    readonly peerSubscriptionId?: string;
    readonly unityCatalogMetastoreId: string;
  };
  readonly spec: Pick<WorkspaceSpec, "runAs" | "lake" | "lakeGrants">;
  /** The peer's deployed outputs show its lake: a role on it can be created. */
  readonly peerLakeReady: boolean;
}

/**
 * How the jobs reach the lakes (issue 12): an access connector (a managed identity) with
 * Storage Blob Data Contributor on this site's lake and, once the peer's outputs show it, on the
 * peer's (deep clones write there); the workspace assigned to its region's Unity Catalog
 * metastore; a storage credential on the connector; an external location per lake with grants
 * to the groups and the jobs' service principal. Returns what the jobs must wait for.
 */
export function unityCatalogAccess(
  parent: pulumi.Resource,
  name: string,
  args: LakeAccessArgs,
  r: {
    lake: storage.StorageAccount;
    workspace: azureDatabricks.Workspace;
    runAs: databricks.ServicePrincipal;
    groups: pulumi.Resource[];
    dbx: pulumi.CustomResourceOptions;
    inGroup: {
      resourceGroupName: pulumi.Input<string>;
      location: string;
      tags: Record<string, string>;
    };
  },
): { own: pulumi.Resource[]; peer: pulumi.Resource[] } {
  const { site, prefix, azure, spec } = args;
  const child = { parent };
  const names = azureNames(prefix, site);
  const peerNames = azureNames(prefix, peerSite(site));
  const ownLake = armIds(azure.subscriptionId, names).lake;
  const peerLake = armIds(azure.peerSubscriptionId ?? azure.subscriptionId, peerNames).lake;
  const connector = new azureDatabricks.AccessConnector(
    `${name}-access-connector`,
    { ...r.inGroup, connectorName: names.accessConnector, identity: { type: "SystemAssigned" } },
    child,
  );
  const principalId = connector.identity.apply((i) => i?.principalId ?? "");
  const contributor = (scope: string, onPeer: boolean) =>
    new authorization.RoleAssignment(
      `${name}-${onPeer ? "peer-" : ""}lake-access`,
      {
        roleAssignmentName: stableGuid(scope, names.accessConnector, STORAGE_BLOB_DATA_CONTRIBUTOR),
        scope,
        principalId,
        principalType: "ServicePrincipal",
        // The role definition as seen from the scope's own subscription (the peer's may differ).
        roleDefinitionId: `${scope.split("/resourceGroups/")[0]}/providers/Microsoft.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_CONTRIBUTOR}`,
      },
      // The own lake's scope is a literal: wait for the account it names.
      onPeer ? child : { ...child, dependsOn: [r.lake] },
    );
  const ownRole = contributor(ownLake, false);
  // A role on a storage account that does not exist yet fails: the peer's lake exists once its
  // deployed outputs show it, and the deployment after the peer's adds this.
  const peerRole = args.peerLakeReady ? contributor(peerLake, true) : undefined;

  // The caller must be an account admin (databricks-sdk-go catalog Metastores.Assign); the
  // workspace's region must be the metastore's.
  const assignment = new databricks.MetastoreAssignment(
    `${name}-metastore`,
    { workspaceId: r.workspace.workspaceId, metastoreId: azure.unityCatalogMetastoreId },
    r.dbx,
  );
  const credential = new databricks.StorageCredential(
    `${name}-lake-credential`,
    {
      name: `${prefix}-${site}-lakes`,
      azureManagedIdentity: { accessConnectorId: connector.id },
      comment: "paired-dr: the access connector that reaches both sites' lakes",
    },
    { ...r.dbx, dependsOn: [assignment, ownRole, ...(peerRole ? [peerRole] : [])] },
  );
  const jobsPrincipal = {
    principal: spec.runAs,
    privileges: ["READ_FILES", "WRITE_FILES", "CREATE_EXTERNAL_TABLE"],
  };
  const location = (
    account: string,
    onPeer: boolean,
    groups: Readonly<Record<string, readonly string[]>>,
  ) => {
    const loc = new databricks.ExternalLocation(
      `${name}-${onPeer ? "peer-" : ""}lake-location`,
      {
        name: account,
        url: lakeUrl(account, spec.lake.container),
        credentialName: credential.name,
        comment: onPeer
          ? "paired-dr: the peer site's lake, where this site's deep clones write"
          : "paired-dr: this site's lake",
      },
      r.dbx,
    );
    const grants = new databricks.Grants(
      `${name}-${onPeer ? "peer-" : ""}lake-grants`,
      {
        externalLocation: loc.name,
        grants: [
          ...Object.entries(groups)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([principal, privileges]) => ({ principal, privileges: [...privileges] })),
          jobsPrincipal,
        ],
      },
      // Grants name the groups and the principal: they must exist first.
      { ...r.dbx, dependsOn: [r.runAs, ...r.groups] },
    );
    return [loc, grants];
  };
  return {
    own: location(names.lake, false, spec.lakeGrants),
    peer: args.peerLakeReady ? location(peerNames.lake, true, {}) : [],
  };
}
