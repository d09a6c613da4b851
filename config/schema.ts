import { z } from "zod";
import { contains, overlaps, parseCidr } from "./network";
import type { RepoFiles } from "./repoFiles";
import { drillSchema } from "./drillSchema";
import { metastoreSchema } from "./metastoreSchema";
import { SITES } from "./sites";
import { sqlSchema } from "./sqlSchema";
import { workspaceSpecSchema } from "./workspaceSchema";
import { bool, guid, int, oneOf, oneOfStrings, quote, strictObject } from "./zod";
import {
  AZURE_REGIONS,
  GCP_REGIONS,
  GCP_REGION_TABLE,
  GCS_DUAL_REGION_CODES,
  GCS_PREDEFINED_DUAL_REGIONS,
  azurePartners,
  customDualRegionLocation,
  dualRegionSpans,
  isAzurePair,
  predefinedDualRegionFor,
} from "./regions";

/** The config namespace: the project name in Pulumi.yaml. */
export const CONFIG_NAMESPACE = "paired-dr";

export { SITES, type Site } from "./sites";

const azureRegion = oneOfStrings("an", "Azure region name (lowercase, no spaces)", AZURE_REGIONS);
const gcpRegion = oneOfStrings("a", "GCP region", GCP_REGIONS);

/** GCS bucket naming rules (cloud.google.com/storage/docs/buckets#naming). */
export const BUCKET_NAME_RULE =
  "3-63 characters of lowercase letters, digits, '-' and '_', starting and ending with a letter or digit, " +
  "not starting with 'goog' and not containing 'google' (dotted names need domain verification and are not accepted)";

export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/.test(name) &&
    !name.startsWith("goog") &&
    !/g[o0]{2}g[l1]e/.test(name)
  );
}

const bucketName = z
  .string({ error: `must be a bucket name: ${BUCKET_NAME_RULE}` })
  .refine(isValidBucketName, {
    error: `malformed bucket name; allowed: ${BUCKET_NAME_RULE}`,
  });

/** One dual-region bucket. */
export const bucketSpecSchema = strictObject({
  /** Globally unique bucket name. A rename replaces the bucket: never change it on a live stack. */
  name: bucketName,
  /** Turbo replication (15-minute RPO target) instead of the default (all objects within 12 hours). Default true. */
  turboReplication: bool().default(true),
  /** Soft-delete retention. GCS allows 7 to 90 days; disabling it is not offered. Default 7. */
  softDeleteRetentionDays: int("days", 7, 90).default(7),
  /** Days a noncurrent object version is kept before the lifecycle rule deletes it. Default 30. */
  noncurrentVersionRetentionDays: int("days", 1, 3650).default(30),
});
export type BucketSpec = z.output<typeof bucketSpecSchema>;

const dualRegionValues = [...GCS_DUAL_REGION_CODES, "custom"];

export const storageSchema = strictObject({
  /**
   * The GCS dual-region over the stack's GCP region pair: a predefined code (NAM4, EUR4, ...) or
   * "custom" for a configurable dual-region over exactly the two regions.
   */
  dualRegion: z
    .string({ error: `must be one of ${oneOf(dualRegionValues)}` })
    .refine((v) => dualRegionValues.includes(v), {
      error: `unknown dual-region; allowed: ${oneOf(dualRegionValues)}`,
    }),
  buckets: strictObject({
    /** Hive warehouse data. */
    warehouse: bucketSpecSchema,
    /** Dataproc Metastore backups. */
    backup: bucketSpecSchema,
  }).refine((b) => b.warehouse.name !== b.backup.name, {
    error: "the warehouse and backup buckets must have different names",
    path: ["backup", "name"],
  }),
});

const CIDR_RULE = 'an IPv4 network in CIDR form whose host bits are zero, e.g. "10.10.0.0/16"';
const cidr = (min: number, max: number) =>
  z
    .string({ error: `must be ${CIDR_RULE}` })
    .refine((c) => parseCidr(c) !== undefined, {
      error: `malformed network; allowed: ${CIDR_RULE}`,
    })
    .refine(
      (c) => {
        const p = parseCidr(c)?.prefix;
        return p === undefined || (p >= min && p <= max);
      },
      {
        error: `prefix length out of range; allowed: /${min} to /${max}`,
      },
    );

/**
 * The site's VNet: the Databricks host ("public") and container ("private") subnets, each at
 * least /26, and a subnet for private endpoints (the SQL server's), at least /28.
 */
