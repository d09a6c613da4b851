import type { ContainerClient } from "@azure/storage-blob";

/**
 * The lake's replication state, read from the lakes themselves (issue 14): each replicated
 * table's newest Delta commit in the active lake, and the ledger the deep clone leaves in the
 * peer's lake (workspace/fence/paired_dr_fence.py, ledger_entry). Read through the Blob API,
 * which serves hierarchical-namespace accounts too ("Multi-protocol access on Azure Data Lake
 * Storage"), with no cluster. Read-only.
 */

/** What a lake holds is malformed: reading it again gives the same answer, so it is not retried. */
export class LakeDataError extends Error {}

/** A commit file of a Delta log: the version, zero-padded to 20 digits (delta-io/delta PROTOCOL.md, "Delta Log Entries"). */
const COMMIT_FILE = /(?:^|\/)(\d{20})\.json$/;
/** The last checkpoint's pointer, beside the commits (PROTOCOL.md, "Last Checkpoint File"). */
export const LAST_CHECKPOINT = "_last_checkpoint";
/** Where the ledgers are, in the lake a copy writes into (workspace/fence/paired_dr_fence.py, LEDGER_DIR). */
export const LEDGER_DIR = "_paired-dr/replication";

export function commitVersion(name: string): number | undefined {
  const m = COMMIT_FILE.exec(name);
  return m ? Number(m[1]) : undefined;
}

const padded = (version: number) => String(version).padStart(20, "0");

export interface DeltaCommit {
  readonly version: number;
  /** When the commit was made (ISO 8601). */
  readonly committedAt: string;
  readonly operation: string | undefined;
  readonly operationParameters: Readonly<Record<string, unknown>>;
}

/**
 * A commit file's time and operation. The time is the commit's in-commit timestamp when the table
 * records one (PROTOCOL.md, "In-Commit Timestamps"), else the file's modification time (what
 * DESCRIBE HISTORY reports), else commitInfo.timestamp.
 */
export function parseCommit(version: number, text: string, lastModified?: Date): DeltaCommit {
  let info: Record<string, unknown> = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let action: unknown;
    try {
      action = JSON.parse(line);
    } catch {
      throw new LakeDataError(`commit ${version}: a line is not JSON: ${line.slice(0, 80)}`);
    }
    const commitInfo = (action as { commitInfo?: unknown }).commitInfo;
    if (commitInfo && typeof commitInfo === "object") info = commitInfo as Record<string, unknown>;
  }
  const millis =
    typeof info.inCommitTimestamp === "number"
      ? info.inCommitTimestamp
      : (lastModified?.getTime() ??
        (typeof info.timestamp === "number" ? info.timestamp : undefined));
  if (millis === undefined) throw new LakeDataError(`commit ${version}: no commit time`);
  const params = info.operationParameters;
  return {
    version,
    committedAt: new Date(millis).toISOString(),
    operation: typeof info.operation === "string" ? info.operation : undefined,
    operationParameters:
      params && typeof params === "object" ? (params as Record<string, unknown>) : {},
  };
}

