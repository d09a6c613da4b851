import * as pulumi from "@pulumi/pulumi";
import { deployingIdentity, type AzureAccess } from "../../azureCalls";
import { armError } from "./arm";
import { BUSY_CODES } from "./hold";
import {
  primaryArgs,
  primaryProvider,
  type FailoverMode,
  type FailoverTarget,
  type PrimaryArgs,
} from "./session";

export interface ReplicaInputs {
  /** The ARM base URL. */
  endpoint: string;
  /**
   * ARM ID of the database on the server that must become primary of its geo-replication link:
   * /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Sql/servers/<server>/databases/<db>.
   */
  databaseId: string;
  /** The server that holds the link's other database (the link to fail over is the one to it). */
  partnerServer: string;
  /**
   * The database was made as a geo-secondary of its partner: without a link to it, a failover
   * refuses (both copies would be writable) instead of taking the database as its own primary.
   */
  requireLink: boolean;
  mode: FailoverMode;
  /** Must be true for mode "forced": the explicit acknowledgment that data can be lost. */
  allowDataLoss: boolean;
  timeoutSeconds: number;
  pollSeconds: number;
  requestTimeoutSeconds: number;
  maxRetries: number;
}

const DATABASE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/servers\/([^/]+)\/databases\/([^/]+)$/i;

/** The parts of a database's ARM ID; throws on anything else. */
export function parseDatabaseId(id: string) {
  const m = DATABASE_ID.exec(id ?? "");
  if (!m) {
    throw new Error(
      `databaseId must be /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Sql/servers/<server>/databases/<db> (given: ${id})`,
    );
  }
  return { subscriptionId: m[1]!, resourceGroup: m[2]!, server: m[3]!, database: m[4]! };
}

/**
 * Answers of a link's failover that mean "not now" (ReplicationLinks.json, 2022-02-01-preview,
 * the api-version @azure/arm-sql 10 sends: ReplicationLinks_Failover's error responses): another
 * operation on the database, the secondary not yet in the state a failover needs, an operation
 * Azure rolled back, or a planned failover that could not reach the partner's management service
 * in time. The failover groups' list holds the throttling answers.
 */
export const LINK_BUSY_CODES = [
  ...BUSY_CODES,
  "ManagementServiceDatabaseBusy",
  "IncorrectReplicationLinkState",
  "GeoReplicationCannotBecomePrimaryDuringUndo",
  "OperationTimedOut",
  "PlannedFailoverTimedOut",
] as const;

/** "The operation expects the database to be a replication target": it is primary already. */
export const LINK_ALREADY_PRIMARY_CODES = ["GeoReplicationDatabaseNotSecondary"] as const;

/** Link states in which the secondary is still being seeded (ReplicationState). */
const SEEDING = ["PENDING", "SEEDING"];

/**
 * A database's geo-replication link to `partnerServer`, as a failover target of the database's
 * server. A database with no such link is its own primary: there is nothing to take over.
 */
export function linkTarget(inputs: ReplicaInputs): FailoverTarget {
  const ref = parseDatabaseId(inputs.databaseId);
  let linkId: string | undefined;
  return {
    label: `geo-replication link of ${ref.database} on ${ref.server} (partner ${inputs.partnerServer})`,
    subscriptionId: ref.subscriptionId,
    goneMessage: `the database does not exist on server ${ref.server} (404)`,
    async readRole(client, signal) {
      const links = [];
      try {
        for await (const link of client.replicationLinks.listByDatabase(
          ref.resourceGroup,
          ref.server,
          ref.database,
          { abortSignal: signal },
        ))
          if (link.partnerServer === inputs.partnerServer) links.push(link);
      } catch (e) {
        if (armError(e).status === 404) return undefined;
        throw e;
      }
      const link = links[0];
      // No link to the partner: the database is its own primary, with nothing to take over; a
      // refresh reads it so, and a failover that needed the link refuses.
      if (!link)
        return {
          role: "Primary",
          ready: true,
          ...(inputs.requireLink && {
            refusal: `no geo-replication link to ${inputs.partnerServer}, though the database was made as its geo-secondary: the link was removed, so both copies are writable; see which one the tenant wrote last before promoting`,
          }),
        };
      if (typeof link.role !== "string" || typeof link.name !== "string") {
        throw new Error("the link in the list answer has no name or properties.role");
      }
      linkId = link.name;
      return { role: link.role, ready: !SEEDING.includes(link.replicationState ?? "") };
    },
    start: (client, mode, options) =>
      mode === "forced"
        ? client.replicationLinks.beginFailoverAllowDataLoss(
            ref.resourceGroup,
            ref.server,
            ref.database,
            linkId!,
            options,
          )
        : client.replicationLinks.beginFailover(
            ref.resourceGroup,
            ref.server,
            ref.database,
            linkId!,
            options,
          ),
    busyCodes: LINK_BUSY_CODES,
    alreadyPrimaryCodes: LINK_ALREADY_PRIMARY_CODES,
  };
}

