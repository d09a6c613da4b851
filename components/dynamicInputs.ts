/**
 * What the program's dynamic resources (the failover hold, the workflow run) share about their
 * inputs: the bounds of their calls, checked before any call, and the inputs an earlier version
 * kept that no state may keep now.
 */

/** How long a dynamic resource's calls may take, and how often they are tried. */
export interface CallBounds {
  /** Bounds the whole operation, polling and retries included. */
  readonly timeoutSeconds: number;
  /** Wait between polls; also the first retry backoff. */
  readonly pollSeconds: number;
  /** Bounds each request, its answer's body included. */
  readonly requestTimeoutSeconds: number;
  /** Retries of one request. */
  readonly maxRetries: number;
}

const BOUNDS = ["timeoutSeconds", "pollSeconds", "requestTimeoutSeconds", "maxRetries"] as const;

/** Throws, naming `label`, unless every bound is a number >= 0. */
export function requireBounds(label: string, inputs: CallBounds): void {
  for (const k of BOUNDS) {
    const v: unknown = inputs[k];
    // A missing number would make a deadline NaN, which never passes.
    if (!(typeof v === "number" && Number.isFinite(v) && v >= 0))
      throw new Error(`${label}: ${k} must be a number >= 0 (given: ${String(v)})`);
  }
}

/**
 * A dynamic resource's state without the inputs an earlier version kept and no resource may keep
 * now (a bearer token: stale within the hour, and no credential belongs in state). An update
 * writes the state without them.
 */
export function withoutRetired<T extends object>(o: T, retired: readonly string[]): T {
  const out = { ...o } as Record<string, unknown>;
  for (const k of retired) delete out[k];
  return out as T;
}
