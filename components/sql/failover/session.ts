import type { SqlManagementClient } from "@azure/arm-sql";
import type * as pulumi from "@pulumi/pulumi";
import { requireBounds, withoutRetired, type CallBounds } from "../../dynamicInputs";
import type { AzureAccess } from "../../azureCalls";
import { ARM_ENDPOINT, armError, boundedSqlClient } from "./arm";

/** "planned" waits for full synchronization; "forced" may discard transactions not yet replicated. */
export type FailoverMode = "planned" | "forced";

/** What a session reads of the server's side: its role, and whether it can fail over yet. */
export interface ReadRole {
  readonly role: string;
  /** False while the secondary is still being seeded: a failover would be refused. */
  readonly ready: boolean;
  /** Why a failover must not take this reading as done (a link that should exist does not). */
  readonly refusal?: string;
}

/**
 * One replication relationship whose primary a session moves onto a server: a failover group, or
 * a database's geo-replication link. The calls go to the server that must become primary.
 */
export interface FailoverTarget {
  readonly label: string;
  readonly subscriptionId: string;
  /** The server's role; undefined when what it holds is gone (404). */
  readRole(client: SqlManagementClient, signal: AbortSignal): Promise<ReadRole | undefined>;
  /** Why a failover cannot start when what it holds is gone. */
  readonly goneMessage: string;
  start(
    client: SqlManagementClient,
    mode: FailoverMode,
    options: {
      abortSignal: AbortSignal;
      updateIntervalInMs: number;
      onResponse: (r: { status: number; request: { method: string } }) => void;
    },
  ): Promise<{ pollUntilDone(o: { abortSignal: AbortSignal }): Promise<unknown> }>;
  /** Answers that mean "not now": tried again after the role is read again. */
  readonly busyCodes: readonly string[];
  /** Answers that mean "this server is already primary": the role decides. */
  readonly alreadyPrimaryCodes: readonly string[];
}

export interface SessionSettings extends CallBounds {
  readonly endpoint: string;
  readonly mode: FailoverMode;
}

const isRestError = (e: unknown) => (e as Error | undefined)?.name === "RestError";

/**
 * The ARM calls that make one server primary of one relationship, bounded by one deadline;
 * credentials come from `access`, obtained by the caller when the call is made.
 */
