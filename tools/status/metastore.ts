import { clientEndpoint, guardedAuth, type GoogleAccess } from "../../components/googleCalls";
import { BACKUP_MIN_AGE_MINUTES } from "../../config/cron";
import { retrying, type JsonGet, type ReadBounds } from "./google";

/**
 * The metastore's recovery point, read where the restore workflow reads it
 * (workflows/metastore-restore.yaml): the active site's completed backups in the backup bucket,
 * and the standby's successful restore runs in Workflows. Read-only.
 */

/** The file a Dataproc Metastore backup folder holds once it is written (the workflow's marker). */
export const BACKUP_MARKER = "backup_metastore.json";
/** A backup's folder must hold these too before the workflow restores it. */
const BACKUP_PARTS = ["service.json", "avro/"] as const;
/** Pages of markers read: 1,000 each, a week of backups every 15 minutes is 672. */
const MAX_MARKER_PAGES = 10;
/** Pages of successful runs read looking for one that restored a backup (skipped runs restore none). */
const MAX_RUN_PAGES = 5;

export interface BackupMarker {
  /** The backup's folder, gs://bucket/prefix/<folder>/. */
  readonly folder: string;
  /** When the marker was written: when the backup completed. */
  readonly completedAt: string;
}

interface ObjectList {
  items?: { name?: string; timeCreated?: string }[];
  nextPageToken?: string;
}

/** The completion markers under gs://`bucket`/`prefix`, as the workflow lists them (matchGlob, names and times only). */
export async function listBackupMarkers(
  get: JsonGet,
  bucket: string,
  prefix: string,
): Promise<BackupMarker[]> {
  const found: BackupMarker[] = [];
  let pageToken = "";
  for (let page = 0; page < MAX_MARKER_PAGES; page++) {
    const list = await get<ObjectList>(`/storage/v1/b/${encodeURIComponent(bucket)}/o`, {
      prefix,
      matchGlob: `${prefix}*/${BACKUP_MARKER}`,
      fields: "items(name,timeCreated),nextPageToken",
      maxResults: "1000",
      ...(pageToken && { pageToken }),
    });
    for (const o of list.items ?? []) {
      if (!o.name?.endsWith(`/${BACKUP_MARKER}`) || !o.timeCreated) continue;
      const at = Date.parse(o.timeCreated);
      if (Number.isNaN(at)) continue;
      found.push({
        folder: `gs://${bucket}/${o.name.slice(0, -BACKUP_MARKER.length)}`,
        completedAt: new Date(at).toISOString(),
      });
    }
    pageToken = list.nextPageToken ?? "";
    if (!pageToken) return found;
  }
  throw new Error(
    `more than ${MAX_MARKER_PAGES * 1000} backup markers under gs://${bucket}/${prefix}; the bucket's lifecycle rule is not removing old backups`,
  );
}

/** The markers a restore would consider, newest first: old enough to be complete (the workflow's rule). */
export function restorableMarkers(markers: readonly BackupMarker[], now: Date): BackupMarker[] {
  const cutoff = now.getTime() - BACKUP_MIN_AGE_MINUTES * 60_000;
  return markers
    .filter((m) => Date.parse(m.completedAt) <= cutoff)
    .sort((a, b) => Date.parse(b.completedAt) - Date.parse(a.completedAt));
}

/** Whether a backup's folder holds what a restore needs (service.json and avro/ files). */
export async function backupComplete(get: JsonGet, folder: string): Promise<boolean> {
  const m = /^gs:\/\/([^/]+)\/(.*)$/.exec(folder);
  if (!m) throw new Error(`not a gs:// folder: ${folder}`);
  const [, bucket, path] = m;
  for (const part of BACKUP_PARTS) {
    const list = await get<ObjectList>(`/storage/v1/b/${encodeURIComponent(bucket!)}/o`, {
      prefix: `${path}${part}`,
      fields: "items(name)",
      maxResults: "1",
    });
    if (!list.items?.length) return false;
  }
  return true;
}

