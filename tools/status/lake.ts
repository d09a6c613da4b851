import type { ContainerClient } from "@azure/storage-blob";

/**
 * The lake's replication state, read from the lakes themselves (issue 14): each replicated
 * table's newest Delta commit in the active lake, and the ledger the deep clone leaves in the
 * peer's lake (workspace/fence/paired_dr_fence.py, ledger_entry). Read through the Blob API,
 * which serves hierarchical-namespace accounts too ("Multi-protocol access on Azure Data Lake
 * Storage"), with no cluster. Read-only.
 */

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
      throw new Error(`commit ${version}: a line is not JSON: ${line.slice(0, 80)}`);
    }
    const commitInfo = (action as { commitInfo?: unknown }).commitInfo;
    if (commitInfo && typeof commitInfo === "object") info = commitInfo as Record<string, unknown>;
  }
  const millis =
    typeof info.inCommitTimestamp === "number"
      ? info.inCommitTimestamp
      : (lastModified?.getTime() ??
        (typeof info.timestamp === "number" ? info.timestamp : undefined));
  if (millis === undefined) throw new Error(`commit ${version}: no commit time`);
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
      throw new Error(`${log}${LAST_CHECKPOINT}: not JSON`);
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

export function parseLedger(text: string, where: string): Ledger {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${where}: not JSON`);
  }
  const str = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
  const num = (k: string) =>
    typeof o[k] === "number" && Number.isInteger(o[k]) ? (o[k] as number) : undefined;
  const name = str("name");
  const site = str("site");
  const status = str("status");
  const checkedAt = str("checkedAt");
  const epoch = num("epoch");
  if (!name || !site || !status || !checkedAt || epoch === undefined)
    throw new Error(`${where}: not a replication ledger (name, site, epoch, status, checkedAt)`);
  const sourceVersion = num("sourceVersion");
  const targetVersion = num("targetVersion");
  const clonedAt = str("clonedAt");
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
  if (!source)
    return {
      ...base,
      versionsBehind: null,
      minutesBehind: null,
      synced: false,
      note: "no Delta log at the source",
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
  const since = ledger.clonedAt ? Date.parse(ledger.clonedAt) : NaN;
  return {
    ...base,
    versionsBehind: behind,
    minutesBehind:
      behind === 0 ? 0 : Number.isNaN(since) ? null : Math.max(0, (now.getTime() - since) / 60_000),
    synced: behind === 0,
    note: behind === 0 ? "in sync" : `last run: ${ledger.status}`,
  };
}
