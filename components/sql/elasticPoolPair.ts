import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as resources from "@pulumi/azure-native/resources";
import * as sql from "@pulumi/azure-native/sql";
import type { SqlSpec } from "../../config/sqlSchema";
import { peerSite, type Role, type Site } from "../role";
import { FailoverGroupPrimary } from "./failover/hold";
import {
  creatableGroups,
  failoverGroups,
  groupPool,
  hasReplica,
  holdableGroups,
  privateDnsPlan,
  restoreLanes,
  SQL_PRIVATE_DNS_ZONE,
  planSql,
  type SqlRecord,
  type PoolName,
  type SqlPlan,
} from "./plan";
import { TenantDatabase } from "./tenantDatabase";

export interface ElasticPoolPairArgs {
  readonly site: Site;
  readonly role: Role;
  readonly prefix: string;
  readonly azure: {
    readonly subscriptionId: string;
    readonly peerSubscriptionId?: string;
    readonly tenantId: string;
    readonly region: string;
  };
  readonly spec: SqlSpec;
  /** This stack's last deployment geo-restored tenants into a recovery pool. */
  readonly recovered: boolean;
  /** This deployment promotes the site (it was passive at its last deployment). */
  readonly promoting: boolean;
  /** This site stood down and the peer's promotion is not recorded yet (see planSql). */
  readonly stillServesPrimaries: boolean;
  /** The peer's SQL estate as its last deployment recorded it (recordedSql). */
  readonly peer: SqlRecord;
  /** This stack's own, as its last deployment recorded it: the groups it already created stay. */
  readonly own: SqlRecord;
  /** The site's VNet and its subnet for private endpoints (outputs of the VNet that has it). */
  readonly network: {
    readonly vnetId: pulumi.Input<string>;
    readonly privateEndpointSubnetId: pulumi.Input<string>;
  };
  readonly tags?: Readonly<Record<string, string>>;
}

/** Names of one site's SQL resources, deterministic from prefix and site. */
export function sqlNames(prefix: string, site: Site, subscriptionId: string) {
  const resourceGroup = `${prefix}-${site}-sql-rg`;
  const server = `${prefix}-${site}-sql`;
  const group = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
  const serverId = `${group}/providers/Microsoft.Sql/servers/${server}`;
  return {
    resourceGroup,
    server,
    serverId,
    privateEndpoint: `${server}-pe`,
    /** The pair's zone lives with the primary's server (privateDnsPlan). */
    privateDnsZoneId: `${group}/providers/Microsoft.Network/privateDnsZones/${SQL_PRIVATE_DNS_ZONE}`,
  };
}

const GIB = 1024 ** 3;

/**
 * Geo-restore reads geo-replicated backups: a tenant without a replica keeps them, and so does
 * its restored copy (recovery-using-backups.md: geo-restore needs geo-redundant backup storage).
 */
const GEO_BACKUPS = { requestedBackupStorageRedundancy: "Geo" } as const;

/** Most geo-restores finish within 12 hours (recovery-using-backups.md); twice that, per database. */
const GEO_RESTORE_TIMEOUT = "24h";

/**
 * One site's half of the multi-tenant SQL estate (seed 002): an Entra-only server, its elastic
 * pools and the databases homed here, the failover groups this site owns (they create the
 * secondaries on the peer, so no secondary is registered here), the failovers this site must
 * hold as primary when promoted, and the geo-restore of tenants that have no replica.
 */
export class ElasticPoolPair extends pulumi.ComponentResource {
  public readonly plan: SqlPlan;
  /** The owned failover groups this deployment registers (creatableGroups). */
  public readonly failoverGroupsCreated: readonly string[];
  /** The holds this deployment registers (holdableGroups). */
  public readonly holdsRegistered: readonly string[];
  public readonly serverName: string;
  /** The pair's privatelink zone, on the site that owns it. */
  public readonly privateDnsZoneId: string | undefined;
  public readonly serverFqdn: pulumi.Output<string>;

