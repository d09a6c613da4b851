import { describe, expect, it } from "vitest";
import * as gcp from "@pulumi/gcp";
import { DualRegionBucket, bucketArgs, bucketPlacement } from "../components/dualRegionBucket";
import type { BucketSpec } from "../config/schema";
import { captureProgram } from "../tools/plan/capture";
import { planStack } from "../tools/plan/engine";
import { byType, findResource } from "./helpers";

const BUCKET = "gcp:storage/bucket:Bucket";
const COMPONENT = "paired-dr:components:DualRegionBucket";
const spec: BucketSpec = {
  name: "acme-warehouse",
  turboReplication: true,
  softDeleteRetentionDays: 7,
  noncurrentVersionRetentionDays: 30,
};

describe("bucket placement", () => {
  it("uses the predefined code as the location", () => {
    expect(bucketPlacement("NAM4", ["us-central1", "us-east1"])).toEqual({ location: "NAM4" });
  });

  it("places a custom dual-region under its multi-region, regions sorted and upper-case", () => {
    const expected = {
      location: "US",
      customPlacementConfig: { dataLocations: ["US-CENTRAL1", "US-WEST1"] },
    };
    expect(bucketPlacement("custom", ["us-west1", "us-central1"])).toEqual(expected);
    expect(bucketPlacement("custom", ["us-central1", "us-west1"])).toEqual(expected);
  });

  it("refuses a pair that cannot form a dual-region", () => {
    expect(() => bucketPlacement("custom", ["us-central1", "europe-west1"])).toThrow(
      "us-central1 and europe-west1 cannot form a configurable dual-region",
    );
    expect(() => bucketPlacement("NAM9", ["us-central1", "us-east1"])).toThrow(
      'unknown GCS dual-region "NAM9"',
    );
  });
});

describe("bucket inputs", () => {
  it("sets every protective setting exactly", () => {
    expect(bucketArgs(spec, { location: "NAM4" }, { team: "data" })).toEqual({
      name: "acme-warehouse",
      location: "NAM4",
      storageClass: "STANDARD",
      rpo: "ASYNC_TURBO",
      versioning: { enabled: true },
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      softDeletePolicy: { retentionDurationSeconds: 604_800 },
      lifecycleRules: [
        {
          action: { type: "Delete" },
          condition: { daysSinceNoncurrentTime: 30, withState: "ARCHIVED" },
        },
      ],
      forceDestroy: false,
      deletionPolicy: "PREVENT",
      labels: { team: "data" },
    });
  });

  it("uses default replication only when turbo is turned off, and no placement config for predefined", () => {
    const args = bucketArgs({ ...spec, turboReplication: false }, { location: "NAM4" }, {});
    expect(args.rpo).toBe("DEFAULT");
    expect("customPlacementConfig" in args).toBe(false);
  });
});

async function runBucket(site: "primary" | "secondary", dualRegion = "NAM4") {
  let component: DualRegionBucket | undefined;
  const result = await captureProgram(
    () => {
      const provider = new gcp.Provider("gcp", { project: "acme-dr", region: "us-central1" });
      component = new DualRegionBucket(
        "warehouse",
        { spec, dualRegion, regions: ["us-central1", "us-east1"], site },
        { provider },
      );
      return { name: component.name, url: component.url, selfLink: component.selfLink };
    },
    { project: "paired-dr", stack: site, config: {} },
  );
  return { ...result, component: component! };
}