const networkSchema = strictObject({
  addressSpace: cidr(16, 24),
  hostSubnet: cidr(16, 26),
  containerSubnet: cidr(16, 26),
  privateEndpointSubnet: cidr(16, 28),
}).superRefine((n, ctx) => {
  const space = parseCidr(n.addressSpace);
  const host = parseCidr(n.hostSubnet);
  const container = parseCidr(n.containerSubnet);
  const endpoints = parseCidr(n.privateEndpointSubnet);
  if (!space || !host || !container || !endpoints) return;
  for (const [key, other, subnet] of [
    ["privateEndpointSubnet", "hostSubnet", host],
    ["privateEndpointSubnet", "containerSubnet", container],
  ] as const) {
    if (overlaps(endpoints, subnet)) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        input: n[key],
        message: `overlaps ${other} ${quote(n[other])}; the subnets must not overlap`,
      });
    }
  }
  for (const [key, subnet] of [
    ["hostSubnet", host],
    ["containerSubnet", container],
    ["privateEndpointSubnet", endpoints],
  ] as const) {
    if (!contains(space, subnet)) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        input: n[key],
        message: `must lie inside addressSpace ${quote(n.addressSpace)}`,
      });
    }
  }
  if (overlaps(host, container)) {
    ctx.addIssue({
      code: "custom",
      path: ["containerSubnet"],
      input: n.containerSubnet,
      message: `overlaps hostSubnet ${quote(n.hostSubnet)}; the two subnets must not overlap`,
    });
  }
});

/**
 * The Databricks SDK's Entra ID credential strategies (databricks-sdk-go config/auth_azure_*.go
 * Name()) that the program's own Jobs API calls can take the same way (job concurrency). In
 * GitHub Actions, azure/login with OIDC leaves an `az` session: azure-cli.
 */
export const DATABRICKS_AZURE_AUTH_TYPES = [
  "azure-cli",
  "azure-msi",
  "azure-client-secret",
] as const;

const azureSchema = strictObject({
  /** Subscription this stack deploys into; with the names it makes every ARM ID computable. */
  subscriptionId: guid,
  /** The peer stack's subscription, for the peer's ARM IDs. Default: subscriptionId. */
  peerSubscriptionId: guid.optional(),
  tenantId: guid,
  /** Object ID of the AzureDatabricks enterprise application in this tenant (reads Key Vault secrets). */
  databricksPrincipalId: guid,
  /**
   * How the Databricks provider signs in: an Entra ID method, pinned, because the SDK's default
   * chain tries a personal access token first (databricks-sdk-go config/auth_default.go) and a
   * Key Vault-backed secret scope cannot be created with one (provider docs, secret_scope.md).
   * Default azure-cli: what `az login` and the azure/login CI step leave behind.
   */
  databricksAuthType: z
    .enum(DATABRICKS_AZURE_AUTH_TYPES, { error: `must be ${oneOf(DATABRICKS_AZURE_AUTH_TYPES)}` })
    .default("azure-cli"),
  /**
   * The Unity Catalog metastore of this stack's region (one per region per account, created at
   * the account level: Azure Databricks docs, unity-catalog enable-workspaces). The workspace is
   * assigned to it; the lakes are reached through its storage credential and external locations.
   */
  unityCatalogMetastoreId: guid,
  /** This stack's Azure region. */
  region: azureRegion,
  /** The paired region the peer stack runs in. */
  peerRegion: azureRegion,
  network: networkSchema,
}).superRefine((a, ctx) => {
  if (!AZURE_REGIONS.includes(a.region) || !AZURE_REGIONS.includes(a.peerRegion)) return;
  if (a.region === a.peerRegion) {
    ctx.addIssue({
      code: "custom",
      path: ["peerRegion"],
      input: a.peerRegion,
      message: `must differ from azure.region (${quote(a.region)}); allowed: ${oneOf(azurePartners(a.region))}`,
    });
  } else if (!isAzurePair(a.region, a.peerRegion)) {
    ctx.addIssue({
      code: "custom",
      path: ["peerRegion"],
      input: a.peerRegion,
      message: `${quote(a.peerRegion)} is not an Azure region pair of ${quote(a.region)}; allowed: ${oneOf(azurePartners(a.region))}`,
    });
  }
});

