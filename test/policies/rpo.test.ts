import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { computeRpo, cronIntervalMinutes, type RpoRow } from "../../policies/rpo";
import {
  TYPE,
  activeStack,
  passiveFacts,
  passiveStack,
  validFacts,
  without,
  withFacts,
  withProps,
  type TestResource,
} from "./factory";
import { findFacts } from "../../contracts/facts";

const POLICIES = path.resolve(__dirname, "../../policies");

function rpo(resources: TestResource[]): RpoRow[] {
  return computeRpo(resources, findFacts(resources)!);
}

// The configured worst case (issue 14): a standby restored late by a run that lasts to its
// timeout, and a copy that starts an interval late and runs to its limit.
const METASTORE_OK: RpoRow = {
  dataClass: "metastore",
  targetMinutes: 60,
  achievedMinutes: 60,
  verdict: "ok",
  basis:
    'the standby\'s worst case: backup "*/15 * * * *" every 15 + 5 minutes a backup ages before it is restored + restore "7-59/20 * * * *" every 20 + a restore of up to 20 minutes (a promotion that reads the peer\'s backups restores the newest: 20 minutes)',
};
const LAKE_OK: RpoRow = {
  dataClass: "lake",
  targetMinutes: 60,
  achievedMinutes: 59,
  verdict: "ok",
  basis:
    'worst of 3 copy jobs: replicate-sales-customers "0 0/30 * * * ?" every 30 + a run of up to 29 minutes; not replicated (rebuilt from replicated data): marts.sales_daily',
};
const SQL_OK: RpoRow = {
  dataClass: "sql",
  targetMinutes: 1,
  achievedMinutes: 5 / 60,
  verdict: "ok",
  basis:
    "tiered: the management databases and the paid tenants in failover groups (asynchronous geo-replication, RPO 5 seconds)",
};
// The trial tenants have no replica: their RPO is Azure's geo-backup RPO, not the groups' 5 s.
const SQL_GEO_RESTORE_OK: RpoRow = {
  dataClass: "sql-geo-restore",
  targetMinutes: 60,
  achievedMinutes: 60,
  verdict: "ok",
  basis:
    "20 trial tenant databases without a replica, geo-restored on promotion from geo-replicated backups (RPO 60 minutes), at most 4 per pool at once",
};