/**
 * A link is failed over once its secondary is seeded, which takes as long as a copy: the same
 * 24 hours the database's own create has (elasticPoolPair.ts, GEO_RESTORE_TIMEOUT).
 */
export const LINK_TIMEOUT_SECONDS = 24 * 3600;

/** The error of a routine deployment that finds its database a geo-secondary. */
export function linkNotHeldMessage(databaseId: string, role: string): string {
  const d = parseDatabaseId(databaseId);
  return (
    `database ${d.database} on ${d.server} is ${role} of its geo-replication link now, not primary: ` +
    `someone failed it over. Only a promotion moves a link: a routine deployment never fails one back. ` +
    `To keep the new primary, promote its site; to move the link back, fail it over yourself ` +
    `(az sql db replica set-primary --resource-group ${d.resourceGroup} --server ${d.server} ` +
    `--name ${d.database}), then deploy again.`
  );
}

const SETTINGS = [
  "partnerServer",
  "requireLink",
  "mode",
  "allowDataLoss",
  "endpoint",
  "timeoutSeconds",
  "pollSeconds",
  "requestTimeoutSeconds",
  "maxRetries",
] as const;

/**
 * The provider: makes the database named in databaseId the primary of its geo-replication link
 * when created (a promotion: the planned failover synchronizes first, and the partner becomes the
 * read-only geo-secondary), reads the role on refresh, and never moves the link on an update.
 */
export const replicaProvider = (access: () => AzureAccess): pulumi.dynamic.ResourceProvider =>
  primaryProvider<ReplicaInputs>(
    {
      idKey: "databaseId",
      settings: SETTINGS,
      retired: [],
      target: linkTarget,
      forceRefusal: (inputs) =>
        `${inputs.databaseId}: a forced geo-failover can lose data (transactions not yet replicated to this server); it needs the explicit acknowledgment allowDataLoss: true`,
      notHeld: (inputs, role) => linkNotHeldMessage(inputs.databaseId, role),
    },
    access,
  );

/** The provider Pulumi serializes: the deploying identity, resolved at each call. */
export const replicaPrimaryProvider = replicaProvider(() => deployingIdentity());

export interface ReplicaPrimaryArgs extends PrimaryArgs {
  readonly databaseId: pulumi.Input<string>;
  readonly partnerServer: pulumi.Input<string>;
  /** Default false. */
  readonly requireLink?: pulumi.Input<boolean>;
  /** Default 86400 (LINK_TIMEOUT_SECONDS). */
  readonly timeoutSeconds?: pulumi.Input<number>;
}

/**
 * A tenant database made primary of its geo-replication link, for a promoted disaster-recovery
 * stack: its partner becomes a read-only geo-secondary. Azure refuses a link's own failover for a
 * database in a failover group (FailoverGroupAlreadySetup), so this is for databases outside them.
 */
export class ReplicaPrimary extends pulumi.dynamic.Resource {
  declare public readonly replicationRole: pulumi.Output<string>;
  declare public readonly failedOverAt: pulumi.Output<string>;

  constructor(name: string, args: ReplicaPrimaryArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      replicaPrimaryProvider,
      name,
      {
        databaseId: args.databaseId,
        partnerServer: args.partnerServer,
        requireLink: args.requireLink ?? false,
        ...primaryArgs(args, LINK_TIMEOUT_SECONDS),
      },
      opts,
    );
  }
}
