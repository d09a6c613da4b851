import type { SqlManagementClient } from "@azure/arm-sql";

/**
 * The SQL estate's replication state, read through ARM with the official client (issue 14):
 * each failover group's primary and replication state, each of its databases' replication link,
 * and, for the tenants without a replica, what a geo-restore would lose now (the last
 * geo-replicated backup, `recoverableDatabases`). Read-only.
 */

export interface GroupState {
  readonly group: string;
  /** The server the group was read from, and its role in the group. */
  readonly server: string;
  readonly role: string;
  /** The group's replication state as ARM reports it (CATCH_UP, PENDING, SEEDING, SUSPENDED). */
  readonly replicationState: string | null;
  readonly partners: readonly string[];
  readonly databases: number;
}

const last = (id: string) => id.split("/").pop()!;

/** A failover group as seen from one of its servers (FailoverGroups_Get). */
export async function groupState(
  client: SqlManagementClient,
  resourceGroup: string,
  server: string,
  group: string,
  signal: AbortSignal,
): Promise<GroupState> {
  const g = await client.failoverGroups.get(resourceGroup, server, group, { abortSignal: signal });
  return {
    group,
    server,
    role: g.replicationRole ?? "unknown",
    replicationState: g.replicationState ?? null,
    partners: (g.partnerServers ?? []).map((p) => last(p.id ?? "")),
    databases: (g.databases ?? []).length,
  };
}

export interface LinkState {
  readonly database: string;
  readonly partnerServer: string | null;
  /** This database's role in the link (Primary, Secondary). */
  readonly role: string | null;
  /** PENDING, SEEDING or CATCH_UP (ReplicationLinks.json, ReplicationState). */
  readonly replicationState: string | null;
}

/** Each database's replication links (ReplicationLinks_ListByDatabase), `limit` databases at a time. */
export async function linkStates(
  client: SqlManagementClient,
  resourceGroup: string,
  server: string,
  databases: readonly string[],
  limit: number,
  signal: AbortSignal,
): Promise<LinkState[]> {
  const per = await mapBounded(databases, limit, async (database) => {
    const links: LinkState[] = [];
    for await (const l of client.replicationLinks.listByDatabase(resourceGroup, server, database, {
      abortSignal: signal,
    }))
      links.push({
        database,
        partnerServer: l.partnerServer ?? null,
        role: l.role ?? null,
        replicationState: l.replicationState ?? null,
      });
    return links.length
      ? links
      : [{ database, partnerServer: null, role: null, replicationState: null }];
  });
  return per.flat();
}

export interface GeoRestoreExposure {
  readonly database: string;
  /** The last geo-replicated backup a geo-restore would start from. */
  readonly lastAvailableBackupDate: string | null;
  /** Minutes of writes a geo-restore now would lose; null without a backup yet. */
  readonly minutesLost: number | null;
}

/**
 * What a geo-restore of each database would lose now: one listing of the server's recoverable
 * databases (RecoverableDatabases_ListByServer), whatever the number of tenants.
 */
export async function geoRestoreExposure(
  client: SqlManagementClient,
  resourceGroup: string,
  server: string,
  databases: readonly string[],
  now: Date,
  signal: AbortSignal,
): Promise<GeoRestoreExposure[]> {
  const backups = new Map<string, Date>();
  for await (const r of client.recoverableDatabases.listByServer(resourceGroup, server, {
    abortSignal: signal,
  }))
    if (r.name && r.lastAvailableBackupDate) backups.set(r.name, r.lastAvailableBackupDate);
  return databases.map((database) => {
    const at = backups.get(database);
    return {
      database,
      lastAvailableBackupDate: at ? at.toISOString() : null,
      minutesLost: at ? Math.max(0, (now.getTime() - at.getTime()) / 60_000) : null,
    };
  });
}

/** `f` over `items`, at most `limit` at once, results in the items' order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  f: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
