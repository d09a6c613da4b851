import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as azure from "@pulumi/azure-native/provider";
import { loadConfig } from "./config/load";
import { ConfigError } from "./config/errors";
import { fenceEpoch } from "./components/fence";
import {
  DEPLOYMENT_OUTPUT,
  readLastDeployment,
  readPeerDeployment,
} from "./components/lastDeployment";
import {
  FACTS_RESOURCE,
  DeploymentFactsRecord,
  buildDeploymentFacts,
  configAcknowledgments,
} from "./components/deploymentFacts";
import { MetastorePair } from "./components/metastore/metastorePair";
import {
  BACKUPS_PREFIX,
  finalBackupKey,
  promotionRestoreSource,
} from "./components/metastore/plan";
import { drainRecord } from "./components/drain";
import { ElasticPoolPair, sqlRecord } from "./components/sql/elasticPoolPair";
import {
  recordedSql,
  recoveryMode,
  keepsLinkedCopies,
  recordedRecoveryMode,
  reprotectRoomProblems,
  reprotectTenants,
  restoreWaves,
  sqlPlacement,
  sqlRelease,
  sqlTransition,
} from "./components/sql/plan";
import { deriveRole, peerSite } from "./components/role";
import { DualRegionBucket, type ExpireLive } from "./components/dualRegionBucket";
import { carriedFinalSync, copyJobNames, finalSyncKey } from "./components/workspace/plan";
import { Workspace } from "./components/workspace/workspace";
import { decideDrill, drillMarkdown, drillReport, drillSummary } from "./components/drill/plan";
import { azureNames } from "./components/naming";

/**
 * The paired-dr program. The same code is deployed as stack `primary` and stack `secondary`;
 * `promote` (project-level) flips which one is active. Config is parsed once, before anything is
 * registered; the role is derived once and handed down as a plain value.
 */
