import { Cron } from "croner";

/**
 * Databricks schedules are Quartz cron expressions ("Databricks uses Quartz cron syntax",
 * docs.databricks.com jobs/scheduled), checked here by Quartz's own rules
 * (quartz-scheduler/quartz 2.3.0, quartz-core/.../CronExpression.java): 6 fields and an optional
 * year; exactly one of day-of-month and day-of-week is '?' (buildExpression throws "Support for
 * specifying both a day-of-week AND a day-of-month parameter is not implemented" otherwise);
 * day-of-week 1-7 with SUN=1 (addToSet: "Day-of-Week values must be between 1 and 7"); steps at
 * most the field's size (checkIncrementRange). Stricter than Quartz where Quartz accepts junk it
 * then ignores (text after '?', a step after a name) and where it wraps a range (22-2).
 */
export const QUARTZ_RULE =
  'a Quartz cron: seconds minutes hours day-of-month month day-of-week [year], with "?" in exactly one of the two day fields, e.g. "0 0 2 * * ?" or "0 30 6 ? * MON"';

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
// Quartz numbers the days from Sunday: SUN=1 ... SAT=7.
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: "seconds", min: 0, max: 59 },
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day-of-week", min: 1, max: 7, names: DAYS },
  { name: "year", min: 1970, max: 2099 },
];

const range = (f: Field) =>
  `${f.min}-${f.max}${f.names ? ` or ${f.names[0]}-${f.names[f.names.length - 1]}` : ""}`;

function value(token: string, f: Field): number | undefined {
  const v = /^\d+$/.test(token) ? Number(token) : (f.names?.indexOf(token) ?? -1) + 1 || NaN;
  return v >= f.min && v <= f.max ? v : undefined;
}

/** One list item of `*`, `*\/n`, `v`, `v/n`, `a-b`, `a-b/n`; why it is not, or undefined. */
function itemProblem(item: string, f: Field): string | undefined {
  const m = /^(\*|[A-Z0-9]+(?:-[A-Z0-9]+)?)(?:\/(\d+))?$/.exec(item);
  if (!m) return `${f.name} ${JSON.stringify(item)} is not a value, a range or a step`;
  const [, base, step] = m;
  // checkIncrementRange: a step is at most the field's largest value (59 for minutes).
  const maxStep = f.name === "year" ? f.max - f.min : f.max;
  if (step !== undefined && (Number(step) < 1 || Number(step) > maxStep))
    return `${f.name} step ${JSON.stringify(item)}: allowed steps 1-${maxStep}`;
  if (step !== undefined && base !== "*" && !/^\d/.test(base!))
    return `${f.name} step ${JSON.stringify(item)}: a step starts at a number or *`;
  if (base === "*") return undefined;
  const [a, b] = base!.split("-");
  const from = value(a!, f);
  if (from === undefined) return `${f.name} ${JSON.stringify(a)}: allowed ${range(f)}`;
  if (b === undefined) return undefined;
  const to = value(b, f);
  if (to === undefined) return `${f.name} ${JSON.stringify(b)}: allowed ${range(f)}`;
  // Quartz reads a range's end the way it read its start: JAN-3 and MON-5 fail to parse.
  if (/^\d/.test(a!) !== /^\d/.test(b))
    return `${f.name} range ${JSON.stringify(base)} mixes a name and a number: use two names or two numbers`;
  if (to < from)
    return `${f.name} range ${JSON.stringify(base)} runs backwards: write it as two ranges`;
  return undefined;
}

