import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as resources from "@pulumi/azure-native/resources";
import * as sql from "@pulumi/azure-native/sql";
import type { SqlSpec } from "../../config/sqlSchema";
import { peerSite, type Role, type Site } from "../role";
import { FailoverGroupPrimary } from "./failover/hold";
import { ReplicaPrimary } from "./failover/replica";
import { Reprotect, staleName } from "./failover/reprotect";
import {
  creatableGroups,
  failoverGroups,
  hasReplica,
  holdableGroups,
  holdFailover,
  laneBefore,
  linkHolds,
  ownPlacement,
  privateDnsPlan,
  releaseOptions,
  restoreLanes,
  sqlSettings,
  type PeerSql,
  SQL_PRIVATE_DNS_ZONE,
  planSql,
  type sqlRelease,
  type RecoveryMode,
  type SqlRecord,
  type SqlPlan,
} from "./plan";
import type { SqlSettings } from "../../contracts/facts";
import { armIds, azureNames } from "../naming";
import type { Placement } from "./placement";
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
  /** How the tenants without a replica are made on promotion (recoveryMode). */
  readonly recoveryMode: RecoveryMode;
  /** The peer's last deployment keeps geo-secondaries of this site's tenants without a replica. */
  readonly peerLinked: boolean;
  /**
   * Where the release of what a failover left stands (releasePhase), and what it does: `arm`
   * registers it unprotected (kept in Azure on delete for `retain`), `drop` leaves it out.
   */
  readonly release: ReturnType<typeof sqlRelease>;
  /** The tenants this primary reprotects (reprotectTenants), and the peer's fencing epoch. */
  readonly reprotect: { readonly tenants: readonly string[]; readonly epoch: number };
  /** This deployment promotes the site (it was passive at its last deployment). */
  readonly promoting: boolean;
  /** This site stood down and the peer's promotion is not recorded yet (see planSql). */
  readonly stillServesPrimaries: boolean;
  /** The peer's SQL estate as its last deployment recorded it (recordedSql). */
  readonly peer: SqlRecord;
  /** This stack's own, as its last deployment recorded it: the groups it already created stay. */
  readonly own: SqlRecord;
  /** Every tenant's server pair and pool (sqlPlacement). */
  readonly placement: Placement;
  /** The site's VNet and its subnet for private endpoints (outputs of the VNet that has it). */
  readonly network: {
    readonly vnetId: pulumi.Input<string>;
    readonly privateEndpointSubnetId: pulumi.Input<string>;
  };
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Names of one site's SQL resources, deterministic from prefix, site and server pair (pair 0
 * keeps the names it had before fleets needed more than one server).
 */
