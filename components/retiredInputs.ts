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
