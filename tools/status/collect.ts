import type { SqlManagementClient } from "@azure/arm-sql";
import type { ContainerClient } from "@azure/storage-blob";
import { fenceAgreement, readLakeFence, type FenceAgreement } from "./fences";
import { bucketReplication, type BucketReplication } from "./gcs";
import { retrying, type JsonGet, type ReadBounds } from "./google";
import {
  LakeDataError,
  cloneOf,
  commitAt,
  newestCommit,
  readLedger,
  tableLag,
  type TableLag,
} from "./lake";
import { retryable } from "../../components/googleCalls";
import { newestCompletedBackup, type RestoreRun } from "./metastore";
import {
  exitStatus,
  gcsStatus,
  geoRestoreStatus,
  lakeStatus,
  metastoreStatus,
  sqlStatus,
  type ClassStatus,
  type MetastoreReading,
} from "./report";
import {
  geoRestoreExposure,
  groupState,
  linkStates,
  mapBounded,
  type GeoRestoreExposure,
  type GroupState,
  type LinkState,
} from "./sql";
import type { StatusTargets } from "./targets";
import { SQL_FAILOVER_GROUP_RPO_MINUTES } from "../../policies/rpo";

/**
 * Reads every source the targets name, a bounded number at once, each under its own deadline,
 * and never stops at the first failure: a source that cannot be read is named with why, and
 * the rest is reported. Read-only: every call is a GET or a listing.
 */

/** The clients, built by the caller with the identity it resolved (the CLI) or against test servers. */
export interface StatusClients {
  lakeContainer(account: string, container: string): ContainerClient;
  sql(subscriptionId: string): SqlManagementClient;
  /** Cloud Storage JSON API reads. */
  storage: JsonGet;
  lastRestore(workflow: string): Promise<RestoreRun | null>;
}

export interface StatusOptions {
  readonly now: Date;
  /** Requests in flight at most, per kind of source. */
  readonly concurrency: number;
  /** Each source's own limit. */
  readonly sourceTimeoutMs: number;
  /** Each request's limit and retries (the lakes'; the clients carry their own). */
  readonly bounds: ReadBounds;
  readonly requireSynced: boolean;
}

export interface StatusReport {
  readonly generatedAt: string;
  readonly sites: StatusTargets["sites"];
  readonly active: StatusTargets["active"];
  readonly measured: StatusTargets["measured"];
  readonly drained: StatusTargets["drained"];
  readonly problems: readonly string[];
  readonly classes: readonly ClassStatus[];
  readonly lake: { readonly tables: readonly TableLag[]; readonly notProtected: readonly string[] };
  readonly metastore: MetastoreReading | null;
  readonly sql: {
    readonly groups: readonly GroupState[];
    readonly links: readonly LinkState[];
    readonly geoRestore: readonly GeoRestoreExposure[];
  };
  readonly gcs: readonly BucketReplication[];
  readonly fences: readonly FenceAgreement[];
  readonly exit: 0 | 1 | 4;
}

/** An error in one line: the storage SDK's RestError often has an empty message, and says it in its status and code. */
export function why(e: unknown): string {
  const o = e as { message?: unknown; statusCode?: unknown; code?: unknown } | undefined;
  const message = typeof o?.message === "string" ? o.message.split("\n")[0]!.trim() : "";
  const status = typeof o?.statusCode === "number" ? `HTTP ${o.statusCode}` : "";
  const code = typeof o?.code === "string" && !message.includes(o.code) ? o.code : "";
  return [status, code, message].filter(Boolean).join(" ").slice(0, 500) || String(e);
}

