import * as pulumi from "@pulumi/pulumi";
import type { SqlSettings } from "../contracts/facts";
import type { Role } from "./role";
import { RELEASE_MODES } from "../config/sqlSchema";
import { RECOVERY_MODES, type RecoveryMode, type ReleaseMode } from "./sql/plan";
import type { DrillSummary } from "./drill/plan";

/** The stack output this program writes for its own next deployment to read. */
export const DEPLOYMENT_OUTPUT = "deployment";

/**
 * A drained site's final sync (components/workspace/finalSync.ts): kept in its outputs while it
 * stays passive, so the standby's promotion can check it covers every copy.
 */
export interface FinalSyncRecord {
  /** The sync's key: drain-<site>-e<epoch>. */
  readonly key: string;
  /** The fencing epoch of the active period it ended. */
  readonly epoch: number;
  /** The copy jobs whose final run succeeded. */
  readonly jobs: readonly string[];
  /** Per replicated table, the source version its final deep clone copied. */
  readonly tables: Readonly<Record<string, number>>;
  /**
   * The metastore's final backup (workflows/metastore-final-backup.yaml), taken once its Hive
   * cluster stopped: projects/<p>/locations/<r>/services/<s>/backups/<id>. Absent without one.
   */
  readonly metastoreBackup?: string;
}

/** What a promotion's restore restores: a backup by name, nothing, or (empty) the newest. */
export interface PromotionSource {
  readonly backup?: string;
  readonly restoreNothing?: true;
}

function parsePromotionSource(v: unknown): PromotionSource | undefined {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  return {
    ...(typeof o.backup === "string" && BACKUP_NAME.test(o.backup) && { backup: o.backup }),
    ...(o.restoreNothing === true && { restoreNothing: true as const }),
  };
}

/** What a stack remembers of its last deployment. Empty on a stack's first deployment. */
export interface LastDeployment {
  readonly role?: Role;
  /** A metastore service existed on this site. Once true, a role flip never removes it. */
  readonly metastoreProvisioned?: boolean;
  /** This site restored its service once, when it was promoted. */
  readonly metastoreRestoredOnce?: boolean;
  /** Into what: the service the promotion created (cold), or the standby's own (hot). */
  readonly metastorePromotionRestore?: "new-service" | "standby";
  /**
   * What that restore was told (components/metastore/plan.ts promotionRestoreSource): the peer's
   * final backup by name, or nothing at all; kept while the site stays active.
   */
  readonly metastorePromotionSource?: PromotionSource;
  /** This site geo-restored the tenants that have no replica, and keeps them until released. */
  readonly sqlRecovered?: boolean;
  /**
   * How they were made: geo-secondaries of the drained peer's originals, failed over planned (or
   * copies of them, before links), or geo-restored (components/sql/plan.ts, recoveryMode).
   */
  readonly sqlRecoveredBy?: RecoveryMode;
  /**
   * This primary reprotected its tenants without a replica after the peer geo-restored them
   * (components/sql/plan.ts, reprotectTenants): each is a geo-secondary of the peer's copy, or
   * primary again once a promotion failed its link back. Kept until released.
   */
  readonly sqlReprotected?: readonly string[];
  /** The release this deployment armed (releasePhase): the next one with the same mode drops. */
  readonly sqlRelease?: ReleaseMode;
  /** The site's lake (storage account name): it exists once a deployment recorded it. */
  readonly lake?: string;
  /** The fencing epoch the deployment held (components/fence.ts). */
  readonly epoch?: number;
  /** The one-promotion keys (policies/promotion.ts) the deployment was made with. */
  readonly acknowledgments?: readonly string[];
  /** The final sync this site made when it last stood down, while it is still passive. */
  readonly finalSync?: FinalSyncRecord;
  /** The last drill on this standby (components/drill/plan.ts), kept after it is turned off. */
  readonly lastDrill?: DrillSummary;
  /**
   * The SQL resources the deployment registered: its server, the pools on it and the failover
   * groups it created. The peer creates a failover group only once these show the partner server
   * and a same-named pool, and holds a group only once its owner has created it.
   */
  readonly sql?: {
    readonly server: string;
    readonly pools: readonly string[];
    readonly failoverGroups: readonly string[];
    /** The settings it deployed with (components/sql/plan.ts, sqlSettings); absent before them. */
    readonly settings?: SqlSettings;
    /** The site's VNet with its private endpoint subnet, and (primary) the privatelink zone. */
    readonly vnet?: string;
    readonly privateDnsZone?: string;
    /** Every server (pair 0 first) with its pools, and where it placed the tenants it is home to. */
    readonly servers?: readonly { readonly server: string; readonly pools: readonly string[] }[];
    readonly placement?: Readonly<Record<string, string>>;
  };
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((e) => typeof e === "string") ? [...v] : undefined;

function parseSql(v: unknown): LastDeployment["sql"] {
  if (v === null || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  const pools = strings(o.pools);
  const failoverGroups = strings(o.failoverGroups);
  if (typeof o.server !== "string" || !pools || !failoverGroups) return undefined;
  const settings = parseSqlSettings(o.settings);
  return {
    server: o.server,
    pools,
    failoverGroups,
    ...(settings && { settings }),
    ...(typeof o.vnet === "string" && { vnet: o.vnet }),
    ...(typeof o.privateDnsZone === "string" && { privateDnsZone: o.privateDnsZone }),
    ...(parseServers(o.servers) && { servers: parseServers(o.servers) }),
    ...(parsePlacement(o.placement) && { placement: parsePlacement(o.placement) }),
  };
}

function parseServers(v: unknown): { server: string; pools: string[] }[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out = v.map((e) =>
    e && typeof e === "object" && typeof e.server === "string" && strings(e.pools)
      ? { server: e.server as string, pools: strings(e.pools)! }
      : undefined,
  );
  return out.every((e) => e !== undefined)
    ? (out as { server: string; pools: string[] }[])
    : undefined;
}

function parsePlacement(v: unknown): Record<string, string> | undefined {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.every(([, s]) => typeof s === "string")
    ? (Object.fromEntries(entries) as Record<string, string>)
    : undefined;
}

function parseFinalSync(v: unknown): FinalSyncRecord | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  const jobs = strings(o.jobs);
  const tables = o.tables;
  if (
    typeof o.key !== "string" ||
    !Number.isSafeInteger(o.epoch) ||
    !jobs ||
    tables === null ||
    typeof tables !== "object" ||
    Array.isArray(tables) ||
    !Object.values(tables).every((n) => Number.isSafeInteger(n))
  )
    return undefined;
  return {
    key: o.key,
    epoch: o.epoch as number,
    jobs,
    tables: { ...(tables as Record<string, number>) },
    ...(typeof o.metastoreBackup === "string" &&
      BACKUP_NAME.test(o.metastoreBackup) && { metastoreBackup: o.metastoreBackup }),
  };
}

function parseDrillSummary(v: unknown): DrillSummary | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  const rpo = (o.rpoMinutes ?? {}) as Record<string, unknown>;
  const minutes = (n: unknown) => (typeof n === "number" && n >= 0 ? n : null);
  if (
    typeof o.id !== "string" ||
    (o.at !== null && typeof o.at !== "string") ||
    (o.verdict !== "pass" && o.verdict !== "fail") ||
    typeof o.rtoMinutes !== "number"
  )
    return undefined;
  return {
    id: o.id,
    at: o.at as string | null,
    verdict: o.verdict,
    rpoMinutes: { metastore: minutes(rpo.metastore), lake: minutes(rpo.lake) },
    rtoMinutes: o.rtoMinutes,
  };
}