const GCP_NAME = "[a-z]([-a-z0-9]{0,61}[a-z0-9])?";
// The service's network is projects/{projectNumber}/global/networks/{name}: the number, not the
// ID (metastore.proto, Service.network; magic-modules mmv1/products/metastore/Service.yaml, network,
// immutable and default_from_api). A path with the project ID would read back with the number, a
// diff on a create-only field of a protected service.
const GCP_VPC = new RegExp(`^(${GCP_NAME}|projects/[0-9]+/global/networks/${GCP_NAME})$`);
const GCP_VPC_RULE =
  "a VPC name (lowercase letters, digits, '-') or \"projects/<project number>/global/networks/<name>\"";
const GCP_SUBNET = new RegExp(
  `^(${GCP_NAME}|projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/regions/[a-z]+-[a-z]+[0-9]+/subnetworks/${GCP_NAME})$`,
);
const GCP_SUBNET_RULE =
  'a subnetwork name or "projects/<project>/regions/<region>/subnetworks/<name>"';

const gcpSchema = strictObject({
  /** The GCP project both stacks deploy into. */
  project: z.string({ error: "must be a GCP project ID" }).regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, {
    error:
      "malformed GCP project ID; allowed: 6-30 characters of lowercase letters, digits and '-', starting with a letter",
  }),
  /** The project's number: names the Dataproc Metastore service agent. */
  projectNumber: z
    .string({ error: "must be the GCP project number, as a string of digits" })
    .regex(/^[1-9][0-9]{5,19}$/, { error: "malformed project number; allowed: 6-20 digits" }),
  /** This stack's GCP region. */
  region: gcpRegion,
  /** The region the peer stack runs in; the dual-region buckets span both. */
  peerRegion: gcpRegion,
  /**
   * Where the metastore service and the Hive cluster attach. Required: without it both land in
   * the project's `default` VPC, which many organisations do not have
   * (constraints/compute.skipDefaultNetworkCreation), and the service's network is create-only
   * (magic-modules mmv1/products/metastore/Service.yaml, network: immutable).
   */
  network: strictObject({
    /** The VPC: its name in this project, or projects/<project>/global/networks/<name> (shared VPC). */
    vpc: z.string({ error: `must be ${GCP_VPC_RULE}` }).regex(GCP_VPC, {
      error: `malformed VPC; allowed: ${GCP_VPC_RULE}`,
    }),
    /** The Hive cluster's subnetwork in this stack's region: a name, or its full path. */
    subnetwork: z.string({ error: `must be ${GCP_SUBNET_RULE}` }).regex(GCP_SUBNET, {
      error: `malformed subnetwork; allowed: ${GCP_SUBNET_RULE}`,
    }),
  }),
}).superRefine((g, ctx) => {
  const here = GCP_REGION_TABLE[g.region];
  const there = GCP_REGION_TABLE[g.peerRegion];
  if (!here || !there) return;
  const sameContinent = GCP_REGIONS.filter(
    (r) => r !== g.region && GCP_REGION_TABLE[r]!.continent === here.continent,
  );
  if (g.region === g.peerRegion) {
    ctx.addIssue({
      code: "custom",
      path: ["peerRegion"],
      input: g.peerRegion,
      message: `must differ from gcp.region (${quote(g.region)}); allowed: another ${here.continent} region, one of ${oneOf(sameContinent)}`,
    });
  } else if (here.continent !== there.continent) {
    ctx.addIssue({
      code: "custom",
      path: ["peerRegion"],
      input: g.peerRegion,
      message: `is in ${there.continent} but gcp.region ${quote(g.region)} is in ${here.continent}; a dual-region bucket spans one continent; allowed: ${oneOf(sameContinent)}`,
    });
  }
});

/**
 * Everything the program reads from config: project-level values plus one stack's values. The
 * workspace spec is checked against the repo's notebooks and init scripts, listed in `repo`.
 */
/** An RPO target: a positive number of minutes (the error says so for 0 or less). */
const rpoTarget = () =>
  z
    .number({ error: "must be a number of minutes; allowed: a number of minutes greater than 0" })
    .positive({
      error:
        "an RPO target of 0 or less cannot be met (every copy takes time); allowed: a number of minutes greater than 0",
    });

