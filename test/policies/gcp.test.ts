import { describe, expect, it } from "vitest";
import { gcpBucketDualRegion } from "../../policies/gcp-bucket-dual-region";
import { gcpBucketTurboReplication } from "../../policies/gcp-bucket-turbo-replication";
import { gcpMetastoreBackupWithinRpo } from "../../policies/gcp-metastore-backup-within-rpo";
import {
  TYPE,
  activeStack,
  isFacts,
  passiveStack,
  runResource,
  runStack,
  stackMessages,
  urnOf,
  valid,
  without,
  withFacts,
  withProps,
} from "./factory";

describe("gcp-bucket-dual-region", () => {
  const policy = gcpBucketDualRegion;
  const bucket = (change: (p: Record<string, any>) => void = () => {}) => {
    const props = valid.bucket();
    change(props);
    return { type: TYPE.bucket, name: "warehouse-bucket", props };
  };
  const violations = async (change: (p: Record<string, any>) => void) =>
    (await runResource(policy, bucket(change))).violations;

  it("passes the planned bucket, and a configurable dual-region of two regions", async () => {
    expect(await runResource(policy, bucket())).toEqual({ violations: [] });
    expect(
      await violations((p) => {
        p.location = "US";
        p.customPlacementConfig = { dataLocations: ["US-CENTRAL1", "US-EAST1"] };
      }),
    ).toEqual([]);
    expect(await violations((p) => (p.location = "eur4"))).toEqual([]);
  });

  it("reports a single-region or multi-region location", async () => {
    expect(await violations((p) => (p.location = "US-CENTRAL1"))).toEqual([
      "Make bucket 'warehouse-bucket' dual-region: location is US-CENTRAL1, not a predefined dual-region",
    ]);
    expect(await violations((p) => (p.location = "US"))).toEqual([
      "Make bucket 'warehouse-bucket' dual-region: location is US, not a predefined dual-region",
    ]);
  });

  it("reports custom placement that is not exactly two regions", async () => {
    expect(
      await violations((p) => {
        p.location = "US";
        p.customPlacementConfig = { dataLocations: ["US-CENTRAL1", "us-central1"] };
      }),
    ).toEqual([
      'Make bucket \'warehouse-bucket\' dual-region: customPlacementConfig.dataLocations is ["US-CENTRAL1","us-central1"], not two regions',
    ]);
  });

  it("reports versioning, uniform access and public access prevention", async () => {
    expect(await violations((p) => (p.versioning.enabled = false))).toEqual([
      "Enable versioning on bucket 'warehouse-bucket': versioning.enabled is false",
    ]);
    expect(await violations((p) => delete p.versioning)).toEqual([
      "Enable versioning on bucket 'warehouse-bucket': versioning.enabled is unset",
    ]);
    expect(await violations((p) => (p.uniformBucketLevelAccess = false))).toEqual([
      "Enable uniformBucketLevelAccess on bucket 'warehouse-bucket': it is false",
    ]);
    expect(await violations((p) => (p.publicAccessPrevention = "inherited"))).toEqual([
      "Set publicAccessPrevention enforced on bucket 'warehouse-bucket': it is inherited",
    ]);
  });
});

describe("gcp-bucket-turbo-replication", () => {
  const policy = gcpBucketTurboReplication;

  it("passes the planned stacks", async () => {
    expect(await runStack(policy, activeStack())).toEqual([]);
    expect(await runStack(policy, passiveStack())).toEqual([]);
  });

  it("reports a bucket without turbo when the GCS target is under 60 minutes", async () => {
    const rs = withProps(activeStack(), "backup-bucket", (p) => (p.rpo = "DEFAULT"));
    expect(await runStack(policy, rs)).toEqual([
      {
        message:
          "Set rpo ASYNC_TURBO on bucket 'backup-bucket' for the 15-minute GCS RPO target: it is DEFAULT; change storage.buckets.<bucket>.turboReplication, or the target rpoTargetsMinutes.gcs",
        urn: urnOf({ type: TYPE.bucket, name: "backup-bucket" }),
      },
    ]);
    const unset = withProps(activeStack(), "backup-bucket", (p) => delete p.rpo);
    expect(await stackMessages(policy, unset)).toEqual([
      "Set rpo ASYNC_TURBO on bucket 'backup-bucket' for the 15-minute GCS RPO target: it is unset; change storage.buckets.<bucket>.turboReplication, or the target rpoTargetsMinutes.gcs",
    ]);
  });

  // Default replication's worst case is 12 hours (cloud.google.com/storage/docs/availability-durability).
  it("accepts default replication for a 720-minute target, or a lower configured threshold", async () => {
    const rs = withProps(activeStack(), "backup-bucket", (p) => (p.rpo = "DEFAULT"));
    expect(
      await runStack(
        policy,
        withFacts(rs, (f) => (f.rpoTargetsMinutes.gcs = 720)),
      ),
    ).toEqual([]);
    expect(
      await runStack(
        policy,
        withFacts(rs, (f) => (f.rpoTargetsMinutes.gcs = 60)),
      ),
    ).toHaveLength(1);
    expect(await runStack(policy, rs, { config: { defaultReplicationRpoMinutes: 15 } })).toEqual(
      [],
    );
    expect(policy.configSchema?.properties.defaultReplicationRpoMinutes?.default).toBe(720);
  });

  it("reports missing deployment facts", async () => {
    const rs = without(activeStack(), isFacts);
    expect(await stackMessages(policy, rs)).toEqual(["deployment facts missing"]);
  });
});

