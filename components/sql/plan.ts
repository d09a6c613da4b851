import {
  MANAGEMENT_DATABASES,
  MIN_DATABASES_PER_GROUP,
  type SqlPoolSpec,
  type SqlSpec,
  type Tenant,
} from "../../config/sqlSchema";
import { createHash } from "node:crypto";
import type { SqlSettings } from "../../policies/facts";
import { GEO_RESTORES_PER_POOL } from "./limits";
import type { Role, Site } from "../role";

/**
 * The ElasticPoolPair's decisions (seed 002), pure. Which site owns what never depends on the
 * role; the role decides pool capacities, which failover groups this site must hold as primary,
 * and whether it geo-restores the tenants that have no replica.
 */

export type PoolName = "tenants" | "paid" | "trial";

export interface FailoverGroupPlan {
  /** Globally unique (it is a DNS name): prefix, home site, kind, number. */
  readonly name: string;
  /** The site whose server is the group's primary in normal operation, and whose stack owns it. */
  readonly home: Site;
  readonly kind: "management" | "paid";
  /** Database names in the group. */
  readonly databases: readonly string[];
  readonly policy: "Automatic" | "Manual";
  /** Only for Automatic. */
  readonly gracePeriodMinutes?: number;
}

export interface PoolPlan {
  readonly name: PoolName;
  readonly capacity: number;
  readonly spec: SqlPoolSpec;
}

export interface TenantDatabasePlan {
  readonly tenant: string;
  readonly database: string;
  readonly pool: PoolName;
}

export interface SqlPlan {
  /** Pools on this site's server. */
  readonly pools: readonly PoolPlan[];
  /** Databases whose primary this stack creates (management databases, homed tenants). */
  readonly databases: readonly TenantDatabasePlan[];
  readonly managementDatabases: readonly string[];
  /** Failover groups this stack owns (created on its server). */
  readonly failoverGroups: readonly FailoverGroupPlan[];
  /** Failover groups this site must be primary of now. */
  readonly holds: readonly string[];
  /** The pool tenants are geo-restored into on this site, and which tenants; none when not recovering. */
  readonly recovery?: {
    readonly pool: PoolName;
    readonly databases: readonly TenantDatabasePlan[];
  };
}

export const tenantDatabaseName = (tenant: string) => `tenant-${tenant}`;

/** Only the paid pool's databases have a replica (a failover group's secondary). */
export const hasReplica = (pool: PoolName) => pool === "paid";

/**
 * The geo-restores in waves of GEO_RESTORES_PER_POOL: for each database, the index of the one it
 * waits for (the same lane in the wave before), or undefined in the first wave.
 */
export function restoreLanes(
  count: number,
  atOnce = GEO_RESTORES_PER_POOL,
): (number | undefined)[] {
  return Array.from({ length: count }, (_, i) => (i >= atOnce ? i - atOnce : undefined));
}

/** How many waves the geo-restore of `count` databases into one pool takes. */
export const restoreWaves = (count: number, atOnce = GEO_RESTORES_PER_POOL) =>
  Math.ceil(count / atOnce);

/** The promote flag, from a site and its role. */
export const promotedFrom = (site: Site, role: Role) =>
  (site === "primary") === (role === "passive");

/**
 * Paid tenants in groups of `perGroup`, in catalog order, so that appending tenants only touches
 * the last group. A remainder under the seed's minimum of 20 joins the group before it, so every
 * failover moves at least 20 databases (unless there are fewer than 20 in all).
 */
export function chunkTenants<T>(items: readonly T[], perGroup: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += perGroup) groups.push(items.slice(i, i + perGroup));
  const last = groups.at(-1);
  if (groups.length > 1 && last && last.length < MIN_DATABASES_PER_GROUP) {
    groups.pop();
    groups[groups.length - 1]!.push(...last);
  }
  return groups;
}

/** All failover groups of the pair, whichever stack owns them. */
export function failoverGroups(spec: SqlSpec, prefix: string): FailoverGroupPlan[] {
  const management: FailoverGroupPlan = {
    name: `${prefix}-primary-fg-mgmt`,
    home: "primary",
    kind: "management",
    databases: [...MANAGEMENT_DATABASES],
    policy: "Automatic",
    gracePeriodMinutes: spec.failoverGroups.gracePeriodMinutes,
  };
  if (spec.strategy === "budget") return [management];
  const paid: FailoverGroupPlan[] = [];
  for (const home of ["primary", "secondary"] as const) {
    const tenants = spec.tenants.filter((t) => t.tier === "paid" && t.home === home);
    chunkTenants(tenants, spec.failoverGroups.databasesPerGroup).forEach((group, i) =>
      paid.push({
        name: `${prefix}-${home}-fg-paid-${String(i + 1).padStart(2, "0")}`,
        home,
        kind: "paid",
        databases: group.map((t) => tenantDatabaseName(t.id)),
        // Geo-distributed: losing either site fails its half over on its own after the grace period.
        ...(spec.strategy === "geo-distributed"
          ? {
              policy: "Automatic" as const,
              gracePeriodMinutes: spec.failoverGroups.gracePeriodMinutes,
            }
          : { policy: "Manual" as const }),
      }),
    );
  }
  return [management, ...paid];
}

