import * as pulumi from "@pulumi/pulumi";
import { requireBounds, type CallBounds } from "../../dynamicInputs";
import { deployingIdentity, type AzureAccess } from "../../azureCalls";
import { armError, boundedSqlClient } from "./arm";
import { callInputs, type CallArgs } from "./session";
import { parseDatabaseId, LINK_TIMEOUT_SECONDS } from "./replica";

export interface ReprotectInputs extends CallBounds {
  /** The ARM base URL. */
  endpoint: string;
  /** The tenant's database on this server: its stale original before, a geo-secondary after. */
  databaseId: string;
  /** The peer's copy that holds the tenant's newest writes (a geo-restore of the original). */
  sourceDatabaseId: string;
  /** The elastic pool the geo-secondary joins (the original's). */
  elasticPoolId: string;
  /** The server's region. */
  location: string;
  /** What the stale original is renamed to, on the same server. */
  staleName: string;
  /** The tenant database's tags: the geo-secondary takes the name, so it takes them too. */
  tags: Record<string, string>;
}

export interface ReprotectOutputs extends ReprotectInputs {
  /** The stale original's name now; "" when there was none, or it is gone. */
  staleDatabase: string;
  /** When the geo-secondary was created; "" when an earlier run had created it. */
  reprotectedAt: string;
}

/**
 * Inputs whose change only updates the state: nothing in Azure moves after the create. Not
 * `staleName`: the original was renamed once, and keeps that name (staleDatabase).
 */
const SETTINGS = [
  "endpoint",
  "sourceDatabaseId",
  "elasticPoolId",
  "location",
  "tags",
  "timeoutSeconds",
  "pollSeconds",
  "requestTimeoutSeconds",
  "maxRetries",
] as const;

/** The ARM ID of a database named `name` on the server of `databaseId`. */
export const siblingId = (databaseId: string, name: string) =>
  `${databaseId.slice(0, databaseId.lastIndexOf("/databases/"))}/databases/${name}`;

/** The name a stale original takes: the tenant's, with the fencing epoch of the failover. */
export const staleName = (database: string, epoch: number) => `${database}-stale-e${epoch}`;

/**
 * The ARM calls of a reprotect (the failback half of seed 002 after a geo-restore): the stale
 * original steps aside under `staleName`, and the tenant's name on this server becomes a
 * geo-secondary of the peer's copy, seeded from it. The copy stays the only writable one; the
 * promotion that fails back holds the link (ReplicaPrimary) and fails it over planned, so what
 * the tenant wrote during the outage comes back synchronized. Credentials come from `access`,
 * obtained by the caller at each operation.
 */
