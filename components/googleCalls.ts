/**
 * How the program's own resources call Google APIs (the metastore's workflow runs): the
 * deploying identity, resolved at each call and never kept in an input or output, and one guard
 * on every request. The SDK modules are loaded when a call is made, never at import: a plan does
 * not pay for them, and Pulumi serializes a dynamic provider with `require` calls it resolves
 * from node_modules.
 */

const CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";

/**
 * What the Google clients (gax, REST transport) need of an auth object: the client, for its
 * universe domain, and a fetch that signs each request (google-gax fallback.js, createStub, and
 * fallbackServiceStub.js, which sends every request through `auth.fetch`).
 */
export interface GoogleAuthLike {
  getClient(): Promise<unknown>;
  fetch(url: string | URL, init?: RequestInit): Promise<Response>;
}

/** Who calls, resolved when the call is made: nothing of it is ever an input or output. */
export interface GoogleAccess {
  readonly auth: GoogleAuthLike;
}

/** How the gcp provider's settings name the deploying identity. */
export type GoogleIdentity =
  | { kind: "access-token"; token: string }
  | { kind: "credentials-json"; json: string }
  | { kind: "credentials-file"; path: string }
  | { kind: "default" };

/**
 * The identity the gcp provider deploys with, from the same environment variables it reads, in
 * its order (hashicorp/terraform-provider-google, provider.go: access_token from
 * GOOGLE_OAUTH_ACCESS_TOKEN before credentials from GOOGLE_CREDENTIALS, GOOGLE_CLOUD_KEYFILE_JSON,
 * GCLOUD_KEYFILE_JSON, each either the key's JSON or a path to it); otherwise "default":
 * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth
 * application-default login`, workload identity federation, the metadata server).
 */
export function googleIdentity(env: NodeJS.ProcessEnv): GoogleIdentity {
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim();
  if (token) return { kind: "access-token", token };
  const credentials = [
    env.GOOGLE_CREDENTIALS,
    env.GOOGLE_CLOUD_KEYFILE_JSON,
    env.GCLOUD_KEYFILE_JSON,
  ]
    .map((v) => v?.trim())
    .find((v) => v);
  if (credentials) {
    return credentials.startsWith("{")
      ? { kind: "credentials-json", json: credentials }
      : { kind: "credentials-file", path: credentials };
  }
  return { kind: "default" };
}

/** The deploying identity as a google-auth-library object, built at call time. */
export function deployingGoogleIdentity(env: NodeJS.ProcessEnv = process.env): GoogleAccess {
  const lib = require("google-auth-library") as typeof import("google-auth-library");
  const id = googleIdentity(env);
  switch (id.kind) {
    case "access-token": {
      const client = new lib.OAuth2Client();
      client.setCredentials({ access_token: id.token });
      return { auth: new lib.GoogleAuth({ authClient: client }) };
    }
    case "credentials-json":
      return {
        auth: new lib.GoogleAuth({ credentials: JSON.parse(id.json), scopes: [CLOUD_PLATFORM] }),
      };
    case "credentials-file":
      return { auth: new lib.GoogleAuth({ keyFilename: id.path, scopes: [CLOUD_PLATFORM] }) };
    case "default":
      return { auth: new lib.GoogleAuth({ scopes: [CLOUD_PLATFORM] }) };
  }
}

export interface GoogleGuardOptions {
  /** The only origin a request may go to: the API's endpoint. */
  readonly origin: string;
  /** Each request's own limit, the answer's body included. */
  readonly requestTimeoutMs: number;
}

/**
 * The auth object every client gets: each request goes only to the API's endpoint (the bearer
 * token goes wherever a request goes), never follows a redirect, and fails when it has no
 * complete answer within its time (a silent socket would otherwise hang the deployment).
 */
export function guardedAuth(access: GoogleAccess, options: GoogleGuardOptions): GoogleAuthLike {
  return {
    getClient: () => access.auth.getClient(),
    async fetch(url, init) {
      const target = new URL(String(url));
      if (target.origin !== options.origin) {
        throw new Error(
          `refusing ${init?.method ?? "GET"} ${target.origin}${target.pathname}: only ${options.origin} is called`,
        );
      }
      const timeout = AbortSignal.timeout(Math.max(1, options.requestTimeoutMs));
      const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      const response = await access.auth.fetch(target, { ...init, signal, redirect: "manual" });
      if (response.status >= 300 && response.status < 400) {
        throw new Error(
          `${init?.method ?? "GET"} ${target.pathname}: HTTP ${response.status} redirect to ${response.headers.get("location") ?? "(no location)"} refused`,
        );
      }
      return response;
    },
  };
}

/** Where a client connects, from an endpoint URL (https://host in production, http://127.0.0.1:port in tests). */
export function clientEndpoint(endpoint: string): {
  apiEndpoint: string;
  port: number;
  protocol: string;
  origin: string;
} {
  const url = new URL(endpoint);
  const protocol = url.protocol.replace(/:$/, "");
  return {
    apiEndpoint: url.hostname,
    port: url.port ? Number(url.port) : protocol === "http" ? 80 : 443,
    protocol,
    origin: url.origin,
  };
}

/**
 * The HTTP status of a failed call, from the REST transport's error (the API's error body's
 * code: google-gax googleError.js, parseHttpError) or the auth library's (gaxios `status`).
 */
export function httpStatus(e: unknown): number | undefined {
  const o = e as
    | {
        status?: unknown;
        statusCode?: unknown;
        response?: { status?: unknown };
        rawResponse?: { error?: { code?: unknown } };
      }
    | undefined;
  // statusCode: the Azure SDKs' RestError, for the status command's reads of both clouds.
  for (const v of [o?.status, o?.statusCode, o?.response?.status, o?.rawResponse?.error?.code]) {
    if (typeof v === "number" && v >= 100 && v < 600) return v;
  }
  return undefined;
}

/** gRPC status codes the REST transport maps HTTP answers to (google-gax status.js). */
const RETRYABLE_RPC_CODES = new Set([
  2, // UNKNOWN: a 5xx with no mapping
  4, // DEADLINE_EXCEEDED: 504
  8, // RESOURCE_EXHAUSTED: 429
  13, // INTERNAL: 500
  14, // UNAVAILABLE: 503
]);

/**
 * A failure worth trying again: throttling, a server error, or no answer at all (a network
 * error, a request that timed out, a body that is not the API's JSON).
 */
export function retryable(e: unknown): boolean {
  const status = httpStatus(e);
  if (status !== undefined) return status === 429 || status >= 500;
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === "number") return RETRYABLE_RPC_CODES.has(code);
  return true;
}
