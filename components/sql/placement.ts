import { DATABASES_PER_SERVER } from "./limits";

/**
 * Where each tenant's database lives: which server pair (the same index on both sites: a
 * failover group keeps its databases on one pair) and which elastic pool on it. Placement is
 * sticky: a tenant placed once stays on its server (a move is a replacement) and in its pool
 * (a move between pools is an update, made only when asked); new tenants fill pools in catalog
 * order, then open pools, then servers, within Azure's limits.
 */

export type PoolKind = "paid" | "trial" | "tenants";

/** "<server index>/<pool name>", e.g. "0/paid", "1/trial-03". */
export type Slot = string;

/** Tenant ID to slot. */
export type Placement = Readonly<Record<string, Slot>>;

export interface PlacementLimits {
  /** Most databases per pool, by kind. */
  readonly perPool: Readonly<Record<PoolKind, number>>;
  /** Databases on server pair 0 that no tenant owns (the management databases). */
  readonly reservedOnFirst: number;
  /** Most databases per server. Default DATABASES_PER_SERVER. */
  readonly perServer?: number;
}

export interface TenantToPlace {
  readonly id: string;
  readonly kind: PoolKind;
}

const pad = (n: number) => String(n).padStart(2, "0");
const bump = <K>(m: Map<K, number>, k: K, by = 1) => m.set(k, (m.get(k) ?? 0) + by);

/** The n-th pool of a kind on a server (1-based): "paid", "paid-02", ... */
export const poolName = (kind: PoolKind, ordinal: number) =>
  ordinal === 1 ? kind : `${kind}-${pad(ordinal)}`;

export const slot = (server: number, pool: string): Slot => `${server}/${pool}`;

export function parseSlot(
  s: Slot,
): { server: number; pool: string; kind: PoolKind; ordinal: number } | undefined {
  const m = /^(\d+)\/(paid|trial|tenants)(?:-(\d{2,}))?$/.exec(s);
  if (!m) return undefined;
  const ordinal = m[3] === undefined ? 1 : Number(m[3]);
  if (ordinal < 2 && m[3] !== undefined) return undefined;
  return {
    server: Number(m[1]),
    pool: m[3] ? `${m[2]}-${m[3]}` : m[2]!,
    kind: m[2] as PoolKind,
    ordinal,
  };
}

export interface PlacementResult {
  readonly placement: Placement;
  /** Pools over their limit that stickiness keeps over it (asked to rebalance, none remain). */
  readonly problems: readonly string[];
}

/**
 * Places tenants. `previous` is the placement last deployed; `others` is where the tenants this
 * call does not place live (the peer's homed tenants: they share servers and pools);
 * `rebalance` lets tenants of an over-full pool move to other pools of the same server.
 */
export function placeTenants(
  tenants: readonly TenantToPlace[],
  limits: PlacementLimits,
  previous: Placement = {},
  others: Placement = {},
  rebalance = false,
): PlacementResult {
  const perServer = limits.perServer ?? DATABASES_PER_SERVER;
  const serverCount = new Map<number, number>();
  bump(serverCount, 0, limits.reservedOnFirst);
  const poolCount = new Map<Slot, number>();
  /** Pools per server and kind, by ordinal. */
  const ordinals = new Map<string, Set<number>>();
  const out: Record<string, Slot> = {};
  const toPlace: { tenant: TenantToPlace; preferServer?: number }[] = [];

  const note = (server: number, kind: PoolKind, ordinal: number) => {
    const key = `${server}/${kind}`;
    if (!ordinals.has(key)) ordinals.set(key, new Set());
    ordinals.get(key)!.add(ordinal);
  };
  const own = new Set(tenants.map((t) => t.id));
  for (const [id, s] of Object.entries(others)) {
    const p = parseSlot(s);
    if (!p || own.has(id)) continue;
    bump(serverCount, p.server);
    bump(poolCount, slot(p.server, p.pool));
    note(p.server, p.kind, p.ordinal);
  }
  const placedBefore = new Set<Slot>();
  for (const t of tenants) {
    const prev = previous[t.id] === undefined ? undefined : parseSlot(previous[t.id]!);
    if (prev && prev.kind === t.kind) {
      out[t.id] = slot(prev.server, prev.pool);
      placedBefore.add(out[t.id]!);
      bump(serverCount, prev.server);
      bump(poolCount, out[t.id]!);
      note(prev.server, prev.kind, prev.ordinal);
    } else {
      // A tier change moves the database to another pool of the same server (an update).
      toPlace.push({ tenant: t, ...(prev && { preferServer: prev.server }) });
      if (prev) bump(serverCount, prev.server);
    }
  }

  const problems: string[] = [];
  const room = (s: Slot, kind: PoolKind) => (poolCount.get(s) ?? 0) < limits.perPool[kind];
  const pools = (server: number, kind: PoolKind) =>
    [...(ordinals.get(`${server}/${kind}`) ?? [])].sort((a, b) => a - b);
  const openPool = (server: number, kind: PoolKind) => {
    const used = pools(server, kind);
    let ordinal = 1;
    while (used.includes(ordinal)) ordinal++;
    note(server, kind, ordinal);
    return slot(server, poolName(kind, ordinal));
  };
  /** A slot with room for one more database of a kind on this server, opening a pool if needed. */
  const onServer = (server: number, kind: PoolKind): Slot => {
    for (const o of pools(server, kind)) {
      const s = slot(server, poolName(kind, o));
      if (room(s, kind)) return s;
    }
    return openPool(server, kind);
  };

  if (rebalance) {
    // Over-full pools give their last tenants (catalog order) to pools of the same server.
    for (const [s, n] of [...poolCount]) {
      if (!placedBefore.has(s)) continue;
      const p = parseSlot(s)!;
      let excess = n - limits.perPool[p.kind];
      if (excess <= 0) continue;
      const members = tenants.filter((t) => out[t.id] === s).reverse();
      for (const t of members) {
        if (excess-- <= 0) break;
        poolCount.set(s, poolCount.get(s)! - 1);
        const to = onServer(p.server, p.kind);
        out[t.id] = to;
        bump(poolCount, to);
      }
    }
  }
  for (const [s, n] of poolCount) {
    const p = parseSlot(s)!;
    if (placedBefore.has(s) && n > limits.perPool[p.kind])
      problems.push(
        `pool ${p.pool} on server pair ${p.server} would hold ${n} databases; a ${p.kind} pool of its size holds at most ${limits.perPool[p.kind]}`,
      );
  }

  const servers = () => Math.max(0, ...serverCount.keys()) + 1;
  for (const { tenant, preferServer } of toPlace) {
    let chosen: Slot | undefined;
    if (preferServer !== undefined) {
      chosen = onServer(preferServer, tenant.kind);
    } else {
      const n = servers();
      for (let k = 0; k <= n && chosen === undefined; k++) {
        if ((serverCount.get(k) ?? 0) >= perServer) continue;
        chosen = onServer(k, tenant.kind);
        bump(serverCount, k);
      }
    }
    out[tenant.id] = chosen!;
    bump(poolCount, chosen!);
  }
  for (const [k, n] of serverCount) {
    if (n > perServer)
      problems.push(
        `server pair ${k} would hold ${n} databases; a server holds at most ${perServer}`,
      );
  }
  return { placement: out, problems };
}
