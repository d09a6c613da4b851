import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as databricks from "@pulumi/databricks";
import * as authorization from "@pulumi/azure-native/authorization";
import * as azureDatabricks from "@pulumi/azure-native/databricks";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as network from "@pulumi/azure-native/network";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import type { RepoFiles } from "../../config/repoFiles";
import type { PoolTagKey, WorkspaceSpec } from "../../config/workspaceSchema";
import { FENCE_BLOB, fenceRecord, fenceWrittenBeforeJobs } from "../fence";
import { armIds, azureNames, concurrencyName, lakeUrl, stableGuid } from "../naming";
import { peerSite, type Role, type Site } from "../role";
import {
  accessControls,
  initScriptArgs,
  jobArgs,
  jobSettingsDigest,
  poolArgs,
  policyFixedValues,
  landingJobArgs,
  copyRunLimitsMinutes,
  finalSyncRecord,
  finalSyncTimeoutMinutes,
  jobClusterArgs,
  replicationJobArgs,
  type JobContext,
} from "./plan";
import type { FinalSyncRecord } from "../lastDeployment";
import { FinalSync } from "./finalSync";
import { JobConcurrency, type DatabricksAuthType } from "./jobConcurrency";
import {
  drillRunMinutes,
  drillSubmit,
  restCluster,
  type DrillDecision,
  type DrillRunRecord,
} from "../drill/plan";
import { DrillRun } from "../drill/drillRun";
import { unityCatalogAccess } from "./lakeAccess";

/** Built-in role "Key Vault Secrets User": lets the AzureDatabricks app read a vault-backed scope. */
const KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";

export interface WorkspaceArgs {
  readonly site: Site;
  readonly role: Role;
  /** Prefix of every Azure name; names are deterministic from prefix and site. */
  readonly prefix: string;
  readonly azure: {
    readonly subscriptionId: string;
    readonly tenantId: string;
    readonly databricksPrincipalId: string;
    readonly databricksAuthType: DatabricksAuthType;
    readonly peerSubscriptionId?: string;
    readonly unityCatalogMetastoreId: string;
    readonly region: string;
    readonly network: {
      readonly addressSpace: string;
      readonly hostSubnet: string;
      readonly containerSubnet: string;
      readonly privateEndpointSubnet: string;
    };
  };
  /** The shared spec: both stacks build the same workspace objects from it. */
  readonly spec: WorkspaceSpec;
  /** The repo's notebooks, workspace files and init scripts. */
  readonly repo: RepoFiles;
  /** Tags for every Azure resource, and the pools' (which reach every cluster on them). */
  readonly tags: Readonly<Record<"platform" | "managed-by", string>>;
  /** The peer's deployed outputs show its lake; replication waits for it (JobContext). */
  readonly peerLakeReady: boolean;
  /** This deployment's fencing epoch (components/fence.ts), written to the lake's fence record. */
  readonly epoch: number;
  /** The final sync this stand-down makes (plan.ts, finalSyncKey), if any. */
  readonly finalSyncKey?: string;
  /** A drill on this standby (components/drill/plan.ts, decideDrill). */
  readonly drill?: DrillDecision;
}

/**
 * One site's Azure Databricks: resource group, VNet-injected premium workspace, ADLS Gen2 lake,
 * Key Vault, and the workspace objects of the shared spec, stood down on a passive site. Tables in
 * the spec are deep-cloned from this site's lake to the peer's by jobs that run only when active.
 */
export class Workspace extends pulumi.ComponentResource {
  public readonly workspaceUrl: pulumi.Output<string>;
  public readonly workspaceId: pulumi.Output<string>;
  public readonly lakeAccountName: string;
  public readonly lakeUrl: string;
  public readonly peerLakeUrl: string;
  public readonly keyVaultUri: pulumi.Output<string>;
  /** The site's VNet, and its subnet for private endpoints. */
  public readonly virtualNetworkId: pulumi.Output<string>;
  public readonly privateEndpointSubnetId: pulumi.Output<string>;
  /** Provider bound to this workspace, for anything else the program adds to it. */
  public readonly databricksProvider: databricks.Provider;
  /** What this stand-down's final sync copied (plan.ts, finalSyncRecord); undefined without one. */
  public readonly finalSync: pulumi.Output<FinalSyncRecord> | undefined;
  /** A drill's run on this standby's workspace; undefined without one (or without tables). */
  public readonly drillRun: pulumi.Output<DrillRunRecord> | undefined;
  /** Every resource the drill registers here, by name (deployment facts). */
  public readonly drillResources: string[] = [];

