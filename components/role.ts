import type { Site } from "../config/schema";

export type { Site } from "../config/schema";
export type Role = "active" | "passive";

/**
 * The one place a stack's role is decided: the primary site is active unless `promote` is set,
 * and the secondary is active only when it is. Both stacks read the same project-level `promote`,
 * so exactly one of them is active.
 */
export function deriveRole(site: Site, promote: boolean): Role {
  return (site === "primary") !== promote ? "active" : "passive";
}

export { peerSite } from "../config/sites";

/**
 * Cross-region singletons (the dual-region buckets, later the failover groups) are owned by one
 * fixed site. Ownership is not role: flipping `promote` never moves a singleton between stacks,
 * because moving it would delete it in one state and create it in the other.
 */
export const SINGLETON_OWNER: Site = "primary";

export function ownsSingletons(site: Site): boolean {
  return site === SINGLETON_OWNER;
}
