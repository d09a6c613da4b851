import * as pulumi from "@pulumi/pulumi";
import { requireBounds, withoutRetired } from "../../dynamicInputs";
import { deployingIdentity, type AzureAccess } from "../../azureCalls";
import { ARM_ENDPOINT, armError, parseFailoverGroupId, sqlClient } from "./arm";

/** "planned" waits for full synchronization; "forced" may discard transactions not yet replicated. */
export type FailoverMode = "planned" | "forced";

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

/** The longest single wait: a Retry-After, a retry backoff. */
const MAX_WAIT_SECONDS = 60;

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

const isRestError = (e: unknown) => (e as Error | undefined)?.name === "RestError";

/**
 * The ARM calls for one failover group, bounded by one deadline; credentials come from `access`,
 * obtained by the caller when the call is made.
 */
export function holdSession(
  inputs: HoldInputs,
  access: AzureAccess,
  task: "failover" | "role read",
) {
  const label = `failover group ${inputs.failoverGroupId}`;
  const ref = parseFailoverGroupId(inputs.failoverGroupId);
  if (inputs.mode !== "planned" && inputs.mode !== "forced") {
    throw new Error(`${label}: mode must be "planned" or "forced" (given: ${inputs.mode})`);
  }
  requireBounds(label, inputs);
  const pollMs = inputs.pollSeconds * 1000;
  const signal = AbortSignal.timeout(Math.max(1, inputs.timeoutSeconds * 1000));
  const client = sqlClient(access, {
    endpoint: inputs.endpoint,
    subscriptionId: ref.subscriptionId,
    requestTimeoutMs: inputs.requestTimeoutSeconds * 1000,
    maxRetries: inputs.maxRetries,
    retryDelayMs: pollMs,
    maxWaitSeconds: MAX_WAIT_SECONDS,
  });
  let accepted = false;
  let lastRole: string | undefined;

  const timedOut = () =>
    new Error(
      `${label}: ${task} timed out after ${inputs.timeoutSeconds}s` +
        (lastRole ? `; this server was last read as ${lastRole}` : "") +
        (accepted ? "; the failover Azure accepted may still complete" : ""),
    );
  const sleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(timedOut());
      // Declared before the handler that clears it: Pulumi's closure serializer cannot capture
      // a variable its function reads before the declaration.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        reject(timedOut());
      };
      timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  const describe = (e: unknown) => {
    const { code, status, message } = armError(e);
    return [status && `HTTP ${status}`, code, message].filter(Boolean).join(": ");
  };

  /** The server's role in the group; undefined when the group is not there (404). */
  const role = async (): Promise<string | undefined> => {
    let group;
    try {
      group = await client.failoverGroups.get(ref.resourceGroup, ref.server, ref.name, {
        abortSignal: signal,
      });
    } catch (e) {
      if (signal.aborted) throw timedOut();
      if (armError(e).status === 404) return undefined;
      throw new Error(`${label}: reading its role: ${describe(e)}`);
    }
    if (typeof group.replicationRole !== "string") {
      throw new Error(`${label}: the GET answer has no properties.replicationRole`);
    }
    return (lastRole = group.replicationRole);
  };

  const start = () => {
    const options = {
      abortSignal: signal,
      updateIntervalInMs: pollMs,
      // The SDK polls once inside begin*: the POST's own answer says whether Azure took it.
      onResponse: (r: { status: number; request: { method: string } }) => {
        if (r.request.method === "POST" && r.status >= 200 && r.status < 300) accepted = true;
      },
    };
    return inputs.mode === "forced"
      ? client.failoverGroups.beginForceFailoverAllowDataLoss(
          ref.resourceGroup,
          ref.server,
          ref.name,
          options,
        )
      : client.failoverGroups.beginFailover(ref.resourceGroup, ref.server, ref.name, options);
  };

  /**
   * Makes the server primary unless it already is; returns whether it failed over. The role is
   * read before every attempt, so a failover that already happened (an earlier run that timed
   * out, Azure's own) is never made a second time; once Azure accepted one, only the role is
   * waited for.
   */
  const promote = async (): Promise<boolean> => {
    let claimedPrimary = false;
    for (;;) {
      const now = await role();
      if (now === undefined) {
        throw new Error(`${label}: the group does not exist on server ${ref.server} (404)`);
      }
      if (now === "Primary") return accepted;
      if (accepted) {
        await sleep(pollMs);
        continue;
      }
      try {
        const poller = await start();
        await poller.pollUntilDone({ abortSignal: signal });
        accepted = true;
      } catch (e) {
        if (signal.aborted) throw timedOut();
        const { code } = armError(e);
        if (!accepted && code && (BUSY_CODES as readonly string[]).includes(code)) {
          await sleep(pollMs);
          continue;
        }
        if (!accepted && code && (ALREADY_PRIMARY_CODES as readonly string[]).includes(code)) {
          if (claimedPrimary) {
            throw new Error(`${label}: Azure answers ${code}, but the server reads as ${now}`);
          }
          claimedPrimary = true;
          continue;
        }
        // A poll the SDK could not read (network, timeout, a body that is not JSON, after its
        // retries): the role tells the outcome. A failed or canceled operation is not a RestError.
        if (accepted && isRestError(e)) {
          await sleep(pollMs);
          continue;
        }
        throw new Error(
          `${label}: ${inputs.mode} failover ${accepted ? "failed in Azure" : "refused"}: ${describe(e)}`,
        );
      }
    }
  };

  return { role, promote };
}

