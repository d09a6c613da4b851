import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/schema";
import { FACTS_KIND, type DeploymentFacts } from "../contracts/facts";
import { acknowledgmentsSet } from "../contracts/acknowledgments";
import type { LastDeployment } from "./lastDeployment";
import { recordedRecoveryMode, sqlSettings, unreplicatedTenants } from "./sql/plan";
import type { Role } from "./role";
import { copyJobNames } from "./workspace/plan";

/** The facts record's resource name. */
export const FACTS_RESOURCE = "deployment-facts";

/** The one-promotion keys this config sets (recorded with the deployment, judged by the gate). */
export function configAcknowledgments(config: PlatformConfig): string[] {
  return acknowledgmentsSet({
    promotion: config.promotion,
    sql: {
      failoverMode: config.sql.failover.mode,
      acknowledgeDataLoss: config.sql.failover.acknowledgeDataLoss,
    },
  });
}

/** The facts of one deployment, from its config, role, its own last deployment and the peer's. */
export function buildDeploymentFacts(
  config: PlatformConfig,
  role: Role,
  last: LastDeployment,
  peer: LastDeployment,
  sqlAwaitingPeer: readonly string[] = [],
  /** What this stand-down's drain makes: the lake's final sync, the metastore's final backup. */
  drain: { readonly lake: boolean; readonly metastore: boolean } = {
    lake: false,
    metastore: false,
  },
  /** The release this deployment arms: its mode and what it registers unprotected. */
  release: NonNullable<DeploymentFacts["sql"]["release"]> | null = null,
  /** The drill this deployment runs, and the scratch resources it registers. */
  drill: NonNullable<DeploymentFacts["drill"]> | null = null,
): DeploymentFacts {
  return {
    kind: FACTS_KIND,
    site: config.site,
    role,
    promote: config.promote,
    lastRole: last.role ?? null,
    lastAcknowledgments: last.role ? [...(last.acknowledgments ?? [])] : null,
    lastEpoch: last.role ? (last.epoch ?? null) : null,
    peer: {
      role: peer.role ?? null,
      acknowledgments: peer.role ? [...(peer.acknowledgments ?? [])] : null,
      epoch: peer.role ? (peer.epoch ?? null) : null,
      finalSync: peer.finalSync
        ? {
            epoch: peer.finalSync.epoch,
            jobs: [...peer.finalSync.jobs],
            metastoreBackup: peer.finalSync.metastoreBackup !== undefined,
          }
        : null,
      sqlReprotected: (peer.sqlReprotected?.length ?? 0) > 0,
    },
    regions: {
      azure: { region: config.azure.region, peerRegion: config.azure.peerRegion },
      gcp: { region: config.gcp.region, peerRegion: config.gcp.peerRegion },
    },
    metastore: {
      standby: config.metastore.standby,
      rpoMinutes: config.metastore.rpoMinutes,
      backupEveryMinutes: config.metastore.backupEveryMinutes,
      restoreEveryMinutes: config.metastore.restore.everyMinutes,
      restoreTimeoutMinutes: config.metastore.restore.timeoutMinutes,
    },
    lakeNotReplicated: Object.keys(config.workspace.scratchTables ?? {}),
    lakeCopies: copyJobNames(config.workspace.replication),
    finalSync: drain.lake,
    metastoreFinalBackup: drain.metastore,
    sql: {
      strategy: config.sql.strategy,
      failoverMode: config.sql.failover.mode,
      acknowledgeDataLoss: config.sql.failover.acknowledgeDataLoss,
      awaitingPeer: [...sqlAwaitingPeer],
      geoRestoredTenants: unreplicatedTenants(config.sql).length,
      settings: sqlSettings(config.sql),
      lastSettings: last.role ? (last.sql?.settings ?? null) : null,
      lastRecoveredBy: recordedRecoveryMode(last) ?? null,
      release: release && { mode: release.mode, resources: [...release.resources] },
    },
    drill: drill && {
      id: drill.id,
      resources: [...drill.resources],
      scratch: [...drill.scratch],
    },
    // The GCS data class meets turbo's 15 minutes only if both buckets use it.
    gcsTurbo:
      config.storage.buckets.warehouse.turboReplication &&
      config.storage.buckets.backup.turboReplication,
    allowSingleRegionStorage: config.workspace.allowSingleRegionStorage,
    promotion: { ...config.promotion },
    rpoTargetsMinutes: { metastore: config.metastore.rpoMinutes, ...config.rpoTargetsMinutes },
  };
}

/** Stores its inputs and nothing else: a record in the stack's state, with no cloud object. */
const factsProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, unknown>) {
    return { id: String(inputs.kind), outs: inputs };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return { changes: JSON.stringify(olds) !== JSON.stringify(news) };
  },
  async update(_id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
    return { outs: news };
  },
};

/**
 * The deployment's facts as a resource, so that CrossGuard policies (which see resources, not
 * config or stack outputs) can judge a promotion: both in `pulumi preview --policy-pack` and in
 * the offline plan.
 */
export class DeploymentFactsRecord extends pulumi.dynamic.Resource {
  constructor(name: string, facts: DeploymentFacts, opts?: pulumi.CustomResourceOptions) {
    super(factsProvider, name, { ...facts }, opts);
  }
}
