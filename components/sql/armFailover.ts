import * as pulumi from "@pulumi/pulumi";

export const ARM_ENDPOINT = "https://management.azure.com";
export const SQL_FAILOVER_API_VERSION = "2021-11-01";

/** "planned" waits for full synchronization; "forced" may discard transactions not yet replicated. */
export type FailoverMode = "planned" | "forced";

export interface FailoverInputs {
  /** The ARM base URL. */
  endpoint: string;
  /**
   * ARM ID of the failover group as seen from the server that must become primary:
   * /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Sql/servers/<server>/failoverGroups/<name>.
   */
  failoverGroupId: string;
  apiVersion: string;
  mode: FailoverMode;
  /** Must be true for mode "forced": the explicit acknowledgment that data can be lost. */
  allowDataLoss: boolean;
  /** ARM bearer token (a secret; a new token alone is not a change). */
  accessToken: string;
  /** Bounds the whole operation, polling and retries included. */
  timeoutSeconds: number;
  /** Wait between polls when ARM sends no Retry-After; also the first retry backoff. */
  pollSeconds: number;
  /** Retries of a 429 or 5xx answer, per request. */
  maxRetries: number;
}

export interface FailoverOutputs extends FailoverInputs {
  replicationRole: string;
  /** When this resource failed the group over; "" when the server was already primary. */
  failedOverAt: string;
}

/** The ARM action URL that fails the group over onto the server named in failoverGroupId. */
export function failoverUrl(
  failoverGroupId: string,
  mode: FailoverMode,
  apiVersion: string,
  endpoint: string,
): string {
  const action = mode === "forced" ? "forceFailoverAllowDataLoss" : "failover";
  const base = endpoint.replace(/\/+$/, "");
  return `${base}${failoverGroupId}/${action}?api-version=${encodeURIComponent(apiVersion)}`;
}

/**
 * The ARM calls for one failover group, bounded by one deadline. Defined as a factory that only
 * uses globals (fetch, setTimeout, AbortSignal, URL) and failoverUrl, so that Pulumi can
 * serialize the provider that calls it.
 */
