import type { StatusReport } from "./collect";
import { verdict, type ClassStatus } from "./report";

/** The status report as text (a terminal), markdown (a pull-request comment) or JSON. Pure. */

export type StatusFormat = "text" | "json" | "markdown";

const minutes = (m: number | null) =>
  m === null
    ? "unknown"
    : m === Number.POSITIVE_INFINITY
      ? "unbounded"
      : m < 1
        ? `${Math.round(m * 60)} s`
        : `${Math.round(m)} min`;

const ageMinutes = (iso: string, now: string) =>
  Math.max(0, (Date.parse(now) - Date.parse(iso)) / 60_000);

const EXIT_MEANING = {
  0: "every class is within its target",
  1: "some source could not be read, or the pair's records disagree",
  4: "some class is over its target or not synced",
} as const;

/** A site's last drill: when, its verdict, and the RTO and RPO it measured. */
export function drillLine(d: StatusReport["sites"][number]["lastDrill"]): string {
  if (!d) return "never";
  const rpo = [
    d.rpoMinutes.metastore === null ? "" : `metastore ${minutes(d.rpoMinutes.metastore)}`,
    d.rpoMinutes.lake === null ? "" : `lake ${minutes(d.rpoMinutes.lake)}`,
  ].filter(Boolean);
  return `${d.id} at ${d.at ?? "unknown time"}: ${d.verdict.toUpperCase()} (RTO ${minutes(d.rtoMinutes)}${rpo.length ? `, RPO ${rpo.join(", ")}` : ""})`;
}

function classLine(c: ClassStatus): [string, string, string, string, string] {
  return [
    c.dataClass,
    minutes(c.targetMinutes),
    c.errors.length && c.lossMinutes !== null
      ? `at least ${minutes(c.lossMinutes)} (some unread)`
      : minutes(c.lossMinutes),
    verdict(c),
    [...c.unsynced, ...c.errors].length
      ? `${c.unsynced.length} unsynced, ${c.errors.length} unreadable`
      : "-",
  ];
}

function lines(r: StatusReport): { title: string; rows: string[][]; header: string[] }[] {
  const sections = [
    {
      title: "Recovery point now, per data class (what a failover now would lose)",
      header: ["class", "target", "loss now", "verdict", "detail"],
      rows: r.classes.map(classLine),
    },
    {
      title: "Sites",
      header: ["site", "stack", "deployed role", "epoch", "fence record", "last drill"],
      rows: r.sites.map((s) => {
        const f = r.fences.find((x) => x.site === s.site);
        return [
          s.site,
          s.stack,
          s.deployed?.role ?? "none",
          s.deployed ? String(s.deployed.epoch) : "-",
          f ? (f.agrees ? `agrees (${f.note})` : `DISAGREES: ${f.note}`) : "unread",
          drillLine(s.lastDrill),
        ];
      }),
    },
  ];
  if (r.lake.tables.length)
    sections.push({
      title: "Lake tables (source's newest Delta version, the peer's last clone)",
      header: ["table", "source version", "committed", "cloned version", "cloned at", "behind"],
      rows: r.lake.tables.map((t) => [
        t.table,
        t.sourceVersion === null ? "-" : String(t.sourceVersion),
        t.sourceCommittedAt ?? "-",
        t.clonedVersion === null ? "-" : String(t.clonedVersion),
        t.clonedAt ?? "-",
        t.synced
          ? "in sync"
          : `${t.versionsBehind ?? "?"} versions, ${minutes(t.minutesBehind)} (${t.note})`,
      ]),
    });
  if (r.metastore) {
    const m = r.metastore;
    sections.push({
      title: `Metastore (${m.standby} standby)`,
      header: ["what", "backup", "time", "age"],
      rows: [
        [
          "newest completed backup",
          m.newest?.folder ?? "none",
          m.newest?.completedAt ?? "-",
          m.newest ? minutes(ageMinutes(m.newest.completedAt, r.generatedAt)) : "-",
        ],
        ...(m.standby === "hot"
          ? [
              [
                "standby's last restore",
                m.lastRestore?.restored ?? "none",
                m.lastRestore
                  ? `${m.lastRestore.backupTime} (restored ${m.lastRestore.endedAt})`
                  : "-",
                // The standby's metadata is as old as the backup it holds.
                m.lastRestore ? minutes(ageMinutes(m.lastRestore.backupTime, r.generatedAt)) : "-",
              ],
            ]
          : []),
      ],
    });
  }
  if (r.sql.groups.length)
    sections.push({
      title: "SQL failover groups",
      header: ["group", "read on", "its role", "replication", "databases"],
      rows: r.sql.groups.map((g) => [
        g.group,
        g.server,
        g.role,
        g.replicationState ?? "unknown",
        String(g.databases),
      ]),
    });
  const stale = r.sql.geoRestore.filter((e) => e.minutesLost === null || e.minutesLost > 0);
  if (r.sql.geoRestore.length) {
    const worst = [...stale].sort(
      (a, b) => (b.minutesLost ?? Infinity) - (a.minutesLost ?? Infinity),
    );
    sections.push({
      title: `Tenants without a replica: ${r.sql.geoRestore.length}; a geo-restore now would lose (worst 10)`,
      header: ["database", "last geo-replicated backup", "loss"],
      rows: worst
        .slice(0, 10)
        .map((e) => [e.database, e.lastAvailableBackupDate ?? "none", minutes(e.minutesLost)]),
    });
  }
  if (r.gcs.length)
    sections.push({
      title: "Buckets",
      header: ["bucket", "location", "type", "rpo"],
      rows: r.gcs.map((b) => [
        b.bucket,
        [b.location, ...b.dataLocations].filter(Boolean).join(" "),
        b.locationType ?? "-",
        b.rpo,
      ]),
    });
  return sections;
}

