import { describe, expect, it } from "vitest";
import { cronGaps, jobScheduleProblems, quartzCronProblem, timeZoneProblem } from "../config/cron";
import { parseConfigValue, parsePlatformConfig, projectConfigValues } from "../config/load";
import {
  REPLICATION_RPO_MINUTES,
  cronEvery,
  maxIntervalMinutes,
  replicationCadence,
} from "../config/cron";
import { AZURE_REGIONS, GCP_REGIONS } from "../config/regions";
import { BUCKET_NAME_RULE } from "../config/schema";
import { captureProgram, type CapturedResource } from "../tools/plan/capture";
import { loadProgram } from "../tools/plan/engine";
import { REPO, configProblems, toWireConfig, validRaw } from "./helpers";

const q = (v: string) => JSON.stringify(v);
const list = (vs: readonly string[]) => vs.map(q).join(" | ");
// The primary's GCP region in the shipped stack file: us-east4 (Ashburn, beside Azure East US 2).
const NA_PEERS_OF_EAST4 = list(
  GCP_REGIONS.filter(
    (r) => r !== "us-east4" && (r.startsWith("us-") || r.startsWith("northamerica-")),
  ),
);
const BUCKET = `malformed bucket name; allowed: ${BUCKET_NAME_RULE}`;

/** Each case changes one thing in the shipped primary config and gives the exact problem lines. */
const CASES: [string, (r: Record<string, any>) => void, string[]][] = [
  [
    "site missing",
    (r) => delete r.site,
    [`paired-dr:site: is required; must be "primary" | "secondary" (given: nothing)`],
  ],
  [
    "site unknown",
    (r) => (r.site = "tertiary"),
    [`paired-dr:site: must be "primary" | "secondary" (given: "tertiary")`],
  ],
  [
    "promote as a word",
    (r) => (r.promote = "yes"),
    [`paired-dr:promote: must be true or false (given: "yes")`],
  ],
  [
    "promote as a digit",
    (r) => (r.promote = "1"),
    [`paired-dr:promote: must be true or false (given: "1")`],
  ],
  [
    "prefix with capitals",
    (r) => (r.prefix = "ACME"),
    [
      `paired-dr:prefix: malformed prefix; allowed: 2-12 characters of lowercase letters, digits and '-', starting with a letter (given: "ACME")`,
    ],
  ],
  [
    "prefix too long",
    (r) => (r.prefix = "acmedataplatform"),
    [
      `paired-dr:prefix: malformed prefix; allowed: 2-12 characters of lowercase letters, digits and '-', starting with a letter (given: "acmedataplatform")`,
    ],
  ],
  [
    "azure missing",
    (r) => delete r.azure,
    [`paired-dr:azure: is required; must be an object (given: nothing)`],
  ],
  [
    "unknown Azure region",
    (r) => (r.azure.region = "eastus3"),
    [
      `paired-dr:azure.region: unknown Azure region name (lowercase, no spaces); allowed: ${list(AZURE_REGIONS)} (given: "eastus3")`,
    ],
  ],
  [
    "unpaired Azure regions",
    (r) => (r.azure.peerRegion = "westus"),
    [
      `paired-dr:azure.peerRegion: "westus" is not an Azure region pair of "eastus2"; allowed: "centralus" (given: "westus")`,
    ],
  ],
  [
    "the same Azure region twice",
    (r) => (r.azure.peerRegion = "eastus2"),
    [
      `paired-dr:azure.peerRegion: must differ from azure.region ("eastus2"); allowed: "centralus" (given: "eastus2")`,
    ],
  ],
  [
    "a typo in an Azure key",
    (r) => {
      r.azure.peer_region = r.azure.peerRegion;
      delete r.azure.peerRegion;
    },
    [
      `paired-dr:azure.peerRegion: is required; must be an Azure region name (lowercase, no spaces), one of ${list(AZURE_REGIONS)} (given: nothing)`,
      `paired-dr:azure.peer_region: unknown key; allowed keys: subscriptionId, peerSubscriptionId, tenantId, databricksPrincipalId, databricksAuthType, unityCatalogMetastoreId, region, peerRegion, network (given: "centralus")`,
    ],
  ],
  [
    "a Databricks sign-in that is not an Entra ID method",
    (r) => (r.azure.databricksAuthType = "pat"),
    [
      `paired-dr:azure.databricksAuthType: must be "azure-cli" | "azure-msi" | "azure-client-secret" (given: "pat")`,
    ],
  ],
  [
    "a malformed GCP project",
    (r) => (r.gcp.project = "Acme"),
    [
      `paired-dr:gcp.project: malformed GCP project ID; allowed: 6-30 characters of lowercase letters, digits and '-', starting with a letter (given: "Acme")`,
    ],
  ],
  [
    "unknown GCP region",
    (r) => (r.gcp.region = "us-central9"),
    [
      `paired-dr:gcp.region: unknown GCP region; allowed: ${list(GCP_REGIONS)} (given: "us-central9")`,
    ],
  ],
  [
    "a GCP region given as a number",
    (r) => (r.gcp.region = 5),
    [`paired-dr:gcp.region: must be a GCP region, one of ${list(GCP_REGIONS)} (given: 5)`],
  ],
  [
    "the same GCP region twice",
    (r) => (r.gcp.peerRegion = "us-east4"),
    [
      `paired-dr:gcp.peerRegion: must differ from gcp.region ("us-east4"); allowed: another north-america region, one of ${NA_PEERS_OF_EAST4} (given: "us-east4")`,
    ],
  ],
  [
    "a GCP pair across continents",
    (r) => (r.gcp.peerRegion = "europe-west1"),
    [
      `paired-dr:gcp.peerRegion: is in europe but gcp.region "us-east4" is in north-america; a dual-region bucket spans one continent; allowed: ${NA_PEERS_OF_EAST4} (given: "europe-west1")`,
    ],
  ],
  [
    "an unknown dual-region",
    (r) => (r.storage.dualRegion = "NAM9"),
    [
      `paired-dr:storage.dualRegion: unknown dual-region; allowed: "ASIA1" | "EUR4" | "EUR5" | "EUR7" | "EUR8" | "NAM4" | "custom" (given: "NAM9")`,
    ],
  ],
  [
    "a predefined dual-region over other regions",
    (r) => (r.storage.dualRegion = "EUR4"),
    [
      `paired-dr:storage.dualRegion: EUR4 spans "europe-north1" and "europe-west4", not this stack's gcp regions "us-east4" and "us-central1"; allowed: "custom" (given: "EUR4")`,
    ],
  ],
  [
    "a custom dual-region over regions that cannot form one",
    (r) => {
      r.gcp.peerRegion = "northamerica-northeast1";
      r.storage.dualRegion = "custom";
    },
    [
      `paired-dr:storage.dualRegion: "us-east4" and "northamerica-northeast1" cannot form a configurable dual-region; choose a region pair that can (given: "custom")`,
    ],
  ],
  [
    "a bucket name with capitals",
    (r) => (r.storage.buckets.warehouse.name = "Acme_Warehouse"),
    [`paired-dr:storage.buckets.warehouse.name: ${BUCKET} (given: "Acme_Warehouse")`],
  ],
  [
    "a bucket name containing google",
    (r) => (r.storage.buckets.warehouse.name = "my-google-data"),
    [`paired-dr:storage.buckets.warehouse.name: ${BUCKET} (given: "my-google-data")`],
  ],
  [
    "a bucket name starting with goog",
    (r) => (r.storage.buckets.warehouse.name = "googdata"),
    [`paired-dr:storage.buckets.warehouse.name: ${BUCKET} (given: "googdata")`],
  ],
  [
    "a dotted bucket name",
    (r) => (r.storage.buckets.warehouse.name = "data.acme.com"),
    [`paired-dr:storage.buckets.warehouse.name: ${BUCKET} (given: "data.acme.com")`],
  ],
  [
    "a two-letter bucket name",
    (r) => (r.storage.buckets.backup.name = "ab"),
    [`paired-dr:storage.buckets.backup.name: ${BUCKET} (given: "ab")`],
  ],
  [
    "the same name for both buckets",
    (r) => (r.storage.buckets.backup.name = r.storage.buckets.warehouse.name),
    [
      `paired-dr:storage.buckets.backup.name: the warehouse and backup buckets must have different names (given: "acmedata-hive-warehouse")`,
    ],
  ],
  [
    "soft delete under 7 days",
    (r) => (r.storage.buckets.backup.softDeleteRetentionDays = 3),
    [
      `paired-dr:storage.buckets.backup.softDeleteRetentionDays: too small; allowed: a whole number of days from 7 to 90 (given: 3)`,
    ],
  ],
  [
    "noncurrent versions kept 0 days",
    (r) => (r.storage.buckets.backup.noncurrentVersionRetentionDays = 0),
    [
      `paired-dr:storage.buckets.backup.noncurrentVersionRetentionDays: too small; allowed: a whole number of days from 1 to 3650 (given: 0)`,
    ],
  ],
  [
    "a fractional retention",
    (r) => (r.storage.buckets.backup.noncurrentVersionRetentionDays = 1.5),
    [
      `paired-dr:storage.buckets.backup.noncurrentVersionRetentionDays: not a whole number; allowed: a whole number of days from 1 to 3650 (given: 1.5)`,
    ],
  ],
  [
    "turbo replication as a word",
    (r) => (r.storage.buckets.backup.turboReplication = "yes"),
    [`paired-dr:storage.buckets.backup.turboReplication: must be true or false (given: "yes")`],
  ],
  [
    "an unknown top-level key",
    (r) => (r.regoins = { azure: "eastus2" }),
    [
      `paired-dr:regoins: unknown key; allowed keys: site, promote, prefix, azure, gcp, storage, workspace, metastore, sql, rpoTargetsMinutes, drill, promotion (given: {"azure":"eastus2"})`,
    ],
  ],
  [
    "an unknown bucket key",
    (r) => (r.storage.buckets.warehouse.turbo = false),
    [
      `paired-dr:storage.buckets.warehouse.turbo: unknown key; allowed keys: name, turboReplication, softDeleteRetentionDays, noncurrentVersionRetentionDays (given: false)`,
    ],
  ],
  [
    "a malformed subscription ID",
    (r) => (r.azure.subscriptionId = "my-subscription"),
    [
      `paired-dr:azure.subscriptionId: malformed ID; allowed: a GUID such as 00000000-0000-0000-0000-000000000000 (given: "my-subscription")`,
    ],
  ],
  [
    "a subnet outside the VNet",
    (r) => (r.azure.network.hostSubnet = "10.99.0.0/22"),
    [
      `paired-dr:azure.network.hostSubnet: must lie inside addressSpace "10.10.0.0/16" (given: "10.99.0.0/22")`,
    ],
  ],
  [
    "overlapping subnets",
    (r) => (r.azure.network.containerSubnet = "10.10.2.0/24"),
    [
      `paired-dr:azure.network.containerSubnet: overlaps hostSubnet "10.10.0.0/22"; the two subnets must not overlap (given: "10.10.2.0/24")`,
    ],
  ],
  [
    "a private endpoint subnet over a Databricks subnet",
    (r) => (r.azure.network.privateEndpointSubnet = "10.10.4.0/28"),
    [
      `paired-dr:azure.network.privateEndpointSubnet: overlaps containerSubnet "10.10.4.0/22"; the subnets must not overlap (given: "10.10.4.0/28")`,
    ],
  ],
  [
    "a private endpoint subnet outside the VNet",
    (r) => (r.azure.network.privateEndpointSubnet = "10.11.8.0/24"),
    [
      `paired-dr:azure.network.privateEndpointSubnet: must lie inside addressSpace "10.10.0.0/16" (given: "10.11.8.0/24")`,
    ],
  ],
  [
    "a private endpoint subnet smaller than /28",
    (r) => (r.azure.network.privateEndpointSubnet = "10.10.8.0/29"),
    [
      `paired-dr:azure.network.privateEndpointSubnet: prefix length out of range; allowed: /16 to /28 (given: "10.10.8.0/29")`,
    ],
  ],
  [
    "a subnet smaller than Databricks allows",
    (r) => (r.azure.network.containerSubnet = "10.10.4.0/27"),
    [
      `paired-dr:azure.network.containerSubnet: prefix length out of range; allowed: /16 to /26 (given: "10.10.4.0/27")`,
    ],
  ],
  [
    "an unaligned network",
    (r) => (r.azure.network.addressSpace = "10.10.1.0/16"),
    [
      `paired-dr:azure.network.addressSpace: malformed network; allowed: an IPv4 network in CIDR form whose host bits are zero, e.g. "10.10.0.0/16" (given: "10.10.1.0/16")`,
    ],
  ],
  [
    "storage given as a string",
    (r) => (r.storage = "NAM4"),
    [`paired-dr:storage: must be an object (given: "NAM4")`],
  ],
  [
    "a missing bucket",
    (r) => delete r.storage.buckets.backup,
    [`paired-dr:storage.buckets.backup: is required; must be an object (given: nothing)`],
  ],
];