describe("computeRpo", () => {
  it("gives the shipped active stack's rows", () => {
    expect(rpo(activeStack())).toEqual([
      METASTORE_OK,
      LAKE_OK,
      SQL_OK,
      SQL_GEO_RESTORE_OK,
      {
        dataClass: "gcs",
        targetMinutes: 15,
        achievedMinutes: 15,
        verdict: "ok",
        basis: "2 bucket(s) with rpo ASYNC_TURBO",
      },
    ]);
  });

  it("gives the passive hot standby's rows; GCS from the facts, the buckets being the peer's", () => {
    expect(rpo(passiveStack())).toEqual([
      METASTORE_OK,
      LAKE_OK,
      SQL_OK,
      SQL_GEO_RESTORE_OK,
      {
        dataClass: "gcs",
        targetMinutes: 15,
        achievedMinutes: 15,
        verdict: "ok",
        basis: "buckets in the peer stack; configured turbo replication",
      },
    ]);
    const noTurbo = withFacts(passiveStack(), (f) => (f.gcsTurbo = false));
    expect(rpo(noTurbo)[4]).toEqual({
      dataClass: "gcs",
      targetMinutes: 15,
      achievedMinutes: 720,
      verdict: "over",
      basis: "buckets in the peer stack; configured default replication",
    });
  });

  it("takes a cold standby's metastore RPO from the backups alone: a promotion restores the newest", () => {
    const cold = withFacts(
      without(passiveStack(), (r) => r.type === TYPE.metastoreService),
      (f) => (f.metastore.standby = "cold"),
    );
    expect(rpo(cold)[0]).toEqual({
      ...METASTORE_OK,
      achievedMinutes: 20,
      basis:
        "no metastore service in this stack (cold standby): a promotion restores the newest completed backup: backup every 15 + 5 minutes a backup ages before it is restored",
    });
  });

  it("takes the longest restore schedule, and the configured one when the stack has none", () => {
    const hourly = withProps(activeStack(), "metastore-restore-schedule", (p) => {
      p.schedule = "0 * * * *";
    });
    expect(rpo(hourly)[0]).toEqual({
      ...METASTORE_OK,
      achievedMinutes: 100,
      verdict: "over",
      basis:
        'the standby\'s worst case: backup "*/15 * * * *" every 15 + 5 minutes a backup ages before it is restored + restore "0 * * * *" every 60 + a restore of up to 20 minutes (a promotion that reads the peer\'s backups restores the newest: 20 minutes)',
    });
    const none = without(activeStack(), (r) => r.type === TYPE.schedulerJob);
    expect(rpo(none)[0]).toEqual({
      ...METASTORE_OK,
      basis:
        "the standby's worst case: backup \"*/15 * * * *\" every 15 + 5 minutes a backup ages before it is restored + configured restore every 20 + a restore of up to 20 minutes (a promotion that reads the peer's backups restores the newest: 20 minutes)",
    });
    // The Hive fence's five-minute schedule restores nothing.
    const fenceOnly = without(activeStack(), (r) => r.name === "metastore-restore-schedule");
    expect(rpo(fenceOnly)[0]).toEqual(rpo(none)[0]);
    // A longer restore timeout is a longer worst case.
    const slowRestore = withFacts(activeStack(), (f) => (f.metastore.restoreTimeoutMinutes = 40));
    expect(rpo(slowRestore)[0]!.achievedMinutes).toBe(80);
  });

  it("cannot tell the metastore RPO of an active site whose backups are off", () => {
    const off = withProps(activeStack(), "metastore-service", (p) => {
      p.scheduledBackup.enabled = false;
    });
    expect(rpo(off)[0]).toEqual({
      dataClass: "metastore",
      targetMinutes: 60,
      achievedMinutes: null,
      verdict: "n/a",
      basis: "scheduled backups are disabled on metastore service 'metastore-service'",
    });
  });

  it("takes the lake RPO from the slowest replicate-* job: its interval plus its run limit", () => {
    // A weekly non-replication job does not count.
    expect(rpo(activeStack())[1]!.achievedMinutes).toBe(59);
    const slow = withProps(activeStack(), "workspace-replicate-finance-invoices", (p) => {
      p.schedule.quartzCronExpression = "0 0 0/4 * * ?";
    });
    expect(rpo(slow)[1]).toEqual({
      ...LAKE_OK,
      achievedMinutes: 254,
      verdict: "over",
      basis:
        'worst of 3 copy jobs: replicate-finance-invoices "0 0 0/4 * * ?" every 240 + a run of up to 14 minutes; not replicated (rebuilt from replicated data): marts.sales_daily',
    });
    // A long run counts as much as a long interval.
    const long = withProps(activeStack(), "workspace-replicate-sales-orders", (p) => {
      p.tasks[0].timeoutSeconds = 3600;
    });
    expect(rpo(long)[1]!.achievedMinutes).toBe(65);
    // No run limit: no bound.
    const unbounded = withProps(activeStack(), "workspace-replicate-sales-orders", (p) => {
      delete p.tasks[0].timeoutSeconds;
    });
    expect(rpo(unbounded)[1]).toEqual({
      ...LAKE_OK,
      achievedMinutes: null,
      verdict: "n/a",
      basis:
        "replication job 'replicate-sales-orders' has a task without a run limit (timeoutSeconds): a run may last past any bound",
    });
  });

  it("cannot tell the lake RPO without replication jobs or with a broken schedule", () => {
    const none = without(activeStack(), (r) => r.name.startsWith("workspace-replicate-"));
    expect(rpo(none)[1]).toEqual({
      dataClass: "lake",
      targetMinutes: 60,
      achievedMinutes: null,
      verdict: "n/a",
      basis: "no replicate-* jobs in this stack",
    });
    const broken = withProps(activeStack(), "workspace-replicate-sales-orders", (p) => {
      delete p.schedule;
    });
    expect(rpo(broken)[1]).toEqual({
      dataClass: "lake",
      targetMinutes: 60,
      achievedMinutes: null,
      verdict: "n/a",
      basis: "replication job 'replicate-sales-orders' has no valid schedule (undefined)",
    });
  });

  it("gives SQL 5 seconds for the failover groups, and 60 minutes for the tenants without a replica", () => {
    const geo = withFacts(activeStack(), (f) => (f.sql.strategy = "geo-distributed"));
    expect(rpo(geo)[2]).toEqual({
      ...SQL_OK,
      basis:
        "geo-distributed: the management databases and the paid tenants in failover groups (asynchronous geo-replication, RPO 5 seconds)",
    });
    const budget = withFacts(activeStack(), (f) => {
      f.sql.strategy = "budget";
      f.sql.geoRestoredTenants = 60;
    });
    expect(rpo(budget).slice(2, 4)).toEqual([
      {
        ...SQL_OK,
        basis:
          "budget: the management databases in failover groups (asynchronous geo-replication, RPO 5 seconds)",
      },
      {
        ...SQL_GEO_RESTORE_OK,
        basis:
          "60 tenant databases without a replica, geo-restored on promotion from geo-replicated backups (RPO 60 minutes), at most 4 per pool at once",
      },
    ]);
    const stricter = withFacts(activeStack(), (f) => (f.rpoTargetsMinutes.sqlGeoRestore = 30));
    expect(rpo(stricter)[3]).toMatchObject({
      targetMinutes: 30,
      achievedMinutes: 60,
      verdict: "over",
    });
    const allPaid = withFacts(activeStack(), (f) => (f.sql.geoRestoredTenants = 0));
    expect(rpo(allPaid)[3]).toEqual({
      dataClass: "sql-geo-restore",
      targetMinutes: 60,
      achievedMinutes: null,
      verdict: "n/a",
      basis: "no tenant without a replica",
    });
  });

  // Default replication: all new objects within 12 hours (cloud.google.com/storage/docs/availability-durability);
  // 60 minutes was the 99.9% figure, which understated the worst case.
  it("gives GCS 720 minutes when a bucket of the stack uses default replication", () => {
    const slow = withProps(activeStack(), "backup-bucket", (p) => (p.rpo = "DEFAULT"));
    expect(rpo(slow)[4]).toEqual({
      dataClass: "gcs",
      targetMinutes: 15,
      achievedMinutes: 720,
      verdict: "over",
      basis: "default replication on 'backup-bucket'",
    });
  });

  it("accepts exactly the target", () => {
    const facts = {
      ...validFacts(),
      rpoTargetsMinutes: { metastore: 60, lake: 59, sql: 1, sqlGeoRestore: 60, gcs: 15 },
    };
    expect(computeRpo(activeStack(), facts).map((r) => r.verdict)).toEqual([
      "ok",
      "ok",
      "ok",
      "ok",
      "ok",
    ]);
    expect(
      computeRpo(activeStack(), {
        ...facts,
        rpoTargetsMinutes: { ...facts.rpoTargetsMinutes, metastore: 59 },
      })[0]!.verdict,
    ).toBe("over");
  });

  it("works on plain resource objects, with the facts passed separately", () => {
    const resources = passiveStack().map(({ type, name, props }) => ({ type, name, props }));
    expect(computeRpo(resources, passiveFacts()).map((r) => r.achievedMinutes)).toEqual([
      60,
      59,
      5 / 60,
      60,
      15,
    ]);
  });
});

