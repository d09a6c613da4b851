import { describe, expect, it } from "vitest";
import type { TableLag } from "../tools/status/lake";
import {
  exitStatus,
  gcsStatus,
  geoRestoreStatus,
  metastoreStatus,
  lakeStatus,
  sqlStatus,
  verdict,
  type ClassStatus,
} from "../tools/status/report";

const lag = (table: string, minutesBehind: number | null, synced: boolean): TableLag => ({
  table,
  sourceVersion: 10,
  sourceCommittedAt: "2026-11-22T11:59:00Z",
  clonedVersion: synced ? 10 : 8,
  clonedAt: "2026-11-22T11:30:00Z",
  versionsBehind: synced ? 0 : 2,
  minutesBehind,
  synced,
  note: "",
});

describe("the status verdict", () => {
  it("the lake: the worst table's lag against the target; a table never cloned is unbounded", () => {
    const within = lakeStatus(
      [lag("sales.orders", 30, false), lag("finance.invoices", 0, true)],
      60,
    );
    expect(within).toEqual({
      dataClass: "lake",
      targetMinutes: 60,
      lossMinutes: 30,
      unsynced: ["sales.orders"],
      errors: [],
    });
    expect(verdict(within)).toBe("ok");
    expect(verdict(lakeStatus([lag("sales.orders", 75, false)], 60))).toBe("over");
    const never = lakeStatus([lag("sales.daily_sales", null, false)], 60);
    expect([never.lossMinutes, verdict(never)]).toEqual([Number.POSITIVE_INFINITY, "over"]);
    expect(verdict(lakeStatus([], 60, ["lake acmedataprilake: 403 AuthorizationFailure"]))).toBe(
      "unknown",
    );
  });

  it("SQL: Azure's stated 5 seconds while every group and link catches up; anything else unsynced", () => {
    const group = (replicationState: string) => ({
      group: "fg-paid-01",
      server: "sec",
      role: "Secondary",
      replicationState,
      partners: ["pri"],
      databases: 2,
    });
    const link = (database: string, replicationState: string) => ({
      database,
      partnerServer: "pri",
      role: "Secondary",
      replicationState,
    });
    const healthy = sqlStatus([group("CATCH_UP")], [link("a", "CATCH_UP")], 1, 5 / 60);
    expect([healthy.lossMinutes, healthy.unsynced, verdict(healthy)]).toEqual([5 / 60, [], "ok"]);
    const seeding = sqlStatus([group("CATCH_UP")], [link("a", "SEEDING")], 1, 5 / 60);
    expect([seeding.unsynced, verdict(seeding)]).toEqual([["a"], "over"]);
  });

  it("tenants without a replica: the oldest geo-replicated backup; a tenant with none is unbounded", () => {
    const s = geoRestoreStatus(
      [
        { database: "trial-a", lastAvailableBackupDate: "x", minutesLost: 55 },
        { database: "trial-b", lastAvailableBackupDate: "y", minutesLost: 10 },
      ],
      60,
    );
    expect([s.lossMinutes, s.unsynced, verdict(s)]).toEqual([55, ["trial-a", "trial-b"], "ok"]);
    const none = geoRestoreStatus(
      [{ database: "trial-new", lastAvailableBackupDate: null, minutesLost: null }],
      60,
    );
    expect(verdict(none)).toBe("over");
  });

  // Issue 15: between a planned switchover's drain and the promotion, --require-synced can pass.
  it("a drained site: its final backup is what the promotion restores, and the trial tenants move over links", () => {
    const newest = {
      folder: "gs://b/metastore/primary/n/",
      completedAt: "2026-11-22T11:40:00.000Z",
    };
    const drained = metastoreStatus(
      { standby: "hot", newest, lastRestore: null },
      60,
      new Date("2026-11-22T12:00:00Z"),
      [],
      "projects/p/locations/r/services/s/backups/drain-primary-e3",
    );
    expect(drained).toEqual({
      dataClass: "metastore",
      targetMinutes: 60,
      lossMinutes: 0,
      unsynced: [],
      errors: [],
    });
    // What could not be read is still said.
    expect(metastoreStatus(undefined, 60, new Date(), ["gcs: timeout"], "b").errors).toEqual([
      "gcs: timeout",
    ]);
    const exposure = [{ database: "trial-a", lastAvailableBackupDate: "x", minutesLost: 55 }];
    expect(geoRestoreStatus(exposure, 60, [], true)).toEqual({
      dataClass: "sql-geo-restore",
      targetMinutes: 60,
      lossMinutes: 0,
      unsynced: [],
      errors: [],
    });
    expect(geoRestoreStatus(exposure, 60, [], false).unsynced).toEqual(["trial-a"]);
  });

  it("exits 1 when a source could not be read, 4 when a class is over (or, asked, anything unsynced), else 0", () => {
    const ok: ClassStatus = {
      dataClass: "lake",
      targetMinutes: 60,
      lossMinutes: 10,
      unsynced: ["sales.orders"],
      errors: [],
    };
    const synced = { ...ok, lossMinutes: 0, unsynced: [] };
    const over = { ...ok, lossMinutes: 90 };
    const unread = { ...ok, errors: ["lake: timeout"] };
    expect(exitStatus([ok], { requireSynced: false })).toBe(0);
    expect(exitStatus([ok], { requireSynced: true })).toBe(4);
    expect(exitStatus([synced], { requireSynced: true })).toBe(0);
    expect(exitStatus([ok, over], { requireSynced: false })).toBe(4);
    expect(exitStatus([over, unread], { requireSynced: false })).toBe(1);
  });

  const NOW = new Date("2026-11-22T12:00:00Z");
  const backup = (folder: string, completedAt: string) => ({
    folder: `gs://b/metastore/primary/${folder}/`,
    completedAt,
  });

  it("the metastore: a promotion restores the newest completed backup, so the loss is its age", () => {
    const newest = backup("n", "2026-11-22T11:40:00.000Z");
    const hot = (restored: string | null) =>
      metastoreStatus(
        {
          standby: "hot",
          newest,
          lastRestore: restored
            ? {
                execution: "e",
                endedAt: "2026-11-22T11:55:00.000Z",
                restored,
                backupTime: "2026-11-22T11:10:00.000Z",
              }
            : null,
        },
        60,
        NOW,
      );
    // What changed since the newest backup is in no backup: never synced until a backup is taken.
    const since = `changes after ${newest.folder} (20 min old) are in no backup yet`;
    expect(hot(newest.folder)).toEqual({
      dataClass: "metastore",
      targetMinutes: 60,
      lossMinutes: 20,
      unsynced: [since],
      errors: [],
    });
    expect(hot("gs://b/metastore/primary/o/").unsynced).toEqual([
      since,
      `the standby holds gs://b/metastore/primary/o/ (50 min old), not the newest backup ${newest.folder}`,
    ]);
    expect(hot(null).unsynced).toEqual([since, "the standby has no successful restore"]);
    // A cold standby holds nothing until promoted: only the backup counts.
    expect(
      metastoreStatus({ standby: "cold", newest, lastRestore: null }, 60, NOW).unsynced,
    ).toEqual([since]);
    // No backup to restore: a hot standby keeps its last restore (allowNoBackup), 50 minutes old.
    const kept = metastoreStatus(
      {
        standby: "hot",
        newest: undefined,
        lastRestore: {
          execution: "e",
          endedAt: "2026-11-22T11:55:00.000Z",
          restored: "gs://b/metastore/primary/o/",
          backupTime: "2026-11-22T11:10:00.000Z",
        },
      },
      60,
      NOW,
    );
    expect([kept.lossMinutes, verdict(kept)]).toEqual([50, "ok"]);
    const none = metastoreStatus(
      { standby: "cold", newest: undefined, lastRestore: null },
      60,
      NOW,
    );
    expect([none.lossMinutes, verdict(none), none.unsynced]).toEqual([
      Number.POSITIVE_INFINITY,
      "over",
      ["no completed backup of the active site"],
    ]);
    // Unread: unknown, never ok.
    expect(verdict(metastoreStatus(undefined, 60, NOW, ["backups: HTTP 403"]))).toBe("unknown");
    // What was read is a lower bound: over stays over with a source unread.
    expect(
      verdict({
        dataClass: "lake",
        targetMinutes: 60,
        lossMinutes: 90,
        unsynced: [],
        errors: ["ledger of t: HTTP 500"],
      }),
    ).toBe("over");
  });

  it("GCS: Google's stated objective for the rpo each bucket has; a drifted or single-region bucket is unsynced", () => {
    const bucket = (name: string, rpo: string, locationType = "dual-region") => ({
      bucket: name,
      location: "NAM4",
      locationType,
      dataLocations: [],
      rpo,
    });
    expect(
      gcsStatus([bucket("w", "ASYNC_TURBO"), bucket("b", "ASYNC_TURBO")], { w: true, b: true }, 15),
    ).toEqual({ dataClass: "gcs", targetMinutes: 15, lossMinutes: 15, unsynced: [], errors: [] });
    const drifted = gcsStatus(
      [bucket("w", "DEFAULT"), bucket("b", "ASYNC_TURBO", "region")],
      { w: true, b: true },
      15,
    );
    expect([drifted.lossMinutes, verdict(drifted), drifted.unsynced]).toEqual([
      720,
      "over",
      ["w: rpo DEFAULT, declared ASYNC_TURBO", "b: location type region, not dual-region"],
    ]);
  });
});
