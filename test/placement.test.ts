import { describe, expect, it } from "vitest";
import { databasesPerPool, DATABASES_PER_SERVER } from "../components/sql/limits";
import {
  parseSlot,
  placeTenants,
  poolName,
  type Placement,
  type PoolKind,
  type TenantToPlace,
} from "../components/sql/placement";
import { generateFleet } from "../tools/bench/fleet";

// General Purpose Gen5 pools: 100 databases at 2 vCores, 200 at 4, 500 from 6 up
// (sql-docs resource-limits-vcore-elastic-pools.md, "Max number DBs per pool"); 5,000 databases
// per server, geo-secondaries included (resource-limits-logical-server.md).
const LIMITS = {
  perPool: { paid: databasesPerPool(8), trial: databasesPerPool(4), tenants: databasesPerPool(8) },
  reservedOnFirst: 3,
};
const fleet = (n: number): TenantToPlace[] =>
  generateFleet(n).map((t) => ({ id: t.id, kind: t.tier as PoolKind }));
const count = (p: Placement) => {
  const out: Record<string, number> = {};
  for (const s of Object.values(p)) out[s] = (out[s] ?? 0) + 1;
  return out;
};
const servers = (p: Placement) => {
  const out: Record<number, number> = {};
  for (const s of Object.values(p)) {
    const k = parseSlot(s)!.server;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

describe("tenant placement within Azure's limits", () => {
  it("reads the documented limits", () => {
    expect([2, 4, 6, 8, 80].map(databasesPerPool)).toEqual([100, 200, 500, 500, 500]);
    expect(DATABASES_PER_SERVER).toBe(5000);
    expect([poolName("paid", 1), poolName("trial", 2), poolName("tenants", 12)]).toEqual([
      "paid",
      "trial-02",
      "tenants-12",
    ]);
    expect(parseSlot("1/trial-03")).toEqual({
      server: 1,
      pool: "trial-03",
      kind: "trial",
      ordinal: 3,
    });
    expect([parseSlot("0/paid-01"), parseSlot("x/paid"), parseSlot("0/gold")]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("keeps a small fleet in one pool per kind on the first server", () => {
    const { placement, problems } = placeTenants(fleet(60), LIMITS);
    expect(problems).toEqual([]);
    expect(count(placement)).toEqual({ "0/paid": 12, "0/trial": 48 });
  });

  it("spreads 5,000 tenants over pools of at most 500 paid and 200 trial, and two servers", () => {
    const { placement, problems } = placeTenants(fleet(5000), LIMITS);
    expect(problems).toEqual([]);
    // 4,997 tenants and the 3 management databases fill server pair 0; the last 3 open pair 1.
    expect(servers(placement)).toEqual({ 0: 4997, 1: 3 });
    const c = count(placement);
    expect(
      Math.max(
        ...Object.entries(c)
          .filter(([s]) => s.includes("paid"))
          .map(([, n]) => n),
      ),
    ).toBe(500);
    expect(
      Math.max(
        ...Object.entries(c)
          .filter(([s]) => s.includes("trial"))
          .map(([, n]) => n),
      ),
    ).toBe(200);
    expect(Object.keys(c).filter((s) => s.startsWith("0/trial"))).toHaveLength(20);
    expect(c["0/paid"]).toBe(500);
    expect(c["0/paid-02"]).toBe(500);
  });

  it("never moves a placed tenant when others come and go", () => {
    const before = placeTenants(fleet(5000), LIMITS).placement;
    const tenants = fleet(5001).filter((t) => t.id !== "t00002" && t.id !== "t02500");
    const after = placeTenants(tenants, LIMITS, before).placement;
    for (const t of tenants.slice(0, -1)) expect(after[t.id], t.id).toBe(before[t.id]);
    // The newcomer takes a freed place on the first server that has room.
    expect(parseSlot(after["t05001"]!)!.server).toBe(0);
  });

  it("a tier change moves the database to a pool of the same server", () => {
    const before = placeTenants(fleet(5000), LIMITS).placement;
    const last = before["t05000"]!;
    expect(last).toBe("1/trial");
    const upgraded = fleet(5000).map((t) =>
      t.id === "t05000" ? { ...t, kind: "paid" as const } : t,
    );
    expect(placeTenants(upgraded, LIMITS, before).placement["t05000"]).toBe("1/paid");
  });

  it("reports a pool that smaller limits make over-full, and moves its tenants only when asked", () => {
    const before = placeTenants(fleet(1000), LIMITS).placement;
    expect(count(before)["0/trial"]).toBe(200);
    const smaller = { ...LIMITS, perPool: { ...LIMITS.perPool, trial: databasesPerPool(2) } };
    expect(placeTenants(fleet(1000), smaller, before).problems).toEqual([
      "pool trial on server pair 0 would hold 200 databases; a trial pool of its size holds at most 100",
      "pool trial-02 on server pair 0 would hold 200 databases; a trial pool of its size holds at most 100",
      "pool trial-03 on server pair 0 would hold 200 databases; a trial pool of its size holds at most 100",
      "pool trial-04 on server pair 0 would hold 200 databases; a trial pool of its size holds at most 100",
    ]);
    const moved = placeTenants(fleet(1000), smaller, before, {}, true);
    expect(moved.problems).toEqual([]);
    const trial = Object.entries(count(moved.placement)).filter(([s]) => s.includes("trial"));
    expect(trial.map(([, n]) => n)).toEqual(Array(8).fill(100));
    // Within the same server, and the first 100 of each pool stay.
    expect(servers(moved.placement)).toEqual({ 0: 1000 });
    expect(moved.placement["t00002"]).toBe(before["t00002"]);
  });

  it("counts the peer's tenants on a server pair and in shared pools, and reports a server over its limit", () => {
    const peer = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [
          `p${i}`,
          `0/${poolName("paid", 1 + Math.floor(i / 500))}`,
        ]),
      );
    const { placement } = placeTenants(fleet(100), LIMITS, {}, peer(4990));
    expect(servers(placement)).toEqual({ 0: 7, 1: 93 });
    // The peer's 4,990 paid databases fill pools paid to paid-10: this call's paid tenants go on.
    expect(placement["t00001"]).toBe("0/paid-10");
    const crowded = placeTenants(fleet(100), LIMITS, placement, peer(4999));
    expect(crowded.problems).toEqual([
      "pool paid-10 on server pair 0 would hold 501 databases; a paid pool of its size holds at most 500",
      "server pair 0 would hold 5009 databases; a server holds at most 5000",
    ]);
  });
});