/** The special forms a day field allows alone: L, L-n, LW, nW (day-of-month); L, nL, d#n. */
function daySpecialProblem(item: string, f: Field): string | undefined | null {
  if (f.name === "day-of-month") {
    const m = /^(?:L(?:-(\d+))?W?|(\d+)W)$/.exec(item);
    if (!m) return null;
    if (m[1] !== undefined && Number(m[1]) > 30)
      return `day-of-month ${JSON.stringify(item)}: at most 30 days before the last (L-30)`;
    if (m[2] !== undefined && value(m[2], f) === undefined)
      return `day-of-month ${JSON.stringify(item)}: W follows a day 1-31`;
    return undefined;
  }
  const m = /^(?:L|([A-Z0-9]+)L|([A-Z0-9]+)#(\d+))$/.exec(item);
  if (!m)
    return item.includes("#") || item.endsWith("L")
      ? `day-of-week ${JSON.stringify(item)}: allowed L, dL or d#n with d ${range(f)} and n 1-5`
      : null;
  const day = m[1] ?? m[2];
  if (day !== undefined && value(day, f) === undefined)
    return `day-of-week ${JSON.stringify(day)}: allowed ${range(f)}`;
  if (m[3] !== undefined && !(Number(m[3]) >= 1 && Number(m[3]) <= 5))
    return `day-of-week ${JSON.stringify(item)}: the n of d#n is 1-5`;
  return undefined;
}

/** Why `expr` is not a Quartz cron Databricks accepts, or undefined when it is. */
export function quartzCronProblem(expr: string): string | undefined {
  const fields = expr.trim().toUpperCase().split(/\s+/);
  if (fields.length !== 6 && fields.length !== 7)
    return `has ${fields.length} fields; must be ${QUARTZ_RULE}`;
  const [, , , dom, , dow] = fields;
  if ((dom === "?") === (dow === "?"))
    return `${dom === "?" ? "both" : "neither of"} day-of-month (${JSON.stringify(dom)}) and day-of-week (${JSON.stringify(dow)}) ${dom === "?" ? "are" : "is"} "?"; must be ${QUARTZ_RULE}`;
  for (const [i, field] of fields.entries()) {
    const f = FIELDS[i]!;
    if (field === "?") {
      if (i === 3 || i === 5) continue;
      return `"?" in ${f.name}: only day-of-month or day-of-week may be "?"; must be ${QUARTZ_RULE}`;
    }
    const items = field.split(",");
    for (const item of items) {
      const special = i === 3 || i === 5 ? daySpecialProblem(item, f) : null;
      if (special !== null && items.length > 1)
        return `${f.name} ${JSON.stringify(item)} cannot be combined with other values in a list`;
      const problem = special === null ? itemProblem(item, f) : special;
      if (problem) return `${problem}; must be ${QUARTZ_RULE}`;
    }
  }
  return undefined;
}

/**
 * Why `tz` is not a time zone name Databricks and Cloud Scheduler accept (IANA names, as Java's
 * ZoneId reads them: case matters), or undefined. The runtime's ICU database decides which names
 * exist, links included (Asia/Kolkata, UTC); Intl.supportedValuesOf("timeZone") lists only
 * canonical names and leaves UTC out, so it is not the test.
 */
export function timeZoneProblem(tz: string): string | undefined {
  let known = /^[A-Z][A-Za-z0-9_+-]*(?:\/[A-Z][A-Za-z0-9_+-]*)*$/.test(tz);
  try {
    // ICU matches names case-insensitively: a name that differs from its canonical form only
    // by case (America/New_york) is one Java refuses.
    const canonical = new Intl.DateTimeFormat("en", { timeZone: tz }).resolvedOptions().timeZone;
    if (canonical !== tz && canonical.toLowerCase() === tz.toLowerCase()) known = false;
  } catch {
    known = false;
  }
  return known
    ? undefined
    : `unknown time zone; allowed: an IANA time zone name, spelled as in the tz database (e.g. "UTC", "Europe/London", "America/New_York")`;
}

/** A cron's schedule: Quartz (6 or 7 fields, seconds first) or unix (5 fields). */
function schedule(expr: string, timezone: string): Cron {
  if (expr.trim().split(/\s+/).length === 5) return new Cron(expr, { timezone, mode: "5-part" });
  const problem = quartzCronProblem(expr);
  if (problem) throw new Error(problem);
  // Quartz's numbering and day fields: SUN=1, '?' for "no condition", a lone L for Saturday.
  const fields = expr.trim().toUpperCase().split(/\s+/);
  if (fields[5] === "L") fields[5] = "7";
  // croner has no L-n ("n days before the last"): the last day itself runs at the same times of
  // day, and two months' L-n are as far apart as their last days.
  fields[3] = fields[3]!.replace(/^L-\d+/, "L");
  return new Cron(fields.join(" "), {
    timezone,
    mode: "6-or-7-parts",
    alternativeWeekdays: true,
    sloppyRanges: true,
    domAndDow: true,
  });
}

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The longest and the shortest gap between two consecutive runs of `expr` over four weeks from a
 * fixed start, in minutes: the worst-case data loss window of a job on that schedule, and how
 * often it can start; Infinity when it runs at most once in that time (runs: 0 when never).
 */
export function cronGaps(
  expr: string,
  timezone = "UTC",
): { max: number; min: number; runs: number } {
  const key = `${timezone} ${expr}`;
  let gaps = gapsByCron.get(key);
  if (!gaps) gapsByCron.set(key, (gaps = walkGaps(expr, timezone)));
  return { ...gaps };
}

/**
 * Gaps already walked in this process, by time zone and expression: each config load checks
 * every job's schedule and each policy analysis every metastore schedule, and walking four weeks
 * of runs again each time took about 3% of the test suite's time.
 */
const gapsByCron = new Map<string, { max: number; min: number; runs: number }>();

function walkGaps(expr: string, timezone: string): { max: number; min: number; runs: number } {
  const cron = schedule(expr, timezone);
  const start = new Date("2026-01-05T00:00:00Z").getTime();
  const first = cron.nextRun(new Date(start));
  if (!first) return { max: Infinity, min: Infinity, runs: 0 };
  let prev = first.getTime();
  let max = 0;
  let min = Infinity;
  let runs = 1;
  // Four weeks, and at least 13 runs (a monthly schedule's year); at most 5,000 runs (four weeks
  // of a run every 8 minutes), which show a more frequent schedule's gaps well enough.
  while (
    (prev < start + 4 * WEEK_MS || runs < 13) &&
    runs < 5_000 &&
    prev < start + 104 * WEEK_MS
  ) {
    const next: Date | null = cron.nextRun(new Date(prev));
    if (!next) break;
    max = Math.max(max, next.getTime() - prev);
    min = Math.min(min, next.getTime() - prev);
    prev = next.getTime();
    runs++;
  }
  return { max: max ? max / 60_000 : Infinity, min: min / 60_000, runs };
}

/**
 * The shortest gap a job's schedule may leave between runs, in minutes. A job cluster takes
 * minutes to start, and Databricks skips a scheduled run while the job's allowed runs are still
 * active (docs.databricks.com jobs/advanced), so a faster schedule only skips runs; Databricks
 * itself holds schedules to 10 s whatever the cron says (jobs/scheduled). The copy jobs and the
 * metastore's backups, restores and fence checks are not crons in config: they run every
 * EVEN_INTERVAL_MINUTES value, 5 minutes at the least.
 */
export const JOB_SCHEDULE_FLOOR_MINUTES = 5;

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

/** A job schedule's problems, by key (cron, timezone): [] when Databricks can run it as meant. */
export function jobScheduleProblems(
  cron: string,
  timezone: string,
): { key: "cron" | "timezone"; message: string }[] {
  const cronProblem = quartzCronProblem(cron);
  if (cronProblem) return [{ key: "cron", message: cronProblem }];
  const tzProblem = timeZoneProblem(timezone);
  if (tzProblem) return [{ key: "timezone", message: tzProblem }];
  const gaps = cronGaps(cron, timezone);
  if (gaps.runs === 0)
    return [
      {
        key: "cron",
        message: `never runs (no date matches it from 2026 on); must be ${QUARTZ_RULE}`,
      },
    ];
  if (gaps.min < JOB_SCHEDULE_FLOOR_MINUTES)
    return [
      {
        key: "cron",
        message: `runs ${gaps.min < 1 ? plural(Math.round(gaps.min * 60), "second") : plural(gaps.min, "minute")} apart at its most frequent; allowed: at least ${JOB_SCHEDULE_FLOOR_MINUTES} minutes between runs (a job cluster takes minutes to start, and a run due while one is active is skipped)`,
      },
    ];
  return [];
}

/** The longest gap between two consecutive runs of `expr`, in minutes (see cronGaps). */
export function maxIntervalMinutes(expr: string, timezone = "UTC"): number {
  return cronGaps(expr, timezone).max;
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
