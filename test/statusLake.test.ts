import type { ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LAST_CHECKPOINT,
  newestCommit,
  parseCommit,
  readLedger,
  cloneOf,
  commitAt,
  parseLedger,
  utcInstant,
  tableLag,
} from "../tools/status/lake";
import { fenceAgreement, readLakeFence } from "../tools/status/fences";
import { startAzurite, type Azurite } from "./azurite";

const NOW = new Date("2026-11-22T12:00:00Z");
const signal = () => AbortSignal.timeout(10_000);

/**
 * A commit file as Delta writes it: one action per line, commitInfo first (delta-io/delta
 * PROTOCOL.md, "Commit Provenance Information"; DeltaOperations.scala for WRITE and CLONE).
 */
function commit(version: number, at: Date, extra: Record<string, unknown> = {}) {
  return [
    JSON.stringify({
      commitInfo: {
        timestamp: at.getTime(),
        operation: "WRITE",
        operationParameters: { mode: "Append", partitionBy: "[]" },
        readVersion: version - 1,
        isolationLevel: "Serializable",
        isBlindAppend: true,
        ...extra,
      },
    }),
    JSON.stringify({
      add: {
        path: `part-${version}.snappy.parquet`,
        size: 1024,
        modificationTime: at.getTime(),
        dataChange: true,
      },
    }),
  ].join("\n");
}

const name = (table: string, v: number, ext = "json") =>
  `${table}/_delta_log/${String(v).padStart(20, "0")}.${ext}`;

async function put(container: ContainerClient, path: string, text: string) {
  await container.getBlockBlobClient(path).upload(text, Buffer.byteLength(text));
}