async function readText(container: ContainerClient, name: string, signal: AbortSignal) {
  const blob = container.getBlobClient(name);
  try {
    const buffer = await blob.downloadToBuffer(0, undefined, { abortSignal: signal });
    const props = await blob.getProperties({ abortSignal: signal });
    return { text: buffer.toString("utf8"), lastModified: props.lastModified };
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/**
 * The newest commit of the Delta table at `tablePath` in `container`, or undefined when it has
 * no log. The listing is bounded: it starts at the block of 100 versions holding the last
 * checkpoint (PROTOCOL.md: readers list from `_last_checkpoint`) and moves on a block at a time
 * only while a block is full.
 */
export async function newestCommit(
  container: ContainerClient,
  tablePath: string,
  signal: AbortSignal,
): Promise<DeltaCommit | undefined> {
  const log = `${tablePath.replace(/\/+$/, "")}/_delta_log/`;
  const pointer = await readText(container, `${log}${LAST_CHECKPOINT}`, signal);
  let from = 0;
  if (pointer) {
    let version: unknown;
    try {
      version = (JSON.parse(pointer.text) as { version?: unknown }).version;
    } catch {
      throw new LakeDataError(`${log}${LAST_CHECKPOINT}: not JSON`);
    }
    if (typeof version === "number" && Number.isInteger(version) && version >= 0) from = version;
  }
  let newest: number | undefined;
  for (let block = Math.floor(from / 100); ; block++) {
    const prefix = `${log}${padded(block * 100).slice(0, 18)}`;
    let found = 0;
    for await (const item of container.listBlobsFlat({ prefix, abortSignal: signal })) {
      const v = commitVersion(item.name);
      if (v === undefined) continue;
      found++;
      if (newest === undefined || v > newest) newest = v;
    }
    // A block holds versions block*100 .. block*100+99: only a block that reaches its last
    // version can have a successor.
    if (found === 0 || newest === undefined || newest % 100 !== 99) break;
  }
  if (newest === undefined) return undefined;
  const commit = await readText(container, `${log}${padded(newest)}.json`, signal);
  if (!commit) throw new Error(`${log}${padded(newest)}.json disappeared while it was read`);
  return parseCommit(newest, commit.text, commit.lastModified);
}

/** One commit of the table at `tablePath`, or undefined when its file is gone (log cleanup). */
export async function commitAt(
  container: ContainerClient,
  tablePath: string,
  version: number,
  signal: AbortSignal,
): Promise<DeltaCommit | undefined> {
  const file = `${tablePath.replace(/\/+$/, "")}/_delta_log/${padded(version)}.json`;
  const commit = await readText(container, file, signal);
  return commit ? parseCommit(version, commit.text, commit.lastModified) : undefined;
}

/** A copy's ledger, as workspace/fence/paired_dr_fence.py writes it (ledger_entry). */
export interface Ledger {
  readonly name: string;
  readonly site: string;
  readonly epoch: number;
  readonly status: string;
  readonly checkedAt: string;
  /** The last successful clone: the source version it copied, and when. */
  readonly sourceVersion?: number;
  readonly targetVersion?: number;
  readonly clonedAt?: string;
}

/**
 * A ledger's time as an ISO 8601 instant in UTC. Ledgers written before the clone recorded its
 * time in UTC hold DESCRIBE HISTORY's timestamp as Python printed it, with no zone
 * ("2026-11-22 08:00:07"): Databricks clusters run in UTC, so it is read as UTC, never as the
 * zone of the machine running the status.
 */
export function utcInstant(value: string): string | undefined {
  const v = value.trim().replace(" ", "T");
  const zoned = /(?:Z|[+-]\d\d:?\d\d)$/i.test(v);
  const at = Date.parse(zoned ? v : `${v}Z`);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

export function parseLedger(text: string, where: string): Ledger {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new LakeDataError(`${where}: not JSON`);
  }
  const str = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
  const num = (k: string) =>
    typeof o[k] === "number" && Number.isInteger(o[k]) ? (o[k] as number) : undefined;
  const instant = (k: string) => {
    const v = str(k);
    if (v === undefined) return undefined;
    const at = utcInstant(v);
    if (at === undefined)
      throw new LakeDataError(`${where}: ${k} is not a time: ${JSON.stringify(v)}`);
    return at;
  };
  const name = str("name");
  const site = str("site");
  const status = str("status");
  const checkedAt = instant("checkedAt");
  const epoch = num("epoch");
  if (!name || !site || !status || !checkedAt || epoch === undefined)
    throw new LakeDataError(
      `${where}: not a replication ledger (name, site, epoch, status, checkedAt)`,
    );
  const sourceVersion = num("sourceVersion");
  const targetVersion = num("targetVersion");
  const clonedAt = instant("clonedAt");
  return {
    name,
    site,
    epoch,
    status,
    checkedAt,
    ...(sourceVersion !== undefined && { sourceVersion }),
    ...(targetVersion !== undefined && { targetVersion }),
    ...(clonedAt !== undefined && { clonedAt }),
  };
}

/** The ledger of the copy of `name` into the lake `container` holds, or undefined when there is none. */
export async function readLedger(
  container: ContainerClient,
  name: string,
  signal: AbortSignal,
): Promise<Ledger | undefined> {
  const path = `${LEDGER_DIR}/${name}.json`;
  const got = await readText(container, path, signal);
  return got ? parseLedger(got.text, path) : undefined;
}

/** How far a table's copy in the peer's lake is behind its source, now. */
export interface TableLag {
  readonly table: string;
  readonly sourceVersion: number | null;
  readonly sourceCommittedAt: string | null;
  readonly clonedVersion: number | null;
  readonly clonedAt: string | null;
  readonly versionsBehind: number | null;
  /** From the first commit the copy lacks to now: what a failover now would lose. */
  readonly minutesBehind: number | null;
  readonly synced: boolean;
  readonly note: string;
}

/**
 * The clone a copy's newest commit records: a CLONE commit's source version (a JSON number, or a
 * numeric string from other writers: DeltaOperations.scala Clone, written raw by
 * JsonMapSerializer) and its time; undefined for any other commit.
 */
export function cloneOf(
  copy: DeltaCommit | undefined,
): { sourceVersion: number; clonedAt: string } | undefined {
  if (copy?.operation !== "CLONE") return undefined;
  const v = copy.operationParameters.sourceVersion;
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0
    ? { sourceVersion: n, clonedAt: copy.committedAt }
    : undefined;
}

/**
 * A table's lag from its newest source commit and the copy's ledger, which the clone writes
 * from the copy's own CLONE commit (workspace/fence/paired_dr_fence.py, last_clone). When the
 * ledger has no clone (its write failed, or it was lost), the copy's newest commit stands in if
 * it is a CLONE. Minutes run from the copy's time when it is behind (every commit since is
 * missing from the peer), and are zero when it has the newest version.
 */
export function tableLag(
  table: string,
  source: DeltaCommit | undefined,
  recorded: Ledger | undefined,
  now: Date,
  copy?: DeltaCommit,
  /** The first source commit the copy lacks: the loss runs from when it was made. */
  firstMissing?: DeltaCommit,
): TableLag {
  const fromCopy = recorded?.sourceVersion === undefined ? cloneOf(copy) : undefined;
  const ledger: Ledger | undefined = fromCopy
    ? {
        name: table,
        site: recorded?.site ?? "",
        epoch: recorded?.epoch ?? 0,
        status: "cloned (the copy's CLONE commit; no ledger)",
        checkedAt: fromCopy.clonedAt,
        sourceVersion: fromCopy.sourceVersion,
        clonedAt: fromCopy.clonedAt,
      }
    : recorded;
  const base = {
    table,
    sourceVersion: source?.version ?? null,
    sourceCommittedAt: source?.committedAt ?? null,
    clonedVersion: ledger?.sourceVersion ?? null,
    clonedAt: ledger?.clonedAt ?? null,
  };
  // Nothing at the source is nothing to lose, but a table not created yet (or a wrong path) is
  // listed until it has a log.
  if (!source)
    return {
      ...base,
      versionsBehind: null,
      minutesBehind: 0,
      synced: false,
      note: "no Delta log at the source (not created yet, or a wrong path)",
    };
  if (ledger?.sourceVersion === undefined)
    return {
      ...base,
      versionsBehind: source.version + 1,
      minutesBehind: null,
      synced: false,
      note: ledger ? `never cloned (last run: ${ledger.status})` : "no ledger: never cloned",
    };
  const behind = Math.max(0, source.version - ledger.sourceVersion);
  // The clone read its source version when it started: commits made while it ran are missing
  // too, though older than the clone's time. The first missing commit's time is exact; without
  // it (its file cleaned up) the clone's time is a lower bound, and says so.
  const exact = firstMissing?.version === ledger.sourceVersion + 1;
  const since = Date.parse((exact ? firstMissing!.committedAt : ledger.clonedAt) ?? "");
  return {
    ...base,
    versionsBehind: behind,
    minutesBehind:
      behind === 0 ? 0 : Number.isNaN(since) ? null : Math.max(0, (now.getTime() - since) / 60_000),
    synced: behind === 0,
    note:
      behind === 0
        ? "in sync"
        : `last run: ${ledger.status}${exact ? "" : "; counted from the clone's time (the first missing commit is unread)"}`,
  };
}