function failoverSession(inputs: FailoverInputs, task: "failover" | "role read") {
  const group = inputs.failoverGroupId;
  if (
    !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Sql\/servers\/[^/]+\/failoverGroups\/[^/]+$/i.test(
      group ?? "",
    )
  ) {
    throw new Error(
      `failoverGroupId must be /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Sql/servers/<server>/failoverGroups/<name> (given: ${group})`,
    );
  }
  if (inputs.mode !== "planned" && inputs.mode !== "forced") {
    throw new Error(
      `failover group ${group}: mode must be "planned" or "forced" (given: ${inputs.mode})`,
    );
  }
  for (const k of ["timeoutSeconds", "pollSeconds", "maxRetries"] as const) {
    // A missing number would make the deadline NaN, which never passes.
    if (!Number.isFinite(inputs[k]) || inputs[k] < 0) {
      throw new Error(`failover group ${group}: ${k} must be a number >= 0 (given: ${inputs[k]})`);
    }
  }
  const endpoint = inputs.endpoint.replace(/\/+$/, "");
  const origin = new URL(endpoint).origin;
  const deadline = Date.now() + inputs.timeoutSeconds * 1000;
  const pollMs = inputs.pollSeconds * 1000;
  const maxWaitMs = 60_000;
  const headers = {
    Authorization: `Bearer ${inputs.accessToken}`,
    "Content-Type": "application/json",
  };

  const remaining = () => deadline - Date.now();
  const timedOut = () =>
    new Error(
      `failover group ${group}: ${task} timed out after ${inputs.timeoutSeconds}s` +
        (task === "failover" ? "; a failover already started may still complete in Azure" : ""),
    );
  const wait = async (ms: number) => {
    const left = remaining();
    if (left <= 0) throw timedOut();
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms, left)));
    if (ms >= left) throw timedOut();
  };
  const retryAfterMs = (h: Headers): number | undefined => {
    const v = h.get("retry-after");
    if (v === null || v.trim() === "") return undefined;
    const seconds = Number(v);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const at = Date.parse(v);
    return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
  };
  const parse = (text: string): any => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };

  const request = async (method: "GET" | "POST", url: string) => {
    const u = new URL(url);
    // Polling URLs come from response headers: never send the token off the ARM endpoint.
    if (u.origin !== origin) {
      throw new Error(
        `failover group ${group}: refusing to poll ${u.origin}, which is not ${origin}`,
      );
    }
    const path = u.pathname + u.search;
    for (let attempt = 0; ; attempt++) {
      if (remaining() <= 0) throw timedOut();
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, {
          method,
          headers,
          body: method === "POST" ? "{}" : undefined,
          signal: AbortSignal.timeout(Math.max(1, remaining())),
        });
        text = await res.text();
      } catch (e) {
        if ((e as Error).name === "TimeoutError") throw timedOut();
        const cause = (e as { cause?: { code?: string } }).cause?.code;
        throw new Error(`${method} ${path}: ${(e as Error).message}${cause ? ` (${cause})` : ""}`);
      }
      if (res.status < 400) return { status: res.status, headers: res.headers, body: parse(text) };
      const armError = parse(text)?.error;
      const detail =
        armError?.code || armError?.message
          ? `${armError.code ?? ""}: ${armError.message ?? ""}`
          : text.slice(0, 500) || "(empty body)";
      const error = new Error(`${method} ${path}: HTTP ${res.status} ${detail}`);
      if (res.status !== 429 && res.status < 500) throw error;
      if (attempt >= inputs.maxRetries) {
        if (attempt > 0) error.message += ` (gave up after ${attempt + 1} attempts)`;
        throw error;
      }
      await wait(Math.min(retryAfterMs(res.headers) ?? pollMs * 2 ** attempt, maxWaitMs));
    }
  };

  const roleUrl = `${endpoint}${group}?api-version=${encodeURIComponent(inputs.apiVersion)}`;
  const role = async (): Promise<string> => {
    const res = await request("GET", roleUrl);
    const r = res.body?.properties?.replicationRole;
    if (typeof r !== "string") {
      throw new Error(`failover group ${group}: the GET answer has no properties.replicationRole`);
    }
    return r;
  };

  /** Waits for a 202-accepted operation, by Azure-AsyncOperation, else Location, else the role. */
  const settle = async (accepted: { headers: Headers }) => {
    const asyncUrl = accepted.headers.get("azure-asyncoperation");
    const pollUrl = asyncUrl ?? accepted.headers.get("location");
    let delay = retryAfterMs(accepted.headers) ?? pollMs;
    for (;;) {
      await wait(Math.min(delay, maxWaitMs));
      if (pollUrl === null) {
        if ((await role()) === "Primary") return;
        delay = pollMs;
        continue;
      }
      const res = await request("GET", new URL(pollUrl, endpoint).href);
      if (asyncUrl !== null) {
        const status = String(res.body?.status ?? "");
        if (/^succeeded$/i.test(status)) return;
        if (/^(failed|canceled|cancelled)$/i.test(status)) {
          const e = res.body?.error ?? {};
          throw new Error(
            `failover group ${group}: failover ${status}: ${e.code ?? "(no code)"}: ${e.message ?? "(no message)"}`,
          );
        }
      } else if (res.status !== 202) {
        return;
      }
      delay = retryAfterMs(res.headers) ?? pollMs;
    }
  };

  /** Makes the server primary unless it already is; returns whether it failed over. */
  const promote = async (): Promise<boolean> => {
    if ((await role()) === "Primary") return false;
    const res = await request("POST", failoverUrl(group, inputs.mode, inputs.apiVersion, endpoint));
    if (res.status === 202) await settle(res);
    const after = await role();
    if (after !== "Primary") {
      throw new Error(
        `failover group ${group}: failover finished but this server is ${after}, not Primary`,
      );
    }
    return true;
  };

  return { role, promote };
}

function refuseUnacknowledgedForce(inputs: FailoverInputs): void {
  if (inputs.mode === "forced" && inputs.allowDataLoss !== true) {
    throw new Error(
      `failover group ${inputs.failoverGroupId}: forced failover can lose data (transactions not yet replicated to this server); it needs the explicit acknowledgment allowDataLoss: true`,
    );
  }
}

