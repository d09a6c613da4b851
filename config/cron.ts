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

/** RPOs (minutes) a replication schedule can be built for: even steps through the hour or day. */
export const REPLICATION_RPO_MINUTES = [
  5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440,
] as const;

/** The Quartz cron that runs every `rpoMinutes`, aligned to the hour or the day. */
export function cronEvery(rpoMinutes: number): string {
  if (!(REPLICATION_RPO_MINUTES as readonly number[]).includes(rpoMinutes)) {
    throw new Error(
      `no schedule for an RPO of ${rpoMinutes} minutes; allowed: ${REPLICATION_RPO_MINUTES.join(", ")}`,
    );
  }
  if (rpoMinutes < 60) return `0 0/${rpoMinutes} * * * ?`;
  if (rpoMinutes === 60) return "0 0 * * * ?";
  if (rpoMinutes < 1440) return `0 0 0/${rpoMinutes / 60} * * ?`;
  return "0 0 0 * * ?";
}

/** Intervals (minutes) a unix-cron schedule can run at evenly: steps through the hour or day. */
export const EVEN_INTERVAL_MINUTES = REPLICATION_RPO_MINUTES;

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
