import type { Tenant } from "../../config/sqlSchema";

/**
 * A tenant fleet for benchmarks and scale tests: one paid tenant in five (5,000 tenants: 1,000
 * paid, 4,000 trial). With `geoDistributed`, paid tenants are homed alternately on each site.
 */
export function generateFleet(size: number, geoDistributed = false): Tenant[] {
  let paid = 0;
  return Array.from({ length: size }, (_, i): Tenant => {
    const id = `t${String(i + 1).padStart(5, "0")}`;
    if (i % 5 !== 0) return { id, tier: "trial", home: "primary" };
    paid++;
    return { id, tier: "paid", home: geoDistributed && paid % 2 === 0 ? "secondary" : "primary" };
  });
}