describe("the lake's replication state, read from Azurite (Microsoft's Azure Storage emulator)", () => {
  let azurite: Azurite;
  // Without an in-commit timestamp a commit's time is its file's: when the test wrote it.
  const written = { from: new Date() };
  let lake: ContainerClient;
  let peer: ContainerClient;

  beforeAll(async () => {
    written.from = new Date(Date.now() - 1000);
    azurite = await startAzurite();
    lake = await azurite.container("lake");
    peer = await azurite.container("peer-lake");
    // sales.orders: versions 0..205, checkpoints every 10 (parquet and crc files beside them),
    // the last at 190: the listing starts at the block 100-199, full, and goes on to 200-299.
    for (let v = 0; v <= 205; v++) {
      await put(
        lake,
        name("replicated/sales/orders", v),
        commit(v, new Date(NOW.getTime() - (205 - v) * 60_000)),
      );
      if (v % 10 === 0) {
        await put(lake, name("replicated/sales/orders", v, "checkpoint.parquet"), "PAR1");
        await put(lake, name("replicated/sales/orders", v, "crc"), "{}");
      }
    }
    await put(
      lake,
      `replicated/sales/orders/_delta_log/${LAST_CHECKPOINT}`,
      '{"version":190,"size":412}',
    );
    // finance.invoices: three commits, the last with an in-commit timestamp, no checkpoint yet.
    for (let v = 0; v <= 2; v++)
      await put(
        lake,
        name("replicated/finance/invoices", v),
        commit(
          v,
          new Date("2026-11-22T10:00:00Z"),
          v === 2 ? { inCommitTimestamp: Date.parse("2026-11-22T11:58:00Z") } : {},
        ),
      );
    // sales.customers: a corrupt newest commit.
    await put(lake, name("replicated/sales/customers", 0), commit(0, NOW));
    await put(lake, name("replicated/sales/customers", 1), '{"commitInfo": {"timestamp": 17');
    // The clone's ledgers in the peer's lake (workspace/fence/paired_dr_fence.py, ledger_entry).
    const ledger = (table: string, fields: Record<string, unknown>) =>
      put(
        peer,
        `_paired-dr/replication/${table}.json`,
        JSON.stringify({
          name: table,
          site: "primary",
          epoch: 1,
          source: `abfss://lake@pri.dfs.core.windows.net/replicated/${table.replace(".", "/")}`,
          target: `abfss://lake@sec.dfs.core.windows.net/replicated/${table.replace(".", "/")}`,
          checkedAt: "2026-11-22T11:45:00Z",
          ...fields,
        }),
      );
    await ledger("sales.orders", {
      status: "cloned",
      sourceVersion: 190,
      targetVersion: 57,
      clonedAt: "2026-11-22T11:30:00Z",
    });
    await ledger("finance.invoices", {
      status: "cloned",
      sourceVersion: 2,
      targetVersion: 9,
      clonedAt: "2026-11-22T11:59:00Z",
    });
    await ledger("sales.daily_sales", { status: "source-missing" });
  });
  afterAll(() => azurite?.close());

  it("finds the newest commit from the last checkpoint's block of 100 versions, past a full block", async () => {
    const newest = await newestCommit(lake, "replicated/sales/orders", signal());
    const fileTime = Date.parse(newest!.committedAt);
    expect(fileTime).toBeGreaterThanOrEqual(written.from.getTime());
    expect(fileTime).toBeLessThanOrEqual(Date.now());
    expect(newest).toEqual({
      version: 205,
      committedAt: newest!.committedAt,
      operation: "WRITE",
      operationParameters: { mode: "Append", partitionBy: "[]" },
    });
    const viaNoPointer = await newestCommit(lake, "replicated/finance/invoices", signal());
    // The in-commit timestamp wins over the file's time (PROTOCOL.md, In-Commit Timestamps).
    expect(viaNoPointer).toMatchObject({ version: 2, committedAt: "2026-11-22T11:58:00.000Z" });
    expect(await newestCommit(lake, "replicated/sales/none", signal())).toBeUndefined();
    await put(lake, `replicated/sales/pointer/_delta_log/${LAST_CHECKPOINT}`, "{version: 3");
    await expect(newestCommit(lake, "replicated/sales/pointer", signal())).rejects.toThrow(
      `replicated/sales/pointer/_delta_log/${LAST_CHECKPOINT}: not JSON`,
    );
    await expect(newestCommit(lake, "replicated/sales/customers", signal())).rejects.toThrow(
      'commit 1: a line is not JSON: {"commitInfo": {"timestamp": 17',
    );
  });

  it("reports each table's lag against the peer's ledger: behind, in sync, never cloned, no ledger", async () => {
    const lagOf = async (table: string, path: string) =>
      tableLag(
        table,
        await newestCommit(lake, path, signal()),
        await readLedger(peer, table, signal()),
        NOW,
      );
    const orders = await lagOf("sales.orders", "replicated/sales/orders");
    expect(orders).toEqual({
      table: "sales.orders",
      sourceVersion: 205,
      sourceCommittedAt: (await newestCommit(lake, "replicated/sales/orders", signal()))!
        .committedAt,
      clonedVersion: 190,
      clonedAt: "2026-11-22T11:30:00.000Z",
      versionsBehind: 15,
      minutesBehind: 30,
      synced: false,
      note: "last run: cloned; counted from the clone's time (the first missing commit is unread)",
    });
    // With the first commit the copy lacks, the loss runs from when it was made.
    const first = await commitAt(lake, "replicated/sales/orders", 191, signal());
    expect(first?.version).toBe(191);
    // (Its time is the file's: when the test wrote it.)
    const later = new Date(Date.parse(first!.committedAt) + 45 * 60_000);
    const exact = tableLag(
      "sales.orders",
      await newestCommit(lake, "replicated/sales/orders", signal()),
      await readLedger(peer, "sales.orders", signal()),
      later,
      undefined,
      first,
    );
    expect([exact.note, exact.minutesBehind]).toEqual(["last run: cloned", 45]);
    expect(await commitAt(lake, "replicated/sales/orders", 999, signal())).toBeUndefined();
    expect(await lagOf("finance.invoices", "replicated/finance/invoices")).toMatchObject({
      versionsBehind: 0,
      minutesBehind: 0,
      synced: true,
      note: "in sync",
    });
    expect(await lagOf("sales.daily_sales", "replicated/finance/invoices")).toMatchObject({
      clonedVersion: null,
      versionsBehind: 3,
      minutesBehind: null,
      synced: false,
      note: "never cloned (last run: source-missing)",
    });
    expect(await lagOf("sales.partner_orders", "replicated/finance/invoices")).toMatchObject({
      versionsBehind: 3,
      synced: false,
      note: "no ledger: never cloned",
    });
  });

  it("reads each lake's fence record and tells whether it agrees with the stack's outputs", async () => {
    await put(lake, "_paired-dr/fence.json", '{"site":"primary","role":"active","epoch":2}');
    const record = await readLakeFence(lake, signal());
    expect(record).toEqual({ site: "primary", role: "active", epoch: 2 });
    expect(fenceAgreement("primary", record, { role: "active", epoch: 2 })).toMatchObject({
      agrees: true,
      note: "active at epoch 2",
    });
    // The stack recorded a promotion whose deployment stopped before it rewrote the record.
    expect(fenceAgreement("primary", record, { role: "passive", epoch: 2 })).toMatchObject({
      agrees: false,
      note: "the record says active at epoch 2; the stack's outputs say passive at epoch 2",
    });
    expect(await readLakeFence(peer, signal())).toBe("missing");
    expect(fenceAgreement("secondary", "missing", { role: "passive", epoch: 1 })).toMatchObject({
      agrees: false,
      note: "the lake's fence record is missing",
    });
    await put(peer, "_paired-dr/fence.json", '{"site":"secondary","role":"leader"}');
    expect(await readLakeFence(peer, signal())).toBe("unreadable");
  });

  it("refuses a ledger that is not one, naming it", async () => {
    await put(peer, "_paired-dr/replication/broken.json", '{"name": "broken"}');
    await expect(readLedger(peer, "broken", signal())).rejects.toThrow(
      "_paired-dr/replication/broken.json: not a replication ledger (name, site, epoch, status, checkedAt)",
    );
  });
});