/** The tenants without a replica, geo-restored on promotion: trial tenants; all under budget. */
export const unreplicatedTenants = (spec: SqlSpec): Tenant[] =>
  spec.tenants.filter((t) => spec.strategy === "budget" || t.tier === "trial");

const asDatabase =
  (pool: PoolName) =>
  (t: Tenant): TenantDatabasePlan => ({
    tenant: t.id,
    database: tenantDatabaseName(t.id),
    pool,
  });

/**
 * What one site builds. With `promote` off, each site holds the groups it is home to; with it on,
 * the secondary holds every group and the primary none. The tenants without a replica (trial
 * tenants; every tenant under budget) are geo-restored on the secondary while it is promoted, and
 * stay there after failback until `releaseRecoveredDatabases` (seed 002's failback copies them
 * back first). `recovered` is what the stack's last deployment says it restored.
 */
export function planSql(
  spec: SqlSpec,
  prefix: string,
  site: Site,
  role: Role,
  recovered: boolean,
  /**
   * This site stood down but is still the primary of its failover groups: the peer's promotion
   * (which fails them over) has not been recorded yet. Its paid pool keeps serving them at full
   * capacity until the next deployment after the peer's promotion.
   */
  stillServesPrimaries = false,
): SqlPlan {
  const promote = promotedFrom(site, role);
  const groups = failoverGroups(spec, prefix);
  const unreplicatedPool: PoolName = spec.strategy === "budget" ? "tenants" : "trial";
  const unreplicated = unreplicatedTenants(spec);
  const pools: PoolPlan[] = [];
  const databases: TenantDatabasePlan[] = [];

  if (spec.strategy === "budget") {
    if (site === "primary") {
      pools.push({
        name: "tenants",
        capacity: spec.pools.tenants.capacity,
        spec: spec.pools.tenants,
      });
      databases.push(...spec.tenants.map(asDatabase("tenants")));
    }
  } else {
    const paid = spec.pools.paid;
    // Tiered: the site without primaries runs its paid pool small; geo-distributed pools always serve primaries.
    const servesPrimaries =
      spec.strategy === "geo-distributed" || role === "active" || stillServesPrimaries;
    pools.push({
      name: "paid",
      capacity: servesPrimaries ? paid.capacity : (paid.passiveCapacity ?? paid.capacity),
      spec: paid,
    });
    databases.push(
      ...spec.tenants.filter((t) => t.tier === "paid" && t.home === site).map(asDatabase("paid")),
    );
    if (site === "primary") {
      pools.push({ name: "trial", capacity: spec.pools.trial.capacity, spec: spec.pools.trial });
      databases.push(...spec.tenants.filter((t) => t.tier === "trial").map(asDatabase("trial")));
    }
  }

  const recovering =
    site === "secondary" && (role === "active" || (recovered && !spec.releaseRecoveredDatabases));
  if (recovering && unreplicated.length) {
    pools.push({
      name: unreplicatedPool,
      capacity: spec.pools[unreplicatedPool].capacity,
      spec: spec.pools[unreplicatedPool],
    });
  }
  return {
    pools,
    databases,
    managementDatabases: site === "primary" ? [...MANAGEMENT_DATABASES] : [],
    failoverGroups: groups.filter((g) => g.home === site),
    holds: groups
      .filter((g) => (promote ? site === "secondary" : g.home === site))
      .map((g) => g.name),
    ...(recovering &&
      unreplicated.length && {
        recovery: {
          pool: unreplicatedPool,
          databases: unreplicated.map(asDatabase(unreplicatedPool)),
        },
      }),
  };
}

/** The settings a deployment records, for the gate to hold still while the roles move. */
export function sqlSettings(spec: SqlSpec): SqlSettings {
  const list = spec.tenants.map((t) => [t.id, t.tier, t.home]);
  return {
    strategy: spec.strategy,
    databasesPerGroup: spec.failoverGroups.databasesPerGroup,
    gracePeriodMinutes: spec.failoverGroups.gracePeriodMinutes,
    tenants: spec.tenants.length,
    tenantsDigest: createHash("sha256").update(JSON.stringify(list)).digest("hex").slice(0, 16),
  };
}

