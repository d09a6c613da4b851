import { z } from "zod";
import { BACKUP_MIN_AGE_MINUTES, EVEN_INTERVAL_MINUTES } from "./cron";
import { bool, int, oneOf, strictObject } from "./zod";

export const HIVE_VERSIONS = ["3.1.2", "2.3.6"] as const;
export const METASTORE_TIERS = ["DEVELOPER", "ENTERPRISE"] as const;
export const STANDBY_MODES = ["hot", "cold"] as const;

/** An email address as a resource name's suffix: lowercase letters and digits, '-' between. */
export function emailSlug(email: string): string {
  return email
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

const interval = (what: string) =>
  z
    .number({ error: `must be a number of minutes, one of ${EVEN_INTERVAL_MINUTES.join(", ")}` })
    .refine((m) => (EVEN_INTERVAL_MINUTES as readonly number[]).includes(m), {
      error: `${what} must run evenly through the hour or day; allowed: ${EVEN_INTERVAL_MINUTES.join(", ")} (minutes)`,
    });

/** Dataproc Metastore per site (seed 003): backups from the active one, restores into the passive one. */
export const metastoreSchema = strictObject({
  tier: z
    .enum(METASTORE_TIERS, { error: `must be ${oneOf(METASTORE_TIERS)}` })
    .default("ENTERPRISE"),
  hiveVersion: z.enum(HIVE_VERSIONS, { error: `must be ${oneOf(HIVE_VERSIONS)}` }).default("3.1.2"),
  /**
   * hot: the passive site keeps a service, restored from the active site's backups on a schedule.
   * cold: no passive service; promotion creates one (tens of minutes) and restores it once.
   */
  standby: z.enum(STANDBY_MODES, { error: `must be ${oneOf(STANDBY_MODES)}` }).default("hot"),
  /** The metastore's recovery point objective: the most metadata a region loss may cost. */
  rpoMinutes: int("minutes", 15, 10_080),
  /** Scheduled backups of the active service run this often. Default 15. */
  backupEveryMinutes: interval("the backup schedule").default(15),
  /**
   * Backups are deleted this many days after they are written (then kept as noncurrent versions
   * for the backup bucket's noncurrentVersionRetentionDays). Default 7.
   */
  backupRetentionDays: int("days", 1, 3650).default(7),
  restore: strictObject({
    /** The passive site's restore runs this often. Default 20. */
    everyMinutes: interval("the restore schedule").default(20),
    /** The restore workflow gives up (and fails) after this long. Default 20. */
    timeoutMinutes: int("minutes", 5, 720).default(20),
  }).default({ everyMinutes: 20, timeoutMinutes: 20 }),
  /**
   * Who is told, by Cloud Monitoring email channels, when a restore run fails or a hot standby has
   * had no successful run within its RPO: the restore workflow fails loudly, but only into its
   * execution history otherwise.
   */
  alerts: strictObject({
    emails: z
      .array(z.email({ error: "not an email address" }), {
        error: "must be a list of email addresses",
      })
      .min(1, { error: "at least one address: a failed restore must reach someone" })
      .refine((a) => new Set(a.map(emailSlug)).size === a.length, {
        error: "an address is listed twice (addresses are compared by their letters and digits)",
      }),
  }),
  /**
   * With a Hive cluster, each site checks both fence records this often and stops its cluster
   * while its peer holds a higher epoch (workflows/metastore-fence.yaml). Default 5.
   */
  fenceEveryMinutes: interval("the Hive cluster's fence check").default(5),
  /** An optional Dataproc cluster attached to the local metastore. */
  cluster: strictObject({
    enabled: bool().default(false),
    /** Keep the cluster on the passive site too. Default false: active site only. */
    keepWarm: bool().default(false),
    imageVersion: z.string().default("2.2-debian12"),
    masterMachineType: z.string().default("n2-standard-4"),
    workerMachineType: z.string().default("n2-standard-4"),
    workers: int("workers", 2, 200).default(2),
  }).default({
    enabled: false,
    keepWarm: false,
    imageVersion: "2.2-debian12",
    masterMachineType: "n2-standard-4",
    workerMachineType: "n2-standard-4",
    workers: 2,
  }),
}).superRefine((m, ctx) => {
  // Dataproc Metastore version policy (cloud.google.com/dataproc-metastore/docs/version-policy):
  // Hive 3.1.2 serves Dataproc 2.x (and 1.5), 2.3.6 only Dataproc 1.5.
  const imageMajor = Number(/^(\d+)\./.exec(m.cluster.imageVersion)?.[1]);
  if (m.cluster.enabled && m.hiveVersion === "2.3.6" && imageMajor >= 2) {
    ctx.addIssue({
      code: "custom",
      path: ["hiveVersion"],
      input: m.hiveVersion,
      message: `Hive 2.3.6 does not serve Dataproc ${m.cluster.imageVersion} (cluster.imageVersion); allowed: "3.1.2" with a 2.x image, or "2.3.6" with a 1.5 image`,
    });
  }
  // How far a hot standby can be behind (a cold one becomes hot once promoted and demoted): a
  // write just after a backup waits for the next backup, its marker's age, the next restore run,
  // and that run's restore, which may last to its timeout.
  const { everyMinutes, timeoutMinutes } = m.restore;
  const behind = m.backupEveryMinutes + BACKUP_MIN_AGE_MINUTES + everyMinutes + timeoutMinutes;
  if (behind > m.rpoMinutes) {
    ctx.addIssue({
      code: "custom",
      path: ["restore"],
      input: `${m.backupEveryMinutes} + ${BACKUP_MIN_AGE_MINUTES} + ${everyMinutes} + ${timeoutMinutes}`,
      message:
        `backupEveryMinutes (${m.backupEveryMinutes}) + the ${BACKUP_MIN_AGE_MINUTES} minutes a backup ages before it is restored + restore.everyMinutes (${everyMinutes}) + restore.timeoutMinutes (${timeoutMinutes}) = ${behind} ` +
        `exceeds rpoMinutes (${m.rpoMinutes}); the standby could be that far behind. Lower one of them, or raise rpoMinutes`,
    });
  }
  // The restore falls back to the backup before the newest: both must still be there.
  if (m.backupRetentionDays * 1440 < Math.max(2 * m.backupEveryMinutes, m.rpoMinutes)) {
    ctx.addIssue({
      code: "custom",
      path: ["backupRetentionDays"],
      input: m.backupRetentionDays,
      message: `backups kept ${m.backupRetentionDays} day(s) leave no older backup to fall back to within rpoMinutes (${m.rpoMinutes}) and two backup intervals (${2 * m.backupEveryMinutes} minutes); keep them at least ${Math.ceil(Math.max(2 * m.backupEveryMinutes, m.rpoMinutes) / 1440)} day(s)`,
    });
  }
});
export type MetastoreSpec = z.output<typeof metastoreSchema>;
