import type * as pulumi from "@pulumi/pulumi";
import type { AzureAccess } from "../azureCalls";
import { requestGuard } from "../azureCalls";

/** The AzureDatabricks first-party application: the audience of a workspace's Entra ID tokens. */
export const AZURE_DATABRICKS_SCOPE = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default";

/** The longest single wait: a Retry-After, a retry backoff. */
const MAX_WAIT_SECONDS = 60;

const number = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;

/** A Jobs API error, with its HTTP status and Databricks error_code. */
export interface JobsApiError extends Error {
  status: number;
  errorCode?: string;
}

export interface DatabricksBounds {
  /** Bounds each call, its retries included. */
  readonly timeoutSeconds: number;
  /** Bounds each attempt of each request. */
  readonly requestTimeoutSeconds: number;
  /** Retries of one request (5xx, 429, network errors, timeouts). */
  readonly maxRetries: number;
}

/**
 * Calls to a workspace's REST API on @azure/core-rest-pipeline: retries, a bearer token from
 * `access` for the AzureDatabricks application, the request guard on every attempt (only the
 * workspace's origin, its own limit), no redirects. Errors name `label`, the call, the HTTP
 * status and the Databricks error_code.
 */
export function databricksApi(
  label: string,
  host: string,
  access: AzureAccess,
  bounds: DatabricksBounds,
): (method: "GET" | "POST", path: string, body?: unknown) => Promise<unknown> {
  let origin: string;
  try {
    const url = new URL(host);
    if (url.protocol !== "https:") throw new Error("not https");
    origin = url.origin;
  } catch {
    throw new Error(`${label}: host must be the workspace's https:// URL (given: ${host})`);
  }
  for (const k of ["timeoutSeconds", "requestTimeoutSeconds", "maxRetries"] as const) {
    // A missing number would make a deadline NaN, which never passes.
    if (!number(bounds[k]))
      throw new Error(`${label}: ${k} must be a number >= 0 (given: ${bounds[k]})`);
  }
  const crp = require("@azure/core-rest-pipeline") as typeof import("@azure/core-rest-pipeline");
  const pipeline = crp.createPipelineFromOptions({
    retryOptions: {
      maxRetries: bounds.maxRetries,
      retryDelayInMs: 1000,
      maxRetryDelayInMs: MAX_WAIT_SECONDS * 1000,
    },
    redirectOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: "paired-dr" },
    ...(access.tls && { tlsOptions: { ca: access.tls.ca } }),
  });
  pipeline.addPolicy(
    crp.bearerTokenAuthenticationPolicy({
      credential: access.credential,
      scopes: AZURE_DATABRICKS_SCOPE,
    }),
    { phase: "Sign" },
  );
  pipeline.addPolicy(
    requestGuard({
      origin,
      requestTimeoutMs: bounds.requestTimeoutSeconds * 1000,
      maxWaitSeconds: MAX_WAIT_SECONDS,
    }),
    { afterPhase: "Sign" },
  );
  const http = crp.createDefaultHttpClient();

  return async function call(method, path, body) {
    const abortSignal = AbortSignal.timeout(Math.max(1, bounds.timeoutSeconds * 1000));
    let response;
    try {
      response = await pipeline.sendRequest(
        http,
        crp.createPipelineRequest({
          url: `${origin}${path}`,
          method,
          abortSignal,
          headers: crp.createHttpHeaders({ "content-type": "application/json" }),
          ...(body !== undefined && { body: JSON.stringify(body) }),
        }),
      );
    } catch (e) {
      if (abortSignal.aborted)
        throw new Error(`${label}: ${method} ${path} timed out after ${bounds.timeoutSeconds}s`);
      throw new Error(`${label}: ${method} ${path}: ${(e as Error).message}`);
    }
    const text = response.bodyAsText ?? "";
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (response.status >= 400) {
      const err = json as { error_code?: unknown; message?: unknown } | undefined;
      const code = typeof err?.error_code === "string" ? err.error_code : undefined;
      const message = typeof err?.message === "string" ? err.message : text.slice(0, 200);
      const error = new Error(
        `${label}: ${method} ${path}: HTTP ${response.status}${code ? ` ${code}` : ""}: ${message}`,
      ) as JobsApiError;
      error.status = response.status;
      if (code) error.errorCode = code;
      throw error;
    }
    if (json === undefined || json === null || typeof json !== "object")
      throw new Error(`${label}: ${method} ${path}: the answer is not a JSON object`);
    return json;
  };
}

