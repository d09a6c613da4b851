import type { CapturedResource } from "../plan/capture";
import type { PlanDiff } from "../plan/diff";
import { TYPE, findFacts } from "../../contracts/facts";
import {
  SITES,
  deployedRole,
  fenceCheck,
  fenceOf,
  finalSyncOf,
  lakeModel,
  LINK_PREFIX,
  linkKey,
  metastoreModel,
  peerOf,
  type Deployed,
  type Fault,
  type Platform,
  type Site,
} from "./model";

/**
 * What a successful `pulumi up` does on the clouds beyond registering resources, and the rules by
 * which the clouds refuse it. A refused step fails as the cloud would (the rule is named) and
 * leaves the stack's deployed state as it was.
 */

export interface Failover {
  /** The failover group, or the database of a geo-replication link (`database`). */
  readonly group: string;
  /** Set for a geo-replication link's failover: the database. */
  readonly database?: string;
  readonly from: Site;
  readonly to: Site;
  readonly mode: "planned" | "forced";
}

export interface CloudEffects {
  readonly failovers: Failover[];
  /** Metastore restores the step runs and awaits (a promotion's). */
  readonly restores: string[];
  /** The final sync the step ran and awaited (a stand-down's), whether or not it succeeded. */
  readonly finalSync?: { readonly key: string; readonly jobs: readonly string[] };
  /** What the step ran and awaited, said once per step (final syncs). */
  readonly syncs: string[];
  /** The resource of a final sync that failed (the deployment stops there), by URN. */
  readonly failedSync?: string;
  /** Why the cloud refuses the step; empty when it goes through. */
  readonly errors: string[];
  readonly groupPrimary: Record<string, Site>;
}

const last = (id: unknown) => String(id).split("/").pop()!;

const inputs = (r: CapturedResource) => r.inputs as Record<string, any>;
const isHold = (r: CapturedResource) =>
  r.type === TYPE.dynamicResource && typeof inputs(r).failoverGroupId === "string";
const isLinkHold = (r: CapturedResource) =>
  r.type === TYPE.dynamicResource &&
  typeof inputs(r).databaseId === "string" &&
  typeof inputs(r).partnerServer === "string";
const isReprotect = (r: CapturedResource) =>
  r.type === TYPE.dynamicResource &&
  typeof inputs(r).databaseId === "string" &&
  typeof inputs(r).staleName === "string";
const isWorkflowRun = (r: CapturedResource) =>
  r.type === TYPE.dynamicResource &&
  inputs(r).workflow !== undefined &&
  inputs(r).target !== undefined;

const touched = (diff: PlanDiff | undefined, kind: "created" | "updated") =>
  new Set(
    kind === "created"
      ? (diff?.created ?? []).map((r) => r.urn)
      : (diff?.updated ?? []).map((u) => u.resource.urn),
  );

/** Strings anywhere in a value. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((e) => strings(e, out));
  else if (v && typeof v === "object") Object.values(v).forEach((e) => strings(e, out));
  return out;
}

/**
 * Applies a deployment of `site` (its new resources `next`, the change `diff`) to the platform.
 */