/** A Dataproc Metastore backup's resource name (metastore.proto, Backup.name). */
export const BACKUP_NAME =
  /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)\/backups\/[^/]+$/;

function parseSqlSettings(v: unknown): SqlSettings | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  const whole = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (
    (o.strategy !== "budget" && o.strategy !== "tiered" && o.strategy !== "geo-distributed") ||
    !whole(o.databasesPerGroup) ||
    !whole(o.gracePeriodMinutes) ||
    !whole(o.tenants) ||
    typeof o.tenantsDigest !== "string"
  )
    return undefined;
  return {
    strategy: o.strategy,
    databasesPerGroup: o.databasesPerGroup as number,
    gracePeriodMinutes: o.gracePeriodMinutes as number,
    tenants: o.tenants as number,
    tenantsDigest: o.tenantsDigest,
  };
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
    ...((v.metastorePromotionRestore === "new-service" ||
      v.metastorePromotionRestore === "standby") && {
      metastorePromotionRestore: v.metastorePromotionRestore,
    }),
    ...(parsePromotionSource(v.metastorePromotionSource) && {
      metastorePromotionSource: parsePromotionSource(v.metastorePromotionSource),
    }),
    ...(typeof v.sqlRecovered === "boolean" && { sqlRecovered: v.sqlRecovered }),
    ...(RECOVERY_MODES.includes(v.sqlRecoveredBy as RecoveryMode) && {
      sqlRecoveredBy: v.sqlRecoveredBy as RecoveryMode,
    }),
    ...(strings(v.sqlReprotected) && { sqlReprotected: strings(v.sqlReprotected) }),
    ...(RELEASE_MODES.includes(v.sqlRelease as ReleaseMode) && {
      sqlRelease: v.sqlRelease as ReleaseMode,
    }),
    ...(typeof v.lake === "string" && { lake: v.lake }),
    ...(Number.isSafeInteger(v.epoch) && (v.epoch as number) >= 0 && { epoch: v.epoch as number }),
    ...(strings(v.acknowledgments) && { acknowledgments: strings(v.acknowledgments) }),
    ...(parseSql(v.sql) && { sql: parseSql(v.sql) }),
    ...(parseFinalSync(v.finalSync) && { finalSync: parseFinalSync(v.finalSync) }),
    ...(parseDrillSummary(v.lastDrill) && { lastDrill: parseDrillSummary(v.lastDrill) }),
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
  return readDeployment("last-deployment", pulumi.getStack(), opts);
}

/**
 * The peer stack's last deployment, through a StackReference (both stacks are initialized before
 * the first deployment, so the reference resolves; a stack never deployed reads as empty). Always
 * read: the state backend survives the loss of the peer's region, and the promotion protocol and
 * the cross-stack ordering need what the peer last deployed.
 */
export async function readPeerDeployment(
  peer: string,
  opts?: pulumi.CustomResourceOptions,
): Promise<LastDeployment> {
  return readDeployment(`peer-${peer}`, peer, opts);
}

async function readDeployment(
  name: string,
  stack: string,
  opts?: pulumi.CustomResourceOptions,
): Promise<LastDeployment> {
  const ref = new pulumi.StackReference(
    name,
    { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}` },
    opts,
  );
  const details = await ref.getOutputDetails(DEPLOYMENT_OUTPUT);
  return parseLastDeployment(details.value ?? details.secretValue);
}
