import {
  MANAGEMENT_DATABASES,
  MIN_DATABASES_PER_GROUP,
  type RELEASE_MODES,
  type SqlPoolSpec,
  type SqlSpec,
  type Tenant,
} from "../../config/sqlSchema";
import { createHash } from "node:crypto";
import type { SqlSettings } from "../../contracts/facts";
import { databasesPerPool, GEO_RESTORES_PER_POOL } from "./limits";
import {
  parseSlot,
  placeTenants,
  type Placement,
  type PlacementLimits,
  type PoolKind,
} from "./placement";
import type { Role, Site } from "../role";

/**
 * The ElasticPoolPair's decisions (seed 002), pure. Which site owns what never depends on the
 * role; the role decides pool capacities, which failover groups this site must hold as primary,
 * and whether it geo-restores the tenants that have no replica.
 */

/** A pool's name on its server: "paid", "trial-02" (placement.ts, poolName). */
export type PoolName = string;

export interface FailoverGroupPlan {
  /** Globally unique (it is a DNS name): prefix, home site, kind, server pair, number. */
  readonly name: string;
  /** The site whose server is the group's primary in normal operation, and whose stack owns it. */
  readonly home: Site;
  readonly kind: "management" | "paid";
  /** The server pair its databases live on (a group never spans two). */
  readonly server: number;
  /** Database names in the group. */
  readonly databases: readonly string[];
  /** The pools of its databases: the partner server needs a pool of each name. */
  readonly pools: readonly PoolName[];
  readonly policy: "Automatic" | "Manual";
  /** Only for Automatic. */
  readonly gracePeriodMinutes?: number;
}

export interface PoolPlan {
  readonly server: number;
  readonly name: PoolName;
  readonly kind: PoolKind;
  readonly capacity: number;
  readonly spec: SqlPoolSpec;
}

export interface TenantDatabasePlan {
  readonly tenant: string;
  readonly database: string;
  readonly server: number;
  readonly pool: PoolName;
  readonly kind: PoolKind;
}

export interface SqlPlan {
  /** Server pairs: this site has one server per pair (index 0 keeps the original names). */
  readonly servers: number;
  /** Pools on this site's servers. */
  readonly pools: readonly PoolPlan[];
  /** Databases whose primary this stack creates (management databases, homed tenants). */
  readonly databases: readonly TenantDatabasePlan[];
  /** On server pair 0. */
  readonly managementDatabases: readonly string[];
  /** Failover groups this stack owns (created on its servers). */
  readonly failoverGroups: readonly FailoverGroupPlan[];
  /** Failover groups this site must be primary of now. */
  readonly holds: readonly string[];
  /** The tenants geo-restored on this site, each into its pool's namesake; none when not recovering. */
  readonly recovery?: { readonly databases: readonly TenantDatabasePlan[] };
}

export const tenantDatabaseName = (tenant: string) => `tenant-${tenant}`;

/** Only paid databases have a replica (a failover group's secondary). */
export const hasReplica = (kind: PoolKind) => kind === "paid";

/** The pool kind a tenant's database lives in. */
export const poolKind = (spec: SqlSpec, t: Tenant): PoolKind =>
  spec.strategy === "budget" ? "tenants" : t.tier;

/** The site whose stack places a tenant: its home (trial tenants, and all under budget, live on the primary). */
export const placedBy = (spec: SqlSpec, t: Tenant): Site =>
  spec.strategy === "budget" || t.tier === "trial" ? "primary" : t.home;

/**
 * Most databases per pool, by kind, for this config's pool sizes. A paid pool holds the peer's
 * geo-secondaries at its passive capacity too, so the smaller size bounds it.
 */
export function placementLimits(spec: SqlSpec): PlacementLimits {
  const paid = spec.pools.paid;
  return {
    perPool: {
      paid: databasesPerPool(Math.min(paid.capacity, paid.passiveCapacity ?? paid.capacity)),
      trial: databasesPerPool(spec.pools.trial.capacity),
      tenants: databasesPerPool(spec.pools.tenants.capacity),
    },
    reservedOnFirst: MANAGEMENT_DATABASES.length,
  };
}

/**
 * Every tenant's place. This site places the tenants it is home to, sticky from its own last
 * deployment; the others are as the peer's last deployment placed them (and where the peer has
 * not placed them yet, where it will). Problems name the config key, the pool, the count and the
 * limit.
 */
