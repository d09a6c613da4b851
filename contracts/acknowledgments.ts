/**
 * The one-promotion acknowledgments: config keys a promotion pull request sets and the next one
 * removes. The program records which are set (deployment facts, lastAcknowledgments) and the
 * promotion gate reads them back, so both sides share this list.
 */

/** Config keys that acknowledge one promotion and must be removed once it is done. */
export const ONE_PROMOTION_KEYS = [
  "promotion.acceptColdStandbyRto",
  "promotion.acknowledgeForcedFailover",
  "sql.failover.mode",
  "sql.failover.acknowledgeDataLoss",
] as const;
export type OnePromotionKey = (typeof ONE_PROMOTION_KEYS)[number];

/** The one-promotion keys a config sets (`sql.failover.mode` counts when it is `forced`). */
export function acknowledgmentsSet(c: {
  promotion: { acceptColdStandbyRto: boolean; acknowledgeForcedFailover: boolean };
  sql: { failoverMode: "planned" | "forced"; acknowledgeDataLoss: boolean };
}): OnePromotionKey[] {
  const set: Record<OnePromotionKey, boolean> = {
    "promotion.acceptColdStandbyRto": c.promotion.acceptColdStandbyRto,
    "promotion.acknowledgeForcedFailover": c.promotion.acknowledgeForcedFailover,
    "sql.failover.mode": c.sql.failoverMode === "forced",
    "sql.failover.acknowledgeDataLoss": c.sql.acknowledgeDataLoss,
  };
  return ONE_PROMOTION_KEYS.filter((k) => set[k]);
}