export function reprotectSession(inputs: ReprotectInputs, access: AzureAccess) {
  const ref = parseDatabaseId(inputs.databaseId);
  const source = parseDatabaseId(inputs.sourceDatabaseId);
  const label = `reprotect of ${ref.database} on ${ref.server} from ${source.server}`;
  requireBounds(label, inputs);
  if (source.subscriptionId !== ref.subscriptionId)
    throw new Error(
      `${label}: a geo-secondary in another subscription is set up with SQL logins, which Entra-only servers do not have`,
    );
  const { client, signal, pollMs } = boundedSqlClient(access, {
    ...inputs,
    subscriptionId: ref.subscriptionId,
  });
  const fail = (doing: string, e: unknown): never => {
    if (signal.aborted)
      throw new Error(`${label}: ${doing} timed out after ${inputs.timeoutSeconds}s`);
    const { code, status, message } = armError(e);
    throw new Error(
      `${label}: ${doing}: ${[status && `HTTP ${status}`, code, message].filter(Boolean).join(": ")}`,
    );
  };
  /** A database's status ("Online", "Creating", ...); undefined when it does not exist. */
  const status = async (
    name: string,
    where: { resourceGroup: string; server: string } = ref,
  ): Promise<string | undefined> => {
    try {
      const db = await client.databases.get(where.resourceGroup, where.server, name, {
        abortSignal: signal,
      });
      return db.status ?? "Unknown";
    } catch (e) {
      if (armError(e).status === 404) return undefined;
      return fail(`reading database ${name} on ${where.server}`, e);
    }
  };
  const exists = async (name: string) => (await status(name)) !== undefined;
  /** The database's links to the copy's server; undefined when the database does not exist. */
  const linksToSource = async () => {
    const found: string[] = [];
    try {
      for await (const link of client.replicationLinks.listByDatabase(
        ref.resourceGroup,
        ref.server,
        ref.database,
        { abortSignal: signal },
      ))
        if (link.partnerServer === source.server) found.push(String(link.role));
    } catch (e) {
      if (armError(e).status === 404) return undefined;
      return fail(`listing the geo-replication links of ${ref.database}`, e);
    }
    return found;
  };
  const rename = async (from: string, to: string) => {
    try {
      // Databases_Rename: synchronous, 200 (Databases.json 2022-08-01-preview, the api-version
      // @azure/arm-sql 10 sends); the target ID names the same server.
      await client.databases.rename(
        ref.resourceGroup,
        ref.server,
        from,
        { id: siblingId(inputs.databaseId, to) },
        { abortSignal: signal },
      );
    } catch (e) {
      // "You must make sure no other users have an open connection to the database to be
      // renamed" (sql-docs, docs/relational-databases/databases/rename-a-database.md).
      fail(
        `renaming ${from} to ${to} (Azure renames a database only while nothing is connected to it: stop what still connects to ${from} on ${ref.server}, then deploy again)`,
        e,
      );
    }
  };

  /** Deletes what a failed create left under a name (a 404 is done). */
  const deleteDatabase = async (name: string) => {
    try {
      const poller = await client.databases.beginDelete(ref.resourceGroup, ref.server, name, {
        abortSignal: signal,
        updateIntervalInMs: pollMs,
      });
      await poller.pollUntilDone({ abortSignal: signal });
    } catch (e) {
      if (armError(e).status !== 404) fail(`deleting what the failed create left as ${name}`, e);
    }
  };

  return {
    label,

    /** Makes the tenant's database here a geo-secondary of the copy; returns what it did. */
    async reprotect(): Promise<{ stale: string; created: boolean }> {
      const links = await linksToSource();
      const hadStale = await exists(inputs.staleName);
      // Linked already (an earlier run that timed out after its create): nothing to redo.
      if (links && links.length > 0)
        return { stale: hadStale ? inputs.staleName : "", created: false };
      // The copy must be there and online before the original steps aside.
      const copy = await status(source.database, source);
      if (copy !== "Online")
        throw new Error(
          `${label}: the copy ${inputs.sourceDatabaseId} is ${copy === undefined ? "gone (404)" : copy}, not Online: nothing was renamed; deploy again once it is online`,
        );
      let renamed = false;
      let accepted = false;
      if (links) {
        if (hadStale)
          throw new Error(
            `${label}: both ${ref.database} and ${inputs.staleName} exist on ${ref.server} and ${ref.database} has no link to ${source.server}: ` +
              `see which one the tenant wrote last, delete or rename the other, and deploy again`,
          );
        await rename(ref.database, inputs.staleName);
        renamed = true;
      }
      try {
        const poller = await client.databases.beginCreateOrUpdate(
          ref.resourceGroup,
          ref.server,
          ref.database,
          {
            location: inputs.location,
            createMode: "Secondary",
            secondaryType: "Geo",
            sourceDatabaseId: inputs.sourceDatabaseId,
            elasticPoolId: inputs.elasticPoolId,
            requestedBackupStorageRedundancy: "Geo",
            tags: inputs.tags,
          },
          {
            abortSignal: signal,
            updateIntervalInMs: pollMs,
            // The SDK polls once inside begin*: the PUT's own answer says whether Azure took it.
            onResponse: (r) => {
              if (r.request.method === "PUT" && r.status >= 200 && r.status < 300) accepted = true;
            },
          },
        );
        await poller.pollUntilDone({ abortSignal: signal });
      } catch (e) {
        // Refused, or failed in Azure: the original takes its name back, so the tenant's name
        // never points at nothing; what the failed create left under the name goes first. A
        // create still running at the deadline keeps the name: a retry finds its link.
        if (renamed && !signal.aborted) {
          if (accepted && (await exists(ref.database))) await deleteDatabase(ref.database);
          if (!(await exists(ref.database))) await rename(inputs.staleName, ref.database);
        }
        fail(`creating ${ref.database} as a geo-secondary of ${inputs.sourceDatabaseId}`, e);
      }
      return { stale: renamed || hadStale ? inputs.staleName : "", created: true };
    },

    /** Whether the tenant's database and its stale original exist now. */
    async read(): Promise<{ database: boolean; stale: boolean }> {
      return { database: await exists(ref.database), stale: await exists(inputs.staleName) };
    },
  };
}