export function failoverSession(
  target: FailoverTarget,
  settings: SessionSettings,
  access: AzureAccess,
  task: "failover" | "role read",
) {
  const { label } = target;
  if (settings.mode !== "planned" && settings.mode !== "forced") {
    throw new Error(`${label}: mode must be "planned" or "forced" (given: ${settings.mode})`);
  }
  requireBounds(label, settings);
  const { client, signal, pollMs } = boundedSqlClient(access, {
    ...settings,
    subscriptionId: target.subscriptionId,
  });
  let accepted = false;
  let lastRole: string | undefined;

  const timedOut = () =>
    new Error(
      `${label}: ${task} timed out after ${settings.timeoutSeconds}s` +
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

  const read = async (): Promise<ReadRole | undefined> => {
    let now;
    try {
      now = await target.readRole(client, signal);
    } catch (e) {
      if (signal.aborted) throw timedOut();
      throw new Error(`${label}: reading its role: ${describe(e)}`);
    }
    if (now) lastRole = now.role;
    return now;
  };

  /** The server's role; undefined when what it holds is gone. */
  const role = async (): Promise<string | undefined> => (await read())?.role;

  /**
   * Makes the server primary unless it already is; returns whether it failed over. The role is
   * read before every attempt, so a failover that already happened (an earlier run that timed
   * out, Azure's own) is never made a second time; once Azure accepted one, only the role is
   * waited for.
   */
  const promote = async (): Promise<boolean> => {
    let claimedPrimary = false;
    for (;;) {
      const now = await read();
      if (now === undefined) throw new Error(`${label}: ${target.goneMessage}`);
      if (now.role === "Primary") {
        if (now.refusal !== undefined) throw new Error(`${label}: ${now.refusal}`);
        return accepted;
      }
      if (accepted || !now.ready) {
        await sleep(pollMs);
        continue;
      }
      try {
        const poller = await target.start(client, settings.mode, {
          abortSignal: signal,
          updateIntervalInMs: pollMs,
          // The SDK polls once inside begin*: the POST's own answer says whether Azure took it.
          onResponse: (r) => {
            if (r.request.method === "POST" && r.status >= 200 && r.status < 300) accepted = true;
          },
        });
        await poller.pollUntilDone({ abortSignal: signal });
        accepted = true;
      } catch (e) {
        if (signal.aborted) throw timedOut();
        const { code } = armError(e);
        if (!accepted && code && target.busyCodes.includes(code)) {
          await sleep(pollMs);
          continue;
        }
        if (!accepted && code && target.alreadyPrimaryCodes.includes(code)) {
          if (claimedPrimary) {
            throw new Error(`${label}: Azure answers ${code}, but the server reads as ${now.role}`);
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
          `${label}: ${settings.mode} failover ${accepted ? "failed in Azure" : "refused"}: ${describe(e)}`,
        );
      }
    }
  };

  return { role, promote };
}

/** What each primary-holding resource's inputs have: where, how, and its call bounds. */
export interface PrimaryInputs extends SessionSettings {
  /** Must be true for mode "forced": the explicit acknowledgment that data can be lost. */
  readonly allowDataLoss: boolean;
}

export interface PrimaryOutputs {
  /** "Primary" once held; a refresh reads the role again. */
  readonly replicationRole: string;
  /** When this resource failed over; "" when the server was already primary. */
  readonly failedOverAt: string;
}

/** How a dynamic resource's caller may bound its calls; each has a default. */
export interface CallArgs {
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

/** The registered call inputs: the args with their defaults. */
export const callInputs = (args: CallArgs, timeoutSeconds: number) => ({
  endpoint: args.endpoint ?? ARM_ENDPOINT,
  timeoutSeconds: args.timeoutSeconds ?? timeoutSeconds,
  pollSeconds: args.pollSeconds ?? 15,
  requestTimeoutSeconds: args.requestTimeoutSeconds ?? 60,
  maxRetries: args.maxRetries ?? 4,
});

/** How a primary-holding resource's caller may bound it; each has a default. */
export interface PrimaryArgs extends CallArgs {
  /** Default "planned". */
  readonly mode?: pulumi.Input<FailoverMode>;
  /** Default false; must be true for mode "forced". */
  readonly allowDataLoss?: pulumi.Input<boolean>;
}

/** The registered inputs of a primary-holding resource: the args with their defaults. */
export const primaryArgs = (args: PrimaryArgs, timeoutSeconds: number) => ({
  mode: args.mode ?? "planned",
  allowDataLoss: args.allowDataLoss ?? false,
  ...callInputs(args, timeoutSeconds),
  replicationRole: undefined,
  failedOverAt: undefined,
});

/** One kind of relationship a dynamic resource holds as primary (a failover group, a link). */
export interface PrimaryKind<I extends PrimaryInputs> {
  /** The input that names what is held: the resource's ID, and a change of it a replacement. */
  readonly idKey: keyof I & string;
  /** The other inputs whose change is an update. */
  readonly settings: readonly (keyof I & string)[];
  /** Inputs of earlier versions no state may keep (withoutRetired). */
  readonly retired: readonly string[];
  readonly target: (inputs: I) => FailoverTarget;
  /** The refusal of a forced failover without the acknowledgment, naming what is held. */
  readonly forceRefusal: (inputs: I) => string;
  /** The error of a routine deployment that finds another primary. */
  readonly notHeld: (inputs: I, role: string) => string;
}

/**
 * The provider of a resource that holds one relationship's primary on its server: it fails the
 * relationship over when created (a promotion, or where the server already is primary), reads the
 * role on refresh, and never moves it on an update or a delete. `access` is called at each
 * operation, so a credential is never older than the call.
 */
export function primaryProvider<I extends PrimaryInputs>(
  kind: PrimaryKind<I>,
  access: () => AzureAccess,
): pulumi.dynamic.ResourceProvider {
  type O = I & PrimaryOutputs;
  const session = (inputs: I, task: "failover" | "role read") =>
    failoverSession(kind.target(inputs), inputs, access(), task);
  const refuseUnacknowledgedForce = (inputs: I) => {
    if (inputs.mode === "forced" && inputs.allowDataLoss !== true)
      throw new Error(kind.forceRefusal(inputs));
  };
  const id = (inputs: I) => String(inputs[kind.idKey]);
  return {
    async create(inputs: I): Promise<pulumi.dynamic.CreateResult> {
      refuseUnacknowledgedForce(inputs);
      const failedOver = await session(inputs, "failover").promote();
      const outs: O = {
        ...withoutRetired(inputs, kind.retired),
        replicationRole: "Primary",
        failedOverAt: failedOver ? new Date().toISOString() : "",
      };
      return { id: id(inputs), outs };
    },

    async read(resourceId: string, props: O): Promise<pulumi.dynamic.ReadResult> {
      const replicationRole = await session(props, "role read").role();
      // Blank: what it held is gone, and so is this resource.
      if (replicationRole === undefined) return { id: "" };
      const clean = withoutRetired(props, kind.retired);
      const { replicationRole: _r, failedOverAt: _f, ...inputs } = clean;
      return { id: resourceId, props: { ...clean, replicationRole }, inputs };
    },

    async diff(_id: string, olds: O, news: I): Promise<pulumi.dynamic.DiffResult> {
      const replaces = olds[kind.idKey] !== news[kind.idKey] ? [kind.idKey] : [];
      const changed = kind.settings.filter((k) => olds[k] !== news[k]);
      // Inputs left in state by an earlier version: an update drops them.
      const retired = kind.retired.some((k) => k in olds);
      // A refresh that read another role: the update reports it (see update).
      const drifted = olds.replicationRole !== "Primary";
      return {
        changes: replaces.length > 0 || changed.length > 0 || retired || drifted,
        replaces,
        deleteBeforeReplace: false,
      };
    },

    async update(_id: string, olds: O, news: I): Promise<pulumi.dynamic.UpdateResult> {
      refuseUnacknowledgedForce(news);
      const target = kind.target(news);
      const role = await session(news, "role read").role();
      if (role === undefined) throw new Error(`${target.label}: ${target.goneMessage}`);
      if (role !== "Primary") throw new Error(kind.notHeld(news, role));
      const outs: O = {
        ...withoutRetired(news, kind.retired),
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
