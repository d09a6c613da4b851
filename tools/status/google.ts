import {
  clientEndpoint,
  guardedAuth,
  httpStatus,
  retryable,
  type GoogleAccess,
} from "../../components/googleCalls";

/**
 * Reads of Google JSON APIs for the status command, signed by google-auth-library with the
 * identity resolved at call time. Cloud Storage is read through the auth library's fetch, not
 * @google-cloud/storage: version 7 (the last that runs on Node 20) bundles google-auth-library 9,
 * whose clients do not sign requests for an auth object of version 10, which the other Google
 * clients here need. Every request goes only to the API's origin, follows no redirect, has its
 * own time limit, and is retried a bounded number of times on throttling, server and network
 * errors.
 */

export interface ReadBounds {
  readonly requestTimeoutMs: number;
  readonly maxRetries: number;
  /** The first retry's wait; it doubles per retry. */
  readonly retryDelayMs: number;
}

export const DEFAULT_READ_BOUNDS: ReadBounds = {
  requestTimeoutMs: 30_000,
  maxRetries: 3,
  retryDelayMs: 500,
};

export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export type JsonGet = <T>(path: string, query?: Record<string, string>) => Promise<T>;

/** GETs JSON from `endpoint` (https://storage.googleapis.com, or a loopback server in tests). */
export function googleJson(
  access: GoogleAccess,
  endpoint: string,
  bounds: ReadBounds = DEFAULT_READ_BOUNDS,
): JsonGet {
  const { origin } = clientEndpoint(endpoint);
  const auth = guardedAuth(access, { origin, requestTimeoutMs: bounds.requestTimeoutMs });
  return async <T>(path: string, query: Record<string, string> = {}) => {
    const url = new URL(path, origin);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return retrying(`GET ${url.pathname}`, bounds, async () => {
      // As google-gax's REST transport asks (fallbackServiceStub.js): the body is left unread
      // for us, not parsed by gaxios.
      const response = await auth
        .fetch(url, { responseType: "stream" } as RequestInit)
        .catch((e: unknown) => {
          // gaxios fails a 3xx it was told not to follow before the guard sees it: say so.
          const status = httpStatus(e);
          if (status === undefined || status < 300 || status >= 400) throw e;
          const headers = (e as { response?: { headers?: Headers } }).response?.headers;
          throw new HttpError(
            `HTTP ${status} redirect to ${headers?.get?.("location") ?? "(no location)"} refused`,
            status,
          );
        });
      // gaxios has thrown for any status but 2xx (its default validateStatus), with the status.
      const text = await response.text();
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new Error(`the answer is not JSON: ${text.slice(0, 80)}`);
      }
    });
  };
}

/** `f`, tried again after a failure worth retrying, at most `maxRetries` more times. */
export async function retrying<T>(
  what: string,
  bounds: ReadBounds,
  f: () => Promise<T>,
  worthRetrying: (e: unknown) => boolean = retryable,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (!worthRetrying(e) || attempt >= bounds.maxRetries) {
        const tries = attempt + 1;
        const message = (e as Error)?.message ?? String(e);
        const status = httpStatus(e);
        const http =
          status !== undefined && !message.startsWith(`HTTP ${status}`) ? `HTTP ${status}: ` : "";
        throw new Error(`${what}: ${http}${message}${tries > 1 ? ` (${tries} attempts)` : ""}`);
      }
      await new Promise((resolve) => setTimeout(resolve, bounds.retryDelayMs * 2 ** attempt));
    }
  }
}
