import type { Role, Site } from "./role";

/**
 * The fencing epoch (issue 10): a number that only grows, raised by every promotion above both
 * sites' recorded epochs, so the site promoted last always holds the highest one. A site that
 * comes back after missing a promotion still holds a lower epoch than the new active site's, and
 * its writes into the peer's lake can be refused by comparing the two. The peer's epoch is read
 * from the state backend, which survives the loss of the peer's region.
 */
export function fenceEpoch(
  role: Role,
  last: { readonly role?: Role; readonly epoch?: number },
  peer: { readonly role?: Role; readonly epoch?: number },
): number {
  const own = last.epoch ?? 0;
  // A deployment without a recorded epoch (the first, or one made before epochs existed) that
  // is active takes one as a promotion would. So does an active deployment below the epoch of a
  // peer no longer recorded active: the site was active before the peer's promotion, and takes
  // over now that the peer stood down; keeping its epoch would leave it fenced for good. Below a
  // peer still recorded active, it keeps its epoch and stays fenced (dr-one-active-site refuses
  // that deployment; without the pack, fencing the promoted site instead would be worse).
  const promoting =
    role === "active" &&
    (last.role !== "active" ||
      last.epoch === undefined ||
      (peer.role !== "active" && (peer.epoch ?? 0) > own));
  return promoting ? Math.max(own, peer.epoch ?? 0) + 1 : own;
}

/** Where each site's fence record lives in its own lake container (workspace/fence/paired_dr_fence.py). */
export const FENCE_BLOB = "_paired-dr/fence.json";

/** The fence record's text, as workspace/fence/paired_dr_fence.py parses it. */
export function fenceRecord(site: Site, role: Role, epoch: number): string {
  return JSON.stringify({ site, role, epoch });
}

/**
 * When a deployment writes the fence record relative to the site's jobs. Promoting, the record
 * says active before any job starts, or the jobs would refuse to run; standing down, every job is
 * paused (a continuous run stopped) before the record says passive, so the peer's deep clone never
 * finds this site passive while its jobs still write.
 */
export function fenceWrittenBeforeJobs(role: Role): boolean {
  return role === "active";
}

/**
 * Where each site's fence record lives in the dual-region backup bucket, for the Hive cluster's
 * fence (workflows/metastore-fence.yaml): readable while either region is up.
 */
export const FENCE_OBJECT_PREFIX = "_paired-dr/fence/";

export function fenceObject(site: Site): string {
  return `${FENCE_OBJECT_PREFIX}${site}.json`;
}
