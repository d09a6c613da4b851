/**
 * The deployment facts: what the program decided for this stack (site, role, the peer's role,
 * promotion acknowledgments, RPO targets), registered as one dynamic resource so that stack
 * policies can judge the stack against it. Resource props alone cannot say which site is active.
 *
 * The contract between the program, which registers the record, and the policy pack, which
 * judges the stack against it; dependency-free, so both import it and the imports run one way
 * (components/ and policies/ both on top of contracts/), and the plan's markdown reads it
 * without the policy SDK.
 */

/** The `kind` input that marks the facts resource among the program's dynamic resources. */
export const FACTS_KIND = "paired-dr:deployment-facts";

/** The type tokens the policies read. */
export const TYPE = {
  dynamicResource: "pulumi-nodejs:dynamic:Resource",
  bucket: "gcp:storage/bucket:Bucket",
  bucketObject: "gcp:storage/bucketObject:BucketObject",
  dataprocCluster: "gcp:dataproc/cluster:Cluster",
  metastoreService: "gcp:dataproc/metastoreService:MetastoreService",
  schedulerJob: "gcp:cloudscheduler/job:Job",
  databricksJob: "databricks:index/job:Job",
  databricksCluster: "databricks:index/cluster:Cluster",
  instancePool: "databricks:index/instancePool:InstancePool",
  databricksWorkspace: "azure-native:databricks:Workspace",
  storageAccount: "azure-native:storage:StorageAccount",
  storageBlob: "azure-native:storage:Blob",
  sqlServer: "azure-native:sql:Server",
  sqlDatabase: "azure-native:sql:Database",
  sqlFailoverGroup: "azure-native:sql:FailoverGroup",
} as const;

export type Role = "active" | "passive";

/**
 * The SQL config that decides what the failover groups contain and which tenants are
 * geo-restored: a change to any of it writes to the groups (components/sql/plan.ts, sqlSettings).
 */
export interface SqlSettings {
  strategy: "budget" | "tiered" | "geo-distributed";
  databasesPerGroup: number;
  gracePeriodMinutes: number;
  /** How many tenants, and a digest of their IDs, tiers and homes in order. */
  tenants: number;
  tenantsDigest: string;
}

export interface RegionPair {
  region: string;
  peerRegion: string;
}

/** The inputs of the facts resource, exactly as the program registers them. */
export interface DeploymentFacts {
  kind: typeof FACTS_KIND;
  site: "primary" | "secondary";
  role: Role;
  promote: boolean;
  /** This stack's role at its last deployment; null on the first. */
  lastRole: Role | null;
  /** The one-promotion keys (./acknowledgments) set at this stack's last deployment; null on the first. */
  lastAcknowledgments: string[] | null;
  /** The fencing epoch (components/fence.ts) of this stack's last deployment; null if none. */
  lastEpoch: number | null;
  /**
   * The peer stack as its last deployment recorded it, read through a StackReference from the
   * state backend (which survives the loss of a region): its role, its acknowledgments and its
   * fencing epoch; null for a peer never deployed (the epoch also for one deployed before epochs).
   */
  peer: {
    role: Role | null;
    acknowledgments: string[] | null;
    epoch: number | null;
    /**
     * The final sync the peer recorded when it last stood down (components/workspace/finalSync.ts):
     * the epoch it ended, the copy jobs whose last run succeeded, and whether it took the
     * metastore's final backup; null when it recorded none.
     */
    finalSync: { epoch: number; jobs: string[]; metastoreBackup: boolean } | null;
    /**
     * The peer (the primary) recorded that it reprotected the tenants this site geo-restored:
     * its promotion fails their links back (components/sql/plan.ts, reprotectTenants).
     */
    sqlReprotected?: boolean;
  };
  regions: { azure: RegionPair; gcp: RegionPair };
  metastore: {
    standby: "hot" | "cold";
    rpoMinutes: number;
    backupEveryMinutes: number;
    restoreEveryMinutes: number;
    /** How long a restore run may restore before it fails (restore.timeoutMinutes). */
    restoreTimeoutMinutes: number;
  };
  /** Lake tables jobs write that nothing replicates (workspace.scratchTables: rebuildable). */
  lakeNotReplicated: string[];
  /** The copy jobs into the peer's lake: one per replicated table and landing folder. */
  lakeCopies: string[];
  /** This deployment stands the site down with a final sync of every copy (issue 15). */
  finalSync: boolean;
  /** This deployment stands the site down with a final metastore backup (issue 15). */
  metastoreFinalBackup: boolean;
  sql: {
    strategy: "budget" | "tiered" | "geo-distributed";
    failoverMode: "planned" | "forced";
    acknowledgeDataLoss: boolean;
    /** Failover groups this stack owns that wait for the peer's server and pool to exist. */
    awaitingPeer: string[];
    /** Tenants without a replica: geo-restored on promotion (trial tenants; all under budget). */
    geoRestoredTenants: number;
    /** The settings that shape the failover groups and the geo-restore, now. */
    settings: SqlSettings;
    /** The same, as this stack's last deployment recorded them; null when it recorded none. */
    lastSettings: SqlSettings | null;
    /** How this stack's recovered databases were made, as its last deployment recorded; null if none. */
    lastRecoveredBy?: "Secondary" | "Copy" | "Recovery" | null;
    /**
     * The release this deployment arms (sql.releaseRecoveredDatabases): the stateful resources it
     * registers unprotected, which the next deployment leaves out; null when it arms none.
     */
    release?: { mode: "retain" | "delete"; resources: string[] } | null;
  };
  /**
   * The drill this deployment runs on the passive standby (components/drill/plan.ts): its ID,
   * every resource it registers (by name), and among them its scratch: stateful types that are
   * deliberately unprotected, which turning the drill off deletes; null without one.
   */
  drill?: { id: string; resources: string[]; scratch: string[] } | null;
  gcsTurbo: boolean;
  allowSingleRegionStorage: boolean;
  promotion: { acceptColdStandbyRto: boolean; acknowledgeForcedFailover: boolean };
  rpoTargetsMinutes: {
    metastore: number;
    lake: number;
    sql: number;
    sqlGeoRestore: number;
    gcs: number;
  };
}

/** The part of a policy resource the pure helpers read. */
export interface ResourceLike {
  type: string;
  name: string;
  props: Record<string, any>;
}

/** The facts resource's props, or undefined when the stack registers none. */
export function findFacts(
  resources: readonly Pick<ResourceLike, "type" | "props">[],
): DeploymentFacts | undefined {
  const found = resources.find(
    (r) => r.type === TYPE.dynamicResource && r.props.kind === FACTS_KIND,
  );
  return found?.props as DeploymentFacts | undefined;
}