/**
 * The provider: reprotects when created; a refresh reads whether the tenant's database and the
 * stale original still exist; an update records new settings and moves nothing; a delete (the
 * release) leaves the stale original in Azure: it holds what the geo-restore missed (the writes
 * of the geo-backup's last hour before the outage, and any after the region's return), which
 * only the team can reconcile. It never replaces.
 */
export function reprotectProvider(access: () => AzureAccess): pulumi.dynamic.ResourceProvider {
  return {
    async create(inputs: ReprotectInputs): Promise<pulumi.dynamic.CreateResult> {
      const done = await reprotectSession(inputs, access()).reprotect();
      const outs: ReprotectOutputs = {
        ...inputs,
        staleDatabase: done.stale,
        reprotectedAt: done.created ? new Date().toISOString() : "",
      };
      return { id: inputs.databaseId, outs };
    },

    async read(id: string, props: ReprotectOutputs): Promise<pulumi.dynamic.ReadResult> {
      const now = await reprotectSession(
        { ...props, staleName: props.staleDatabase || props.staleName },
        access(),
      ).read();
      if (!now.database) return { id: "" };
      const { staleDatabase: _s, reprotectedAt: _r, ...inputs } = props;
      return {
        id,
        props: { ...props, staleDatabase: now.stale ? props.staleDatabase : "" },
        inputs,
      };
    },

    async diff(
      _id: string,
      olds: ReprotectOutputs,
      news: ReprotectInputs,
    ): Promise<pulumi.dynamic.DiffResult> {
      const changed = SETTINGS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
      return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    },

    async update(
      _id: string,
      olds: ReprotectOutputs,
      news: ReprotectInputs,
    ): Promise<pulumi.dynamic.UpdateResult> {
      // The name it has is the one it was given when renamed.
      const outs: ReprotectOutputs = {
        ...news,
        staleDatabase: olds.staleDatabase,
        reprotectedAt: olds.reprotectedAt,
      };
      return { outs };
    },

    async delete(): Promise<void> {
      // The stale original stays: see above.
    },
  };
}

/** The provider Pulumi serializes: the deploying identity, resolved at each call. */
export const reprotectResourceProvider = reprotectProvider(() => deployingIdentity());

export interface ReprotectArgs extends CallArgs {
  readonly databaseId: pulumi.Input<string>;
  readonly sourceDatabaseId: pulumi.Input<string>;
  readonly elasticPoolId: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly staleName: pulumi.Input<string>;
  readonly tags?: pulumi.Input<Record<string, string>>;
  /** Default 86400: the seeding takes as long as a copy (LINK_TIMEOUT_SECONDS). */
  readonly timeoutSeconds?: pulumi.Input<number>;
}

/**
 * A tenant database given back to its home server after a geo-restore elsewhere: the stale
 * original renamed aside (kept until released), and a geo-secondary of the restored copy under
 * the tenant's name, for the failback's planned geo-failover (ReplicaPrimary).
 */
export class Reprotect extends pulumi.dynamic.Resource {
  declare public readonly staleDatabase: pulumi.Output<string>;
  declare public readonly reprotectedAt: pulumi.Output<string>;

  constructor(name: string, args: ReprotectArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      reprotectResourceProvider,
      name,
      {
        databaseId: args.databaseId,
        sourceDatabaseId: args.sourceDatabaseId,
        elasticPoolId: args.elasticPoolId,
        location: args.location,
        staleName: args.staleName,
        tags: args.tags ?? {},
        ...callInputs(args, LINK_TIMEOUT_SECONDS),
        staleDatabase: undefined,
        reprotectedAt: undefined,
      },
      opts,
    );
  }
}