export function sqlNames(prefix: string, site: Site, subscriptionId: string, pair = 0) {
  const resourceGroup = `${prefix}-${site}-sql-rg`;
  const server = `${prefix}-${site}-sql${pairSuffix(pair)}`;
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

/**
 * What a deployment records of its SQL estate for its own next deployment and the peer's
 * (components/lastDeployment.ts): its servers with their pools (`server` and `pools` are pair 0's,
 * as before fleets), the failover groups it created, its settings, where it placed the tenants
 * it is home to, its VNet and, on the primary, the pair's privatelink zone.
 */
export function sqlRecord(a: {
  readonly prefix: string;
  readonly site: Site;
  readonly subscriptionId: string;
  readonly spec: SqlSpec;
  readonly plan: SqlPlan;
  readonly placement: Placement;
  readonly failoverGroups: readonly string[];
}): PeerSql & { readonly settings: SqlSettings } {
  const servers = Array.from({ length: a.plan.servers }, (_, pair) => ({
    server: sqlNames(a.prefix, a.site, a.subscriptionId, pair).server,
    pools: a.plan.pools.filter((p) => p.server === pair).map((p) => p.name),
  }));
  const names = sqlNames(a.prefix, a.site, a.subscriptionId);
  return {
    server: servers[0]!.server,
    pools: servers[0]!.pools,
    failoverGroups: [...a.failoverGroups],
    settings: sqlSettings(a.spec),
    servers,
    placement: ownPlacement(a.spec, a.site, a.placement),
    vnet: armIds(a.subscriptionId, azureNames(a.prefix, a.site)).virtualNetwork,
    ...(privateDnsPlan(a.site, undefined).ownsZone && { privateDnsZone: names.privateDnsZoneId }),
  };
}

/** "" for server pair 0, "-02" for pair 1, ... */
export const pairSuffix = (pair: number) =>
  pair === 0 ? "" : `-${String(pair + 1).padStart(2, "0")}`;

const GIB = 1024 ** 3;

/**
 * Geo-restore reads geo-replicated backups: a tenant without a replica keeps them, and so does
 * its restored copy (recovery-using-backups.md: geo-restore needs geo-redundant backup storage).
 */
const GEO_BACKUPS = { requestedBackupStorageRedundancy: "Geo" } as const;

/**
 * The create-only inputs that make a tenant database on the promoted secondary from the drained
 * primary's `original` (recoveryMode): a geo-secondary of it, a copy of it, or a geo-restore of
 * its last geo-replicated backup (the recoverable database of the same name on its server).
 */
export function recoverySource(mode: RecoveryMode, original: string) {
  const server = original.slice(0, original.lastIndexOf("/databases/"));
  const database = original.slice(original.lastIndexOf("/") + 1);
  switch (mode) {
    case "Secondary":
      return { createMode: "Secondary", secondaryType: "Geo", sourceDatabaseId: original } as const;
    case "Copy":
      return { createMode: "Copy", sourceDatabaseId: original } as const;
    case "Recovery":
      return {
        createMode: "Recovery",
        recoverableDatabaseId: `${server}/recoverabledatabases/${database}`,
      } as const;
  }
}

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
  public readonly serverFqdn: pulumi.Output<string>;
  /** How this deployment makes the tenants without a replica, when it makes them. */
  public readonly recoveryMode: RecoveryMode;
  /** The tenants this deployment keeps reprotected (reprotectTenants). */
  public readonly reprotected: readonly string[];
  /** The resources this deployment registers unprotected for a release (releasePhase: arm). */
  public readonly releasing: readonly string[];

  constructor(name: string, args: ElasticPoolPairArgs, opts?: pulumi.ComponentResourceOptions) {
    super("paired-dr:components:ElasticPoolPair", name, {}, opts);
    const { site, role, prefix, azure, spec } = args;
    const plan = planSql(
      spec,
      prefix,
      site,
      role,
      args.recovered,
      args.stillServesPrimaries,
      args.placement,
      args.release.phase === "drop",
    );
    const here = sqlNames(prefix, site, azure.subscriptionId);
    const peerSubscription = azure.peerSubscriptionId ?? azure.subscriptionId;
    const tags = { ...args.tags, "paired-dr-site": site };
    const stateful = { parent: this, protect: true };

    const group = new resources.ResourceGroup(
      `${name}-rg`,
      { resourceGroupName: here.resourceGroup, location: azure.region, tags },
      stateful,
    );
    // One server per pair, each with its Entra administration and its private endpoint.
    const servers = Array.from({ length: plan.servers }, (_, pair) => {
      const names = sqlNames(prefix, site, azure.subscriptionId, pair);
      const sfx = pairSuffix(pair);
      const server = new sql.Server(
        `${name}-server${sfx}`,
        {
          resourceGroupName: group.name,
          serverName: names.server,
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
      const admin = new sql.ServerAzureADAdministrator(
        `${name}-entra-admin${sfx}`,
        {
          resourceGroupName: group.name,
          serverName: names.server,
          administratorName: "ActiveDirectory",
          administratorType: "ActiveDirectory",
          login: spec.administrator.login,
          sid: spec.administrator.objectId,
          tenantId: azure.tenantId,
        },
        { ...stateful, dependsOn: [server] },
      );
      // Entra-only needs an Entra administrator (MissingExternalAdministratorWithAadOnlyAuth, Servers.json).
      new sql.ServerAzureADOnlyAuthentication(
        `${name}-entra-only${sfx}`,
        {
          resourceGroupName: group.name,
          serverName: names.server,
          authenticationName: "Default",
          azureADOnlyAuthentication: true,
        },
        { ...stateful, dependsOn: [server, admin] },
      );
      // Public network access is disabled: the server is reached through its private endpoint.
      const endpoint = new network.PrivateEndpoint(
        `${name}-endpoint${sfx}`,
        {
          resourceGroupName: group.name,
          location: azure.region,
          privateEndpointName: names.privateEndpoint,
          subnet: { id: args.network.privateEndpointSubnetId },
          privateLinkServiceConnections: [
            { name: names.server, privateLinkServiceId: server.id, groupIds: ["sqlServer"] },
          ],
          tags,
        },
        { parent: this },
      );
      return { names, sfx, server, endpoint };
    });
    const on = (pair: number) => ({
      resourceGroupName: group.name,
      serverName: servers[pair]!.names.server,
      location: azure.region,
    });
    const afterServer = (pair: number) => ({ ...stateful, dependsOn: [servers[pair]!.server] });

    // What a release takes out of the stack (releasePhase): registered unprotected first, and
    // kept in Azure on delete for `retain`, where a pool goes with its databases (Azure refuses to
    // delete a pool that is not empty: ElasticPoolNotEmpty, ElasticPools.json 2023-08-01).
    const released = releaseOptions(args.release);
    const pools = new Map<string, sql.ElasticPool>();
    const poolKey = (pair: number, pool: string) => `${pair}/${pool}`;
    // The pools a secondary has only for its recovered databases go with them.
    const recoveryOnly = (kind: string) => site === "secondary" && kind !== "paid";
    const releasing: string[] = [];
    const releasable = (resourceName: string) => {
      if (!released.protect) releasing.push(resourceName);
      return released;
    };
    for (const pool of plan.pools) {
      const poolName = `${name}${pool.server === 0 ? "" : `-s${pairSuffix(pool.server).slice(1)}`}-pool-${pool.name}`;
      pools.set(
        poolKey(pool.server, pool.name),
        new sql.ElasticPool(
          poolName,
          {
            ...on(pool.server),
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
          { ...afterServer(pool.server), ...(recoveryOnly(pool.kind) && releasable(poolName)) },
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
            ...on(0),
            databaseName: db,
            sku: {
              name: "GP_Gen5",
              tier: "GeneralPurpose",
              family: "Gen5",
              capacity: spec.managementCapacity,
            },
            tags,
          },
          afterServer(0),
        ),
      );
    }
    // Tenant inputs never depend on the role: after a failover the old primary's databases are
    // geo-secondaries, and updating them fails (terraform-provider-azurerm issue 25141). A refresh
    // then reads `secondaryType: Geo`, a read-write property (Databases.json, 2023-08-01), which
    // azure-native copies into the stored inputs (pulumi-azure-native provider.go, Read): ignored,
    // so the next `up` sends no update to a geo-secondary. A reprotected tenant's database is a
    // geo-secondary made by createMode Secondary (failover/reprotect.ts): how it was made is
    // create-only, and never a reason to replace it (pulumi-azure-native#1304).
    const tenantOptions = (pair: number) => ({
      ...afterServer(pair),
      ignoreChanges: ["secondaryType", "createMode", "sourceDatabaseId"],
    });
    for (const db of plan.databases) {
      databases.set(
        db.database,
        new TenantDatabase(
          `${name}-db-${db.tenant}`,
          {
            ...on(db.server),
            databaseName: db.database,
            elasticPoolId: pools.get(poolKey(db.server, db.pool))!.id,
            ...(!hasReplica(db.kind) && GEO_BACKUPS),
            tags,
          },
          tenantOptions(db.server),
        ),
      );
    }

    const groups = new Map<string, sql.FailoverGroup>();
    for (const fg of creatableGroups(plan.failoverGroups, args.peer, args.own)) {
      const here = servers[fg.server]!.names;
      const partner = sqlNames(prefix, peerSite(site), peerSubscription, fg.server);
      const failoverGroup = new sql.FailoverGroup(
        `${name}-${fg.name}`,
        {
          resourceGroupName: group.name,
          serverName: here.server,
          failoverGroupName: fg.name,
          partnerServers: [{ id: partner.serverId }],
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

    const failover = holdFailover(args.promoting, spec.failover);
    const holds = holdableGroups(plan.holds, [...groups.keys()], args.peer);
    if (holds.length) {
      // Forced only by the promotion itself: a hold's update never moves a group.
      const pairGroups = new Map(
        failoverGroups(spec, prefix, args.placement).map((g) => [g.name, g]),
      );
      for (const fg of holds) {
        const g = pairGroups.get(fg)!;
        const ownedGroup = groups.get(fg);
        new FailoverGroupPrimary(
          `${name}-hold-${fg}`,
          {
            failoverGroupId: `${servers[g.server]!.names.serverId}/failoverGroups/${fg}`,
            ...failover,
          },
          {
            parent: this,
            // The group's pools first, scaled up before its primaries arrive (seed 002): Azure
            // refuses a pool update while a geo-failover runs (ElasticPoolUpdateLinksNotInCatchup,
            // UpdateNotAllowedIfGeoDrOperationInProgress).
            dependsOn: [
              servers[g.server]!.server,
              ...g.pools.flatMap((p) => pools.get(poolKey(g.server, p)) ?? []),
              ...(ownedGroup ? [ownedGroup] : []),
            ],
          },
        );
      }
    }

    const dns = privateDnsPlan(site, args.peer);
    const primaryNames = sqlNames(
      prefix,
      "primary",
      site === "primary" ? azure.subscriptionId : peerSubscription,
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
      for (const { names, sfx, endpoint } of servers) {
        new network.PrivateDnsZoneGroup(
          `${name}-endpoint-dns${sfx}`,
          {
            resourceGroupName: group.name,
            privateEndpointName: names.privateEndpoint,
            privateDnsZoneGroupName: "default",
            privateDnsZoneConfigs: [{ name: "sql", privateDnsZoneId: zoneId }],
          },
          { parent: this, dependsOn: [endpoint] },
        );
      }
    }

    const recovered = new Map<string, pulumi.Resource>();
    if (plan.recovery) {
      // Each into its pool's namesake on its server pair, in waves of 4 per pool (Azure processes
      // 4 restores into a pool at a time; copies, seeded by geo-replication, keep the same waves).
      const byPool = new Map<string, (typeof plan.recovery.databases)[number][]>();
      for (const db of plan.recovery.databases) {
        const key = poolKey(db.server, db.pool);
        byPool.set(key, [...(byPool.get(key) ?? []), db]);
      }
      for (const [key, dbs] of byPool) {
        const pool = pools.get(key)!;
        const restored: pulumi.Resource[] = [];
        const lanes = restoreLanes(dbs.length);
        dbs.forEach((db, i) => {
          const after = lanes[i];
          const lost = sqlNames(prefix, peerSite(site), peerSubscription, db.server);
          const recoveredName = `${name}-recovered-${db.tenant}`;
          restored.push(
            new TenantDatabase(
              recoveredName,
              {
                ...on(db.server),
                databaseName: db.database,
                elasticPoolId: pool.id,
                ...recoverySource(args.recoveryMode, `${lost.serverId}/databases/${db.database}`),
                ...GEO_BACKUPS,
                tags,
              },
              {
                ...stateful,
                ...releasable(recoveredName),
                dependsOn: [pool, ...(after === undefined ? [] : [restored[after]!])],
                customTimeouts: { create: GEO_RESTORE_TIMEOUT },
                // How it was made is create-only, and azure-native replaces on a change of it:
                // never a reason to replace a database that exists (pulumi-azure-native#1304).
                // A geo-secondary reads as primary once its link failed over.
                ignoreChanges: [
                  "createMode",
                  "sourceDatabaseId",
                  "recoverableDatabaseId",
                  "secondaryType",
                ],
              },
            ),
          );
          recovered.set(db.database, restored[restored.length - 1]!);
        });
      }
    }

    // The tenants given back to this server after the peer geo-restored them: each a
    // geo-secondary of the peer's copy under its own name, the stale original renamed aside.
    // Seeded like the promotion's geo-secondaries: in waves of 4 per pool (restoreLanes).
    const reprotected = new Map<string, pulumi.Resource>();
    const reprotecting = new Set(args.reprotect.tenants);
    const seeding = new Map<string, pulumi.Resource[]>();
    for (const db of plan.databases.filter((d) => reprotecting.has(d.tenant))) {
      const lane = seeding.get(poolKey(db.server, db.pool)) ?? [];
      seeding.set(poolKey(db.server, db.pool), lane);
      const after = laneBefore(lane.length);
      const here = servers[db.server]!.names.serverId;
      const copy = sqlNames(prefix, peerSite(site), peerSubscription, db.server).serverId;
      reprotected.set(
        db.database,
        new Reprotect(
          `${name}-reprotect-${db.tenant}`,
          {
            databaseId: `${here}/databases/${db.database}`,
            sourceDatabaseId: `${copy}/databases/${db.database}`,
            elasticPoolId: pools.get(poolKey(db.server, db.pool))!.id,
            location: azure.region,
            staleName: staleName(db.database, args.reprotect.epoch),
            tags,
          },
          {
            parent: this,
            dependsOn: [
              databases.get(db.database)!,
              ...(after === undefined ? [] : [lane[after]!]),
            ],
          },
        ),
      );
      lane.push(reprotected.get(db.database)!);
    }

    // The links this site holds as primary: a promotion fails each over (planned unless forced),
    // and its partner becomes the read-only geo-secondary.
    for (const { database: db, requireLink } of linkHolds(
      spec,
      plan,
      site,
      role,
      args.recoveryMode,
      { peerLinked: args.peerLinked || reprotected.size > 0, promoting: args.promoting },
    )) {
      const partner = sqlNames(prefix, peerSite(site), peerSubscription, db.server).server;
      new ReplicaPrimary(
        `${name}-link-${db.tenant}`,
        {
          databaseId: `${servers[db.server]!.names.serverId}/databases/${db.database}`,
          partnerServer: partner,
          requireLink,
          ...failover,
        },
        {
          parent: this,
          dependsOn: [
            reprotected.get(db.database) ??
              recovered.get(db.database) ??
              databases.get(db.database)!,
          ],
        },
      );
    }

    this.plan = plan;
    this.recoveryMode = args.recoveryMode;
    this.reprotected = plan.databases
      .filter((d) => reprotected.has(d.database))
      .map((d) => d.tenant);
    this.releasing = releasing;
    this.failoverGroupsCreated = [...groups.keys()];
    this.holdsRegistered = holds;
    this.serverName = servers[0]!.names.server;
    this.serverFqdn = servers[0]!.server.fullyQualifiedDomainName;
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
