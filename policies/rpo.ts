/**
 * The achieved recovery point objective per data class, from the resources of one stack and its
 * deployment facts. Pure (no policy SDK): the dr-rpo-budget policy and the plan's markdown RPO
 * table both use it. Schedule intervals come from croner (config/cron), never hand-parsed.
 */
import { isRestoreSchedule } from "../components/naming";
import { GEO_RESTORES_PER_POOL } from "../components/sql/limits";
import { BACKUP_MIN_AGE_MINUTES, maxIntervalMinutes } from "../config/cron";
import { TYPE, type DeploymentFacts, type ResourceLike } from "../contracts/facts";

export type DataClass = "metastore" | "lake" | "sql" | "sql-geo-restore" | "gcs";

export interface RpoRow {
  dataClass: DataClass;
  targetMinutes: number;
  /** The worst-case data loss window, or null when this stack cannot tell. */
  achievedMinutes: number | null;
  verdict: "ok" | "over" | "n/a";
  /** Where the achieved value comes from, in words. */
  basis: string;
}

/**
 * The config keys that change a data class's RPO: what achieves it, then its target. A policy
 * message names them, so the reader knows what to edit.
 */
export const RPO_CONFIG_KEYS: Readonly<Record<DataClass, string>> = {
  metastore:
    "metastore.backupEveryMinutes, metastore.restore.everyMinutes or metastore.restore.timeoutMinutes, or the target metastore.rpoMinutes",
  lake: "workspace.replication.tables.<table>.rpoMinutes, or the target rpoTargetsMinutes.lake",
  sql: "sql.strategy, or the target rpoTargetsMinutes.sql",
  "sql-geo-restore":
    "sql.strategy or sql.tenants (paid tenants are replicated), or the target rpoTargetsMinutes.sqlGeoRestore",
  gcs: "storage.buckets.<bucket>.turboReplication, or the target rpoTargetsMinutes.gcs",
};

/** Failover groups replicate asynchronously; Azure SQL states an RPO of 5 seconds. */
export const SQL_FAILOVER_GROUP_RPO_MINUTES = 5 / 60;
/** Geo-restore from geo-replicated backups; Azure SQL states an RPO of 1 hour. */
export const SQL_GEO_RESTORE_RPO_MINUTES = 60;

/** GCS turbo replication (rpo ASYNC_TURBO) replicates within 15 minutes. */
export const GCS_TURBO_RPO_MINUTES = 15;
/**
 * GCS default dual-region replication: 99.9% of new objects within an hour, 100% within 12 hours
 * (https://cloud.google.com/storage/docs/availability-durability, "Default replication"): the
 * worst case is the 12 hours.
 */
export const GCS_DEFAULT_RPO_MINUTES = 720;
/** Deep-clone replication jobs are named `replicate-<schema>-<table>`. */
export const REPLICATION_JOB_PREFIX = "replicate-";

// Several policies read the same few schedules, and walking four weeks of a 15-minute cron is
// not free: remember each answer.
const intervals = new Map<string, number | undefined>();

/** The longest gap between runs of a cron (unix or Quartz), or undefined when it is not one. */
export function cronIntervalMinutes(expr: unknown, timeZone?: unknown): number | undefined {
  if (typeof expr !== "string") return undefined;
  const tz = typeof timeZone === "string" && timeZone !== "" ? timeZone : "UTC";
  const key = `${tz}\n${expr}`;
  if (!intervals.has(key)) {
    let minutes: number | undefined;
    try {
      minutes = maxIntervalMinutes(expr, tz);
    } catch {
      minutes = undefined;
    }
    intervals.set(key, minutes);
  }
  return intervals.get(key);
}

/**
 * The achieved RPO of each data class, in a fixed order: metastore, lake, sql (the failover
 * groups), sql-geo-restore (tenants without a replica), gcs.
 */
export function computeRpo(resources: readonly ResourceLike[], facts: DeploymentFacts): RpoRow[] {
  const targets = facts.rpoTargetsMinutes;
  return [
    row("metastore", targets.metastore, metastoreRpo(resources, facts)),
    row("lake", targets.lake, lakeRpo(resources, facts)),
    row("sql", targets.sql, sqlRpo(facts)),
    row("sql-geo-restore", targets.sqlGeoRestore, sqlGeoRestoreRpo(facts)),
    row("gcs", targets.gcs, gcsRpo(resources, facts)),
  ];
}