describe("a commit's time", () => {
  it("prefers the in-commit timestamp, then the file's time, then commitInfo.timestamp", () => {
    const text = (extra: Record<string, unknown>) =>
      JSON.stringify({ commitInfo: { timestamp: Date.parse("2026-11-22T09:00:00Z"), ...extra } });
    const file = new Date("2026-11-22T10:00:00Z");
    expect(
      parseCommit(1, text({ inCommitTimestamp: Date.parse("2026-11-22T11:00:00Z") }), file)
        .committedAt,
    ).toBe("2026-11-22T11:00:00.000Z");
    expect(parseCommit(1, text({}), file).committedAt).toBe("2026-11-22T10:00:00.000Z");
    expect(parseCommit(1, text({})).committedAt).toBe("2026-11-22T09:00:00.000Z");
    expect(() => parseCommit(1, '{"add": {}}')).toThrow("commit 1: no commit time");
  });

  it("takes a clone from the copy's newest commit only when it is a CLONE with a source version", () => {
    const commit = (operation: string, sourceVersion: unknown) => ({
      version: 9,
      committedAt: "2026-11-22T11:00:00.000Z",
      operation,
      operationParameters: { source: "delta.`abfss://x`", sourceVersion },
    });
    expect(cloneOf(commit("CLONE", 41))).toEqual({
      sourceVersion: 41,
      clonedAt: "2026-11-22T11:00:00.000Z",
    });
    // Other writers may encode it as a string.
    expect(cloneOf(commit("CLONE", "41"))?.sourceVersion).toBe(41);
    expect(cloneOf(commit("OPTIMIZE", 41))).toBeUndefined();
    expect(cloneOf(commit("CLONE", -1))).toBeUndefined();
    expect(cloneOf(commit("CLONE", "4x"))).toBeUndefined();
    expect(cloneOf(undefined)).toBeUndefined();
    // A recorded clone wins over the copy's commit.
    const source = { ...commit("WRITE", undefined), version: 45 };
    const recorded = parseLedger(
      JSON.stringify({
        name: "t",
        site: "primary",
        epoch: 1,
        status: "cloned",
        checkedAt: "2026-11-22T11:30:00Z",
        sourceVersion: 44,
        clonedAt: "2026-11-22T11:30:00Z",
      }),
      "t.json",
    );
    expect(tableLag("t", source, recorded, NOW, commit("CLONE", 41)).clonedVersion).toBe(44);
    expect(tableLag("t", source, undefined, NOW, commit("CLONE", 41))).toMatchObject({
      clonedVersion: 41,
      versionsBehind: 4,
      minutesBehind: 60,
      note: "last run: cloned (the copy's CLONE commit; no ledger); counted from the clone's time (the first missing commit is unread)",
    });
  });

  it("reads a ledger's time as UTC when it names no zone, whatever the machine's zone", () => {
    // Ledgers written before the clone recorded UTC hold Python's str() of DESCRIBE HISTORY's timestamp.
    expect(utcInstant("2026-11-22 08:00:07")).toBe("2026-11-22T08:00:07.000Z");
    expect(utcInstant("2026-11-22T08:00:07+00:00")).toBe("2026-11-22T08:00:07.000Z");
    expect(utcInstant("2026-11-22T03:00:07-05:00")).toBe("2026-11-22T08:00:07.000Z");
    expect(utcInstant("yesterday")).toBeUndefined();
    const ledger = (clonedAt: string) =>
      JSON.stringify({
        name: "t",
        site: "primary",
        epoch: 1,
        status: "cloned",
        checkedAt: clonedAt,
        sourceVersion: 1,
        clonedAt,
      });
    expect(parseLedger(ledger("2026-11-22 08:00:07"), "t.json").clonedAt).toBe(
      "2026-11-22T08:00:07.000Z",
    );
    expect(() => parseLedger(ledger("soon"), "t.json")).toThrow(
      't.json: checkedAt is not a time: "soon"',
    );
  });
});