describe("cronIntervalMinutes", () => {
  it("reads unix and Quartz crons through croner", () => {
    expect(cronIntervalMinutes("*/15 * * * *")).toBe(15);
    expect(cronIntervalMinutes("*/30 * * * *", "UTC")).toBe(30);
    expect(cronIntervalMinutes("0 0/15 * * * ?")).toBe(15);
    expect(cronIntervalMinutes("0 0 * * * ?")).toBe(60);
    expect(cronIntervalMinutes("0 0/30 * * * ?")).toBe(30);
    expect(cronIntervalMinutes("0 30 6 ? * MON", "Europe/London")).toBe(7 * 24 * 60);
  });

  it("returns undefined for what is not a cron", () => {
    expect(cronIntervalMinutes("every 15 minutes")).toBeUndefined();
    expect(cronIntervalMinutes(undefined)).toBeUndefined();
    expect(cronIntervalMinutes(15)).toBeUndefined();
    expect(cronIntervalMinutes("*/15 * * * *", "Mars/Olympus")).toBeUndefined();
  });
});

describe("purity", () => {
  /** Every module a file imports, transitively: relative ones followed, packages by name. */
  function importClosure(file: string, seen = new Set<string>()): Set<string> {
    const source = readFileSync(file, "utf8");
    for (const [, spec] of source.matchAll(/^import (?!type )[^;]*? from "([^"]+)";/gms)) {
      if (!spec!.startsWith(".")) {
        seen.add(spec!);
        continue;
      }
      const target = path.resolve(path.dirname(file), `${spec}.ts`);
      if (seen.has(target)) continue;
      seen.add(target);
      importClosure(target, seen);
    }
    return seen;
  }

  it("keeps rpo.ts and facts.ts free of the policy SDK (the plan's markdown imports them)", () => {
    for (const file of ["rpo.ts", "../contracts/facts.ts"]) {
      const closure = [...importClosure(path.join(POLICIES, file))];
      const packages = closure.filter((m) => !path.isAbsolute(m)).sort();
      expect(packages, file).toEqual(file === "rpo.ts" ? ["croner", "node:crypto"] : []);
    }
    // What rpo.ts reaches in this repo: pure modules only.
    const local = [...importClosure(path.join(POLICIES, "rpo.ts"))]
      .filter((m) => path.isAbsolute(m))
      .map((m) => path.relative(path.dirname(POLICIES), m))
      .sort();
    expect(local).toEqual([
      "components/naming.ts",
      "components/sql/limits.ts",
      "config/cron.ts",
      "contracts/facts.ts",
    ]);
  });
});