interface Achieved {
  minutes: number | null;
  basis: string;
}

function row(dataClass: DataClass, targetMinutes: number, achieved: Achieved): RpoRow {
  const verdict =
    achieved.minutes === null ? "n/a" : achieved.minutes > targetMinutes ? "over" : "ok";
  return {
    dataClass,
    targetMinutes,
    achievedMinutes: achieved.minutes,
    verdict,
    basis: achieved.basis,
  };
}

/**
 * The metastore's configured worst case: how far behind a hot standby can be. A write just after
 * a backup waits for the next backup, its marker's BACKUP_MIN_AGE_MINUTES, the next restore run
 * and that run's restore, which may last to its timeout. A promotion that can read the peer's
 * backups restores the newest (backup interval + marker age); the standby's own is what is left
 * when it cannot. A cold standby has no metastore until promoted: only the backup counts.
 */
function metastoreRpo(resources: readonly ResourceLike[], facts: DeploymentFacts): Achieved {
  const m = facts.metastore;
  const service = resources.find((r) => r.type === TYPE.metastoreService);
  const aged = `+ ${BACKUP_MIN_AGE_MINUTES} minutes a backup ages before it is restored`;
  const restored = (backup: number, backupWhat: string, restore: number, restoreWhat: string) => ({
    minutes: backup + BACKUP_MIN_AGE_MINUTES + restore + m.restoreTimeoutMinutes,
    basis: `the standby's worst case: ${backupWhat} ${aged} + ${restoreWhat} + a restore of up to ${m.restoreTimeoutMinutes} minutes (a promotion that reads the peer's backups restores the newest: ${backup + BACKUP_MIN_AGE_MINUTES} minutes)`,
  });
  if (!service) {
    if (m.standby === "cold")
      return {
        minutes: m.backupEveryMinutes + BACKUP_MIN_AGE_MINUTES,
        basis: `no metastore service in this stack (cold standby): a promotion restores the newest completed backup: backup every ${m.backupEveryMinutes} ${aged}`,
      };
    return restored(
      m.backupEveryMinutes,
      `no metastore service in this stack: configured backup every ${m.backupEveryMinutes}`,
      m.restoreEveryMinutes,
      `restore every ${m.restoreEveryMinutes}`,
    );
  }

  const backup = service.props.scheduledBackup;
  if (facts.role === "active" && backup?.enabled !== true) {
    return {
      minutes: null,
      basis: `scheduled backups are disabled on metastore service '${service.name}'`,
    };
  }
  const cron = backup?.cronSchedule;
  const backupEvery = cronIntervalMinutes(cron, backup?.timeZone);
  if (backupEvery === undefined) {
    return {
      minutes: null,
      basis: `metastore service '${service.name}' has no valid backup cron (${String(cron)})`,
    };
  }
  const backupWhat = `backup "${cron}" every ${backupEvery}`;

  const jobs = resources.filter(
    (r) => r.type === TYPE.schedulerJob && isRestoreSchedule(r.props.name),
  );
  if (jobs.length === 0) {
    if (m.standby === "cold")
      return {
        minutes: backupEvery + BACKUP_MIN_AGE_MINUTES,
        basis: `cold standby: a promotion restores the newest completed backup: ${backupWhat} ${aged}`,
      };
    return restored(
      backupEvery,
      backupWhat,
      m.restoreEveryMinutes,
      `configured restore every ${m.restoreEveryMinutes}`,
    );
  }
  let restoreEvery = 0;
  let restoreCron = "";
  for (const job of jobs) {
    const schedule = job.props.schedule;
    const every = cronIntervalMinutes(schedule, job.props.timeZone);
    if (every === undefined) {
      return {
        minutes: null,
        basis: `restore schedule '${job.name}' has no valid cron (${String(schedule)})`,
      };
    }
    if (every > restoreEvery) [restoreEvery, restoreCron] = [every, schedule];
  }
  return restored(
    backupEvery,
    backupWhat,
    restoreEvery,
    `restore "${restoreCron}" every ${restoreEvery}`,
  );
}

/**
 * The lake's configured worst case: the slowest copy job's interval plus its run limit (a write
 * waits for the next run to start, then for that run to copy it). A job without a run limit has
 * no bound. Tables nothing replicates are named: they are rebuilt, not recovered.
 */
