import * as pulumi from "@pulumi/pulumi";
import type { Role, Site } from "./role";

/** Marks the facts record among dynamic resources (policies/facts.ts reads it). */
export const FACTS_KIND = "paired-dr:deployment-facts";

/** What the policy pack needs to judge this deployment: roles, acknowledgments, RPO targets. */
export interface DeploymentFacts {
  readonly kind: typeof FACTS_KIND;
  readonly site: Site;
  readonly role: Role;
  readonly promote: boolean;
  /** This stack's role at its last deployment; null on its first. */
  readonly lastRole: Role | null;
  /** The peer stack's role, read through a StackReference; not readable while its state is. */
  readonly peer: { readonly readable: boolean; readonly role: Role | null };
  readonly regions: {
    readonly azure: { readonly region: string; readonly peerRegion: string };
    readonly gcp: { readonly region: string; readonly peerRegion: string };
  };
  readonly metastore: {
    readonly standby: "hot" | "cold";
    readonly rpoMinutes: number;
    readonly backupEveryMinutes: number;
    readonly restoreEveryMinutes: number;
  };
  readonly sql: {
    readonly strategy: "budget" | "tiered" | "geo-distributed";
    readonly failoverMode: "planned" | "forced";
    readonly acknowledgeDataLoss: boolean;
  };
  readonly gcsTurbo: boolean;
  readonly allowSingleRegionStorage: boolean;
  readonly promotion: {
    readonly acceptColdStandbyRto: boolean;
    readonly acknowledgeForcedFailover: boolean;
  };
  readonly rpoTargetsMinutes: {
    readonly metastore: number;
    readonly lake: number;
    readonly sql: number;
    readonly gcs: number;
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