describe("config schema", () => {
  it("accepts the shipped primary config and fills defaults", () => {
    const c = parsePlatformConfig(validRaw(), REPO);
    expect(c.storage.buckets.warehouse).toEqual({
      name: "acmedata-hive-warehouse",
      turboReplication: true,
      softDeleteRetentionDays: 7,
      noncurrentVersionRetentionDays: 30,
    });
    expect(c.promote).toBe(false);
  });

  it("accepts a one-directional Azure pair (West US 3 -> East US) and a custom dual-region", () => {
    const r = validRaw();
    r.azure.region = "westus3";
    r.azure.peerRegion = "eastus";
    r.gcp.peerRegion = "us-west1";
    r.storage.dualRegion = "custom";
    expect(parsePlatformConfig(r, REPO).azure.peerRegion).toBe("eastus");
  });

  it(`has at least 25 distinct bad inputs (${CASES.length})`, () => {
    expect(new Set(CASES.map(([name]) => name)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(CASES)(
    "rejects %s with the key, the value given and what is allowed",
    (_name, mutate, expected) => {
      const raw = validRaw();
      mutate(raw);
      expect(configProblems(raw)).toEqual(expected);
    },
  );

  it("reports every problem together, in one error", () => {
    const raw = validRaw();
    raw.site = "x";
    raw.azure.peerRegion = "westus";
    raw.gcp.peerRegion = "asia-east1";
    raw.storage.buckets.warehouse.name = "A";
    const problems = configProblems(raw);
    expect(problems.map((p) => p.split(":")[1])).toEqual([
      "site",
      "azure.peerRegion",
      "gcp.peerRegion",
      "storage.buckets.warehouse.name",
    ]);
    expect(() => parsePlatformConfig(raw, REPO)).toThrow(
      /^invalid configuration, nothing was deployed \(4 problems\):\n  - paired-dr:site/,
    );
  });

  it("hides the value of a secret key in the error", () => {
    const raw = validRaw();
    raw.token = "hunter2";
    expect(() => parsePlatformConfig(raw, REPO, (k) => k === "token")).toThrow(
      "paired-dr:token: unknown key; allowed keys: site, promote, prefix, azure, gcp, storage, workspace, metastore, sql, rpoTargetsMinutes, drill, promotion (given: [secret])",
    );
  });
});

describe("config values as the CLI hands them over", () => {
  it("parses booleans and JSON objects, and keeps words and numbers as strings", () => {
    expect(parseConfigValue("true")).toBe(true);
    expect(parseConfigValue("false")).toBe(false);
    expect(parseConfigValue('{"a":[1]}')).toEqual({ a: [1] });
    expect(parseConfigValue("yes")).toBe("yes");
    expect(parseConfigValue("15")).toBe("15");
    expect(parseConfigValue("{not json")).toBe("{not json");
  });

  it("keeps only this project's namespace", () => {
    expect(
      projectConfigValues({
        "paired-dr:site": "primary",
        "gcp:project": "x",
        "paired-dr:promote": "true",
      }),
    ).toEqual({
      site: "primary",
      promote: true,
    });
  });
});

describe("bad config through the real program", () => {
  it.each(CASES)("registers nothing for %s", async (_name, mutate, expected) => {
    const raw = validRaw();
    mutate(raw);
    const program = await loadProgram();
    const sink: CapturedResource[] = [];
    const run = captureProgram(program, {
      project: "paired-dr",
      stack: "primary",
      config: toWireConfig(raw),
      sink,
    });
    await expect(run).rejects.toThrow(expected[0]!);
    expect(sink).toEqual([]);
  });
});

describe("a copy job's cadence for its RPO (config/cron.ts)", () => {
  it("starts at most half the RPO apart and ends before the next slot, for every allowed RPO", () => {
    const table = REPLICATION_RPO_MINUTES.map((rpo) => [rpo, replicationCadence(rpo)]);
    expect(table).toEqual([
      [10, { everyMinutes: 5, timeoutMinutes: 4 }],
      [15, { everyMinutes: 5, timeoutMinutes: 4 }],
      [20, { everyMinutes: 10, timeoutMinutes: 9 }],
      [30, { everyMinutes: 15, timeoutMinutes: 14 }],
      [60, { everyMinutes: 30, timeoutMinutes: 29 }],
      [120, { everyMinutes: 60, timeoutMinutes: 59 }],
      [180, { everyMinutes: 60, timeoutMinutes: 59 }],
      [240, { everyMinutes: 120, timeoutMinutes: 119 }],
      [360, { everyMinutes: 180, timeoutMinutes: 179 }],
      [480, { everyMinutes: 240, timeoutMinutes: 239 }],
      [720, { everyMinutes: 360, timeoutMinutes: 359 }],
      [1440, { everyMinutes: 720, timeoutMinutes: 719 }],
    ]);
    for (const rpo of REPLICATION_RPO_MINUTES) {
      const { everyMinutes, timeoutMinutes } = replicationCadence(rpo);
      // A write waits one interval for a run and one run for its copy: within the RPO.
      expect(everyMinutes + timeoutMinutes).toBeLessThan(rpo);
      // The schedule is a real one, with no longer gap than its interval.
      expect(maxIntervalMinutes(cronEvery(everyMinutes))).toBe(everyMinutes);
    }
    expect(() => replicationCadence(5)).toThrow("no schedule for an RPO of 5 minutes");
  });
});

// The Quartz tutorial's examples (quartz-scheduler.org documentation/quartz-2.3.0/tutorials/
// crontrigger.html) and CronExpression.java's refusals, which Databricks applies at deploy.
describe("Quartz crons (config/cron.ts)", () => {
  it.each([
    "0 0 12 * * ?",
    "0 15 10 ? * *",
    "0 15 10 * * ? 2027",
    "0 0/5 14 * * ?",
    "0 0-5 14 * * ?",
    "0 10,44 14 ? 3 WED",
    "0 15 10 ? * MON-FRI",
    "0 15 10 15 * ?",
    "0 15 10 L * ?",
    "0 15 10 L-2 * ?",
    "0 15 10 ? * 6L",
    "0 15 10 ? * 6#3",
    "0 0 12 1/5 * ?",
    "0 11 11 11 11 ?",
    "0 0 2 15W * ?",
    "0 0 2 LW * ?",
    "0 0 2 ? * 1-5",
    "0 */15 * * * ?",
  ])("accepts %s", (expr) => {
    expect(quartzCronProblem(expr)).toBeUndefined();
  });

  it.each([
    ["0 0 2 15 * MON", 'neither of day-of-month ("15") and day-of-week ("MON") is "?"'],
    ["0 0 2 ? * 7#6", 'day-of-week "7#6": the n of d#n is 1-5'],
    ["0 0 2 L-31 * ?", 'day-of-month "L-31": at most 30 days before the last (L-30)'],
    ["0 0 2 ? * 6L,2", 'day-of-week "6L" cannot be combined with other values in a list'],
    ["0 0/60 * * * ?", 'minutes step "0/60": allowed steps 1-59'],
    ["0 0 22-2 * * ?", 'hours range "22-2" runs backwards: write it as two ranges'],
    ["? 0 2 * * ?", '"?" in seconds: only day-of-month or day-of-week may be "?"'],
    // Quartz parses a range's end as it parsed its start (CronExpression.getValue/getMonthNumber).
    [
      "0 0 12 ? JAN-3 MON",
      'month range "JAN-3" mixes a name and a number: use two names or two numbers',
    ],
    [
      "0 0 12 ? * MON-5",
      'day-of-week range "MON-5" mixes a name and a number: use two names or two numbers',
    ],
  ])("refuses %s", (expr, problem) => {
    expect(quartzCronProblem(expr)?.split("; must be")[0]).toBe(problem);
  });

  it("reads day-of-week 1-7 from Sunday: 1-5 is Sunday to Thursday", () => {
    // Sunday to Thursday at 02:00: the longest gap is Thursday to Sunday, 3 days.
    expect(cronGaps("0 0 2 ? * 1-5")).toEqual({ max: 3 * 1440, min: 1440, runs: 21 });
    expect(cronGaps("0 0 2 ? * MON-FRI").max).toBe(3 * 1440);
    expect(cronGaps("0 0 2 31 2 ?").runs).toBe(0);
  });

  it("measures L-n (n days before the last) as its month's last day, which croner can read", () => {
    // 28 days (February) to 31; the same times of day as the last day.
    expect(cronGaps("0 0 12 L-3 * ?")).toMatchObject({ min: 28 * 1440, max: 31 * 1440 });
    expect(jobScheduleProblems("0 0 12 L-3 * ?", "UTC")).toEqual([]);
    expect(jobScheduleProblems("* * * L-2 * ?", "UTC").map((p) => p.key)).toEqual(["cron"]);
  });

  it("knows IANA time zones, links and case included", () => {
    for (const tz of [
      "UTC",
      "Europe/London",
      "Asia/Kolkata",
      "Etc/GMT+5",
      "America/Port-au-Prince",
    ])
      expect(timeZoneProblem(tz), tz).toBeUndefined();
    for (const tz of [
      "Europe/Londn",
      "europe/london",
      "America/New_york",
      "Europe/LONDON",
      "+05:00",
      "",
    ])
      expect(timeZoneProblem(tz), tz).toMatch(
        /^unknown time zone; allowed: an IANA time zone name/,
      );
  });
});