export function deployEffects(
  p: Platform,
  site: Site,
  next: Deployed,
  diff: PlanDiff | undefined,
  fault?: Fault,
): CloudEffects {
  const errors: string[] = [];
  const failovers: Failover[] = [];
  const groupPrimary = { ...p.groupPrimary };
  const peer = p.stacks[peerOf(site)].deployed;
  const peerResources = peer?.resources ?? [];
  const created = touched(diff, "created");
  const updated = touched(diff, "updated");
  const mine = next.resources;

  // Failover groups. Creating one needs the partner server and, for pooled databases, an elastic
  // pool of the same name on it (sql-docs failover-group-sql-db.md: "the secondary server
  // contains an elastic pool with the same exact name"; errors ServerNotFound,
  // ResourcePoolNotFound in FailoverGroups.json). The server it is created on starts as primary.
  // Updates and deletes go to the primary (FailoverGroupUpdateOrDeleteRequestOnSecondary).
  for (const g of mine.filter((r) => r.type === TYPE.sqlFailoverGroup)) {
    const name = String(inputs(g).failoverGroupName);
    if (created.has(g.urn)) {
      const partner = last(inputs(g).partnerServers?.[0]?.id);
      const partnerExists = peerResources.some(
        (r) => r.type === TYPE.sqlServer && inputs(r).serverName === partner,
      );
      if (!partnerExists) {
        errors.push(
          `ServerNotFound: failover group ${name} needs partner server ${partner}, which ${peerOf(site)}'s deployed state does not have`,
        );
        continue;
      }
      const pools = new Set(
        (inputs(g).databases as string[])
          .map((id) =>
            mine.find((d) => d.type === TYPE.sqlDatabase && inputs(d).databaseName === last(id)),
          )
          .map((d) => (d ? inputs(d).elasticPoolId : undefined))
          .filter((id): id is string => typeof id === "string")
          .map(last),
      );
      for (const pool of pools) {
        const onPartner = peerResources.some(
          (r) =>
            r.type === "azure-native:sql:ElasticPool" &&
            inputs(r).serverName === partner &&
            inputs(r).elasticPoolName === pool,
        );
        if (!onPartner)
          errors.push(
            `ResourcePoolNotFound: failover group ${name} needs elastic pool '${pool}' on partner server ${partner}, which ${peerOf(site)}'s deployed state does not have`,
          );
      }
      groupPrimary[name] = site;
    } else if (updated.has(g.urn) && groupPrimary[name] !== site) {
      errors.push(
        `FailoverGroupUpdateOrDeleteRequestOnSecondary: ${site} updates failover group ${name}, whose primary is ${groupPrimary[name] ?? "unknown"}`,
      );
    }
  }

  // Failovers by the holds. The call goes to the server that becomes primary; a planned failover
  // synchronizes first and "is only possible when the primary is accessible"; a forced one works
  // with the primary down (sql-docs, includes/failover-group-terminology.md). A group that does
  // not exist answers 404 ResourceNotFound.
  // A hold that stays is read on refresh (the README's deployments run `pulumi up --refresh`):
  // finding its group primary elsewhere, its update refuses.
  for (const h of mine.filter(isHold)) {
    const group = last(inputs(h).failoverGroupId);
    const primary = groupPrimary[group];
    if (primary === undefined) {
      if (created.has(h.urn) || updated.has(h.urn))
        errors.push(
          `ResourceNotFound: ${site} holds failover group ${group}, which does not exist`,
        );
      continue;
    }
    if (primary === site) continue;
    // Only a hold's create fails a group over; an update finding another primary refuses
    // (components/sql/failover/hold.ts, notHeldMessage).
    if (!created.has(h.urn)) {
      errors.push(
        `${site}'s hold of failover group ${group} finds ${primary} primary: a deployment that is not a promotion never moves a group; promote ${primary}, or fail the group back by hand and deploy again`,
      );
      continue;
    }
    const mode = inputs(h).mode === "forced" ? "forced" : "planned";
    if (mode === "planned" && !p.stacks[primary].reachable) {
      errors.push(
        `planned failover of ${group} onto ${site} needs its primary (${primary}) online, and ${primary}'s region is down; only sql.failover.mode: forced can fail it over`,
      );
      continue;
    }
    failovers.push({ group, from: primary, to: site, mode });
    groupPrimary[group] = site;
  }

  // Geo-replication links of tenant databases outside the groups. A geo-secondary (createMode
  // Secondary) is seeded from its primary, which must exist and be online; its link starts with
  // the source as primary (sql-docs, active-geo-replication-overview.md).
  const dbs = (resources: readonly CapturedResource[]) =>
    new Set(
      resources
        .filter((r) => r.type === TYPE.sqlDatabase)
        .map((r) => String(inputs(r).databaseName)),
    );
  const peerDbs = dbs(peerResources);
  for (const d of mine.filter(
    (r) =>
      r.type === TYPE.sqlDatabase && created.has(r.urn) && inputs(r).createMode === "Secondary",
  )) {
    const db = String(inputs(d).databaseName);
    const source = last(inputs(d).sourceDatabaseId);
    if (!peerDbs.has(source))
      errors.push(
        `DatabaseDoesNotExist: ${site}'s geo-secondary ${db} is seeded from ${peerOf(site)}'s ${source}, which its deployed state does not have`,
      );
    else if (!p.stacks[peerOf(site)].reachable)
      errors.push(
        `seeding geo-secondary ${db} needs its primary on ${peerOf(site)} online, and ${peerOf(site)}'s region is down`,
      );
    else groupPrimary[linkKey(db)] = peerOf(site);
  }
  // A reprotect renames the stale original aside and makes the tenant's name a geo-secondary of
  // the peer's copy, seeded from it: the same rules (components/sql/failover/reprotect.ts).
  for (const r of mine.filter((x) => isReprotect(x) && created.has(x.urn))) {
    const db = last(inputs(r).databaseId);
    if (!peerDbs.has(db))
      errors.push(
        `DatabaseDoesNotExist: ${site}'s reprotect of ${db} seeds it from ${peerOf(site)}'s copy, which its deployed state does not have`,
      );
    else if (!p.stacks[peerOf(site)].reachable)
      errors.push(
        `reprotecting ${db} seeds it from its copy on ${peerOf(site)}, and ${peerOf(site)}'s region is down`,
      );
    else groupPrimary[linkKey(db)] = peerOf(site);
  }
  // A link hold fails its link over when created (planned: synchronized first, the primary
  // online); a database with no link is its own primary (components/sql/failover/replica.ts).
  for (const h of mine.filter(isLinkHold)) {
    const db = last(inputs(h).databaseId);
    const primary = groupPrimary[linkKey(db)];
    if (primary === undefined || primary === site) continue;
    if (!created.has(h.urn)) {
      errors.push(
        `${site}'s hold of ${db}'s geo-replication link finds ${primary} primary: a deployment that is not a promotion never moves a link; promote ${primary}, or fail the link back by hand and deploy again`,
      );
      continue;
    }
    const mode = inputs(h).mode === "forced" ? "forced" : "planned";
    if (mode === "planned" && !p.stacks[primary].reachable) {
      errors.push(
        `planned geo-failover of ${db} onto ${site} needs its primary (${primary}) online, and ${primary}'s region is down; only sql.failover.mode: forced can fail it over`,
      );
      continue;
    }
    failovers.push({
      group: `${db} (geo-replication link)`,
      database: db,
      from: primary,
      to: site,
      mode,
    });
    groupPrimary[linkKey(db)] = site;
  }
  // A link ends with either of its databases (deleting a geo-secondary ends its link).
  const mineDbs = dbs(mine);
  for (const key of Object.keys(groupPrimary).filter((k) => k.startsWith(LINK_PREFIX))) {
    const db = key.slice(LINK_PREFIX.length);
    if (!mineDbs.has(db) || !peerDbs.has(db)) delete groupPrimary[key];
  }

  // The secondary names the buckets the primary owns: they must exist (GCS answers 404).
  const buckets = new Set(
    [...mine, ...peerResources]
      .filter((r) => r.type === TYPE.bucket)
      .map((r) => String(inputs(r).name)),
  );
  const named = new Set<string>();
  for (const r of mine.filter((x) => x.type.startsWith("gcp:") && x.type !== TYPE.bucket)) {
    for (const s of strings(r.inputs))
      for (const m of s.matchAll(/gs:\/\/([a-z0-9_.-]+)/g)) named.add(m[1]!);
    if (r.type === "gcp:storage/bucketIAMMember:BucketIAMMember" || r.type === TYPE.bucketObject)
      named.add(String(inputs(r).bucket));
  }
  for (const b of [...named].sort())
    if (!buckets.has(b))
      errors.push(`404 bucket ${b}: ${site} names it, but no deployed stack has created it`);

  // Azure resources named by ARM ID across the pair: the privatelink zone a DNS zone group
  // registers in, and the VNet a zone link points at, must exist (404 otherwise).
  const armKey = (id: string) => {
    const m = /\/resourceGroups\/([^/]+)\/providers\/[^/]+\/[^/]+\/([^/]+)$/i.exec(id);
    return m ? `${m[1]}/${m[2]}` : id;
  };
  const existing = (type: string, nameKey: string) =>
    new Set(
      [...mine, ...peerResources]
        .filter((r) => r.type === type)
        .map((r) => `${inputs(r).resourceGroupName}/${inputs(r)[nameKey]}`),
    );
  const zones = existing("azure-native:privatedns:PrivateZone", "privateZoneName");
  const vnets = existing("azure-native:network:VirtualNetwork", "virtualNetworkName");
  for (const r of mine.filter((x) => created.has(x.urn))) {
    if (r.type === "azure-native:network:PrivateDnsZoneGroup")
      for (const c of inputs(r).privateDnsZoneConfigs ?? [])
        if (typeof c.privateDnsZoneId === "string" && !zones.has(armKey(c.privateDnsZoneId)))
          errors.push(
            `ResourceNotFound: ${site}'s ${r.name} registers in DNS zone ${armKey(c.privateDnsZoneId)}, which no deployed stack has created`,
          );
    if (r.type === "azure-native:privatedns:VirtualNetworkLink") {
      const id = inputs(r).virtualNetwork?.id;
      if (typeof id === "string" && id.startsWith("/") && !vnets.has(armKey(id)))
        errors.push(
          `ResourceNotFound: ${site}'s ${r.name} links VNet ${armKey(id)}, which no deployed stack has created`,
        );
    }
  }

  // A deep clone into a lake that does not exist fails every run.
  const lakes = new Set([...lakeModel(next).accounts, ...lakeModel(peer).accounts]);
  for (const j of lakeModel(next).jobs.filter((x) => x.runs && x.replication))
    for (const a of j.writes)
      if (!lakes.has(a))
        errors.push(
          `deep clone ${j.name} targets lake ${a}, which does not exist: every run fails`,
        );

  // A standby's service that turns its backups on (a promotion) while its scheduled restores may
  // still run: the API refuses any update while a restore holds the service UPDATING
  // (metastore.proto, Service.State), and a restore that ends after the promotion overwrites what
  // the promoted site has written since. The promotion's run must come first, ordered before the
  // service: it pauses the schedule, cancels the run in flight and waits for an idle service
  // (components/metastore/workflowRun.ts, workflows/metastore-restore.yaml waitForIdle).
  if (metastoreModel(p.stacks[site].deployed).restoring)
    for (const service of mine.filter(
      (r) =>
        r.type === TYPE.metastoreService &&
        updated.has(r.urn) &&
        inputs(r).scheduledBackup?.enabled === true,
    )) {
      const quiesced = mine.some(
        (r) =>
          isWorkflowRun(r) &&
          created.has(r.urn) &&
          Boolean(inputs(r).quiesceSchedule) &&
          service.dependencies.includes(r.urn),
      );
      if (!quiesced)
        errors.push(
          `FAILED_PRECONDITION: ${site}'s metastore service ${inputs(service).serviceId} turns its backups on while its scheduled restores may still run: the update is refused while a restore holds the service UPDATING, and a restore ending after the promotion overwrites the promoted site's metadata; nothing pauses the schedule, cancels the restore in flight and waits for it first`,
        );
    }

  // A stand-down's final sync (components/workspace/finalSync.ts) runs when its key is new: it
  // cancels the writers' runs and waits until none is active, then runs each copy once more and
  // waits for it. The copies read the fences while the site's own record still says active (it
  // is written after the sync) and the peer's says passive; they write the peer's lake, which an
  // outage makes unreachable. Any of these fails the deployment, naming the job.
  const sync = finalSyncOf(next);
  const syncRuns = sync !== undefined && sync.key !== finalSyncOf(p.stacks[site].deployed)?.key;
  const syncs: string[] = [];
  let failedSync: string | undefined;
  if (sync && syncRuns) {
    const errorsBefore = errors.length;
    const label = `final sync ${sync.key}`;
    const copy = sync.jobs[0] ?? "(no copy)";
    const peerSite = peerOf(site);
    const fence = fenceCheck(
      "replication",
      site,
      fenceOf(p.stacks[site].deployed),
      p.stacks[peerSite].reachable && peer ? fenceOf(peer) : "unreadable",
    );
    if (fault === "writer-keeps-running")
      errors.push(
        `${label}: ${sync.writers[0] ?? "a writer"} still has an active run ${sync.timeoutSeconds}s after it was cancelled; nothing is copied while a writer runs`,
      );
    else if (!p.stacks[peerSite].reachable)
      errors.push(
        `${label}: ${copy} ended TERMINATED RUN_EXECUTION_ERROR: ${peerSite}'s lake cannot be reached, its region is down`,
      );
    else if (!fence.allowed)
      errors.push(`${label}: ${copy} ended TERMINATED RUN_EXECUTION_ERROR: ${fence.reason}`);
    else if (fault === "copy-fails")
      errors.push(`${label}: ${copy} ended TERMINATED RUN_EXECUTION_ERROR`);
    if (errors.length > errorsBefore) failedSync = sync.urn;
    else
      syncs.push(
        `${site}: ${sync.key} stopped ${sync.writers.length} writers, then ran ${sync.jobs.length} copies once more into ${peerSite}'s lake`,
      );
  }

  const runs = mine.filter((r) => isWorkflowRun(r) && created.has(r.urn));
  // A drain's final backup (workflows/metastore-final-backup.yaml): the Hive cluster's fence
  // stops it (both records passive), then the service is backed up under the drain's key.
  for (const r of runs.filter((r) => inputs(r).argument?.backupId))
    syncs.push(
      `${site}: ${inputs(r).argument.backupId} stopped the Hive cluster, then backed the metastore up`,
    );
  // A drill's run restores into its scratch service, never into the site's own.
  const drill = new Set(
    findFacts(mine.map((r) => ({ type: r.type, props: inputs(r) })))?.drill?.resources ?? [],
  );
  const restores = runs
    .filter((r) => !inputs(r).argument?.backupId)
    .map((r) =>
      drill.has(r.name)
        ? `${site}: ${r.name} restores the newest completed backup once into the drill's scratch service ${String(inputs(r).target).split("/").pop()}`
        : `${site}: ${r.name} ${inputs(r).quiesceSchedule ? "stops the scheduled restores, waits for any in flight, then restores" : "restores"} ${inputs(r).argument?.restoreNothing ? `nothing (${peerOf(site)} was not promoted since ${site} was active)` : `${inputs(r).argument?.backup ? `${peerOf(site)}'s final backup ${String(inputs(r).argument.backup).split("/").pop()}` : "the newest completed backup"} once`}`,
    );
  return {
    failovers,
    restores,
    errors,
    groupPrimary,
    syncs,
    ...(sync && syncRuns && { finalSync: { key: sync.key, jobs: sync.jobs } }),
    ...(failedSync && { failedSync }),
  };
}