describe("gcp-metastore-backup-within-rpo", () => {
  const policy = gcpMetastoreBackupWithinRpo;
  const service = urnOf({ type: TYPE.metastoreService, name: "metastore-service" });
  const restore = urnOf({ type: TYPE.schedulerJob, name: "metastore-restore-schedule" });

  it("passes the active stack, the hot standby and a cold standby", async () => {
    expect(await runStack(policy, activeStack())).toEqual([]);
    expect(await runStack(policy, passiveStack())).toEqual([]);
    const cold = without(
      passiveStack(),
      (r) => r.type === TYPE.metastoreService || r.type === TYPE.schedulerJob,
    );
    expect(await runStack(policy, cold)).toEqual([]);
  });

  it("judges the site's service, never a drill's scratch service the facts name", async () => {
    const scratch = {
      type: TYPE.metastoreService,
      name: "metastore-drill-service",
      // No scheduled backups: it holds one restore and is deleted with the drill.
      props: { ...valid.metastoreService(), scheduledBackup: undefined },
    };
    const drill = (f: Parameters<Parameters<typeof withFacts>[1]>[0]) =>
      (f.drill = {
        id: "2026-11",
        resources: ["metastore-drill-service"],
        scratch: ["metastore-drill-service"],
      });
    // First among the services, so that only the facts tell it from the site's own.
    expect(await runStack(policy, withFacts([scratch, ...passiveStack()], drill))).toEqual([]);
    const cold = without(
      passiveStack(),
      (r) => r.type === TYPE.metastoreService || r.type === TYPE.schedulerJob,
    );
    expect(await runStack(policy, withFacts([scratch, ...cold], drill))).toEqual([]);
    // Without the facts naming it, it is a passive service with no restore schedule.
    expect(await stackMessages(policy, [scratch, ...cold])).toEqual([
      "Schedule the metastore restore on site 'secondary' (passive hot standby): it has no Cloud Scheduler job",
    ]);
  });

  it("reports disabled backups on the active site", async () => {
    const rs = withProps(activeStack(), "metastore-service", (p) => {
      p.scheduledBackup.enabled = false;
    });
    expect(await runStack(policy, rs)).toEqual([
      {
        message:
          "Enable scheduledBackup on metastore service 'metastore-service' (active site): enabled is false",
        urn: service,
      },
    ]);
  });

  it("reports a backup interval over the metastore RPO, with the interval from the cron", async () => {
    const rs = withProps(activeStack(), "metastore-service", (p) => {
      p.scheduledBackup.cronSchedule = "0 */2 * * *";
    });
    expect(await stackMessages(policy, rs)).toEqual([
      "Back up metastore service 'metastore-service' at least every 60 minutes: cronSchedule 0 */2 * * * runs every 120; change metastore.backupEveryMinutes, or the target metastore.rpoMinutes",
    ]);
    // An hourly cron that skips the night is as long as its longest gap.
    const gaps = withProps(activeStack(), "metastore-service", (p) => {
      p.scheduledBackup.cronSchedule = "0 6-22 * * *";
    });
    expect(await stackMessages(policy, gaps)).toEqual([
      "Back up metastore service 'metastore-service' at least every 60 minutes: cronSchedule 0 6-22 * * * runs every 480; change metastore.backupEveryMinutes, or the target metastore.rpoMinutes",
    ]);
  });

  it("reports an invalid backup cron", async () => {
    const rs = withProps(activeStack(), "metastore-service", (p) => {
      p.scheduledBackup.cronSchedule = "every 15 minutes";
    });
    expect(await stackMessages(policy, rs)).toEqual([
      "Set a valid scheduledBackup.cronSchedule on metastore service 'metastore-service': every 15 minutes is not a cron",
    ]);
  });

  it("reports an active site with no metastore service", async () => {
    const rs = without(activeStack(), (r) => r.type === TYPE.metastoreService);
    expect(await stackMessages(policy, rs)).toEqual([
      "Create a metastore service on site 'primary': it is active and has none",
    ]);
  });

  it("reports a paused restore schedule on the hot standby", async () => {
    const rs = withProps(passiveStack(), "metastore-restore-schedule", (p) => (p.paused = true));
    expect(await runStack(policy, rs)).toEqual([
      {
        message:
          "Unpause restore schedule 'metastore-restore-schedule' (passive hot standby): paused is true",
        urn: restore,
      },
    ]);
  });

  it("reports backup, its age, restore and restore timeout over the RPO on the hot standby", async () => {
    const rs = withFacts(passiveStack(), (f) => (f.metastore.rpoMinutes = 30));
    expect(await runStack(policy, rs)).toEqual([
      {
        message:
          "Restore metastore backups within 30 minutes (metastore.rpoMinutes): backup every 15 + 5 minutes a backup ages + restore 'metastore-restore-schedule' every 20 + a restore of up to 20 (metastore.restore.timeoutMinutes) = 60",
        urn: restore,
      },
    ]);
  });

  it("reports a hot standby with no restore schedule", async () => {
    const rs = without(passiveStack(), (r) => r.type === TYPE.schedulerJob);
    expect(await stackMessages(policy, rs)).toEqual([
      "Schedule the metastore restore on site 'secondary' (passive hot standby): it has no Cloud Scheduler job",
    ]);
  });

  it("never takes the Hive fence's schedule, running in every role, for the restore schedule", async () => {
    expect(await stackMessages(policy, activeStack())).toEqual([]);
    expect(await stackMessages(policy, passiveStack())).toEqual([]);
    const fenceOnly = without(passiveStack(), (r) => r.name === "metastore-restore-schedule");
    expect(await stackMessages(policy, fenceOnly)).toEqual([
      "Schedule the metastore restore on site 'secondary' (passive hot standby): it has no Cloud Scheduler job",
    ]);
  });

  it("reports missing deployment facts", async () => {
    const rs = without(activeStack(), isFacts);
    expect(await stackMessages(policy, rs)).toEqual(["deployment facts missing"]);
  });
});
