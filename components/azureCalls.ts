import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";

/**
 * How the program's own resources call Azure-authenticated APIs (ARM for the failover holds, a
 * Databricks workspace for job concurrency): the deploying identity, resolved at each call and
 * never kept in an input or output, and one guard on every attempt of every request. The SDK
 * modules are loaded when a call is made, never at import: a plan does not pay for them, and
 * Pulumi serializes a dynamic provider with `require` calls it resolves from node_modules.
 */

/** Who calls, resolved when the call is made: nothing of it is ever an input or output. */
export interface AzureAccess {
  readonly credential: TokenCredential;
  /** Extra trust roots, for an endpoint with a private CA (a loopback server in the tests). */
  readonly tls?: { readonly ca: string };
}

/** How the azure-native provider's ARM_* settings name the deploying identity. */
export type ArmIdentity =
  | { kind: "client-secret"; tenantId: string; clientId: string; secret: string }
  | {
      kind: "client-certificate";
      tenantId: string;
      clientId: string;
      certificatePath: string;
      certificatePassword?: string;
    }
  | { kind: "oidc-token"; tenantId: string; clientId: string; token: string }
  | { kind: "oidc-token-file"; tenantId: string; clientId: string; tokenFile: string }
  | { kind: "managed-identity"; clientId?: string }
  | { kind: "default" };

/**
 * The identity the azure-native provider deploys with, from the same environment variables it
 * reads (pulumi/pulumi-azure-native, the provider's readAuthConfig: ARM_CLIENT_ID, ARM_TENANT_ID,
 * ARM_CLIENT_SECRET, ARM_CLIENT_CERTIFICATE_PATH, ARM_USE_OIDC with ARM_OIDC_TOKEN or
 * ARM_OIDC_TOKEN_FILE_PATH, ARM_USE_MSI); otherwise "default": DefaultAzureCredential, which
 * finds `az login` (also what azure/login leaves behind in GitHub Actions), AZURE_* variables,
 * workload identity or a managed identity.
 */
export function armIdentity(env: NodeJS.ProcessEnv): ArmIdentity {
  const tenantId = env.ARM_TENANT_ID;
  const clientId = env.ARM_CLIENT_ID;
  const on = (v: string | undefined) => /^true$/i.test(v ?? "");
  if (tenantId && clientId) {
    if (env.ARM_CLIENT_SECRET)
      return { kind: "client-secret", tenantId, clientId, secret: env.ARM_CLIENT_SECRET };
    if (env.ARM_CLIENT_CERTIFICATE_PATH)
      return {
        kind: "client-certificate",
        tenantId,
        clientId,
        certificatePath: env.ARM_CLIENT_CERTIFICATE_PATH,
        ...(env.ARM_CLIENT_CERTIFICATE_PASSWORD && {
          certificatePassword: env.ARM_CLIENT_CERTIFICATE_PASSWORD,
        }),
      };
    if (on(env.ARM_USE_OIDC) && env.ARM_OIDC_TOKEN)
      return { kind: "oidc-token", tenantId, clientId, token: env.ARM_OIDC_TOKEN };
    if (on(env.ARM_USE_OIDC) && env.ARM_OIDC_TOKEN_FILE_PATH)
      return {
        kind: "oidc-token-file",
        tenantId,
        clientId,
        tokenFile: env.ARM_OIDC_TOKEN_FILE_PATH,
      };
  }
  if (on(env.ARM_USE_MSI)) return { kind: "managed-identity", ...(clientId && { clientId }) };
  return { kind: "default" };
}

