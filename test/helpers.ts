import * as path from "node:path";
import type { CapturedResource } from "../tools/plan/capture";

export const ROOT = path.resolve(__dirname, "..");

/** The raw config of the shipped primary stack, as the loader sees it (project values + stack file). */
export function validRaw(): Record<string, any> {
  return {
    site: "primary",
    promote: false,
    prefix: "acmedata",
    azure: { region: "eastus2", peerRegion: "centralus" },
    gcp: { project: "acmedata-platform-dr", region: "us-central1", peerRegion: "us-east1" },
    storage: {
      dualRegion: "NAM4",
      buckets: {
        warehouse: { name: "acmedata-hive-warehouse", noncurrentVersionRetentionDays: 30 },
        backup: { name: "acmedata-metastore-backups", noncurrentVersionRetentionDays: 14 },
      },
    },
  };
}

/** Config in the CLI's wire form ("paired-dr:key" -> string) from a raw config object. */
export function toWireConfig(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [
      `paired-dr:${k}`,
      typeof v === "string" ? v : JSON.stringify(v),
    ]),
  );
}

export function byType(resources: readonly CapturedResource[], type: string): CapturedResource[] {
  return resources.filter((r) => r.type === type);
}

/** The one resource of `type` named `name`; fails when there is none or more than one. */
export function findResource(
  resources: readonly CapturedResource[],
  type: string,
  name: string,
): CapturedResource {
  const found = resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1)
    throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
  return found[0]!;
}