export async function collectStatus(
  targets: StatusTargets,
  clients: StatusClients,
  options: StatusOptions,
): Promise<StatusReport> {
  const { now, concurrency, bounds } = options;
  /**
   * One source within its own deadline (`sourceTimeoutMs`): its value, or undefined with why
   * under `where`. Reads that take a signal get the deadline's; the rest are raced against it.
   */
  const read = async <T>(
    errors: string[],
    where: string,
    f: (deadline: AbortSignal) => Promise<T>,
  ): Promise<T | undefined> => {
    const deadline = AbortSignal.timeout(options.sourceTimeoutMs);
    const late = new Promise<never>((_, reject) =>
      deadline.addEventListener(
        "abort",
        () => reject(new Error(`no answer within ${options.sourceTimeoutMs / 1000} s`)),
        { once: true },
      ),
    );
    late.catch(() => undefined);
    try {
      return await Promise.race([f(deadline), late]);
    } catch (e) {
      errors.push(`${where}: ${why(e)}`);
      return undefined;
    }
  };
  /**
   * A blob read: each attempt within the request limit (the storage SDK's per-try timeout only
   * tells the server) and the source's deadline, retried within the bounds.
   */
  const blob = <T>(deadline: AbortSignal, f: (signal: AbortSignal) => Promise<T>) =>
    retrying(
      "read",
      bounds,
      () => f(AbortSignal.any([deadline, AbortSignal.timeout(bounds.requestTimeoutMs)])),
      (e) => !(e instanceof LakeDataError) && retryable(e),
    );

  const lakeErrors: string[] = [];
  const lake = async () => {
    const { source, target } = targets.lake;
    const from = clients.lakeContainer(source.account, source.container);
    const to = clients.lakeContainer(target.account, target.container);
    const lags = await mapBounded(targets.lake.tables, concurrency, async ({ table, path }) => {
      // This table's errors: a table whose log or ledger could not be read has no lag.
      const errors: string[] = [];
      const log = (account: string) => `lake ${account}/${path}/_delta_log`;
      const commit = await read(errors, log(source.account), (d) =>
        blob(d, (s) => newestCommit(from, path, s)),
      );
      const ledger = await read(errors, `ledger of ${table} in ${target.account}`, (d) =>
        blob(d, (s) => readLedger(to, table, s)),
      );
      // Without a recorded clone, the copy's own newest commit may still be one.
      const copy =
        commit && ledger?.sourceVersion === undefined
          ? await read(errors, log(target.account), (d) =>
              blob(d, (s) => newestCommit(to, path, s)),
            )
          : undefined;
      // Behind: the loss runs from the first commit the copy lacks.
      const cloned = ledger?.sourceVersion ?? cloneOf(copy)?.sourceVersion;
      const firstMissing =
        commit && cloned !== undefined && cloned < commit.version
          ? await read(errors, `${log(source.account)} commit ${cloned + 1}`, (d) =>
              blob(d, (s) => commitAt(from, path, cloned + 1, s)),
            )
          : undefined;
      lakeErrors.push(...errors);
      return errors.length ? undefined : tableLag(table, commit, ledger, now, copy, firstMissing);
    });
    return lags.filter((l): l is TableLag => l !== undefined);
  };

  const metastoreErrors: string[] = [];
  const metastore = async (): Promise<MetastoreReading | undefined> => {
    const m = targets.metastore;
    const [newest, restore] = await Promise.all([
      read(metastoreErrors, `backups under gs://${m.bucket}/${m.prefix}`, () =>
        newestCompletedBackup(clients.storage, m.bucket, m.prefix, now),
      ),
      m.standby === "hot"
        ? read(metastoreErrors, `restore runs of ${m.restoreWorkflow}`, () =>
            clients.lastRestore(m.restoreWorkflow),
          )
        : Promise.resolve(null),
    ]);
    if (newest === undefined || restore === undefined) return undefined;
    return { standby: m.standby, newest: newest.newest, lastRestore: restore };
  };

  const sqlErrors: string[] = [];
  const geoErrors: string[] = [];
  const sql = async () => {
    const groups = (
      await mapBounded(targets.sql.groups, concurrency, (g) =>
        read(sqlErrors, `failover group ${g.group} on ${g.server}`, (d) =>
          groupState(clients.sql(g.subscriptionId), g.resourceGroup, g.server, g.group, d),
        ),
      )
    ).filter((g): g is GroupState => g !== undefined);
    // One source per server, in turn: each bounds its own requests in flight.
    const perServer = async <T extends { server: string; subscriptionId: string }, R>(
      items: readonly T[],
      errors: string[],
      what: string,
      f: (t: T, client: ReturnType<StatusClients["sql"]>, deadline: AbortSignal) => Promise<R[]>,
    ) => {
      const out: R[] = [];
      for (const t of items)
        out.push(
          ...((await read(errors, `${what} ${t.server}`, (d) =>
            f(t, clients.sql(t.subscriptionId), d),
          )) ?? []),
        );
      return out;
    };
    const links = await perServer(
      targets.sql.groups,
      sqlErrors,
      "replication links on",
      (g, c, d) => linkStates(c, g.resourceGroup, g.server, g.databases, concurrency, d),
    );
    const geoRestore = await perServer(
      targets.sql.geoRestore,
      geoErrors,
      "recoverable databases of",
      (s, c, d) => geoRestoreExposure(c, s.resourceGroup, s.server, s.databases, now, d),
    );
    return { groups, links, geoRestore };
  };

  const gcsErrors: string[] = [];
  const gcs = async () =>
    (
      await mapBounded(Object.keys(targets.gcs.buckets), concurrency, (bucket) =>
        read(gcsErrors, `bucket ${bucket}`, () => bucketReplication(clients.storage, bucket)),
      )
    ).filter((b): b is BucketReplication => b !== undefined);

  const fenceErrors: string[] = [];
  const fences = async () =>
    (
      await Promise.all(
        targets.sites.map(async (s) => {
          const record = await read(fenceErrors, `fence record in ${s.lake.account}`, (d) =>
            blob(d, (sig) =>
              readLakeFence(clients.lakeContainer(s.lake.account, s.lake.container), sig),
            ),
          );
          return record === undefined ? undefined : fenceAgreement(s.site, record, s.deployed);
        }),
      )
    ).filter((f): f is FenceAgreement => f !== undefined);

  const [tables, meta, sqlRead, buckets, fenceRead] = await Promise.all([
    lake(),
    metastore(),
    sql(),
    gcs(),
    fences(),
  ]);
  const t = targets.targetsMinutes;
  const classes: ClassStatus[] = [
    lakeStatus(tables, t.lake, lakeErrors),
    metastoreStatus(meta, t.metastore, now, metastoreErrors, targets.drained?.metastoreBackup),
    sqlStatus(sqlRead.groups, sqlRead.links, t.sql, SQL_FAILOVER_GROUP_RPO_MINUTES, sqlErrors),
    ...(targets.sql.geoRestore.length
      ? [
          geoRestoreStatus(
            sqlRead.geoRestore,
            t.sqlGeoRestore,
            geoErrors,
            targets.drained !== null && targets.sql.linkedSwitchover,
          ),
        ]
      : []),
    gcsStatus(buckets, targets.gcs.buckets, t.gcs, gcsErrors),
  ];
  // A fence that cannot be read, or disagrees with its stack, is a problem of the pair, not of
  // one data class: it fails the check as an error would.
  const problems = [
    ...targets.problems,
    ...fenceErrors,
    ...fenceRead.filter((f) => !f.agrees).map((f) => `fence of ${f.site}: ${f.note}`),
  ];
  const exit = exitStatus(classes, options);
  return {
    generatedAt: now.toISOString(),
    sites: targets.sites,
    active: targets.active,
    measured: targets.measured,
    drained: targets.drained,
    problems,
    classes,
    lake: { tables, notProtected: targets.lake.notProtected },
    metastore: meta ?? null,
    sql: sqlRead,
    gcs: buckets,
    fences: fenceRead,
    exit: problems.length ? 1 : exit,
  };
}
