import { z } from "zod";
import { SITES } from "./sites";
import { bool, int, keyName, oneOf, quote, strictObject } from "./zod";

export const SQL_STRATEGIES = ["budget", "tiered", "geo-distributed"] as const;
export type SqlStrategy = (typeof SQL_STRATEGIES)[number];
/** vCore counts a General Purpose Gen5 elastic pool can have. */
export const POOL_VCORES = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 32, 40, 80] as const;
/** The management databases of seed 002: the tenant catalog, profiles and security, usage. */
export const MANAGEMENT_DATABASES = ["catalog", "profiles-security", "usage"] as const;
/** Seed 002: fail tenant databases over in groups of at least 20. */
export const MIN_DATABASES_PER_GROUP = 20;
/** What a release does with what a failover left (components/sql/plan.ts, releasePhase). */
export const RELEASE_MODES = ["retain", "delete"] as const;

const vcores = z
  .number({ error: `must be a number of vCores, one of ${POOL_VCORES.join(", ")}` })
  .refine((n) => (POOL_VCORES as readonly number[]).includes(n), {
    error: `not a General Purpose Gen5 pool size; allowed: ${POOL_VCORES.join(", ")} (vCores)`,
  });

const poolSchema = strictObject({
  /** vCores while this pool serves primaries. */
  capacity: vcores,
  /** vCores while it only holds geo-secondaries (a passive tiered site). Default: capacity. */
  passiveCapacity: vcores.optional(),
  /** Most vCores one database may use. Default 2. */
  perDatabaseMaxCapacity: int("vCores", 1, 80).default(2),
  maxSizeGB: int("GB", 32, 4096).default(512),
}).superRefine((p, ctx) => {
  if (p.passiveCapacity !== undefined && p.passiveCapacity > p.capacity) {
    ctx.addIssue({
      code: "custom",
      path: ["passiveCapacity"],
      input: p.passiveCapacity,
      message: `must not exceed capacity (${p.capacity})`,
    });
  }
  if (p.perDatabaseMaxCapacity > p.capacity) {
    ctx.addIssue({
      code: "custom",
      path: ["perDatabaseMaxCapacity"],
      input: p.perDatabaseMaxCapacity,
      message: `must not exceed capacity (${p.capacity})`,
    });
  }
});
export type SqlPoolSpec = z.output<typeof poolSchema>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const tenantSchema = strictObject({
  id: keyName,
  tier: z.enum(["paid", "trial"], { error: 'must be "paid" | "trial"' }),
  /** The site holding the tenant's primary database (geo-distributed only). Default primary. */
  home: z.enum(SITES, { error: `must be ${oneOf(SITES)}` }).default("primary"),
});
export type Tenant = z.output<typeof tenantSchema>;

