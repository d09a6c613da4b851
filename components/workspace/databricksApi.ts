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