/**
 * Makes the server named in failoverGroupId the primary of its failover group, on create and on
 * any update that finds it is not (after `pulumi refresh` read another role). Idempotent: no
 * failover when the server is already primary. Self-contained so that Pulumi can serialize it as
 * a dynamic provider.
 */
export const failoverGroupPrimaryProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: FailoverInputs): Promise<pulumi.dynamic.CreateResult> {
    refuseUnacknowledgedForce(inputs);
    const failedOver = await failoverSession(inputs, "failover").promote();
    const outs: FailoverOutputs = {
      ...inputs,
      replicationRole: "Primary",
      failedOverAt: failedOver ? new Date().toISOString() : "",
    };
    return { id: inputs.failoverGroupId, outs };
  },

  async read(id: string, props: FailoverOutputs): Promise<pulumi.dynamic.ReadResult> {
    const replicationRole = await failoverSession(props, "role read").role();
    return { id, props: { ...props, replicationRole } };
  },

  async diff(
    _id: string,
    olds: FailoverOutputs,
    news: FailoverInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces = olds.failoverGroupId !== news.failoverGroupId ? ["failoverGroupId"] : [];
    const changed = (
      [
        "mode",
        "allowDataLoss",
        "endpoint",
        "apiVersion",
        "timeoutSeconds",
        "pollSeconds",
        "maxRetries",
      ] as const
    ).filter((k) => olds[k] !== news[k]);
    // A refresh that read another role makes the next update fail over again.
    const drifted = olds.replicationRole !== "Primary";
    return {
      changes: replaces.length > 0 || changed.length > 0 || drifted,
      replaces,
      deleteBeforeReplace: false,
    };
  },

  async update(
    _id: string,
    olds: FailoverOutputs,
    news: FailoverInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    refuseUnacknowledgedForce(news);
    // An update re-asserts a role the hold already took (drift read by a refresh, or changed
    // settings): never the forced failover, which only the promotion's create may make.
    const failedOver = await failoverSession({ ...news, mode: "planned" }, "failover").promote();
    const outs: FailoverOutputs = {
      ...news,
      replicationRole: "Primary",
      failedOverAt: failedOver ? new Date().toISOString() : olds.failedOverAt,
    };
    return { outs };
  },

  async delete(): Promise<void> {
    // Failing back is a decision for a later promotion of the other stack, never a side effect
    // of removing this resource.
  },
};

export interface FailoverGroupPrimaryArgs {
  /** The failover group's ARM ID under the server that must become primary. */
  readonly failoverGroupId: pulumi.Input<string>;
  readonly accessToken: pulumi.Input<string>;
  /** Default "planned". */
  readonly mode?: pulumi.Input<FailoverMode>;
  /** Default false; must be true for mode "forced". */
  readonly allowDataLoss?: pulumi.Input<boolean>;
  /** Default 3600. */
  readonly timeoutSeconds?: pulumi.Input<number>;
  /** Default 15. */
  readonly pollSeconds?: pulumi.Input<number>;
  /** Default 4. */
  readonly maxRetries?: pulumi.Input<number>;
  /** Default "2021-11-01". */
  readonly apiVersion?: pulumi.Input<string>;
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
  public readonly replicationRole!: pulumi.Output<string>;
  public readonly failedOverAt!: pulumi.Output<string>;

  constructor(name: string, args: FailoverGroupPrimaryArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      failoverGroupPrimaryProvider,
      name,
      {
        endpoint: args.endpoint ?? ARM_ENDPOINT,
        failoverGroupId: args.failoverGroupId,
        apiVersion: args.apiVersion ?? SQL_FAILOVER_API_VERSION,
        mode: args.mode ?? "planned",
        allowDataLoss: args.allowDataLoss ?? false,
        accessToken: pulumi.secret(args.accessToken),
        timeoutSeconds: args.timeoutSeconds ?? 3600,
        pollSeconds: args.pollSeconds ?? 15,
        maxRetries: args.maxRetries ?? 4,
        replicationRole: undefined,
        failedOverAt: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["accessToken"] }),
    );
  }
}