export function sqlPlacement(
  spec: SqlSpec,
  site: Site,
  ownLast: Placement = {},
  peerLast: Placement = {},
  rebalance = false,
): { placement: Placement; problems: string[] } {
  const limits = placementLimits(spec);
  const part = (by: Site) =>
    spec.tenants
      .filter((t) => placedBy(spec, t) === by)
      .map((t) => ({ id: t.id, kind: poolKind(spec, t) }));
  const peer = site === "primary" ? "secondary" : "primary";
  const only = (p: Placement, ids: readonly { id: string }[]) =>
    Object.fromEntries(ids.filter((t) => p[t.id] !== undefined).map((t) => [t.id, p[t.id]!]));
  const theirs = placeTenants(part(peer), limits, peerLast, only(ownLast, part(site)));
  const mine = placeTenants(part(site), limits, ownLast, theirs.placement, rebalance);
  const sizes: Record<PoolKind, number> = {
    paid: Math.min(
      spec.pools.paid.capacity,
      spec.pools.paid.passiveCapacity ?? spec.pools.paid.capacity,
    ),
    trial: spec.pools.trial.capacity,
    tenants: spec.pools.tenants.capacity,
  };
  const problems = mine.problems.map((p) => {
    const kind = (["paid", "trial", "tenants"] as const).find((k) => p.includes(`a ${k} pool`));
    return kind
      ? `paired-dr:sql.pools.${kind}: ${p} at ${sizes[kind]} vCores (resource-limits-vcore-elastic-pools); give the pool more vCores, or set sql.rebalancePools: true to move tenants between pools of their server`
      : `paired-dr:sql.tenants: ${p} (resource-limits-logical-server); a placed tenant never changes server`;
  });
  return { placement: { ...theirs.placement, ...mine.placement }, problems };
}

/**
 * The geo-restores in waves of GEO_RESTORES_PER_POOL: for each database, the index of the one it
 * waits for (the same lane in the wave before), or undefined in the first wave.
 */
export function restoreLanes(
  count: number,
  atOnce = GEO_RESTORES_PER_POOL,
): (number | undefined)[] {
  return Array.from({ length: count }, (_, i) => laneBefore(i, atOnce));
}

/** The index of the database the `i`th of a pool's waves waits for; undefined in the first. */
export const laneBefore = (i: number, atOnce = GEO_RESTORES_PER_POOL): number | undefined =>
  i >= atOnce ? i - atOnce : undefined;

/**
 * How many waves a geo-restore takes: pools restore side by side, GEO_RESTORES_PER_POOL at once
 * each, so the fullest pool decides.
 */
export function restoreWaves(
  databases: readonly { readonly server: number; readonly pool: PoolName }[],
  atOnce = GEO_RESTORES_PER_POOL,
): number {
  const perPool = new Map<string, number>();
  for (const d of databases) {
    const key = `${d.server}/${d.pool}`;
    perPool.set(key, (perPool.get(key) ?? 0) + 1);
  }
  return Math.max(0, ...[...perPool.values()].map((n) => Math.ceil(n / atOnce)));
}

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

const pad2 = (n: number) => String(n).padStart(2, "0");

/** The part of a placement this site decides (and records): the tenants it is home to. */
export function ownPlacement(spec: SqlSpec, site: Site, placement: Placement): Placement {
  return Object.fromEntries(
    spec.tenants
      .filter((t) => placedBy(spec, t) === site && placement[t.id] !== undefined)
      .map((t) => [t.id, placement[t.id]!]),
  );
}

/** The slot of every tenant, placed afresh when no deployment placed them (a first deployment). */
const placementOrFresh = (spec: SqlSpec, placement?: Placement): Placement =>
  placement ?? sqlPlacement(spec, "primary").placement;

const at = (placement: Placement, t: Tenant) => {
  const p = parseSlot(placement[t.id] ?? "");
  if (!p) throw new Error(`tenant ${t.id} has no place (${String(placement[t.id])})`);
  return p;
};