  constructor(name: string, args: ElasticPoolPairArgs, opts?: pulumi.ComponentResourceOptions) {
    super("paired-dr:components:ElasticPoolPair", name, {}, opts);
    const { site, role, prefix, azure, spec } = args;
    const plan = planSql(spec, prefix, site, role, args.recovered, args.stillServesPrimaries);
    const here = sqlNames(prefix, site, azure.subscriptionId);
    const peer = sqlNames(prefix, peerSite(site), azure.peerSubscriptionId ?? azure.subscriptionId);
    const tags = { ...args.tags, "paired-dr-site": site };
    const stateful = { parent: this, protect: true };

    const group = new resources.ResourceGroup(
      `${name}-rg`,
      { resourceGroupName: here.resourceGroup, location: azure.region, tags },
      stateful,
    );
    const onServer = {
      resourceGroupName: group.name,
      serverName: here.server,
      location: azure.region,
    };
    const server = new sql.Server(
      `${name}-server`,
      {
        resourceGroupName: group.name,
        serverName: here.server,
        location: azure.region,
        version: "12.0",
        minimalTlsVersion: "1.2",
        publicNetworkAccess: "Disabled",
        administrators: {
          administratorType: "ActiveDirectory",
          azureADOnlyAuthentication: true,
          login: spec.administrator.login,
          sid: spec.administrator.objectId,
          tenantId: azure.tenantId,
          principalType: spec.administrator.principalType,
        },
        tags,
      },
      // `administrators` is create-only (x-ms-mutability read, create: azure-rest-api-specs
      // Microsoft.Sql/stable/2021-11-01/Servers.json, ServerProperties): a change would replace
      // the server. It is set once here; the two resources below manage it from then on.
      { ...stateful, ignoreChanges: ["administrators"] },
    );
    const afterServer = { ...stateful, dependsOn: [server] };
    const admin = new sql.ServerAzureADAdministrator(
      `${name}-entra-admin`,
      {
        resourceGroupName: group.name,
        serverName: here.server,
        administratorName: "ActiveDirectory",
        administratorType: "ActiveDirectory",
        login: spec.administrator.login,
        sid: spec.administrator.objectId,
        tenantId: azure.tenantId,
      },
      afterServer,
    );
    // Entra-only needs an Entra administrator (MissingExternalAdministratorWithAadOnlyAuth, Servers.json).
    new sql.ServerAzureADOnlyAuthentication(
      `${name}-entra-only`,
      {
        resourceGroupName: group.name,
        serverName: here.server,
        authenticationName: "Default",
        azureADOnlyAuthentication: true,
      },
      { ...stateful, dependsOn: [server, admin] },
    );

    const pools = new Map<PoolName, sql.ElasticPool>();
    for (const pool of plan.pools) {
      pools.set(
        pool.name,
        new sql.ElasticPool(
          `${name}-pool-${pool.name}`,
          {
            ...onServer,
            elasticPoolName: pool.name,
            sku: {
              name: "GP_Gen5",
              tier: "GeneralPurpose",
              family: "Gen5",
              capacity: pool.capacity,
            },
            perDatabaseSettings: { minCapacity: 0, maxCapacity: pool.spec.perDatabaseMaxCapacity },
            maxSizeBytes: pool.spec.maxSizeGB * GIB,
            tags,
          },
          afterServer,
        ),
      );
    }

    const databases = new Map<string, pulumi.Resource>();
    for (const db of plan.managementDatabases) {
      databases.set(
        db,
        new sql.Database(
          `${name}-db-${db}`,
          {
            ...onServer,
            databaseName: db,
            sku: {
              name: "GP_Gen5",
              tier: "GeneralPurpose",
              family: "Gen5",
              capacity: spec.managementCapacity,
            },
            tags,
          },
          afterServer,
        ),
      );
    }
    // Tenant inputs never depend on the role: after a failover the old primary's databases are
    // geo-secondaries, and updating them fails (terraform-provider-azurerm issue 25141).
    for (const db of plan.databases) {
      databases.set(
        db.database,
        new TenantDatabase(
          `${name}-db-${db.tenant}`,
          {
            ...onServer,
            databaseName: db.database,
            elasticPoolId: pools.get(db.pool)!.id,
            ...(!hasReplica(db.pool) && GEO_BACKUPS),
            tags,
          },
          afterServer,
        ),
      );
    }

    const groups = new Map<string, sql.FailoverGroup>();
    for (const fg of creatableGroups(plan.failoverGroups, args.peer, args.own)) {
      const failoverGroup = new sql.FailoverGroup(
        `${name}-${fg.name}`,
        {
          resourceGroupName: group.name,
          serverName: here.server,
          failoverGroupName: fg.name,
          partnerServers: [{ id: peer.serverId }],
          databases: fg.databases.map((db) => `${here.serverId}/databases/${db}`),
          readWriteEndpoint: {
            failoverPolicy: fg.policy,
            ...(fg.gracePeriodMinutes !== undefined && {
              failoverWithDataLossGracePeriodMinutes: fg.gracePeriodMinutes,
            }),
          },
          readOnlyEndpoint: { failoverPolicy: "Disabled" },
          tags,
        },
        { ...stateful, dependsOn: fg.databases.map((db) => databases.get(db)!) },
      );
      groups.set(fg.name, failoverGroup);
    }

    const holds = holdableGroups(plan.holds, [...groups.keys()], args.peer);
    if (holds.length) {
      // Forced only by the promotion itself: a hold's update never moves a group.
      const forced = args.promoting && spec.failover.mode === "forced";
      const pairGroups = new Map(failoverGroups(spec, prefix).map((g) => [g.name, g]));
      for (const fg of holds) {
        // The group's pool first, scaled up before its primaries arrive (seed 002): Azure refuses
        // a pool update while a geo-failover runs (ElasticPoolUpdateLinksNotInCatchup,
        // UpdateNotAllowedIfGeoDrOperationInProgress).
        const pool = pairGroups.get(fg) && groupPool(pairGroups.get(fg)!);
        const ownedGroup = groups.get(fg);
        new FailoverGroupPrimary(
          `${name}-hold-${fg}`,
          {
            failoverGroupId: `${here.serverId}/failoverGroups/${fg}`,
            mode: forced ? "forced" : "planned",
            allowDataLoss: forced && spec.failover.acknowledgeDataLoss,
          },
          {
            parent: this,
            dependsOn: [
              server,
              ...(pool && pools.has(pool) ? [pools.get(pool)!] : []),
              ...(ownedGroup ? [ownedGroup] : []),
            ],
          },
        );
      }
    }

    // Public network access is disabled: the server is reached through its private endpoint.
    const endpoint = new network.PrivateEndpoint(
      `${name}-endpoint`,
      {
        resourceGroupName: group.name,
        location: azure.region,
        privateEndpointName: here.privateEndpoint,
        subnet: { id: args.network.privateEndpointSubnetId },
        privateLinkServiceConnections: [
          { name: here.server, privateLinkServiceId: server.id, groupIds: ["sqlServer"] },
        ],
        tags,
      },
      { parent: this },
    );
    const dns = privateDnsPlan(site, args.peer);
    const primaryNames = sqlNames(
      prefix,
      "primary",
      site === "primary"
        ? azure.subscriptionId
        : (azure.peerSubscriptionId ?? azure.subscriptionId),
    );
    let zoneId: pulumi.Input<string> | undefined;
    if (dns.ownsZone) {
      const zone = new privatedns.PrivateZone(
        `${name}-dns-zone`,
        {
          resourceGroupName: group.name,
          privateZoneName: SQL_PRIVATE_DNS_ZONE,
          location: "global",
          tags,
        },
        { parent: this },
      );
      zoneId = zone.id;
      const link = (linkName: string, vnetId: pulumi.Input<string>) =>
        new privatedns.VirtualNetworkLink(
          `${name}-dns-link-${linkName}`,
          {
            resourceGroupName: group.name,
            privateZoneName: SQL_PRIVATE_DNS_ZONE,
            virtualNetworkLinkName: `${prefix}-${linkName}`,
            virtualNetwork: { id: vnetId },
            registrationEnabled: false,
            location: "global",
            tags,
          },
          { parent: this, dependsOn: [zone] },
        );
      link(site, args.network.vnetId);
      if (dns.peerVnet) link(peerSite(site), dns.peerVnet);
    } else if (dns.zoneReady) {
      zoneId = primaryNames.privateDnsZoneId;
    }
    if (zoneId !== undefined) {
      new network.PrivateDnsZoneGroup(
        `${name}-endpoint-dns`,
        {
          resourceGroupName: group.name,
          privateEndpointName: here.privateEndpoint,
          privateDnsZoneGroupName: "default",
          privateDnsZoneConfigs: [{ name: "sql", privateDnsZoneId: zoneId }],
        },
        { parent: this, dependsOn: [endpoint] },
      );
    }

    if (plan.recovery) {
      const pool = pools.get(plan.recovery.pool)!;
      const restored: pulumi.Resource[] = [];
      const lanes = restoreLanes(plan.recovery.databases.length);
      plan.recovery.databases.forEach((db, i) => {
        const after = lanes[i];
        restored.push(
          new TenantDatabase(
            `${name}-recovered-${db.tenant}`,
            {
              ...onServer,
              databaseName: db.database,
              elasticPoolId: pool.id,
              createMode: "Recovery",
              recoverableDatabaseId: `${peer.serverId}/recoverabledatabases/${db.database}`,
              ...GEO_BACKUPS,
              tags,
            },
            {
              ...stateful,
              dependsOn: [pool, ...(after === undefined ? [] : [restored[after]!])],
              customTimeouts: { create: GEO_RESTORE_TIMEOUT },
            },
          ),
        );
      });
    }

    this.plan = plan;
    this.failoverGroupsCreated = [...groups.keys()];
    this.holdsRegistered = holds;
    this.serverName = here.server;
    this.privateDnsZoneId = dns.ownsZone ? here.privateDnsZoneId : undefined;
    this.serverFqdn = server.fullyQualifiedDomainName;
    this.registerOutputs({
      serverName: this.serverName,
      serverFqdn: this.serverFqdn,
      pools: plan.pools.map((p) => `${p.name}:${p.capacity}`),
      failoverGroups: this.failoverGroupsCreated,
      holds,
      recovered: plan.recovery !== undefined,
    });
  }
}