/** The deploying identity as an `@azure/identity` credential, built at call time. */
export function deployingIdentity(env: NodeJS.ProcessEnv = process.env): AzureAccess {
  const identity = require("@azure/identity") as typeof import("@azure/identity");
  const id = armIdentity(env);
  switch (id.kind) {
    case "client-secret":
      return {
        credential: new identity.ClientSecretCredential(id.tenantId, id.clientId, id.secret),
      };
    case "client-certificate":
      return {
        credential: new identity.ClientCertificateCredential(id.tenantId, id.clientId, {
          certificatePath: id.certificatePath,
          ...(id.certificatePassword && { certificatePassword: id.certificatePassword }),
        }),
      };
    case "oidc-token":
      return {
        credential: new identity.ClientAssertionCredential(
          id.tenantId,
          id.clientId,
          async () => id.token,
        ),
      };
    case "oidc-token-file":
      // Read at each token request: a federated token file is rotated under the process.
      return {
        credential: new identity.ClientAssertionCredential(id.tenantId, id.clientId, async () =>
          (require("node:fs") as typeof import("node:fs"))
            .readFileSync(id.tokenFile, "utf8")
            .trim(),
        ),
      };
    case "managed-identity":
      return {
        credential: id.clientId
          ? new identity.ManagedIdentityCredential({ clientId: id.clientId })
          : new identity.ManagedIdentityCredential(),
      };
    case "default":
      return { credential: new identity.DefaultAzureCredential() };
  }
}

/**
 * A Retry-After value (RFC 9110 section 10.2.3: delay-seconds or an HTTP date) as whole seconds
 * within [0, maxSeconds]; undefined when it is neither, or negative. The SDK takes the header at
 * its word: a negative value polls without pause, a huge one sleeps past any deadline
 * (@azure/core-lro parseRetryAfter, core-rest-pipeline throttlingRetryStrategy).
 */
export function retryAfterSeconds(
  value: string | undefined,
  now: number,
  maxSeconds: number,
): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Math.min(Number(v), maxSeconds);
  if (/^[+-]?\d/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, Math.ceil((at - now) / 1000)), maxSeconds);
}

const RETRY_AFTER_HEADERS = ["retry-after-ms", "x-ms-retry-after-ms"];

export interface GuardOptions {
  /** The only origin a request may go to: the API's endpoint. */
  readonly origin: string;
  /** Each attempt's own limit, the answer's body included. */
  readonly requestTimeoutMs: number;
  /** The longest wait a Retry-After may ask for. */
  readonly maxWaitSeconds: number;
}

/**
 * Every attempt of every request (polls included): only to the API's endpoint (polling URLs come
 * from response headers, and the bearer token goes wherever a request goes), within its own
 * timeout (a silent socket fails the attempt as ETIMEDOUT, which the SDK's retry policy retries),
 * never following a redirect, and with any Retry-After rewritten to sane whole seconds.
 */
export function requestGuard(options: GuardOptions): PipelinePolicy {
  return {
    name: "pairedDrRequestGuard",
    async sendRequest(request, next) {
      const { RestError } =
        require("@azure/core-rest-pipeline") as typeof import("@azure/core-rest-pipeline");
      const url = new URL(request.url);
      const what = `${request.method} ${url.pathname}`;
      if (url.origin !== options.origin) {
        throw new Error(
          `refusing ${request.method} ${url.origin}${url.pathname}: only ${options.origin} is called`,
        );
      }
      const outer = request.abortSignal;
      const attempt = new AbortController();
      let ownTimeout = false;
      const timer = setTimeout(
        () => {
          ownTimeout = true;
          attempt.abort();
        },
        Math.max(1, options.requestTimeoutMs),
      );
      const onOuter = () => attempt.abort();
      if (outer?.aborted) attempt.abort();
      outer?.addEventListener("abort", onOuter);
      request.abortSignal = attempt.signal;
      try {
        const response = await next(request);
        if (response.status >= 300 && response.status < 400) {
          throw new Error(
            `${what}: HTTP ${response.status} redirect to ${response.headers.get("location") ?? "(no location)"} refused`,
          );
        }
        for (const h of RETRY_AFTER_HEADERS) response.headers.delete(h);
        const retryAfter = response.headers.get("retry-after");
        if (retryAfter !== undefined) {
          const seconds = retryAfterSeconds(retryAfter, Date.now(), options.maxWaitSeconds);
          if (seconds === undefined) response.headers.delete("retry-after");
          else response.headers.set("retry-after", String(seconds));
        }
        return response;
      } catch (e) {
        if (ownTimeout && !outer?.aborted) {
          throw new RestError(
            `${what}: no complete answer within ${options.requestTimeoutMs / 1000}s`,
            { code: "ETIMEDOUT", request },
          );
        }
        throw e;
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener("abort", onOuter);
        request.abortSignal = outer;
      }
    },
  };
}