/** Azure SQL elastic pools for a multi-tenant SaaS (seed 002). */
export const sqlSchema = strictObject({
  strategy: z.enum(SQL_STRATEGIES, { error: `must be ${oneOf(SQL_STRATEGIES)}` }),
  /** The Entra ID group (or principal) that administers both servers: no SQL logins anywhere. */
  administrator: strictObject({
    login: z.string().min(1),
    objectId: z.string().regex(GUID, { error: "malformed object ID; allowed: a GUID" }),
    principalType: z.enum(["Group", "User", "Application"]).default("Group"),
  }),
  pools: strictObject({
    /** budget: every tenant, on the primary site. */
    tenants: poolSchema.default({ capacity: 8, perDatabaseMaxCapacity: 2, maxSizeGB: 512 }),
    /** tiered, geo-distributed: paid tenants; same name on both sites. */
    paid: poolSchema.default({ capacity: 8, perDatabaseMaxCapacity: 2, maxSizeGB: 512 }),
    /** tiered, geo-distributed: trial tenants on the primary site; recreated on promotion. */
    trial: poolSchema.default({ capacity: 4, perDatabaseMaxCapacity: 1, maxSizeGB: 256 }),
  }).default({
    tenants: { capacity: 8, perDatabaseMaxCapacity: 2, maxSizeGB: 512 },
    paid: { capacity: 8, perDatabaseMaxCapacity: 2, maxSizeGB: 512 },
    trial: { capacity: 4, perDatabaseMaxCapacity: 1, maxSizeGB: 256 },
  }),
  /** vCores of each management database. Default 2. */
  managementCapacity: int("vCores", 2, 80).default(2),
  failoverGroups: strictObject({
    /** Paid tenants per failover group (seed 002: at least 20, so each failover moves enough). */
    databasesPerGroup: int("databases", MIN_DATABASES_PER_GROUP, 1000).default(50),
    /** The management group's automatic-failover grace period. At least 60 minutes. */
    gracePeriodMinutes: int("minutes", 60, 1440).default(60),
  }).default({ databasesPerGroup: 50, gracePeriodMinutes: 60 }),
  /** How the promoted stack takes the groups over. */
  failover: strictObject({
    /** planned: a friendly failover, needs the peer reachable. forced: forceFailoverAllowDataLoss. */
    mode: z.enum(["planned", "forced"]).default("planned"),
    /** Required for forced: the last seconds of writes on the lost site may be lost. */
    acknowledgeDataLoss: bool().default(false),
  }).default({ mode: "planned", acknowledgeDataLoss: false }),
  /**
   * After failback, what the stacks do with what the failover left: the secondary's recovered
   * databases and their pool, the primary's stale originals. `retain` takes them out of the
   * stacks and keeps them in Azure; `delete` deletes them. Default false: keep them in the stacks.
   */
  releaseRecoveredDatabases: z
    .union([z.literal(false), z.enum(RELEASE_MODES)], {
      error: `must be false, ${oneOf(RELEASE_MODES)} (retain: out of the stacks, kept in Azure; delete: deleted)`,
    })
    .default(false),
  /**
   * Let tenants of a pool over its limit (after its vCores were lowered) move to other pools of
   * their server. A tenant never changes server. Default false.
   */
  rebalancePools: bool().default(false),
  tenants: z.array(tenantSchema, { error: "must be a list of {id, tier, home}" }),
}).superRefine((s, ctx) => {
  const seen = new Map<string, number>();
  s.tenants.forEach((t, i) => {
    if (seen.has(t.id)) {
      ctx.addIssue({
        code: "custom",
        path: ["tenants", i, "id"],
        input: t.id,
        message: `duplicate tenant ${quote(t.id)} (also tenants[${seen.get(t.id)}]); tenant IDs must be unique`,
      });
    } else seen.set(t.id, i);
    if (t.home !== "primary" && s.strategy !== "geo-distributed") {
      ctx.addIssue({
        code: "custom",
        path: ["tenants", i, "home"],
        input: t.home,
        message: `only the geo-distributed strategy homes tenants on the secondary site (strategy: ${s.strategy})`,
      });
    }
    if (t.home !== "primary" && t.tier === "trial") {
      ctx.addIssue({
        code: "custom",
        path: ["tenants", i, "home"],
        input: t.home,
        message: "trial tenants live on the primary site and are geo-restored on promotion",
      });
    }
  });
  if (s.failover.mode === "forced" && !s.failover.acknowledgeDataLoss) {
    ctx.addIssue({
      code: "custom",
      path: ["failover", "acknowledgeDataLoss"],
      input: false,
      message:
        "forced failover (forceFailoverAllowDataLoss) can lose the last writes; set acknowledgeDataLoss: true to accept",
    });
  }
  if (s.strategy === "geo-distributed") {
    const paid = s.tenants.filter((t) => t.tier === "paid");
    const atSecondary = paid.filter((t) => t.home === "secondary").length;
    const atPrimary = paid.length - atSecondary;
    if (Math.abs(atPrimary - atSecondary) > 1) {
      ctx.addIssue({
        code: "custom",
        path: ["tenants"],
        input: `${atPrimary} + ${atSecondary}`,
        message: `geo-distributed keeps half the paid primaries on each site; ${atPrimary} are homed on primary and ${atSecondary} on secondary`,
      });
    }
  }
});
export type SqlSpec = z.output<typeof sqlSchema>;