function refuseUnacknowledgedForce(inputs: HoldInputs): void {
  if (inputs.mode === "forced" && inputs.allowDataLoss !== true) {
    throw new Error(
      `failover group ${inputs.failoverGroupId}: forced failover can lose data (transactions not yet replicated to this server); it needs the explicit acknowledgment allowDataLoss: true`,
    );
  }
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
 * the role on refresh, and never moves the group on an update. `access` is called at each
 * operation, so a credential is never older than the call.
 */
export function holdProvider(access: () => AzureAccess): pulumi.dynamic.ResourceProvider {
  return {
    async create(inputs: HoldInputs): Promise<pulumi.dynamic.CreateResult> {
      refuseUnacknowledgedForce(inputs);
      const failedOver = await holdSession(inputs, access(), "failover").promote();
      const outs: HoldOutputs = {
        ...withoutRetired(inputs, RETIRED_INPUTS),
        replicationRole: "Primary",
        failedOverAt: failedOver ? new Date().toISOString() : "",
      };
      return { id: inputs.failoverGroupId, outs };
    },

    async read(id: string, props: HoldOutputs): Promise<pulumi.dynamic.ReadResult> {
      const replicationRole = await holdSession(props, access(), "role read").role();
      // Blank: the group is gone, and so is what this resource held.
      if (replicationRole === undefined) return { id: "" };
      const clean = withoutRetired(props, RETIRED_INPUTS);
      const inputs: HoldInputs = { ...clean };
      delete (inputs as Partial<HoldOutputs>).replicationRole;
      delete (inputs as Partial<HoldOutputs>).failedOverAt;
      return { id, props: { ...clean, replicationRole }, inputs };
    },

    async diff(
      _id: string,
      olds: HoldOutputs,
      news: HoldInputs,
    ): Promise<pulumi.dynamic.DiffResult> {
      const replaces = olds.failoverGroupId !== news.failoverGroupId ? ["failoverGroupId"] : [];
      const changed = SETTINGS.filter((k) => olds[k] !== news[k]);
      // A token or API version left in state by an earlier version: an update drops it.
      const retired = RETIRED_INPUTS.some((k) => k in olds);
      // A refresh that read another role: the update reports it (see update).
      const drifted = olds.replicationRole !== "Primary";
      return {
        changes: replaces.length > 0 || changed.length > 0 || retired || drifted,
        replaces,
        deleteBeforeReplace: false,
      };
    },

    async update(
      _id: string,
      olds: HoldOutputs,
      news: HoldInputs,
    ): Promise<pulumi.dynamic.UpdateResult> {
      refuseUnacknowledgedForce(news);
      const role = await holdSession(news, access(), "role read").role();
      if (role === undefined) {
        throw new Error(`failover group ${news.failoverGroupId}: the group does not exist (404)`);
      }
      if (role !== "Primary") throw new Error(notHeldMessage(news.failoverGroupId, role));
      const outs: HoldOutputs = {
        ...withoutRetired(news, RETIRED_INPUTS),
        replicationRole: "Primary",
        failedOverAt: olds.failedOverAt ?? "",
      };
      return { outs };
    },

    async delete(): Promise<void> {
      // Failing back is a decision for a later promotion of the other stack, never a side effect
      // of removing this resource.
    },
  };
}

/** The provider Pulumi serializes: the deploying identity, resolved at each call. */
export const failoverGroupPrimaryProvider = holdProvider(() => deployingIdentity());

export interface FailoverGroupPrimaryArgs {
  /** The failover group's ARM ID under the server that must become primary. */
  readonly failoverGroupId: pulumi.Input<string>;
  /** Default "planned". */
  readonly mode?: pulumi.Input<FailoverMode>;
  /** Default false; must be true for mode "forced". */
  readonly allowDataLoss?: pulumi.Input<boolean>;
  /** Default 3600. */
  readonly timeoutSeconds?: pulumi.Input<number>;
  /** Default 15. */
  readonly pollSeconds?: pulumi.Input<number>;
  /** Default 60. */
  readonly requestTimeoutSeconds?: pulumi.Input<number>;
  /** Default 4. */
  readonly maxRetries?: pulumi.Input<number>;
  /** Default the public Azure Resource Manager. */
  readonly endpoint?: pulumi.Input<string>;
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
        endpoint: args.endpoint ?? ARM_ENDPOINT,
        failoverGroupId: args.failoverGroupId,
        mode: args.mode ?? "planned",
        allowDataLoss: args.allowDataLoss ?? false,
        timeoutSeconds: args.timeoutSeconds ?? HOLD_TIMEOUT_SECONDS,
        pollSeconds: args.pollSeconds ?? 15,
        requestTimeoutSeconds: args.requestTimeoutSeconds ?? 60,
        maxRetries: args.maxRetries ?? 4,
        replicationRole: undefined,
        failedOverAt: undefined,
      },
      opts,
    );
  }
}
