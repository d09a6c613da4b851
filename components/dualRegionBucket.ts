import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { BucketSpec } from "../config/schema";
import { GCS_PREDEFINED_DUAL_REGIONS, customDualRegionLocation } from "../config/regions";
import { SINGLETON_OWNER, ownsSingletons, type Site } from "./role";

export interface DualRegionBucketArgs {
  /** The bucket's name and retention settings, from config. */
  readonly spec: BucketSpec;
  /** A predefined dual-region code (NAM4, EUR4, ...) or "custom" for a configurable dual-region. */
  readonly dualRegion: string;
  /** The stack's GCP region and its peer's; a custom dual-region spans exactly these two. */
  readonly regions: readonly [string, string];
  /** The stack's site. Only the owner site creates the bucket; the other references it by name. */
  readonly site: Site;
  /** Extra labels for the bucket. Default none. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Live objects under a prefix deleted once this many days old (then kept as noncurrent). */
  readonly expireLive?: readonly ExpireLive[];
}

export interface ExpireLive {
  readonly prefix: string;
  readonly days: number;
}

export interface BucketPlacement {
  readonly location: string;
  readonly customPlacementConfig?: { readonly dataLocations: readonly string[] };
}

/**
 * Where the bucket lives. A predefined dual-region is just its code; a configurable one is its
 * multi-region plus both regions, sorted so the order of the pair never changes the input
 * (changing customPlacementConfig recreates the bucket).
 */
export function bucketPlacement(
  dualRegion: string,
  regions: readonly [string, string],
): BucketPlacement {
  const [a, b] = regions;
  if (dualRegion !== "custom") {
    if (!GCS_PREDEFINED_DUAL_REGIONS[dualRegion])
      throw new Error(`unknown GCS dual-region ${JSON.stringify(dualRegion)}`);
    return { location: dualRegion };
  }
  const location = customDualRegionLocation(a, b);
  if (!location) throw new Error(`${a} and ${b} cannot form a configurable dual-region`);
  return {
    location,
    customPlacementConfig: { dataLocations: [a, b].map((r) => r.toUpperCase()).sort() },
  };
}

export const bucketUrl = (name: string) => `gs://${name}`;
export const bucketSelfLink = (name: string) => `https://www.googleapis.com/storage/v1/b/${name}`;

/**
 * The bucket's inputs. Nothing here depends on the role: a role flip must never touch the bucket.
 * Turbo replication gives the 15-minute RPO target (seed 003 keeps Hive data and metadata
 * backups in dual-region buckets); soft delete and noncurrent versions cover a bad write that
 * replication would otherwise carry to both regions.
 */
export function bucketArgs(
  spec: BucketSpec,
  placement: BucketPlacement,
  labels: Readonly<Record<string, string>>,
  expireLive: readonly ExpireLive[] = [],
): gcp.storage.BucketArgs {
  return {
    name: spec.name,
    location: placement.location,
    ...(placement.customPlacementConfig && {
      customPlacementConfig: { dataLocations: [...placement.customPlacementConfig.dataLocations] },
    }),
    storageClass: "STANDARD",
    rpo: spec.turboReplication ? "ASYNC_TURBO" : "DEFAULT",
    versioning: { enabled: true },
    uniformBucketLevelAccess: true,
    publicAccessPrevention: "enforced",
    softDeletePolicy: { retentionDurationSeconds: spec.softDeleteRetentionDays * 86_400 },
    lifecycleRules: [
      {
        action: { type: "Delete" },
        condition: {
          daysSinceNoncurrentTime: spec.noncurrentVersionRetentionDays,
          withState: "ARCHIVED",
        },
      },
      // Deleting a live object makes it noncurrent, so the rule above still keeps it for a while.
      ...expireLive.map((e) => ({
        action: { type: "Delete" },
        condition: { age: e.days, matchesPrefixes: [e.prefix], withState: "LIVE" },
      })),
    ],
    forceDestroy: false,
    deletionPolicy: "PREVENT",
    labels: { ...labels },
  };
}

/**
 * A GCS bucket spanning the region pair, owned by one fixed site. The owner site creates it,
 * protected; the peer stack references it by its deterministic name and registers no bucket, so
 * it deploys while the owner's region is down and a role flip never moves it.
 */
export class DualRegionBucket extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;
  /** The name from config, known before the bucket exists; `name` carries the dependency on it. */
  public readonly bucketName: string;
  public readonly url: pulumi.Output<string>;
  public readonly selfLink: pulumi.Output<string>;
  public readonly location: string;
  /** True in the stack that created the bucket. */
  public readonly owned: boolean;
  public readonly ownerSite: Site = SINGLETON_OWNER;
  /** The bucket resource, in the owner stack only. */
  public readonly bucket?: gcp.storage.Bucket;

  constructor(name: string, args: DualRegionBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("paired-dr:components:DualRegionBucket", name, {}, opts);
    const { spec, dualRegion, regions, site, labels = {} } = args;
    const placement = bucketPlacement(dualRegion, regions);

    this.location = placement.location;
    this.bucketName = spec.name;
    this.owned = ownsSingletons(site);
    if (this.owned) {
      const bucketLabels = {
        ...labels,
        "managed-by": "pulumi",
        "dr-component": name,
        "owner-site": this.ownerSite,
      };
      this.bucket = new gcp.storage.Bucket(
        `${name}-bucket`,
        bucketArgs(spec, placement, bucketLabels, args.expireLive),
        {
          parent: this,
          protect: true,
        },
      );
      this.name = this.bucket.name;
      this.url = this.bucket.url;
      this.selfLink = this.bucket.selfLink;
    } else {
      this.name = pulumi.output(spec.name);
      this.url = pulumi.output(bucketUrl(spec.name));
      this.selfLink = pulumi.output(bucketSelfLink(spec.name));
    }

    this.registerOutputs({
      name: this.name,
      url: this.url,
      selfLink: this.selfLink,
      location: this.location,
      owned: this.owned,
      ownerSite: this.ownerSite,
    });
  }
}
