export const SITES = ["primary", "secondary"] as const;
export type Site = (typeof SITES)[number];
