import type { FinalSyncRecord } from "./lastDeployment";
import type { Site } from "./role";

/**
 * A drain's key (issue 15): the active period it ends, named by the epoch the site held, so a
 * retried stand-down finds its own runs and a later one makes new ones. The lake's final sync and
 * the metastore's final backup share it; it is also the backup's ID (1-64 letters, digits and
 * hyphens, starting with a letter: metastore.proto, CreateBackupRequest.backup_id).
 */
export function drainKey(site: Site, last: { readonly epoch?: number }): string {
  return `drain-${site}-e${last.epoch ?? 0}`;
}

/**
 * What a drain records in the site's outputs: the lake's final sync (components/workspace/plan.ts
 * finalSyncRecord) and the metastore's final backup, whichever the drain made.
 */
export function drainRecord(
  lake: FinalSyncRecord | undefined,
  metastore: { readonly key: string; readonly epoch: number; readonly backup?: string } | undefined,
): FinalSyncRecord | undefined {
  if (!metastore) return lake;
  const base = lake ?? { key: metastore.key, epoch: metastore.epoch, jobs: [], tables: {} };
  return metastore.backup ? { ...base, metastoreBackup: metastore.backup } : base;
}
