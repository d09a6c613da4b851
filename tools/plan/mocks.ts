import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { JOB_CONCURRENCY_KIND } from "../../components/naming";
import { FINAL_SYNC_KIND } from "../../components/workspace/finalSync";

/**
 * The one mocks module for the offline plan and the tests: realistic outputs per resource type,
 * deterministic from the resource's name and inputs so two runs of a stack are identical.
 */

export const MOCK_SUBSCRIPTION_ID = "3f2a9c1e-5b7d-4e8f-9a6b-1c2d3e4f5a6b";
export const MOCK_TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const MOCK_CLIENT_ID = "0c8d6b1a-2f3e-4d5c-8b9a-7e6f5d4c3b2a";
export const MOCK_GCP_PROJECT_NUMBER = "482913557021";
export const MOCK_GCP_PROJECT = "mock-project";

function digest(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

/** A stable number of `length` digits derived from `seed`. */
export function mockDigits(seed: string, length: number): string {
  const hex = digest(seed);
  let out = "";
  for (let i = 0; out.length < length; i++)
    out += (parseInt(hex.slice(i * 2, i * 2 + 2), 16) % 10).toString();
  return out.replace(/^0/, "1");
}

/** A stable GUID derived from `seed`. */
export function mockGuid(seed: string): string {
  const h = digest(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

type Inputs = Record<string, any>;

/**
 * ARM ID shapes for the azure-native types this program registers: the provider namespace and
 * collection, the input that names the resource, and the parent collection for child resources.
 */
interface ArmShape {
  readonly collection: string;
  readonly nameInput: string;
  readonly parent?: { readonly collection: string; readonly nameInput: string };
}

const ARM_SHAPES: Readonly<Record<string, ArmShape>> = {
  "azure-native:authorization:RoleAssignment": { collection: "", nameInput: "roleAssignmentName" },
  "azure-native:resources:ResourceGroup": { collection: "", nameInput: "resourceGroupName" },
  "azure-native:databricks:Workspace": {
    collection: "Microsoft.Databricks/workspaces",
    nameInput: "workspaceName",
  },
  "azure-native:storage:StorageAccount": {
    collection: "Microsoft.Storage/storageAccounts",
    nameInput: "accountName",
  },
  "azure-native:storage:BlobContainer": {
    collection: "containers",
    nameInput: "containerName",
    parent: {
      collection: "Microsoft.Storage/storageAccounts/{}/blobServices/default",
      nameInput: "accountName",
    },
  },
  "azure-native:keyvault:Vault": {
    collection: "Microsoft.KeyVault/vaults",
    nameInput: "vaultName",
  },
  "azure-native:network:VirtualNetwork": {
    collection: "Microsoft.Network/virtualNetworks",
    nameInput: "virtualNetworkName",
  },
  "azure-native:network:Subnet": {
    collection: "subnets",
    nameInput: "subnetName",
    parent: { collection: "Microsoft.Network/virtualNetworks/{}", nameInput: "virtualNetworkName" },
  },
  "azure-native:network:NetworkSecurityGroup": {
    collection: "Microsoft.Network/networkSecurityGroups",
    nameInput: "networkSecurityGroupName",
  },
  "azure-native:databricks:AccessConnector": {
    collection: "Microsoft.Databricks/accessConnectors",
    nameInput: "connectorName",
  },
  "azure-native:network:PublicIPAddress": {
    collection: "Microsoft.Network/publicIPAddresses",
    nameInput: "publicIpAddressName",
  },
  "azure-native:network:NatGateway": {
    collection: "Microsoft.Network/natGateways",
    nameInput: "natGatewayName",
  },
  "azure-native:network:PrivateEndpoint": {
    collection: "Microsoft.Network/privateEndpoints",
    nameInput: "privateEndpointName",
  },
  "azure-native:network:PrivateDnsZoneGroup": {
    collection: "privateDnsZoneGroups",
    nameInput: "privateDnsZoneGroupName",
    parent: {
      collection: "Microsoft.Network/privateEndpoints/{}",
      nameInput: "privateEndpointName",
    },
  },
  "azure-native:privatedns:PrivateZone": {
    collection: "Microsoft.Network/privateDnsZones",
    nameInput: "privateZoneName",
  },
  "azure-native:privatedns:VirtualNetworkLink": {
    collection: "virtualNetworkLinks",
    nameInput: "virtualNetworkLinkName",
    parent: { collection: "Microsoft.Network/privateDnsZones/{}", nameInput: "privateZoneName" },
  },
  "azure-native:sql:Server": { collection: "Microsoft.Sql/servers", nameInput: "serverName" },
  "azure-native:sql:ElasticPool": {
    collection: "elasticPools",
    nameInput: "elasticPoolName",
    parent: { collection: "Microsoft.Sql/servers/{}", nameInput: "serverName" },
  },
  "azure-native:sql:Database": {
    collection: "databases",
    nameInput: "databaseName",
    parent: { collection: "Microsoft.Sql/servers/{}", nameInput: "serverName" },
  },
  "azure-native:sql:FailoverGroup": {
    collection: "failoverGroups",
    nameInput: "failoverGroupName",
    parent: { collection: "Microsoft.Sql/servers/{}", nameInput: "serverName" },
  },
};

/** The ARM ID Azure would give a resource of `type` with these inputs. */
export function armId(
  type: string,
  name: string,
  inputs: Inputs,
  subscriptionId = MOCK_SUBSCRIPTION_ID,
): string {
  const shape = ARM_SHAPES[type];
  if (!shape) throw new Error(`no ARM ID shape for ${type}`);
  const own = inputs[shape.nameInput] ?? name;
  if (type === "azure-native:authorization:RoleAssignment") {
    return `${inputs.scope}/providers/Microsoft.Authorization/roleAssignments/${own}`;
  }
  const group = `/subscriptions/${subscriptionId}/resourceGroups/${inputs.resourceGroupName ?? own}`;
  if (type === "azure-native:resources:ResourceGroup") return group;
  const parent = shape.parent
    ? `/providers/${shape.parent.collection.replace("{}", inputs[shape.parent.nameInput])}`
    : "/providers";
  return `${group}${parent}/${shape.collection}/${own}`;
}

function azureOutputs(type: string, name: string, inputs: Inputs, subscriptionId: string): Inputs {
  const id = armId(type, name, inputs, subscriptionId);
  const shape = ARM_SHAPES[type]!;
  const own = inputs[shape.nameInput] ?? name;
  const common = {
    ...inputs,
    id,
    name: own,
    type: shape.collection || "Microsoft.Resources/resourceGroups",
  };
  switch (type) {
    case "azure-native:databricks:Workspace": {
      const workspaceId = mockDigits(id, 16);
      return {
        ...common,
        workspaceId,
        workspaceUrl: `adb-${workspaceId}.${Number(mockDigits(id + "shard", 2)) % 20}.azuredatabricks.net`,
        provisioningState: "Succeeded",
      };
    }
    case "azure-native:storage:StorageAccount":
      return {
        ...common,
        primaryEndpoints: {
          blob: `https://${own}.blob.core.windows.net/`,
          dfs: `https://${own}.dfs.core.windows.net/`,
        },
        primaryLocation: inputs.location,
        provisioningState: "Succeeded",
      };
    case "azure-native:databricks:AccessConnector":
      return {
        ...common,
        identity: {
          ...inputs.identity,
          principalId: mockGuid(`${id}/identity`),
          tenantId: MOCK_TENANT_ID,
        },
      };
    case "azure-native:keyvault:Vault":
      return {
        ...common,
        properties: { ...inputs.properties, vaultUri: `https://${own}.vault.azure.net/` },
      };
    case "azure-native:sql:Server":
      return { ...common, fullyQualifiedDomainName: `${own}.database.windows.net`, state: "Ready" };
    default:
      return common;
  }
}

function gcpOutputs(type: string, name: string, inputs: Inputs): { id: string; state: Inputs } {
  switch (type) {
    case "gcp:dataproc/metastoreService:MetastoreService": {
      const name = `projects/${inputs.project ?? MOCK_GCP_PROJECT}/locations/${inputs.location}/services/${inputs.serviceId}`;
      return {
        id: name,
        state: {
          ...inputs,
          name,
          endpointUri: `thrift://10.${Number(mockDigits(name, 2)) % 250}.0.${Number(mockDigits(name + "h", 2)) % 250}:9083`,
          artifactGcsUri: `gs://gcs-bucket-${inputs.serviceId}-${mockGuid(name).slice(0, 8)}/hive-warehouse`,
          state: "ACTIVE",
          uid: mockGuid(name),
        },
      };
    }
    case "gcp:workflows/workflow:Workflow": {
      const id = `projects/${inputs.project ?? MOCK_GCP_PROJECT}/locations/${inputs.region}/workflows/${inputs.name}`;
      return { id, state: { ...inputs, state: "ACTIVE", revisionId: "000001-a1b" } };
    }
    case "gcp:serviceaccount/account:Account": {
      const email = `${inputs.accountId}@${inputs.project ?? MOCK_GCP_PROJECT}.iam.gserviceaccount.com`;
      return {
        id: `projects/${inputs.project ?? MOCK_GCP_PROJECT}/serviceAccounts/${email}`,
        state: {
          ...inputs,
          email,
          member: `serviceAccount:${email}`,
          uniqueId: mockDigits(email, 21),
        },
      };
    }
    case "gcp:storage/bucket:Bucket": {
      const bucket = inputs.name ?? name;
      return {
        id: bucket,
        state: {
          ...inputs,
          name: bucket,
          location: String(inputs.location).toUpperCase(),
          url: `gs://${bucket}`,
          selfLink: `https://www.googleapis.com/storage/v1/b/${bucket}`,
          project: inputs.project ?? "mock-project",
          projectNumber: MOCK_GCP_PROJECT_NUMBER,
        },
      };
    }
    default:
      return { id: `${name}-${mockDigits(type + name, 6)}`, state: inputs };
  }
}

function databricksOutputs(
  type: string,
  name: string,
  inputs: Inputs,
  host: string,
): { id: string; state: Inputs } {
  const seed = `${host}/${type}/${name}`;
  const numeric = () => mockDigits(seed, 15);
  switch (type) {
    case "databricks:index/instancePool:InstancePool": {
      const id = `${mockDigits(seed, 4)}-${mockDigits(seed + "t", 6)}-pool-${mockGuid(seed).slice(0, 8)}`;
      return { id, state: { ...inputs, instancePoolId: id } };
    }
    case "databricks:index/job:Job": {
      const id = numeric();
      return { id, state: { ...inputs, url: `${host}/#job/${id}` } };
    }
    case "databricks:index/clusterPolicy:ClusterPolicy": {
      const id = mockGuid(seed).replace(/-/g, "").slice(0, 16).toUpperCase();
      return { id, state: { ...inputs, policyId: id } };
    }
    case "databricks:index/notebook:Notebook":
    case "databricks:index/workspaceFile:WorkspaceFile":
    case "databricks:index/directory:Directory":
      return {
        id: inputs.path,
        state: {
          ...inputs,
          objectId: Number(mockDigits(seed, 15)),
          workspacePath: `/Workspace${inputs.path}`,
        },
      };
    case "databricks:index/group:Group":
      return { id: numeric(), state: inputs };
    case "databricks:index/secretScope:SecretScope":
      return {
        id: inputs.name,
        state: {
          ...inputs,
          backendType: inputs.keyvaultMetadata ? "AZURE_KEYVAULT" : "DATABRICKS",
        },
      };
    case "databricks:index/secretAcl:SecretAcl":
      return { id: `${inputs.scope}|||${inputs.principal}`, state: inputs };
    case "databricks:index/permissions:Permissions": {
      const [kind, target] = Object.entries(inputs).find(([k]) => k !== "accessControls") ?? [
        "object",
        name,
      ];
      return { id: `/${kind}/${target}`, state: inputs };
    }
    default:
      return { id: numeric(), state: inputs };
  }
}

/**
 * Mocks for one program run. They remember each provider's configuration, as a real engine
 * would, so an ARM ID carries the stack's own subscription and a Databricks ID its workspace.
 */
export function createMocks(
  stackOutputs: Readonly<Record<string, Inputs>> = {},
): pulumi.runtime.Mocks {
  const providers = new Map<string, Inputs>();
  // A resource names its provider as "<provider urn>::<provider id>".
  const providerInputs = (ref: string | undefined): Inputs =>
    (ref ? providers.get(ref.slice(ref.lastIndexOf("::") + 2)) : undefined) ?? {};
  return {
    newResource(args) {
      const { type, name, inputs } = args;
      if (type === "pulumi:pulumi:StackReference") {
        // A reference names "<org>/<project>/<stack>"; the engine answers with that stack's last
        // outputs, or none: an initialized stack that was never deployed.
        const stack = String(inputs.name).split("/").pop()!;
        return {
          id: String(inputs.name),
          state: { name: inputs.name, outputs: stackOutputs[stack] ?? {}, secretOutputNames: [] },
        };
      }
      if (type.startsWith("pulumi:providers:")) {
        const id = mockGuid(`${type}/${name}/${JSON.stringify(inputs)}`);
        providers.set(id, inputs);
        return { id, state: inputs };
      }
      if (type.startsWith("azure-native:") && ARM_SHAPES[type]) {
        const subscription = providerInputs(args.provider).subscriptionId ?? MOCK_SUBSCRIPTION_ID;
        const state = azureOutputs(type, name, inputs, subscription);
        return { id: state.id, state };
      }
      if (type.startsWith("gcp:")) {
        return gcpOutputs(type, name, {
          project: providerInputs(args.provider).project,
          ...inputs,
        });
      }
      if (type.startsWith("databricks:")) {
        const host =
          providerInputs(args.provider).host ??
          "https://adb-0000000000000000.0.azuredatabricks.net";
        return databricksOutputs(type, name, inputs, host);
      }
      if (type === "pulumi-nodejs:dynamic:Resource" && inputs.kind === JOB_CONCURRENCY_KIND) {
        // Deployed: Databricks reports what the resource set.
        return {
          id: String(inputs.jobId),
          state: { ...inputs, effectiveMaxConcurrentRuns: inputs.maxConcurrentRuns },
        };
      }
      if (type === "pulumi-nodejs:dynamic:Resource" && inputs.kind === FINAL_SYNC_KIND) {
        // Deployed: each copy's final run succeeded (a notebook that returned no exit value).
        const jobs = (inputs.jobs ?? []) as { name: string; jobId: string }[];
        return {
          id: String(inputs.syncKey),
          state: {
            ...inputs,
            synced: jobs.map((j) => ({
              name: j.name,
              jobId: j.jobId,
              runId: Number(mockDigits(`${inputs.syncKey}/${j.name}`, 9)),
              output: null,
            })),
          },
        };
      }
      const argument = inputs.argument as { backupId?: unknown } | undefined;
      if (type === "pulumi-nodejs:dynamic:Resource" && typeof argument?.backupId === "string") {
        // Deployed: a drain's final backup run (components/metastore/plan.ts finalBackupRun)
        // returned the backup it made, under the service it targets.
        const backup = `${inputs.target}/backups/${argument.backupId}`;
        return {
          id: `${name}-${mockDigits(type + name, 8)}`,
          state: { ...inputs, result: JSON.stringify({ backup }) },
        };
      }
      return { id: `${name}-${mockDigits(type + name, 8)}`, state: inputs };
    },
    call: mockCall,
  };
}

/** Outputs for one registration without provider context (see createMocks). */
export function mockResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Inputs } {
  return createMocks().newResource(args) as { id: string; state: Inputs };
}

/** Results of provider functions (invokes). */
export function mockCall(args: pulumi.runtime.MockCallArgs): Inputs {
  switch (args.token) {
    case "azure-native:authorization:getClientConfig":
      return {
        clientId: MOCK_CLIENT_ID,
        objectId: mockGuid("deployer"),
        subscriptionId: MOCK_SUBSCRIPTION_ID,
        tenantId: MOCK_TENANT_ID,
      };
    case "gcp:organizations/getClientConfig:getClientConfig":
      return {
        id: "mock",
        project: MOCK_GCP_PROJECT,
        region: "",
        zone: "",
        accessToken: "ya29.mock-access-token",
      };
    case "gcp:organizations/getProject:getProject":
      return { projectId: args.inputs.projectId, number: MOCK_GCP_PROJECT_NUMBER };
    default:
      return args.inputs;
  }
}
