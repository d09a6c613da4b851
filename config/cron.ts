import { CronExpressionParser } from "cron-parser";

/** Databricks schedules use Quartz cron: seconds minutes hours day-of-month month day-of-week. */
export const QUARTZ_RULE =
  'a Quartz cron of 6 fields (seconds minutes hours day-of-month month day-of-week), e.g. "0 0 2 * * ?"';

/** Why `expr` is not a usable Quartz cron, or undefined when it is. */
export function quartzCronProblem(expr: string): string | undefined {
  if (expr.trim().split(/\s+/).length !== 6) return `must be ${QUARTZ_RULE}`;
  try {
    CronExpressionParser.parse(expr, { tz: "UTC" });
    return undefined;
  } catch (e) {
    return `invalid cron (${(e as Error).message}); must be ${QUARTZ_RULE}`;
  }
}

/**
 * The longest gap between two consecutive runs of `expr` over four weeks from a fixed start, in
 * minutes: the worst-case data loss window of a job on that schedule.
 */
export function maxIntervalMinutes(expr: string, timezone = "UTC"): number {
  const start = new Date("2026-01-05T00:00:00Z");
  const end = start.getTime() + 28 * 24 * 60 * 60 * 1000;
  const it = CronExpressionParser.parse(expr, { tz: timezone, currentDate: start });
  let prev = it.next().getTime();
  let max = 0;
  while (prev < end) {
    const next = it.next().getTime();
    max = Math.max(max, next - prev);
    prev = next;
  }
  return max / 60_000;
}

/**
 * A metastore backup's completion marker this young is left for the next restore run: nothing
 * documents that a scheduled backup writes backup_metastore.json last (issue 13).
 */
export const BACKUP_MIN_AGE_MINUTES = 5;

/** Intervals (minutes) a schedule can run at evenly: steps through the hour or day. */
export const EVEN_INTERVAL_MINUTES = [
  5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440,
] as const;

/**
 * RPOs (minutes) a replication job can be built for: each needs an even interval of at most half
 * of it (replicationCadence). 5 minutes has none.
 */
export const REPLICATION_RPO_MINUTES = [
  10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440,
] as const;

/**
 * How a copy job meets its RPO: it starts every `everyMinutes` and each run stops after
 * `timeoutMinutes`, a minute before the next slot. A write waits at most one interval for a run
 * to start and one run to be copied: everyMinutes + timeoutMinutes < rpoMinutes. The run must
 * end before the next slot: Databricks skips a scheduled run while the job's one allowed run is
 * still active ("Databricks skips the run if the job has already reached its maximum number of
 * active runs", docs.databricks.com jobs/advanced; the provider sends queueing off unless asked,
 * terraform-provider-databricks jobs/jobs_api_go_sdk.go Create/Update), which would double the wait. A
 * failed run is retried by the next slot, not within the run, for the same reason.
 */
export function replicationCadence(rpoMinutes: number): {
  everyMinutes: number;
  timeoutMinutes: number;
} {
  if (!(REPLICATION_RPO_MINUTES as readonly number[]).includes(rpoMinutes)) {
    throw new Error(
      `no schedule for an RPO of ${rpoMinutes} minutes; allowed: ${REPLICATION_RPO_MINUTES.join(", ")}`,
    );
  }
  const everyMinutes = Math.max(...EVEN_INTERVAL_MINUTES.filter((m) => 2 * m <= rpoMinutes));
  return { everyMinutes, timeoutMinutes: everyMinutes - 1 };
}

/** The Quartz cron that runs every `minutes` (an even interval), aligned to the hour or the day. */
export function cronEvery(minutes: number): string {
  if (!(EVEN_INTERVAL_MINUTES as readonly number[]).includes(minutes)) {
    throw new Error(
      `no even schedule every ${minutes} minutes; allowed: ${EVEN_INTERVAL_MINUTES.join(", ")}`,
    );
  }
  if (minutes < 60) return `0 0/${minutes} * * * ?`;
  if (minutes === 60) return "0 0 * * * ?";
  if (minutes < 1440) return `0 0 0/${minutes / 60} * * ?`;
  return "0 0 0 * * ?";
}

/** The 5-field unix cron (Cloud Scheduler, Dataproc Metastore backups) that runs every `minutes`. */
export function unixCronEvery(minutes: number, offsetMinutes = 0): string {
  if (!(EVEN_INTERVAL_MINUTES as readonly number[]).includes(minutes)) {
    throw new Error(
      `no even schedule every ${minutes} minutes; allowed: ${EVEN_INTERVAL_MINUTES.join(", ")}`,
    );
  }
  if (
    !Number.isInteger(offsetMinutes) ||
    offsetMinutes < 0 ||
    offsetMinutes >= Math.min(minutes, 60)
  )
    throw new Error(
      `an offset of ${offsetMinutes} minutes does not fit a schedule every ${minutes} minutes`,
    );
  const m = offsetMinutes;
  if (minutes < 60) return m ? `${m}-59/${minutes} * * * *` : `*/${minutes} * * * *`;
  if (minutes === 60) return `${m} * * * *`;
  if (minutes < 1440) return `${m} */${minutes / 60} * * *`;
  return `${m} 0 * * *`;
}
