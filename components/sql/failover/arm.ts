import type { SqlManagementClient } from "@azure/arm-sql";
import { requestGuard, type AzureAccess } from "../../azureCalls";
import type { CallBounds } from "../../dynamicInputs";

/**
 * The Azure Resource Manager side of a failover-group hold, through the official SDK
 * (`@azure/arm-sql` on `@azure/core-rest-pipeline`). The SDK modules are loaded when a call is
 * made, never at import: a plan does not pay for them, and Pulumi serializes the hold's provider
 * with `require` calls it resolves from the project's node_modules.
 */

export const ARM_ENDPOINT = "https://management.azure.com";

export interface FailoverGroupRef {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly server: string;
  readonly name: string;
}

const GROUP_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/servers\/([^/]+)\/failoverGroups\/([^/]+)$/i;

/** The parts of a failover group's ARM ID under one of its servers; throws on anything else. */
export function parseFailoverGroupId(id: string): FailoverGroupRef {
  const m = GROUP_ID.exec(id ?? "");
  if (!m) {
    throw new Error(
      `failoverGroupId must be /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Sql/servers/<server>/failoverGroups/<name> (given: ${id})`,
    );
  }
  return { subscriptionId: m[1]!, resourceGroup: m[2]!, server: m[3]!, name: m[4]! };
}

export interface ClientOptions {
  readonly endpoint: string;
  readonly subscriptionId: string;
  readonly requestTimeoutMs: number;
  /** Retries of one request: 5xx, 408, network errors and timeouts, and 429/503 with Retry-After. */
  readonly maxRetries: number;
  /** The first retry's backoff; it doubles per retry up to maxWaitSeconds. */
  readonly retryDelayMs: number;
  readonly maxWaitSeconds: number;
}

/** A SqlManagementClient on one endpoint, with the guard on every attempt and no redirects. */
export function sqlClient(access: AzureAccess, o: ClientOptions): SqlManagementClient {
  const { SqlManagementClient } = require("@azure/arm-sql") as typeof import("@azure/arm-sql");
  const endpoint = o.endpoint.replace(/\/+$/, "");
  return new SqlManagementClient(access.credential, o.subscriptionId, {
    endpoint,
    // Request URLs are built on $host, not on endpoint (arm-sql SqlManagementClient constructor).
    $host: endpoint,
    credentialScopes: `${endpoint}/.default`,
    retryOptions: {
      maxRetries: o.maxRetries,
      retryDelayInMs: o.retryDelayMs,
      maxRetryDelayInMs: o.maxWaitSeconds * 1000,
    },
    redirectOptions: { maxRetries: 0 },
    ...(access.tls && { tlsOptions: { ca: access.tls.ca } }),
    userAgentOptions: { userAgentPrefix: "paired-dr" },
    additionalPolicies: [
      {
        policy: requestGuard({
          origin: new URL(endpoint).origin,
          requestTimeoutMs: o.requestTimeoutMs,
          maxWaitSeconds: o.maxWaitSeconds,
        }),
        position: "perRetry",
      },
    ],
  });
}

/** The longest single wait: a Retry-After, a retry backoff. */
export const MAX_WAIT_SECONDS = 60;

/**
 * A dynamic resource's client and the one deadline of its operation, from its call bounds: each
 * request bounded, retried as the bounds say (the first backoff is the poll interval).
 */
export function boundedSqlClient(
  access: AzureAccess,
  o: CallBounds & { readonly endpoint: string; readonly subscriptionId: string },
) {
  const pollMs = o.pollSeconds * 1000;
  return {
    pollMs,
    signal: AbortSignal.timeout(Math.max(1, o.timeoutSeconds * 1000)),
    client: sqlClient(access, {
      endpoint: o.endpoint,
      subscriptionId: o.subscriptionId,
      requestTimeoutMs: o.requestTimeoutSeconds * 1000,
      maxRetries: o.maxRetries,
      retryDelayMs: pollMs,
      maxWaitSeconds: MAX_WAIT_SECONDS,
    }),
  };
}

/** An ARM error's code and HTTP status, from the SDK's RestError (or nothing for other errors). */
export function armError(e: unknown): { code?: string; status?: number; message: string } {
  const err = e as { code?: unknown; statusCode?: unknown; message?: unknown };
  return {
    ...(typeof err?.code === "string" && { code: err.code }),
    ...(typeof err?.statusCode === "number" && { status: err.statusCode }),
    message: typeof err?.message === "string" ? err.message : String(e),
  };
}