/** What the peer's last deployment shows of its SQL estate (components/lastDeployment.ts). */
export interface PeerSql {
  readonly server: string;
  readonly pools: readonly string[];
  readonly failoverGroups: readonly string[];
  /** The site's VNet, once its private endpoint subnet exists (ARM ID). */
  readonly vnet?: string;
  /** The pair's privatelink DNS zone, recorded by the primary that owns it (ARM ID). */
  readonly privateDnsZone?: string;
}

/** The zone Azure SQL's private endpoints resolve in (Azure private endpoint DNS zone values). */
export const SQL_PRIVATE_DNS_ZONE = "privatelink.database.windows.net";

/**
 * One privatelink zone for the pair, so that a failover group's listener resolves to either
 * server's private endpoint from either VNet after a failover. The primary's stack owns it (in
 * its SQL resource group: a private DNS zone is global) and links both VNets to it, the peer's
 * once the peer's outputs show its VNet (a VNet link needs the VNet). Each site's endpoint
 * registers its A record in that zone: the secondary's once the primary's outputs show the zone.
 */
export function privateDnsPlan(
  site: Site,
  peer: SqlRecord,
): { ownsZone: boolean; zoneReady: boolean; peerVnet?: string } {
  if (site === "primary") {
    const peerVnet = typeof peer === "object" ? peer.vnet : undefined;
    return { ownsZone: true, zoneReady: true, ...(peerVnet && { peerVnet }) };
  }
  return {
    ownsZone: false,
    zoneReady: typeof peer === "object" && peer.privateDnsZone !== undefined,
  };
}

/**
 * What a stack's last outputs show of its SQL estate: its record, or "all" for outputs from
 * before the record existed (a role but no `sql`: that program registered its server, every pool
 * and every owned failover group unconditionally), or undefined for a stack never deployed.
 */
export type SqlRecord = PeerSql | "all" | undefined;

export function recordedSql(d: { readonly role?: string; readonly sql?: PeerSql }): SqlRecord {
  return d.sql ?? (d.role !== undefined ? "all" : undefined);
}

/** The pool a group's databases live in on both servers; none for the management databases. */
export const groupPool = (fg: FailoverGroupPlan): PoolName | undefined =>
  fg.kind === "paid" ? "paid" : undefined;

/**
 * The owned failover groups this deployment registers. Azure refuses a group whose partner server
 * does not exist (ServerNotFound) or, for pooled databases, has no elastic pool of the same name
 * (ResourcePoolNotFound): both live in the peer's stack, so a new group waits until the peer's
 * deployed outputs show them, and the next deployment creates it (DESIGN, facts checked). A
 * group this stack already created stays, whatever the peer's record says now: dropping it would
 * delete a protected, stateful resource.
 */
export function creatableGroups(
  owned: readonly FailoverGroupPlan[],
  peer: SqlRecord,
  own: SqlRecord,
): FailoverGroupPlan[] {
  if (peer === "all" || own === "all") return [...owned];
  return owned.filter((fg) => {
    if (own?.failoverGroups.includes(fg.name)) return true;
    const pool = groupPool(fg);
    return peer !== undefined && (pool === undefined || peer.pools.includes(pool));
  });
}

/**
 * The holds this site can register now: a hold makes this server primary of a group, so the group
 * must exist. A group this stack owns exists once it is registered in this deployment (the hold
 * depends on it); a group the peer owns, once the peer's deployed outputs list it.
 */
export function holdableGroups(
  holds: readonly string[],
  ownedNow: readonly string[],
  peer: SqlRecord,
): string[] {
  return holds.filter(
    (g) => ownedNow.includes(g) || peer === "all" || (peer?.failoverGroups.includes(g) ?? false),
  );
}

/**
 * What this deployment is for the SQL estate, from the stack's role, its last recorded role and
 * the peer's: `promoting` (the only deployment that may force a failover) and
 * `stillServesPrimaries` (stood down, but the peer's promotion, which moves the groups, is not
 * recorded yet; see planSql).
 */
export function sqlTransition(
  role: Role,
  lastRole: Role | undefined,
  peerRole: Role | undefined,
): { promoting: boolean; stillServesPrimaries: boolean } {
  return {
    promoting: lastRole === "passive" && role === "active",
    stillServesPrimaries: role === "passive" && lastRole === "active" && peerRole !== "active",
  };
}