export = async () => {
  const { config, repo } = loadConfig(__dirname);
  const role = deriveRole(config.site, config.promote);
  const last = await readLastDeployment();
  const peer = await readPeerDeployment(peerSite(config.site));
  // Where every tenant lives, sticky from the deployments before; refused before anything is
  // registered when a pool or server would exceed Azure's limits.
  const sqlPlaced = sqlPlacement(
    config.sql,
    config.site,
    last.sql?.placement,
    peer.sql?.placement,
    config.sql.rebalancePools,
  );
  if (sqlPlaced.problems.length) throw new ConfigError(sqlPlaced.problems);
  const crossSubscription =
    (config.azure.peerSubscriptionId ?? config.azure.subscriptionId) !==
    config.azure.subscriptionId;
  const release = sqlRelease(config.sql.releaseRecoveredDatabases, config.site, role, last, peer);
  const reprotect = reprotectTenants(config.sql, config.site, role, {
    peer,
    reprotected: last.sqlReprotected ?? [],
    release: release.phase,
    crossSubscription,
  });
  // The failback's stale originals need room in their pools: refused before anything is registered.
  const room = reprotectRoomProblems(config.sql, sqlPlaced.placement, reprotect);
  if (room.length) throw new ConfigError(room);
  // A drill runs on a standby deployed passive before, against a peer recorded active.
  const drilled = decideDrill(config.drill, {
    site: config.site,
    role,
    last,
    peerRole: peer.role,
    replication: config.workspace.replication,
    lake: {
      account: azureNames(config.prefix, config.site).lake,
      peerAccount: azureNames(config.prefix, peerSite(config.site)).lake,
      container: config.workspace.lake.container,
    },
  });
  if (drilled.problems.length) throw new ConfigError(drilled.problems);
  const drill = drilled.drill;

  const azureProvider = new azure.Provider("azure", {
    location: config.azure.region,
    subscriptionId: config.azure.subscriptionId,
    tenantId: config.azure.tenantId,
  });
  const gcpProvider = new gcp.Provider("gcp", {
    project: config.gcp.project,
    region: config.gcp.region,
  });
  const gcpRegions = [config.gcp.region, config.gcp.peerRegion] as const;

  const epoch = fenceEpoch(role, last, peer);
  const syncKey = finalSyncKey(
    config.site,
    role,
    last,
    peer.role,
    peer.lake !== undefined,
    copyJobNames(config.workspace.replication).length,
  );
  const workspace = new Workspace(
    "workspace",
    {
      site: config.site,
      role,
      prefix: config.prefix,
      azure: config.azure,
      spec: config.workspace,
      repo,
      tags: { platform: config.prefix, "managed-by": "pulumi" },
      peerLakeReady: peer.lake !== undefined,
      epoch,
      finalSyncKey: syncKey,
      drill,
    },
    { provider: azureProvider },
  );

  const sqlPair = new ElasticPoolPair(
    "sql",
    {
      site: config.site,
      role,
      prefix: config.prefix,
      azure: config.azure,
      spec: config.sql,
      recovered: last.sqlRecovered === true,
      // Outputs from before the mode was recorded: those databases were geo-restored.
      recoveryMode: recoveryMode(recordedRecoveryMode(last), peer.role, {
        forcedFailover: config.promotion.acknowledgeForcedFailover,
        crossSubscription,
      }),
      peerLinked: keepsLinkedCopies(peer),
      release,
      reprotect: { tenants: reprotect, epoch: peer.epoch ?? 0 },
      ...sqlTransition(role, last.role, peer.role),
      peer: recordedSql(peer),
      own: recordedSql(last),
      placement: sqlPlaced.placement,
      network: {
        vnetId: workspace.virtualNetworkId,
        privateEndpointSubnetId: workspace.privateEndpointSubnetId,
      },
      tags: { platform: config.prefix, "managed-by": "pulumi" },
    },
    { provider: azureProvider },
  );

  const bucket = (name: "warehouse" | "backup", expireLive: ExpireLive[] = []) =>
    new DualRegionBucket(
      name,
      {
        spec: config.storage.buckets[name],
        dualRegion: config.storage.dualRegion,
        regions: gcpRegions,
        site: config.site,
        labels: { platform: config.prefix },
        expireLive,
      },
      { provider: gcpProvider },
    );
  const warehouse = bucket("warehouse");
  // Every backup is a folder of objects, 96 a day at the default interval: old ones go.
  const backup = bucket("backup", [
    { prefix: BACKUPS_PREFIX, days: config.metastore.backupRetentionDays },
  ]);

  const backupKey = finalBackupKey(config.site, role, last, peer.role);
  const promotionSource = promotionRestoreSource(
    last,
    peer,
    config.promotion.acknowledgeForcedFailover,
  );
  const metastore = new MetastorePair(
    "metastore",
    {
      site: config.site,
      role,
      prefix: config.prefix,
      gcp: config.gcp,
      spec: config.metastore,
      warehouseBucket: warehouse,
      backupBucket: backup,
      last,
      epoch,
      finalBackupKey: backupKey,
      promotionSource,
      projectDir: __dirname,
      ...(drill && { drill: { id: drill.id, key: drill.key } }),
      labels: { platform: config.prefix },
    },
    { provider: gcpProvider },
  );

  const bucketOutputs = (b: DualRegionBucket) => ({
    name: b.name,
    url: b.url,
    location: b.location,
    owned: b.owned,
  });

  const awaitingPeer = sqlPair.plan.failoverGroups
    .map((g) => g.name)
    .filter((g) => !sqlPair.failoverGroupsCreated.includes(g));
  // What the drain synced: the lake's copies and the metastore's backup, whichever it made.
  const drained =
    workspace.finalSync || metastore.finalBackup
      ? pulumi
          .all([workspace.finalSync, metastore.finalBackup])
          .apply(([lake, backup]) =>
            drainRecord(lake, backupKey ? { key: backupKey, epoch, backup } : undefined),
          )
      : undefined;
  const finalSync = drained ?? carriedFinalSync(role, last);
  // The drill's report, from what its two runs returned; its summary outlives the drill.
  const report =
    drill &&
    pulumi
      .all([metastore.drillRestore ?? "", workspace.drillRun])
      .apply(([restoreResult, lakeRun]) =>
        drillReport({
          drill,
          site: config.site,
          metastoreRpoMinutes: config.metastore.rpoMinutes,
          restoreResult,
          lakeRun,
        }),
      );
  const facts = buildDeploymentFacts(
    config,
    role,
    last,
    peer,
    awaitingPeer,
    { lake: syncKey !== undefined, metastore: backupKey !== undefined },
    release.phase === "arm" ? { mode: release.mode, resources: [...sqlPair.releasing] } : null,
    drill
      ? {
          id: drill.id,
          resources: [...metastore.drillResources, ...workspace.drillResources],
          scratch: [...metastore.drillScratch],
        }
      : null,
  );
  new DeploymentFactsRecord(FACTS_RESOURCE, facts);

  return {
    site: config.site,
    peerSite: peerSite(config.site),
    role,
    promote: config.promote,
    regions: facts.regions,
    workspace: {
      url: workspace.workspaceUrl,
      lakeUrl: workspace.lakeUrl,
      peerLakeUrl: workspace.peerLakeUrl,
      keyVaultUri: workspace.keyVaultUri,
    },
    buckets: { warehouse: bucketOutputs(warehouse), backup: bucketOutputs(backup) },
    metastore: {
      serviceId: metastore.serviceId,
      provisioned: metastore.decision.service,
      endpointUri: metastore.endpointUri,
      backupLocation: metastore.backupLocation,
      restoreFrom: metastore.restoreFrom,
      restoreSchedule: metastore.decision.restoreSchedule,
      // A cold promotion's restore: the backup, its age, and whether it breaches the RPO.
      promotionRestore: metastore.promotionRestore,
    },
    // A drill's report (npm run status -- --drill-report DIR writes it as JSON and markdown).
    ...(report && { drill: { report, markdown: report.apply(drillMarkdown) } }),
    sql: {
      server: sqlPair.serverName,
      serverFqdn: sqlPair.serverFqdn,
      strategy: config.sql.strategy,
      failoverGroupsOwned: sqlPair.failoverGroupsCreated,
      holds: sqlPair.holdsRegistered,
      recovering: sqlPair.plan.recovery?.databases.length ?? 0,
      // Azure geo-restores 4 databases at once per pool: the waves this promotion waits for.
      geoRestoreWaves: restoreWaves(sqlPair.plan.recovery?.databases ?? []),
    },
    // Read back by this stack's next deployment (components/lastDeployment.ts).
    [DEPLOYMENT_OUTPUT]: {
      role,
      metastoreProvisioned: metastore.decision.service,
      metastoreRestoredOnce: metastore.decision.restoreOnce,
      ...(metastore.decision.promotionRestore !== "none" && {
        metastorePromotionRestore: metastore.decision.promotionRestore,
        metastorePromotionSource: promotionSource,
      }),
      sqlRecovered: sqlPair.plan.recovery !== undefined,
      ...(sqlPair.plan.recovery && { sqlRecoveredBy: sqlPair.recoveryMode }),
      ...(sqlPair.reprotected.length > 0 && { sqlReprotected: [...sqlPair.reprotected] }),
      ...(release.phase === "arm" && { sqlRelease: release.mode }),
      lake: workspace.lakeAccountName,
      epoch,
      acknowledgments: configAcknowledgments(config),
      // A drained site keeps what its final sync copied until it is active again.
      ...(finalSync && { finalSync }),
      // The last drill's date, verdict and measured RPO and RTO, kept once it is turned off.
      ...(report
        ? { lastDrill: report.apply(drillSummary) }
        : last.lastDrill && { lastDrill: last.lastDrill }),
      // What this deployment decided from, beyond its config: its role before and the role it
      // read for the peer (tools/runbook replays a deployment from its outputs with them).
      previous: {
        role: last.role ?? null,
        peerRole: peer.role ?? null,
        epoch: last.epoch ?? null,
        peerEpoch: peer.epoch ?? null,
      },
      sql: sqlRecord({
        prefix: config.prefix,
        site: config.site,
        subscriptionId: config.azure.subscriptionId,
        spec: config.sql,
        plan: sqlPair.plan,
        placement: sqlPlaced.placement,
        failoverGroups: sqlPair.failoverGroupsCreated,
      }),
    },
  };
};
