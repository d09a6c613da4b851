import * as pulumi from "@pulumi/pulumi";
import type { Role } from "./role";

/** The stack output this program writes for its own next deployment to read. */
export const DEPLOYMENT_OUTPUT = "deployment";

/** What a stack remembers of its last deployment. Empty on a stack's first deployment. */
export interface LastDeployment {
  readonly role?: Role;
  /** A metastore service existed on this site. Once true, a role flip never removes it. */
  readonly metastoreProvisioned?: boolean;
  /** This (cold) site restored its new service once, when it was promoted. */
  readonly metastoreRestoredOnce?: boolean;
  /** This site geo-restored the tenants that have no replica, and keeps them until released. */
  readonly sqlRecovered?: boolean;
}

/** Reads the parts of a `deployment` output it understands; anything malformed reads as absent. */
export function parseLastDeployment(value: unknown): LastDeployment {
  if (value === null || typeof value !== "object") return {};
  const v = value as Record<string, unknown>;
  return {
    ...((v.role === "active" || v.role === "passive") && { role: v.role }),
    ...(typeof v.metastoreProvisioned === "boolean" && {
      metastoreProvisioned: v.metastoreProvisioned,
    }),
    ...(typeof v.metastoreRestoredOnce === "boolean" && {
      metastoreRestoredOnce: v.metastoreRestoredOnce,
    }),
    ...(typeof v.sqlRecovered === "boolean" && { sqlRecovered: v.sqlRecovered }),
  };
}

/**
 * The stack's own last outputs, through a StackReference to itself (the state backend keeps the
 * last checkpoint; a new stack reads as empty). Awaited before any decision, so what the program
 * registers is known in preview.
 */
export async function readLastDeployment(
  opts?: pulumi.CustomResourceOptions,
): Promise<LastDeployment> {
  const self = new pulumi.StackReference(
    "last-deployment",
    { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` },
    opts,
  );
  const details = await self.getOutputDetails(DEPLOYMENT_OUTPUT);
  return parseLastDeployment(details.value ?? details.secretValue);
}