/**
 * The newest backup a restore now would use: the newest marker old enough whose folder is
 * complete, looking at no more than `limit` folders.
 */
export async function newestCompletedBackup(
  get: JsonGet,
  bucket: string,
  prefix: string,
  now: Date,
  limit = 3,
): Promise<{ newest: BackupMarker | undefined; markers: number }> {
  const markers = await listBackupMarkers(get, bucket, prefix);
  for (const m of restorableMarkers(markers, now).slice(0, limit)) {
    if (await backupComplete(get, m.folder)) return { newest: m, markers: markers.length };
  }
  return { newest: undefined, markers: markers.length };
}

/** The standby's last successful restore: which backup, when it ended, and the run. */
export interface RestoreRun {
  readonly execution: string;
  readonly endedAt: string;
  /** The backup folder it restored and the backup's time (the workflow's result). */
  readonly restored: string;
  readonly backupTime: string;
}

/**
 * A restore run's result as the workflow returns it: {restored, backupTime, ...} when it restored
 * a backup; {skipped} or {restored: null, reason} when it did not (undefined then).
 */
export function restoredBy(
  result: string | undefined,
): { restored: string; backupTime: string } | undefined {
  if (!result) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(result);
  } catch {
    return undefined;
  }
  const r = o as { restored?: unknown; backupTime?: unknown };
  if (typeof r.restored !== "string" || typeof r.backupTime !== "string") return undefined;
  const at = Date.parse(r.backupTime);
  return Number.isNaN(at)
    ? undefined
    : { restored: r.restored, backupTime: new Date(at).toISOString() };
}

interface Execution {
  name?: string | null;
  state?: string | number | null;
  result?: string | null;
  endTime?: {
    seconds?: number | string | { toString(): string } | null;
    nanos?: number | null;
  } | null;
}

const timestamp = (t: Execution["endTime"]): string | undefined => {
  if (!t || t.seconds === undefined || t.seconds === null) return undefined;
  return new Date(
    Number(String(t.seconds)) * 1000 + Math.floor((t.nanos ?? 0) / 1e6),
  ).toISOString();
};

/**
 * The newest successful run of the restore `workflow` that restored a backup, through the
 * official Workflows client (REST transport, the guarded auth), or null when none did within the
 * pages read.
 */
export async function lastRestore(
  access: GoogleAccess,
  endpoint: string,
  workflow: string,
  bounds: ReadBounds,
): Promise<RestoreRun | null> {
  const at = clientEndpoint(endpoint);
  const { ExecutionsClient } =
    require("@google-cloud/workflows") as typeof import("@google-cloud/workflows");
  const client = new ExecutionsClient({
    fallback: true,
    protocol: at.protocol,
    apiEndpoint: at.apiEndpoint,
    port: at.port,
    auth: guardedAuth(access, { origin: at.origin, requestTimeoutMs: bounds.requestTimeoutMs }),
  } as never);
  try {
    let pageToken = "";
    for (let page = 0; page < MAX_RUN_PAGES; page++) {
      const [items, , response] = await retrying(`listing runs of ${workflow}`, bounds, () =>
        client.listExecutions(
          // Newest first by default (ListExecutionsRequest.order_by); FULL carries the result.
          { parent: workflow, filter: 'state="SUCCEEDED"', view: "FULL", pageSize: 50, pageToken },
          { timeout: bounds.requestTimeoutMs, autoPaginate: false } as never,
        ),
      );
      for (const e of (items ?? []) as Execution[]) {
        const r = restoredBy(e.result ?? undefined);
        const endedAt = timestamp(e.endTime);
        if (r && endedAt) return { execution: String(e.name), endedAt, ...r };
      }
      pageToken = (response as { nextPageToken?: string } | undefined)?.nextPageToken ?? "";
      if (!pageToken) return null;
    }
    return null;
  } finally {
    await client.close();
  }
}
