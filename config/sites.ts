export const SITES = ["primary", "secondary"] as const;
export type Site = (typeof SITES)[number];

/** The other site of the pair. */
export function peerSite(site: Site): Site {
  return site === "primary" ? "secondary" : "primary";
}