export const makeConfigSchema = (repo: RepoFiles) =>
  strictObject({
    /** Which half of the pair this stack is. Set in the stack file. */
    site: z.enum(SITES, { error: `must be ${oneOf(SITES)}` }),
    /** Project-level: flips the roles of both stacks. Default false (primary active). */
    promote: bool().default(false),
    /** Prefix of every resource name; names are deterministic from config. */
    prefix: z.string({ error: "must be a name prefix" }).regex(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/, {
      error:
        "malformed prefix; allowed: 2-12 characters of lowercase letters, digits and '-', starting with a letter",
    }),
    azure: azureSchema,
    gcp: gcpSchema,
    storage: storageSchema,
    /** The shared Databricks workspace spec: both stacks build the same objects from it. */
    workspace: workspaceSpecSchema(repo),
    /** The Hive metastore pair (Dataproc Metastore), one service per site. */
    metastore: metastoreSchema,
    /** Azure SQL elastic pools and failover groups for the multi-tenant SaaS. */
    sql: sqlSchema,
    /** RPO targets per data class, checked by the policy pack's RPO budget. */
    rpoTargetsMinutes: strictObject({
      /** Deep-cloned lake tables. Default 60. */
      lake: rpoTarget().default(60),
      /** Azure SQL in failover groups (active geo-replication: about 5 s). Default 1. */
      sql: rpoTarget().default(1),
      /**
       * Tenant databases without a replica, geo-restored on promotion (Azure: about an hour of
       * geo-replicated backups). Default 60.
       */
      sqlGeoRestore: rpoTarget().default(60),
      /** Dual-region buckets: turbo replication 15 min, default replication 720 (12 hours). Default 15. */
      gcs: rpoTarget().default(15),
    }).default({ lake: 60, sql: 1, sqlGeoRestore: 60, gcs: 15 }),
    /**
     * A DR drill on the passive standby (config/drillSchema.ts): the secondary's stack file only,
     * while it is passive. Default false.
     */
    drill: drillSchema,
    /** Acknowledgments the promotion gate looks for; set them in the promotion pull request. */
    promotion: strictObject({
      /** Promote a cold metastore standby, accepting tens of minutes to create its service. */
      acceptColdStandbyRto: bool().default(false),
      /** Promote while the peer is not known to be passive (unreachable, or still active). */
      acknowledgeForcedFailover: bool().default(false),
    }).default({ acceptColdStandbyRto: false, acknowledgeForcedFailover: false }),
  })
    .superRefine((c, ctx) => {
      if (c.drill === false) return;
      if (c.site !== "secondary")
        ctx.addIssue({
          code: "custom",
          path: ["drill"],
          input: c.drill,
          message: `a drill runs on the secondary's passive standby, never on the ${c.site} stack; set it only in Pulumi.secondary.yaml`,
        });
      else if (c.promote)
        ctx.addIssue({
          code: "custom",
          path: ["drill"],
          input: c.drill,
          message:
            "a drill runs on the passive standby, but promote is true: the secondary is active; allowed: false while promote is true",
        });
    })
    .superRefine(
      (c, ctx) => {
        const { region, peerRegion } = c.gcp;
        const code = c.storage.dualRegion;
        if (code === "custom") {
          if (!customDualRegionLocation(region, peerRegion)) {
            const predefined = predefinedDualRegionFor(region, peerRegion);
            ctx.addIssue({
              code: "custom",
              path: ["storage", "dualRegion"],
              input: code,
              message:
                `${quote(region)} and ${quote(peerRegion)} cannot form a configurable dual-region` +
                (predefined
                  ? `; allowed: ${quote(predefined)}, the predefined dual-region over them`
                  : "; choose a region pair that can"),
            });
          }
        } else if (!dualRegionSpans(code, region, peerRegion)) {
          const predefined = predefinedDualRegionFor(region, peerRegion);
          const [a, b] = GCS_PREDEFINED_DUAL_REGIONS[code]!;
          const allowed = [
            predefined,
            customDualRegionLocation(region, peerRegion) && "custom",
          ].filter(Boolean) as string[];
          ctx.addIssue({
            code: "custom",
            path: ["storage", "dualRegion"],
            input: code,
            message:
              `${code} spans ${quote(a)} and ${quote(b)}, not this stack's gcp regions ${quote(region)} and ${quote(peerRegion)}` +
              `; allowed: ${allowed.length ? oneOf(allowed) : "none for this pair"}`,
          });
        }
      },
      // Cross-key checks need both keys parsed; the other problems are still reported with them.
      {
        when: (payload) =>
          !payload.issues.some((i) => i.path?.[0] === "gcp" || i.path?.[0] === "storage"),
      },
    );

export type PlatformConfig = z.output<ReturnType<typeof makeConfigSchema>>;