/** How many unsynced items per class the text and markdown list; JSON lists them all. */
const LISTED_PER_CLASS = 10;

function unsyncedList(r: StatusReport, all = true): string[] {
  return [
    ...r.classes.flatMap((c) => [
      ...(all ? c.unsynced : c.unsynced.slice(0, LISTED_PER_CLASS)).map(
        (u) => `${c.dataClass}: ${u}`,
      ),
      ...(!all && c.unsynced.length > LISTED_PER_CLASS
        ? [
            `${c.dataClass}: ... and ${c.unsynced.length - LISTED_PER_CLASS} more (--format json lists them all)`,
          ]
        : []),
    ]),
    ...r.lake.notProtected.map(
      (t) => `lake: ${t} (not protected: rebuildable scratch, nothing replicates it)`,
    ),
  ];
}

function errorsList(r: StatusReport): string[] {
  return [...r.problems, ...r.classes.flatMap((c) => c.errors.map((e) => `${c.dataClass}: ${e}`))];
}

export function renderStatus(r: StatusReport, format: StatusFormat): string {
  if (format === "json")
    return JSON.stringify(
      { ...r, unsynced: unsyncedList(r), errors: errorsList(r) },
      (_k, v) => (v === Number.POSITIVE_INFINITY ? "unbounded" : v),
      2,
    );
  const out: string[] = [];
  const md = format === "markdown";
  out.push(
    md ? `### Recovery status at ${r.generatedAt}` : `Recovery status at ${r.generatedAt}`,
    "",
    `Active site: ${r.active ?? (r.drained ? `none (${r.drained.site} drained for a planned switchover${r.drained.metastoreBackup ? `; the promotion restores its final backup ${r.drained.metastoreBackup}` : ""})` : `UNKNOWN (measured from ${r.measured.from}, as configured)`)}; measured from ${r.measured.from} to ${r.measured.to}. Exit ${r.exit}: ${EXIT_MEANING[r.exit]}.`,
    "",
  );
  for (const s of lines(r)) {
    out.push(md ? `#### ${s.title}` : s.title, "");
    if (md) {
      out.push(`| ${s.header.join(" | ")} |`, `|${s.header.map(() => "---").join("|")}|`);
      for (const row of s.rows)
        out.push(`| ${row.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`);
    } else {
      const widths = s.header.map((h, i) =>
        Math.max(h.length, ...s.rows.map((row) => row[i]!.length)),
      );
      const fmt = (row: string[]) =>
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join("  ")
          .trimEnd();
      out.push(fmt(s.header), ...s.rows.map(fmt));
    }
    out.push("");
  }
  for (const [title, items] of [
    ["Not synced now", unsyncedList(r, false)],
    ["Could not be read / disagrees", errorsList(r)],
  ] as const) {
    out.push(md ? `#### ${title}` : title, "");
    out.push(...(items.length ? items.map((i) => `- ${i}`) : ["- nothing"]), "");
  }
  return out.join("\n");
}