/** All failover groups of the pair, whichever stack owns them. */
export function failoverGroups(
  spec: SqlSpec,
  prefix: string,
  placement?: Placement,
): FailoverGroupPlan[] {
  const management: FailoverGroupPlan = {
    name: `${prefix}-primary-fg-mgmt`,
    home: "primary",
    kind: "management",
    server: 0,
    databases: [...MANAGEMENT_DATABASES],
    pools: [],
    policy: "Automatic",
    gracePeriodMinutes: spec.failoverGroups.gracePeriodMinutes,
  };
  if (spec.strategy === "budget") return [management];
  const where = placementOrFresh(spec, placement);
  const paid: FailoverGroupPlan[] = [];
  for (const home of ["primary", "secondary"] as const) {
    const tenants = spec.tenants.filter((t) => t.tier === "paid" && t.home === home);
    const servers = [...new Set(tenants.map((t) => at(where, t).server))].sort((a, b) => a - b);
    for (const server of servers) {
      const onServer = tenants.filter((t) => at(where, t).server === server);
      // Server pair 0 keeps the original names.
      const base = `${prefix}-${home}-fg-${server === 0 ? "" : `s${pad2(server + 1)}-`}paid`;
      chunkTenants(onServer, spec.failoverGroups.databasesPerGroup).forEach((group, i) =>
        paid.push({
          name: `${base}-${pad2(i + 1)}`,
          home,
          kind: "paid",
          server,
          databases: group.map((t) => tenantDatabaseName(t.id)),
          pools: [...new Set(group.map((t) => at(where, t).pool))],
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
  }
  return [management, ...paid];
}

/** The tenants without a replica, geo-restored on promotion: trial tenants; all under budget. */
export const unreplicatedTenants = (spec: SqlSpec): Tenant[] =>
  spec.tenants.filter((t) => spec.strategy === "budget" || t.tier === "trial");

/**
 * What one site builds. With `promote` off, each site holds the groups it is home to; with it on,
 * the secondary holds every group and the primary none. The tenants without a replica (trial
 * tenants; every tenant under budget) are geo-restored on the secondary while it is promoted, and
 * stay there after failback until `releaseRecoveredDatabases` (seed 002's failback copies them
 * back first). `recovered` is what the stack's last deployment says it restored. Every tenant
 * lives where `placement` puts it (sqlPlacement), on server pair 0 unless the limits need more.
 */
export function planSql(
  spec: SqlSpec,
  prefix: string,
  site: Site,
  role: Role,
  recovered: boolean,
  /**
   * This site stood down but is still the primary of its failover groups: the peer's promotion
   * (which fails them over) has not been recorded yet. Its paid pools keep serving them at full
   * capacity until the next deployment after the peer's promotion.
   */
  stillServesPrimaries = false,
  placement?: Placement,
  /** The recovered databases are left out now (releasePhase: drop). */
  release = false,
): SqlPlan {
  const where = placementOrFresh(spec, placement);
  const promote = promotedFrom(site, role);
  const groups = failoverGroups(spec, prefix, where);
  const recovering = site === "secondary" && (role === "active" || (recovered && !release));
  const asDatabase = (t: Tenant): TenantDatabasePlan => {
    const { server, pool } = at(where, t);
    return {
      tenant: t.id,
      database: tenantDatabaseName(t.id),
      server,
      pool,
      kind: poolKind(spec, t),
    };
  };
  const all = spec.tenants.map(asDatabase);
  // Tiered: the site without primaries runs its paid pools small; geo-distributed pools always serve primaries.
  const servesPrimaries =
    spec.strategy === "geo-distributed" || role === "active" || stillServesPrimaries;
  const capacity = (kind: PoolKind) =>
    kind === "paid" && !servesPrimaries
      ? (spec.pools.paid.passiveCapacity ?? spec.pools.paid.capacity)
      : spec.pools[kind].capacity;
  // Pools this site has: every paid pool (primaries or the peer's secondaries), the rest on the
  // primary, and on a recovering secondary; pool 0 of each kind always, as before placement.
  const wanted = (kind: PoolKind) => kind === "paid" || site === "primary" || recovering;
  const slots = new Map<string, { server: number; pool: PoolName; kind: PoolKind }>();
  const always: PoolKind[] = spec.strategy === "budget" ? ["tenants"] : ["paid", "trial"];
  for (const kind of always)
    if (wanted(kind) && (kind === "paid" || site === "primary"))
      slots.set(`0/${kind}`, { server: 0, pool: kind, kind });
  for (const d of all)
    if (wanted(d.kind))
      slots.set(`${d.server}/${d.pool}`, { server: d.server, pool: d.pool, kind: d.kind });
  const pools: PoolPlan[] = [...slots.values()]
    .sort((a, b) => a.server - b.server || a.pool.localeCompare(b.pool, "en", { numeric: true }))
    .map((x) => ({ ...x, name: x.pool, capacity: capacity(x.kind), spec: spec.pools[x.kind] }))
    .map(({ pool: _pool, ...rest }) => rest);
  const unreplicated = new Set(unreplicatedTenants(spec).map((t) => t.id));
  const servers = all.reduce((n, d) => Math.max(n, d.server + 1), 1);
  return {
    servers,
    pools,
    // `all` follows spec.tenants, index for index.
    databases: all.filter((_, i) => placedBy(spec, spec.tenants[i]!) === site),
    managementDatabases: site === "primary" ? [...MANAGEMENT_DATABASES] : [],
    failoverGroups: groups.filter((g) => g.home === site),
    holds: groups
      .filter((g) => (promote ? site === "secondary" : g.home === site))
      .map((g) => g.name),
    ...(recovering &&
      unreplicated.size > 0 && {
        recovery: { databases: all.filter((d) => unreplicated.has(d.tenant)) },
      }),
  };
}

/**
 * How the promoted secondary makes the tenants that have no replica (planSql's recovery):
 * geo-secondaries of the drained primary's originals, then a planned geo-failover of each link
 * (linkHolds); copies of them (`Copy`, what a planned switchover made before links, kept where
 * recorded); or geo-restores from their last geo-replicated backups.
 */
export const RECOVERY_MODES = ["Secondary", "Copy", "Recovery"] as const;
export type RecoveryMode = (typeof RECOVERY_MODES)[number];

/**
 * How a stack's last deployment made its recovered databases; undefined when it has none.
 * Outputs from before the mode was recorded: those databases were geo-restored.
 */
export const recordedRecoveryMode = (d: {
  readonly sqlRecovered?: boolean;
  readonly sqlRecoveredBy?: RecoveryMode;
}): RecoveryMode | undefined => (d.sqlRecovered ? (d.sqlRecoveredBy ?? "Recovery") : undefined);

/**
 * Geo-replicated from the drained primary in a planned switchover (createMode Secondary, then a
 * planned geo-failover, which "switches the roles of primary and geo-secondary databases after
 * completing full data synchronization. A planned failover does not result in data loss": sql-docs
 * azure-sql/database/active-geo-replication-overview.md). The original becomes the read-only
 * geo-secondary, so it is never left writable beside its copy, and the same link brings the
 * tenant back, synchronized, on switchback. Geo-restored otherwise (createMode Recovery: the
 * primary is lost, or still recorded active, or a forced failover is acknowledged). Kept once the
 * databases exist: createMode and its source are create-only, and a change replaces the database
 * (Databases.json x-ms-mutability create; azure-native diffs a change of either as a replacement,
 * pulumi-azure-native#1304).
 */
export function recoveryMode(
  recorded: RecoveryMode | undefined,
  peerRole: Role | undefined,
  opts: { forcedFailover: boolean; crossSubscription: boolean },
): RecoveryMode {
  if (recorded) return recorded;
  // A forced failover acknowledged: the drained peer's region may be gone since it stood down.
  // Across subscriptions the documented setup is T-SQL with SQL logins on both servers
  // ("Cross-subscription geo-replication", active-geo-replication-overview.md): Entra-only
  // servers have none.
  if (peerRole !== "passive" || opts.forcedFailover || opts.crossSubscription) return "Recovery";
  return "Secondary";
}

/**
 * How this deployment's holds (failover groups and links) fail over: forced only by the promotion
 * itself and only with `sql.failover.mode: forced`; a hold's update never moves anything.
 */
export function holdFailover(
  promoting: boolean,
  failover: { readonly mode: string; readonly acknowledgeDataLoss: boolean },
): { mode: "planned" | "forced"; allowDataLoss: boolean } {
  const forced = promoting && failover.mode === "forced";
  return {
    mode: forced ? "forced" : "planned",
    allowDataLoss: forced && failover.acknowledgeDataLoss,
  };
}

/** What a release does with what the failover left (sql.releaseRecoveredDatabases). */
export type ReleaseMode = (typeof RELEASE_MODES)[number];

/**
 * Whether the secondary may release its recovered databases (`sql.releaseRecoveredDatabases`),
 * always only once the peer's last deployment is active again: before, they are the primaries
 * that hold what the tenants wrote since the failover. Geo-secondaries of the peer's originals
 * (mode Secondary) are the peer's link partners then, failed back. Geo-restored copies may be
 * deleted only once the peer recorded their reprotect (reprotectTenants): its promotion then
 * failed each link back; without it they hold the outage's writes alone, and only `retain`
 * (out of the stack, kept in Azure) lets them go.
 */
export function releaseNow(
  asked: ReleaseMode | false,
  recorded: RecoveryMode | undefined,
  peer: { readonly role?: Role; readonly sqlReprotected?: boolean },
): boolean {
  if (asked === false || peer.role !== "active") return false;
  return asked === "retain" || recorded === "Secondary" || peer.sqlReprotected === true;
}

/**
 * Where a release stands. Pulumi refuses to delete a protected resource (the protection it last
 * registered), so a release takes two deployments: the first registers what goes unprotected,
 * kept in Azure on delete for `retain`, and records the mode (`arm`); the next, with the same
 * mode recorded, leaves it out (`drop`). Nothing is unprotected by hand.
 */
export function releasePhase(
  asked: ReleaseMode | false,
  allowed: boolean,
  recorded: ReleaseMode | undefined,
): "keep" | "arm" | "drop" {
  if (asked === false || !allowed) return "keep";
  return recorded === asked ? "drop" : "arm";
}

/**
 * The primary's tenants without a replica that it reprotects (components/sql/failover/
 * reprotect.ts): after the peer geo-restored them, each original steps aside renamed and the
 * tenant's name here becomes a geo-secondary of the peer's copy, so the copy stays the one
 * writable database and the failback's planned geo-failover (linkHolds) brings back what the
 * tenant wrote during the outage. It starts only while the peer is recorded active with its
 * geo-restores, on this site's return as passive: once this site is active again, its own
 * databases hold the newer writes. It stays until released (`drop`: the stale originals go, or
 * are kept, as the release says). None across subscriptions (reprotect.ts).
 */
export function reprotectTenants(
  spec: SqlSpec,
  site: Site,
  role: Role,
  o: {
    readonly peer: {
      readonly role?: Role;
      readonly sqlRecovered?: boolean;
      readonly sqlRecoveredBy?: RecoveryMode;
    };
    /** The tenants this site's last deployment recorded reprotected. */
    readonly reprotected: readonly string[];
    readonly release: "keep" | "arm" | "drop";
    readonly crossSubscription: boolean;
  },
): string[] {
  if (site !== "primary" || o.crossSubscription || o.release === "drop") return [];
  // All of them are placed by the primary (placedBy).
  const configured = unreplicatedTenants(spec).map((t) => t.id);
  // Only those recorded: a tenant onboarded after the failback was never geo-restored, and its
  // database here is the live one.
  if (o.reprotected.length) return configured.filter((id) => o.reprotected.includes(id));
  const peerMode = recordedRecoveryMode(o.peer);
  const peerRestored =
    o.peer.role === "active" && peerMode !== undefined && peerMode !== "Secondary";
  // The settings hold still while promoted (the gate), so these are the tenants it restored.
  return peerRestored && role === "passive" ? configured : [];
}

/**
 * A reprotect keeps each stale original in its pool beside the tenant's new geo-secondary until
 * the release, so a pool holds its tenants and their stale originals at once: refused before
 * anything is registered when that exceeds the pool's database limit, naming the pool and the
 * key that makes room (resource-limits-vcore-elastic-pools).
 */
export function reprotectRoomProblems(
  spec: SqlSpec,
  placement: Placement,
  tenants: readonly string[],
): string[] {
  const limits = placementLimits(spec);
  const byPool = new Map<string, { kind: PoolKind; placed: number; stale: number }>();
  const reprotected = new Set(tenants);
  for (const t of spec.tenants) {
    const where = placement[t.id];
    if (where === undefined) continue;
    const entry = byPool.get(where) ?? { kind: poolKind(spec, t), placed: 0, stale: 0 };
    entry.placed += 1;
    if (reprotected.has(t.id)) entry.stale += 1;
    byPool.set(where, entry);
  }
  return [...byPool]
    .filter(([, e]) => e.stale > 0 && e.placed + e.stale > limits.perPool[e.kind])
    .map(
      ([where, e]) =>
        `paired-dr:sql.pools.${e.kind}.capacity: pool ${where} holds ${e.placed} tenants and, until the release, the ${e.stale} stale originals the failback renames aside: ${e.placed + e.stale} databases, over the limit of ${limits.perPool[e.kind]} at ${spec.pools[e.kind].capacity} vCores (resource-limits-vcore-elastic-pools); give the pool more vCores for the failback`,
    );
}

/**
 * Whether this site may release what the failover left (sql.releaseRecoveredDatabases): on the
 * passive secondary, its recovered databases (releaseNow); on the primary, its reprotects, once a
 * recorded active deployment held their links (each reprotected tenant is primary here again).
 * The stale originals stay in Azure either way (components/sql/failover/reprotect.ts).
 */
export function releaseAllowed(
  site: Site,
  asked: ReleaseMode | false,
  role: Role,
  last: {
    readonly role?: Role;
    readonly sqlRecovered?: boolean;
    readonly sqlRecoveredBy?: RecoveryMode;
    readonly sqlReprotected?: readonly string[];
  },
  peer: { readonly role?: Role; readonly sqlReprotected?: readonly string[] },
): boolean {
  if (site === "secondary")
    return (
      role === "passive" &&
      last.sqlRecovered === true &&
      releaseNow(asked, recordedRecoveryMode(last), {
        ...(peer.role && { role: peer.role }),
        sqlReprotected: (peer.sqlReprotected?.length ?? 0) > 0,
      })
    );
  return (
    asked !== false &&
    (last.sqlReprotected?.length ?? 0) > 0 &&
    role === "active" &&
    last.role === "active"
  );
}

/**
 * This deployment's release (sql.releaseRecoveredDatabases): its phase (releasePhase, from
 * releaseAllowed and the mode the last deployment armed) and the mode a phase applies.
 */
export function sqlRelease(
  asked: ReleaseMode | false,
  site: Site,
  role: Role,
  last: Parameters<typeof releaseAllowed>[3] & { readonly sqlRelease?: ReleaseMode },
  peer: Parameters<typeof releaseAllowed>[4],
): { readonly phase: "keep" | "arm" | "drop"; readonly mode: ReleaseMode } {
  return {
    phase: releasePhase(asked, releaseAllowed(site, asked, role, last, peer), last.sqlRelease),
    mode: asked || "retain",
  };
}

/**
 * The resource options of what a release takes out of the stack: registered unprotected when
 * it arms (Pulumi deletes only what its state holds unprotected), and kept in Azure on delete
 * for `retain`.
 */
export const releaseOptions = (release: ReturnType<typeof sqlRelease>) => ({
  protect: release.phase !== "arm",
  retainOnDelete: release.phase === "arm" && release.mode === "retain",
});

/** A stack's last deployment keeps geo-secondaries it made of its peer's tenants (mode Secondary). */
export const keepsLinkedCopies = (d: {
  readonly sqlRecovered?: boolean;
  readonly sqlRecoveredBy?: RecoveryMode;
}): boolean => d.sqlRecovered === true && d.sqlRecoveredBy === "Secondary";

/**
 * The tenant databases outside every failover group whose geo-replication link this deployment
 * holds as primary (components/sql/failover/replica.ts), and whether each must find its link: on
 * the promoted secondary, the geo-secondaries it made of the drained primary's originals (a
 * missing link refuses); during any promotion of it, every database it makes, since a retried
 * promotion may find geo-secondaries an earlier, failed attempt made before its outputs recorded
 * the mode (a geo-restored database has no link and is its own primary); on the active primary,
 * its originals while the peer keeps geo-secondaries of them (the switchback's planned failover
 * brings back, synchronized, what the tenants wrote on the secondary). None on a passive site.
 */
export function linkHolds(
  spec: SqlSpec,
  plan: SqlPlan,
  site: Site,
  role: Role,
  mode: RecoveryMode,
  o: { peerLinked: boolean; promoting: boolean },
): { database: TenantDatabasePlan; requireLink: boolean }[] {
  if (role !== "active") return [];
  if (site === "secondary") {
    if (mode !== "Secondary" && !o.promoting) return [];
    return (plan.recovery?.databases ?? []).map((database) => ({
      database,
      requireLink: mode === "Secondary",
    }));
  }
  if (!o.peerLinked) return [];
  const unreplicated = new Set(unreplicatedTenants(spec).map((t) => t.id));
  return plan.databases
    .filter((d) => unreplicated.has(d.tenant))
    .map((database) => ({ database, requireLink: true }));
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
  /** Every server of the site (pair 0 first) and the pools on it; absent before placement. */
  readonly servers?: readonly { readonly server: string; readonly pools: readonly string[] }[];
  /** Where the site placed the tenants it is home to (sqlPlacement). */
  readonly placement?: Placement;
}

/** The pools the peer's last deployment shows on its server of pair `k`; undefined without it. */
export function peerPools(peer: PeerSql, k: number): readonly string[] | undefined {
  if (peer.servers) return peer.servers[k]?.pools;
  return k === 0 ? peer.pools : undefined;
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
    if (peer === undefined) return false;
    const partnerPools = peerPools(peer, fg.server);
    return partnerPools !== undefined && fg.pools.every((p) => partnerPools.includes(p));
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
