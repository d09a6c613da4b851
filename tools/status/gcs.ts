import type { JsonGet } from "./google";

/**
 * The buckets' replication as Cloud Storage reports it (JSON API v1, buckets.get): the `rpo`
 * setting (ASYNC_TURBO or DEFAULT) and the placement. The bucket resource has no replication
 * status or lag; Google exposes turbo replication's health only as Cloud Monitoring metrics.
 * Read-only.
 */

export interface BucketReplication {
  readonly bucket: string;
  readonly location: string | null;
  readonly locationType: string | null;
  readonly dataLocations: readonly string[];
  /** The bucket's rpo, DEFAULT when the API leaves it out. */
  readonly rpo: string;
}

interface BucketResource {
  name?: string;
  location?: string;
  locationType?: string;
  rpo?: string;
  customPlacementConfig?: { dataLocations?: string[] };
}

export async function bucketReplication(get: JsonGet, bucket: string): Promise<BucketReplication> {
  const b = await get<BucketResource>(`/storage/v1/b/${encodeURIComponent(bucket)}`, {
    fields: "name,location,locationType,rpo,customPlacementConfig",
  });
  return {
    bucket,
    location: b.location ?? null,
    locationType: b.locationType ?? null,
    dataLocations: b.customPlacementConfig?.dataLocations ?? [],
    rpo: b.rpo ?? "DEFAULT",
  };
}