describe("DualRegionBucket", () => {
  it("creates one protected bucket under the component in the owner (primary) stack", async () => {
    const { resources, outputs, component } = await runBucket("primary");
    const comp = findResource(resources, COMPONENT, "warehouse");
    const bucket = findResource(resources, BUCKET, "warehouse-bucket");
    expect(byType(resources, BUCKET)).toHaveLength(1);
    expect(bucket.parent).toBe(comp.urn);
    expect(bucket.options.protect).toBe(true);
    expect(
      bucket.provider.startsWith("urn:pulumi:primary::paired-dr::pulumi:providers:gcp::gcp::"),
    ).toBe(true);
    expect(bucket.inputs).toMatchObject({
      name: "acme-warehouse",
      location: "NAM4",
      rpo: "ASYNC_TURBO",
      deletionPolicy: "PREVENT",
    });
    expect(bucket.inputs.labels).toEqual({
      "managed-by": "pulumi",
      "dr-component": "warehouse",
      "owner-site": "primary",
    });
    expect(component.owned).toBe(true);
    expect(outputs).toEqual({
      name: "acme-warehouse",
      url: "gs://acme-warehouse",
      selfLink: "https://www.googleapis.com/storage/v1/b/acme-warehouse",
    });
  });

  it("registers no bucket in the secondary stack and references the owner's by name", async () => {
    const { resources, outputs, component } = await runBucket("secondary");
    expect(byType(resources, BUCKET)).toEqual([]);
    expect(resources.map((r) => r.type).sort()).toEqual([COMPONENT, "pulumi:providers:gcp"]);
    expect(component.owned).toBe(false);
    expect(component.ownerSite).toBe("primary");
    expect(outputs).toEqual({
      name: "acme-warehouse",
      url: "gs://acme-warehouse",
      selfLink: "https://www.googleapis.com/storage/v1/b/acme-warehouse",
    });
  });
});

describe("the buckets in the shipped program", () => {
  for (const promote of [false, true]) {
    it(`are created only in the primary stack (promote=${promote})`, async () => {
      const sets = [`promote=${promote}`];
      const primary = await planStack("primary", { sets });
      const secondary = await planStack("secondary", { sets });
      expect(primary.role).toBe(promote ? "passive" : "active");
      expect(secondary.role).toBe(promote ? "active" : "passive");
      expect(
        byType(primary.resources, BUCKET).map((b) => [b.name, b.inputs.name, b.options.protect]),
      ).toEqual([
        ["warehouse-bucket", "acmedata-hive-warehouse", true],
        ["backup-bucket", "acmedata-metastore-backups", true],
      ]);
      // The shipped sites' GCP regions, us-east4 and us-central1, as a configurable dual-region.
      for (const b of byType(primary.resources, BUCKET))
        expect([b.inputs.location, b.inputs.customPlacementConfig]).toEqual([
          "US",
          { dataLocations: ["US-CENTRAL1", "US-EAST4"] },
        ]);
      expect(byType(secondary.resources, BUCKET)).toEqual([]);
      expect(byType(secondary.resources, COMPONENT).map((c) => c.name)).toEqual([
        "warehouse",
        "backup",
      ]);
      expect(secondary.outputs.buckets).toEqual({
        warehouse: {
          name: "acmedata-hive-warehouse",
          url: "gs://acmedata-hive-warehouse",
          location: "US",
          owned: false,
        },
        backup: {
          name: "acmedata-metastore-backups",
          url: "gs://acmedata-metastore-backups",
          location: "US",
          owned: false,
        },
      });
    });
  }

  it("keeps the backup bucket's own retention, and deletes live metastore backups after metastore.backupRetentionDays", async () => {
    // Issue 13: every backup is a folder of objects, 96 a day, and nothing deleted them.
    const primary = await planStack("primary");
    const backup = findResource(primary.resources, BUCKET, "backup-bucket");
    expect(backup.inputs.lifecycleRules).toEqual([
      {
        action: { type: "Delete" },
        condition: { daysSinceNoncurrentTime: 14, withState: "ARCHIVED" },
      },
      {
        action: { type: "Delete" },
        condition: { age: 7, matchesPrefixes: ["metastore/"], withState: "LIVE" },
      },
    ]);
    // The warehouse keeps its live objects: only its noncurrent versions expire.
    const warehouse = findResource(primary.resources, BUCKET, "warehouse-bucket");
    expect(warehouse.inputs.lifecycleRules).toHaveLength(1);
  });
});
