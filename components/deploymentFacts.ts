import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/schema";
import { FACTS_KIND, type DeploymentFacts } from "../policies/facts";
import type { LastDeployment } from "./lastDeployment";
import type { Role, Site } from "./role";

// The record's shape is the contract with the policy pack, which owns it (dependency-free there).
export { FACTS_KIND, type DeploymentFacts } from "../policies/facts";

/** The facts of one deployment, from its config, role, last deployment and peer. */
export function buildDeploymentFacts(
  config: PlatformConfig,
  role: Role,
  last: LastDeployment,
  peer: DeploymentFacts["peer"],
): DeploymentFacts {
  return {
    kind: FACTS_KIND,
    site: config.site,
    role,
    promote: config.promote,
    lastRole: last.role ?? null,
    peer,
    regions: {
      azure: { region: config.azure.region, peerRegion: config.azure.peerRegion },
      gcp: { region: config.gcp.region, peerRegion: config.gcp.peerRegion },
    },
    metastore: {
      standby: config.metastore.standby,
      rpoMinutes: config.metastore.rpoMinutes,
      backupEveryMinutes: config.metastore.backupEveryMinutes,
      restoreEveryMinutes: config.metastore.restore.everyMinutes,
    },
    sql: {
      strategy: config.sql.strategy,
      failoverMode: config.sql.failover.mode,
      acknowledgeDataLoss: config.sql.failover.acknowledgeDataLoss,
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

/**
 * The peer stack's role through a StackReference (both stacks are initialized before the first
 * deployment, so the reference resolves; a stack never deployed reads as no role). When the
 * peer's state cannot be read at all, the promotion PR acknowledges a forced failover, and the
 * peer is not read: a failed read would fail the whole deployment.
 */
export async function readPeerRole(peer: Site, skip: boolean): Promise<DeploymentFacts["peer"]> {
  if (skip) return { readable: false, role: null };
  const ref = new pulumi.StackReference(`peer-${peer}`, {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${peer}`,
  });
  const role = (await ref.getOutputDetails("role")).value;
  return { readable: true, role: role === "active" || role === "passive" ? role : null };
}