/**
 * Each failover group's and geo-replication link's primary as the last deployments left it: the
 * site whose deployment holds it (its FailoverGroupPrimary or ReplicaPrimary made that server
 * primary when it was deployed), else the site that created it (the server a group is created on
 * starts as primary; a link starts with the geo-secondary's source as primary). Should both sites hold a
 * group, the one recorded active asserted it last.
 */
export function heldGroupPrimaries(stacks: Platform["stacks"]): Record<string, Site> {
  const out: Record<string, Site> = {};
  for (const site of SITES)
    for (const g of (stacks[site].deployed?.resources ?? []).filter(
      (r) => r.type === TYPE.sqlFailoverGroup,
    ))
      out[String(inputs(g).failoverGroupName)] ??= site;
  const holdersLastActive = [...SITES].sort(
    (a, b) =>
      Number(deployedRole(stacks[a].deployed) === "active") -
      Number(deployedRole(stacks[b].deployed) === "active"),
  );
  // A geo-secondary's link starts with its source as primary; a link hold made its own primary.
  for (const site of SITES)
    for (const d of (stacks[site].deployed?.resources ?? []).filter(
      (r) => r.type === TYPE.sqlDatabase && inputs(r).createMode === "Secondary",
    ))
      out[linkKey(String(inputs(d).databaseName))] ??= peerOf(site);
  for (const site of SITES)
    for (const r of (stacks[site].deployed?.resources ?? []).filter(isReprotect))
      out[linkKey(last(inputs(r).databaseId))] ??= peerOf(site);
  for (const site of holdersLastActive)
    for (const h of stacks[site].deployed?.resources ?? []) {
      if (isHold(h)) out[last(inputs(h).failoverGroupId)] = site;
      // A hold over a database with no link (a geo-restored one) holds nothing.
      const key = isLinkHold(h) ? linkKey(last(inputs(h).databaseId)) : undefined;
      if (key !== undefined && out[key] !== undefined) out[key] = site;
    }
  return out;
}