  constructor(name: string, args: WorkspaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("paired-dr:components:Workspace", name, {}, opts);
    const { site, role, prefix, azure, spec, repo } = args;
    const names = azureNames(prefix, site);
    const peerNames = azureNames(prefix, peerSite(site));
    const ids = armIds(azure.subscriptionId, names);
    const tags = { ...args.tags, "paired-dr-site": site };
    const child = { parent: this };
    const stateful = { parent: this, protect: true };

    const group = new resources.ResourceGroup(
      `${name}-rg`,
      { resourceGroupName: names.resourceGroup, location: azure.region, tags },
      stateful,
    );
    const rg = group.name;
    const inGroup = { resourceGroupName: rg, location: azure.region, tags };

    // Databricks adds its own NSG rules to an injected workspace's NSG; ignore them, or every
    // update would strip the rules the workspace needs.
    const nsg = new network.NetworkSecurityGroup(
      `${name}-nsg`,
      {
        ...inGroup,
        networkSecurityGroupName: names.networkSecurityGroup,
      },
      // Create-only: azure-native cannot update an NSG declared without securityRules
      // ("InvalidRequestFormat", pulumi-azure-native#3114, #4094), so a tag change would fail.
      { ...child, ignoreChanges: ["securityRules", "tags"] },
    );
    // Cluster egress. With enableNoPublicIp the nodes have no public address, and new VNets lose
    // Azure's default outbound access (retired for new deployments on 30 September 2025:
    // azure-docs articles/virtual-network/ip-services/default-outbound-access.md, which names a
    // NAT gateway the recommended method): one static IP, so partners can allow the site's egress.
    const egressIp = new network.PublicIPAddress(
      `${name}-egress-ip`,
      {
        ...inGroup,
        publicIpAddressName: names.egressIp,
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
      },
      child,
    );
    const nat = new network.NatGateway(
      `${name}-nat`,
      {
        ...inGroup,
        natGatewayName: names.natGateway,
        sku: { name: "Standard" },
        publicIpAddresses: [{ id: egressIp.id }],
        idleTimeoutInMinutes: 4,
      },
      child,
    );
    // Subnets inline in the VNet, never also as Subnet resources: the two would fight and delete
    // subnets (the VirtualNetwork docs; pulumi-azure-native#611).
    const subnet = (subnetName: string, prefixCidr: string) => ({
      name: subnetName,
      addressPrefix: prefixCidr,
      networkSecurityGroup: { id: nsg.id },
      natGateway: { id: nat.id },
      delegations: [{ name: "databricks", serviceName: "Microsoft.Databricks/workspaces" }],
    });
    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        ...inGroup,
        virtualNetworkName: names.virtualNetwork,
        addressSpace: { addressPrefixes: [azure.network.addressSpace] },
        subnets: [
          subnet(names.hostSubnet, azure.network.hostSubnet),
          subnet(names.containerSubnet, azure.network.containerSubnet),
          {
            name: names.privateEndpointSubnet,
            addressPrefix: azure.network.privateEndpointSubnet,
            privateEndpointNetworkPolicies: "Disabled",
          },
        ],
      },
      child,
    );
    this.virtualNetworkId = vnet.id;
    // The subnet exists once the VNet does: an ID derived from the VNet's output depends on it.
    this.privateEndpointSubnetId = vnet.id.apply(
      (id) => `${id}/subnets/${names.privateEndpointSubnet}`,
    );

    const workspace = new azureDatabricks.Workspace(
      `${name}-workspace`,
      {
        ...inGroup,
        workspaceName: names.workspace,
        sku: { name: "premium" },
        // Required on create and never changeable (Databricks 2026-01-01 spec: WorkspaceProperties
        // requires computeMode); Hybrid is the classic-compute workspace VNet injection needs.
        computeMode: "Hybrid",
        managedResourceGroupId: ids.managedResourceGroup,
        requiredNsgRules: "AllRules",
        publicNetworkAccess: "Enabled",
        parameters: {
          customVirtualNetworkId: { value: vnet.id },
          customPublicSubnetName: { value: names.hostSubnet },
          customPrivateSubnetName: { value: names.containerSubnet },
          enableNoPublicIp: { value: true },
          storageAccountSkuName: { value: spec.storageAccountSku },
        },
      },
      stateful,
    );

    const lake = new storage.StorageAccount(
      `${name}-lake`,
      {
        ...inGroup,
        accountName: names.lake,
        kind: "StorageV2",
        sku: { name: spec.lake.sku },
        isHnsEnabled: true,
        minimumTlsVersion: "TLS1_2",
        enableHttpsTrafficOnly: true,
        allowBlobPublicAccess: false,
      },
      stateful,
    );
    const lakeContainer = new storage.BlobContainer(
      `${name}-lake-container`,
      {
        resourceGroupName: rg,
        accountName: lake.name,
        containerName: spec.lake.container,
        publicAccess: "None",
      },
      stateful,
    );

    const vault = new keyvault.Vault(
      `${name}-kv`,
      {
        ...inGroup,
        vaultName: names.keyVault,
        properties: {
          tenantId: azure.tenantId,
          sku: { family: "A", name: "standard" },
          enableRbacAuthorization: true,
          enableSoftDelete: true,
          softDeleteRetentionInDays: 90,
          enablePurgeProtection: true,
        },
      },
      stateful,
    );
    new authorization.RoleAssignment(
      `${name}-kv-databricks-reader`,
      {
        roleAssignmentName: stableGuid(
          ids.keyVault,
          azure.databricksPrincipalId,
          KEY_VAULT_SECRETS_USER,
        ),
        scope: vault.id,
        principalId: azure.databricksPrincipalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER}`,
      },
      child,
    );

    const host = pulumi.interpolate`https://${workspace.workspaceUrl}`;
    this.databricksProvider = new databricks.Provider(
      `${name}-databricks`,
      {
        host,
        azureWorkspaceResourceId: workspace.id,
        // An Entra ID method, never the SDK's default chain: a DATABRICKS_TOKEN in the deploying
        // environment would win it, and Key Vault-backed scopes refuse a PAT (secret_scope.md).
        authType: azure.databricksAuthType,
        azureTenantId: azure.tenantId,
      },
      child,
    );
    const dbx = { parent: this, provider: this.databricksProvider };
    const dbxStateful = { ...dbx, protect: true };

    const groups = Object.fromEntries(
      Object.entries(spec.groups).map(([g, settings]) => [
        g,
        new databricks.Group(
          `${name}-group-${g}`,
          {
            displayName: g,
            workspaceAccess: settings.workspaceAccess,
            databricksSqlAccess: settings.sqlAccess,
            allowClusterCreate: false,
            allowInstancePoolCreate: false,
          },
          dbx,
        ),
      ]),
    );
    // The identity every job runs as and that owns every job, added to this workspace; one that
    // is already there is adopted, not an error (force: provider docs, service_principal.md).
    const runAs = new databricks.ServicePrincipal(
      `${name}-run-as`,
      {
        applicationId: spec.runAs,
        force: true,
        allowClusterCreate: false,
        allowInstancePoolCreate: false,
      },
      dbx,
    );
    // Permissions name groups by display name and the service principal by application ID:
    // they must exist first.
    const permissionOpts = { ...dbx, dependsOn: [...Object.values(groups), runAs] };
    const permissions = (
      resourceName: string,
      target: Omit<databricks.PermissionsArgs, "accessControls">,
      perms: Record<string, string>,
      /** What the jobs' service principal needs on the object. */
      principalLevel?: string,
    ) => {
      if (Object.keys(perms).length || principalLevel) {
        new databricks.Permissions(
          resourceName,
          {
            ...target,
            accessControls: accessControls(
              perms,
              principalLevel === undefined
                ? undefined
                : { servicePrincipalName: spec.runAs, permissionLevel: principalLevel },
            ),
          },
          permissionOpts,
        );
      }
    };

    // The default root is the service principal's home: it exists once the principal does.
    const root = new databricks.Directory(
      `${name}-root`,
      { path: spec.workspaceRoot },
      { ...dbxStateful, dependsOn: [runAs] },
    );
    // The jobs run its notebooks and read its files as the service principal.
    permissions(
      `${name}-perm-root`,
      { directoryPath: root.path },
      spec.folderPermissions,
      "CAN_RUN",
    );
    const underRoot = { ...dbxStateful, dependsOn: [root] };
    const content: pulumi.Resource[] = [];
    for (const nb of Object.values(repo.notebooks)) {
      const notebook = new databricks.Notebook(
        `${name}-notebook-${nb.key}`,
        { path: `${spec.workspaceRoot}/${nb.key}`, source: nb.source, language: nb.language },
        underRoot,
      );
      content.push(notebook);
      permissions(
        `${name}-perm-notebook-${nb.key}`,
        { notebookPath: notebook.path },
        spec.notebookPermissions[nb.key] ?? {},
      );
    }
    for (const file of repo.workspaceFiles) {
      const rel = path.posix.relative("workspace", file);
      content.push(
        new databricks.WorkspaceFile(
          `${name}-file-${rel}`,
          { path: `${spec.workspaceRoot}/${rel}`, source: file },
          underRoot,
        ),
      );
    }
    for (const [key, script] of Object.entries(spec.initScripts)) {
      new databricks.GlobalInitScript(`${name}-init-${key}`, initScriptArgs(key, script), dbx);
    }
    const vaultUri = vault.properties.apply((p) => p.vaultUri ?? "");
    for (const [key, scope] of Object.entries(spec.secretScopes)) {
      const secretScope = new databricks.SecretScope(
        `${name}-scope-${key}`,
        { name: key, keyvaultMetadata: { resourceId: vault.id, dnsName: vaultUri } },
        dbxStateful,
      );
      // The jobs read secrets as the service principal (a secret ACL names it by application ID).
      for (const [principal, permission] of [
        ...Object.entries(scope.permissions),
        [spec.runAs, "READ"] as const,
      ]) {
        new databricks.SecretAcl(
          `${name}-scope-${key}-acl-${principal === spec.runAs ? "run-as" : principal}`,
          { scope: secretScope.name, principal, permission },
          permissionOpts,
        );
      }
    }

    // Every key of POOL_TAG_KEYS: config refuses a cluster policy that would repeat one.
    const poolTags: Record<PoolTagKey, string> = {
      platform: tags.platform,
      "managed-by": tags["managed-by"],
      "paired-dr-site": site,
      "paired-dr-prefix": prefix,
    };
    const pools = Object.fromEntries(
      Object.entries(spec.pools).map(([key, p]) => {
        const pool = new databricks.InstancePool(
          `${name}-pool-${key}`,
          poolArgs(key, p, role, poolTags),
          dbx,
        );
        permissions(
          `${name}-perm-pool-${key}`,
          { instancePoolId: pool.id },
          p.permissions,
          "CAN_ATTACH_TO",
        );
        return [key, { id: pool.id, sparkVersion: p.sparkVersion }];
      }),
    );
    const policies = Object.fromEntries(
      Object.entries(spec.clusterPolicies).map(([key, p]) => {
        const policy = new databricks.ClusterPolicy(
          `${name}-policy-${key}`,
          {
            name: key,
            definition: JSON.stringify(p.definition),
            ...(p.description !== undefined && { description: p.description }),
            ...(p.maxClustersPerUser !== undefined && { maxClustersPerUser: p.maxClustersPerUser }),
          },
          dbx,
        );
        permissions(
          `${name}-perm-policy-${key}`,
          { clusterPolicyId: policy.id },
          p.permissions,
          "CAN_USE",
        );
        return [key, { id: policy.id, fixed: policyFixedValues(p.definition) }];
      }),
    );

    const lakeAccess = unityCatalogAccess(this, name, args, {
      lake,
      workspace,
      runAs,
      groups: Object.values(groups),
      dbx,
      inGroup,
    });

    const ctx: JobContext = {
      site,
      role,
      peerLakeReady: args.peerLakeReady,
      pools,
      policies,
      workspaceRoot: spec.workspaceRoot,
      runAs: spec.runAs,
      emailOnFailure: spec.notifications.emailOnFailure,
      lake: { account: names.lake, peerAccount: peerNames.lake, container: spec.lake.container },
    };
    // The site's fence record, read by every job before it writes (issue 10). The provider
    // writes it with the account key it lists on each call, never kept in state, and replaces
    // it, deleting first, when the text changes (source is ForceNew: pulumi-azure-native
    // customresources/custom_storage_azidentity.go, provider.go Diff). While it is absent every
    // job of this site and every replication into this lake is refused: the window fails safe.
    const fenceRecordArgs: storage.BlobArgs = {
      resourceGroupName: rg,
      accountName: lake.name,
      containerName: lakeContainer.name,
      blobName: FENCE_BLOB,
      type: "Block",
      contentType: "application/json",
      source: new pulumi.asset.StringAsset(fenceRecord(site, role, args.epoch)),
    };
    const fenceBeforeJobs = fenceWrittenBeforeJobs(role)
      ? new storage.Blob(`${name}-fence`, fenceRecordArgs, child)
      : undefined;
    // Jobs name notebooks, workspace files and lake paths by their configured paths: a job that
    // runs (a continuous one starts at once) before they exist fails (issue 9).
    const jobOpts = {
      ...dbx,
      // run_as names the service principal by application ID; the jobs reach the lake through
      // Unity Catalog.
      dependsOn: [
        lakeContainer,
        runAs,
        ...lakeAccess.own,
        ...content,
        ...(fenceBeforeJobs ? [fenceBeforeJobs] : []),
      ],
    };
    // Each job with its concurrency set through the Jobs API after it (the provider never sends
    // a 0): what "stood down" means on a passive site is what Databricks then reports.
    const jobs: pulumi.Resource[] = [];
    let syncRecord: pulumi.Output<FinalSyncRecord> | undefined;
    const concurrency = (
      resourceName: string,
      created: databricks.Job,
      settings: databricks.JobArgs,
      after: pulumi.Resource[] = [],
    ) =>
      new JobConcurrency(
        concurrencyName(resourceName),
        {
          host,
          jobId: created.id,
          maxConcurrentRuns: settings.maxConcurrentRuns as number,
          jobSettingsDigest: pulumi.output(settings).apply(jobSettingsDigest),
          authType: azure.databricksAuthType,
          tenantId: azure.tenantId,
        },
        { ...child, dependsOn: [created, ...after] },
      );
    const writers: { name: string; job: databricks.Job }[] = [];
    for (const [key, declared] of Object.entries(spec.jobs)) {
      const resourceName = `${name}-job-${key}`;
      const settings = jobArgs(key, declared, ctx);
      const created = new databricks.Job(resourceName, settings, jobOpts);
      jobs.push(created, concurrency(resourceName, created, settings));
      writers.push({ name: settings.name as string, job: created });
      // Owned by the service principal, never by whoever last deployed (the provider makes the
      // current principal IS_OWNER when no owner is given: permissions/resource_permissions.go).
      permissions(
        `${name}-perm-job-${key}`,
        { jobId: created.id },
        declared.permissions,
        "IS_OWNER",
      );
    }
    if (spec.replication) {
      // A copy writes the peer's lake through the location on it.
      const copyOpts = { ...jobOpts, dependsOn: [...jobOpts.dependsOn, ...lakeAccess.peer] };
      const copies = [
        ...Object.entries(spec.replication.tables).map(([table, t]) =>
          replicationJobArgs(table, t, spec.replication!, ctx),
        ),
        ...Object.entries(spec.replication.landing).map(([key, l]) =>
          landingJobArgs(key, l, spec.replication!, ctx),
        ),
      ].map((settings) => {
        const jobName = settings.name as string;
        const created = new databricks.Job(`${name}-${jobName}`, settings, copyOpts);
        permissions(`${name}-perm-${jobName}`, { jobId: created.id }, {}, "IS_OWNER");
        return { resourceName: `${name}-${jobName}`, name: jobName, job: created, settings };
      });
      // A stand-down's final sync: after the writers stood down (their concurrency 0, their
      // runs cancelled), each copy runs once more, while the copies still run (a paused job runs
      // on demand, and the Job's update left its concurrency at the API's 1) and before this
      // site's fence record says passive (the copies check it). Their concurrency 0 comes after.
      const sync = args.finalSyncKey
        ? new FinalSync(
            `${name}-final-sync`,
            {
              host,
              jobs: copies.map((c) => ({ name: c.name, jobId: c.job.id })),
              writers: writers.map((w) => ({ name: w.name, jobId: w.job.id })),
              syncKey: args.finalSyncKey,
              authType: azure.databricksAuthType,
              tenantId: azure.tenantId,
              timeoutSeconds: 60 * finalSyncTimeoutMinutes(copyRunLimitsMinutes(spec.replication)),
            },
            { ...child, dependsOn: [...jobs, ...copies.map((c) => c.job)] },
          )
        : undefined;
      const key = args.finalSyncKey;
      if (sync && key)
        syncRecord = sync.synced.apply((runs) => finalSyncRecord(key, args.epoch, runs));
      for (const c of copies)
        jobs.push(
          c.job,
          concurrency(c.resourceName, c.job, c.settings, sync ? [sync] : []),
          ...(sync ? [sync] : []),
        );
    }
    if (!fenceBeforeJobs)
      new storage.Blob(`${name}-fence`, fenceRecordArgs, { ...child, dependsOn: jobs });

    // A drill's one run (components/drill/drillRun.ts), on the replication jobs' cluster: it reads
    // both lakes and writes only its scratch folder. A record named by the drill: a new drill
    // runs again.
    const drill = args.drill;
    if (drill && spec.replication && drill.tables.length) {
      const timeoutSeconds = 60 * drillRunMinutes(spec.replication);
      const submit = pulumi
        .output(jobClusterArgs(spec.replication.cluster, ctx).newCluster)
        .apply((cluster) =>
          drillSubmit(drill, {
            cluster: restCluster(cluster as Record<string, unknown>),
            workspaceRoot: spec.workspaceRoot,
            runAs: spec.runAs,
            timeoutSeconds,
          }),
        );
      this.drillResources.push(`${name}-drill-run-${drill.id}`);
      this.drillRun = new DrillRun(
        `${name}-drill-run-${drill.id}`,
        {
          host,
          runKey: drill.key,
          submit,
          authType: azure.databricksAuthType,
          tenantId: azure.tenantId,
          // The run's own limit, and ten minutes for its queue and cluster.
          timeoutSeconds: timeoutSeconds + 600,
        },
        {
          ...child,
          dependsOn: [lakeContainer, runAs, ...lakeAccess.own, ...lakeAccess.peer, ...content],
        },
      ).run;
    }

    this.workspaceUrl = workspace.workspaceUrl;
    this.workspaceId = workspace.workspaceId;
    this.lakeAccountName = names.lake;
    this.lakeUrl = lakeUrl(names.lake, spec.lake.container);
    this.peerLakeUrl = lakeUrl(peerNames.lake, spec.lake.container);
    this.keyVaultUri = vaultUri;
    this.finalSync = syncRecord;
    this.registerOutputs({
      workspaceUrl: this.workspaceUrl,
      workspaceId: this.workspaceId,
      lakeUrl: this.lakeUrl,
      peerLakeUrl: this.peerLakeUrl,
      keyVaultUri: this.keyVaultUri,
    });
  }
}
