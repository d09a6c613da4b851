import * as pulumi from "@pulumi/pulumi";
import { deployingIdentity, type AzureAccess } from "../../azureCalls";
import { armError, parseFailoverGroupId } from "./arm";
import {
  primaryArgs,
  primaryProvider,
  type FailoverMode,
  type FailoverTarget,
  type PrimaryArgs,
} from "./session";

export type { FailoverMode } from "./session";

/** How long a hold waits for its failover by default. */
export const HOLD_TIMEOUT_SECONDS = 3600;

export interface HoldInputs {
  /** The ARM base URL. */
  endpoint: string;
  /**
   * ARM ID of the failover group as seen from the server that must become primary:
   * /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Sql/servers/<server>/failoverGroups/<name>.
   */
  failoverGroupId: string;
  mode: FailoverMode;
  /** Must be true for mode "forced": the explicit acknowledgment that data can be lost. */
  allowDataLoss: boolean;
  /** Bounds the whole operation, polling and retries included. */
  timeoutSeconds: number;
  /** Wait between polls and role reads; also the first retry backoff. */
  pollSeconds: number;
  /** Bounds each attempt of each request, its answer's body included. */
  requestTimeoutSeconds: number;
  /** Retries of one request (5xx, network errors, timeouts, throttling). */
  maxRetries: number;
}

export interface HoldOutputs extends HoldInputs {
  replicationRole: string;
  /** When this resource failed the group over; "" when the server was already primary. */
  failedOverAt: string;
}

/**
 * Inputs of earlier versions that no resource may keep: an ARM bearer token (it expired within
 * the hour, so every later refresh got 401, and no credential belongs in state) and the API
 * version (the SDK pins its own).
 */
export const RETIRED_INPUTS = ["accessToken", "apiVersion"] as const;

/**
 * Answers that mean "not now": another operation holds the group or the server. The failover is
 * tried again, after the role is read again, until the deadline. Error list of Failover Groups
 * (azure-rest-api-specs, specification/sql/resource-manager/Microsoft.Sql/stable/2021-11-01/
 * FailoverGroups.json, the x-ms-error-response description of the failover operations).
 */
export const BUSY_CODES = [
  "FailoverGroupBusy",
  "OperationInterrupted",
  "ConflictingServerOperation",
  "ConflictingSystemOperationInProgress",
  "UpdateSloInProgress",
  "SubscriptionTooManyRequests",
  "SubscriptionTooManyCreateUpdateRequests",
  "TooManyRequests",
] as const;

/** Answers that mean "this server is already primary" (same list): the role decides. */
export const ALREADY_PRIMARY_CODES = [
  "FailoverGroupFailoverRequestOnPrimary",
  "FailoverGroupNotSecondary",
] as const;

/** The failover group as a failover target of the server named in its ID. */
export function groupTarget(failoverGroupId: string): FailoverTarget {
  const ref = parseFailoverGroupId(failoverGroupId);
  return {
    label: `failover group ${failoverGroupId}`,
    subscriptionId: ref.subscriptionId,
    goneMessage: `the group does not exist on server ${ref.server} (404)`,
    async readRole(client, signal) {
      let group;
      try {
        group = await client.failoverGroups.get(ref.resourceGroup, ref.server, ref.name, {
          abortSignal: signal,
        });
      } catch (e) {
        if (armError(e).status === 404) return undefined;
        throw e;
      }
      if (typeof group.replicationRole !== "string") {
        throw new Error("the GET answer has no properties.replicationRole");
      }
      return { role: group.replicationRole, ready: true };
    },
    start: (client, mode, options) =>
      mode === "forced"
        ? client.failoverGroups.beginForceFailoverAllowDataLoss(
            ref.resourceGroup,
            ref.server,
            ref.name,
            options,
          )
        : client.failoverGroups.beginFailover(ref.resourceGroup, ref.server, ref.name, options),
    busyCodes: BUSY_CODES,
    alreadyPrimaryCodes: ALREADY_PRIMARY_CODES,
  };
}

/** The error of a routine deployment that finds its group's primary elsewhere. */
export function notHeldMessage(failoverGroupId: string, role: string): string {
  const g = parseFailoverGroupId(failoverGroupId);
  return (
    `failover group ${g.name}: server ${g.server} is ${role} now, not primary. Azure failed the group over ` +
    `(an Automatic group does after its grace period of an outage) or someone did by hand. Only a promotion ` +
    `moves a group: a routine deployment never fails one back, onto a region that may have just failed. ` +
    `To keep the new primary, promote its site (flip promote in Pulumi.yaml and follow the promotion order). ` +
    `To move the group back, fail it over yourself (az sql failover-group set-primary --resource-group ` +
    `${g.resourceGroup} --server ${g.server} --name ${g.name}), then deploy again.`
  );
}

const SETTINGS = [
  "mode",
  "allowDataLoss",
  "endpoint",
  "timeoutSeconds",
  "pollSeconds",
  "requestTimeoutSeconds",
  "maxRetries",
] as const;

/**
 * The hold's provider: makes the server named in failoverGroupId the primary of its group when
 * the hold is created (a promotion, or the group's first deployment, where it already is), reads
 * the role on refresh, and never moves the group on an update.
 */
export const holdProvider = (access: () => AzureAccess): pulumi.dynamic.ResourceProvider =>
  primaryProvider<HoldInputs>(
    {
      idKey: "failoverGroupId",
      settings: SETTINGS,
      retired: RETIRED_INPUTS,
      target: (inputs) => groupTarget(inputs.failoverGroupId),
      forceRefusal: (inputs) =>
        `failover group ${inputs.failoverGroupId}: forced failover can lose data (transactions not yet replicated to this server); it needs the explicit acknowledgment allowDataLoss: true`,
      notHeld: (inputs, role) => notHeldMessage(inputs.failoverGroupId, role),
    },
    access,
  );

/** The provider Pulumi serializes: the deploying identity, resolved at each call. */
export const failoverGroupPrimaryProvider = holdProvider(() => deployingIdentity());

export interface FailoverGroupPrimaryArgs extends PrimaryArgs {
  /** The failover group's ARM ID under the server that must become primary. */
  readonly failoverGroupId: pulumi.Input<string>;
  /** Default 3600. */
  readonly timeoutSeconds?: pulumi.Input<number>;
}

/**
 * An Azure SQL server made primary of its failover group, for a promoted disaster-recovery stack.
 * After the failover, manage the databases through this server: updates sent to the old
 * primary's databases fail while they are in the replication relationship
 * (hashicorp/terraform-provider-azurerm#25141).
 */
export class FailoverGroupPrimary extends pulumi.dynamic.Resource {
  declare public readonly replicationRole: pulumi.Output<string>;
  declare public readonly failedOverAt: pulumi.Output<string>;

  constructor(name: string, args: FailoverGroupPrimaryArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      failoverGroupPrimaryProvider,
      name,
      {
        failoverGroupId: args.failoverGroupId,
        ...primaryArgs(args, HOLD_TIMEOUT_SECONDS),
      },
      opts,
    );
  }
}