/** The Entra ID methods this resource signs in with, as the Databricks provider names them. */
export type DatabricksAuthType = "azure-cli" | "azure-msi" | "azure-client-secret";

/** How the credential for an auth type is made, from the same variables the provider reads. */
export type DatabricksIdentity =
  | { kind: "azure-cli"; tenantId: string }
  | { kind: "managed-identity"; clientId?: string }
  | { kind: "client-secret"; tenantId: string; clientId: string; secret: string };

/**
 * The identity for `authType`, as the Databricks SDK's Entra ID strategies find it
 * (databricks-sdk-go config/auth_azure_cli.go, auth_azure_msi.go, auth_azure_client_secret.go:
 * ARM_CLIENT_ID, ARM_CLIENT_SECRET); throws when the environment cannot provide it.
 */
export function databricksIdentity(
  authType: string,
  tenantId: string,
  env: NodeJS.ProcessEnv,
): DatabricksIdentity {
  switch (authType) {
    case "azure-cli":
      return { kind: "azure-cli", tenantId };
    case "azure-msi":
      return {
        kind: "managed-identity",
        ...(env.ARM_CLIENT_ID && { clientId: env.ARM_CLIENT_ID }),
      };
    case "azure-client-secret":
      if (!env.ARM_CLIENT_ID || !env.ARM_CLIENT_SECRET)
        throw new Error(
          "azure.databricksAuthType azure-client-secret needs ARM_CLIENT_ID and ARM_CLIENT_SECRET in the environment, as the Databricks provider does",
        );
      return {
        kind: "client-secret",
        tenantId,
        clientId: env.ARM_CLIENT_ID,
        secret: env.ARM_CLIENT_SECRET,
      };
    default:
      throw new Error(
        `authType must be "azure-cli", "azure-msi" or "azure-client-secret" (given: ${authType})`,
      );
  }
}

/** The credential for `authType`, built when the call is made. */
export function databricksAccess(
  authType: string,
  tenantId: string,
  env: NodeJS.ProcessEnv = process.env,
): AzureAccess {
  const identity = require("@azure/identity") as typeof import("@azure/identity");
  const id = databricksIdentity(authType, tenantId, env);
  switch (id.kind) {
    case "azure-cli":
      return { credential: new identity.AzureCliCredential({ tenantId: id.tenantId }) };
    case "managed-identity":
      return {
        credential: id.clientId
          ? new identity.ManagedIdentityCredential({ clientId: id.clientId })
          : new identity.ManagedIdentityCredential(),
      };
    case "client-secret":
      return {
        credential: new identity.ClientSecretCredential(id.tenantId, id.clientId, id.secret),
      };
  }
}

/** How a Databricks dynamic resource reaches its workspace, and the bounds of its requests. */
export interface WorkspaceCallArgs {
  /** The workspace's https:// URL. */
  readonly host: pulumi.Input<string>;
  readonly authType: pulumi.Input<DatabricksAuthType>;
  readonly tenantId: pulumi.Input<string>;
  /** Default 30. */
  readonly requestTimeoutSeconds?: pulumi.Input<number>;
  /** Default 4. */
  readonly maxRetries?: pulumi.Input<number>;
}

/** The inputs a Databricks dynamic resource registers from them, with the defaults. */
export const workspaceCallInputs = (args: WorkspaceCallArgs) => ({
  host: args.host,
  authType: args.authType,
  tenantId: args.tenantId,
  requestTimeoutSeconds: args.requestTimeoutSeconds ?? 30,
  maxRetries: args.maxRetries ?? 4,
});