function lakeRpo(resources: readonly ResourceLike[], facts: DeploymentFacts): Achieved {
  const jobs = resources.filter(
    (r) =>
      r.type === TYPE.databricksJob &&
      typeof r.props.name === "string" &&
      r.props.name.startsWith(REPLICATION_JOB_PREFIX),
  );
  if (jobs.length === 0) {
    return { minutes: null, basis: `no ${REPLICATION_JOB_PREFIX}* jobs in this stack` };
  }
  let worst: { name: string; cron: string; every: number; run: number } | undefined;
  for (const job of jobs) {
    const schedule = job.props.schedule;
    const cron = schedule?.quartzCronExpression;
    const every = cronIntervalMinutes(cron, schedule?.timezoneId);
    if (every === undefined) {
      return {
        minutes: null,
        basis: `replication job '${job.props.name}' has no valid schedule (${String(cron)})`,
      };
    }
    const limits = ((job.props.tasks ?? []) as { timeoutSeconds?: unknown }[]).map((t) =>
      typeof t.timeoutSeconds === "number" && t.timeoutSeconds > 0 ? t.timeoutSeconds : undefined,
    );
    if (!limits.length || limits.some((l) => l === undefined)) {
      return {
        minutes: null,
        basis: `replication job '${job.props.name}' has a task without a run limit (timeoutSeconds): a run may last past any bound`,
      };
    }
    const run = limits.reduce((a, b) => a! + b!, 0)! / 60;
    if (!worst || every + run > worst.every + worst.run) {
      worst = { name: job.props.name, cron, every, run };
    }
  }
  const scratch = facts.lakeNotReplicated ?? [];
  return {
    minutes: worst!.every + worst!.run,
    basis:
      `worst of ${jobs.length} copy jobs: ${worst!.name} "${worst!.cron}" every ${worst!.every} + a run of up to ${worst!.run} minutes` +
      (scratch.length
        ? `; not replicated (rebuilt from replicated data): ${scratch.join(", ")}`
        : ""),
  };
}

function sqlRpo(facts: DeploymentFacts): Achieved {
  const strategy = facts.sql.strategy;
  const what =
    strategy === "budget"
      ? "the management databases"
      : strategy === "tiered" || strategy === "geo-distributed"
        ? "the management databases and the paid tenants"
        : undefined;
  if (what === undefined)
    return { minutes: null, basis: `unknown SQL strategy ${String(strategy)}` };
  return {
    minutes: SQL_FAILOVER_GROUP_RPO_MINUTES,
    basis: `${strategy}: ${what} in failover groups (asynchronous geo-replication, RPO 5 seconds)`,
  };
}

function sqlGeoRestoreRpo(facts: DeploymentFacts): Achieved {
  const n = facts.sql.geoRestoredTenants;
  if (n === 0) return { minutes: null, basis: "no tenant without a replica" };
  const which = facts.sql.strategy === "budget" ? "tenant" : "trial tenant";
  return {
    minutes: SQL_GEO_RESTORE_RPO_MINUTES,
    basis: `${n} ${which} database${n === 1 ? "" : "s"} without a replica, geo-restored on promotion from geo-replicated backups (RPO ${SQL_GEO_RESTORE_RPO_MINUTES} minutes), at most ${GEO_RESTORES_PER_POOL} per pool at once`,
  };
}

function gcsRpo(resources: readonly ResourceLike[], facts: DeploymentFacts): Achieved {
  const buckets = resources.filter((r) => r.type === TYPE.bucket);
  if (buckets.length === 0) {
    return facts.gcsTurbo
      ? {
          minutes: GCS_TURBO_RPO_MINUTES,
          basis: "buckets in the peer stack; configured turbo replication",
        }
      : {
          minutes: GCS_DEFAULT_RPO_MINUTES,
          basis: "buckets in the peer stack; configured default replication",
        };
  }
  const slow = buckets.filter((b) => b.props.rpo !== "ASYNC_TURBO");
  if (slow.length === 0) {
    return {
      minutes: GCS_TURBO_RPO_MINUTES,
      basis: `${buckets.length} bucket(s) with rpo ASYNC_TURBO`,
    };
  }
  return {
    minutes: GCS_DEFAULT_RPO_MINUTES,
    basis: `default replication on ${slow.map((b) => `'${b.name}'`).join(", ")}`,
  };
}
