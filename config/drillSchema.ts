import { z } from "zod";
import { strictObject } from "./zod";

/**
 * A DR drill (issue 15, seed 000: drill regularly; Azure Site Recovery's test failover is the
 * model): on the passive standby, without changing any role, schedule or production resource,
 * restore the newest metastore backup into a scratch service, deep-clone each replicated table
 * into a scratch folder of the standby's lake and check it against the active site. Set in the
 * secondary's stack file only; `false` (or no key) turns it off and removes the scratch.
 */
export const DRILL_ID_RULE =
  "1-20 characters of lowercase letters, digits and '-', starting with a letter or digit, e.g. \"2026-11\"";

export const drillSchema = z
  .union(
    [
      z.literal(false),
      strictObject({
        /** Names the drill: a new id runs it again; the report is kept under it. */
        id: z
          .string({ error: `must be a drill id: ${DRILL_ID_RULE}` })
          .regex(/^[a-z0-9][a-z0-9-]{0,19}$/, {
            error: `malformed drill id; allowed: ${DRILL_ID_RULE}`,
          }),
      }),
    ],
    { error: `must be false or {id: <drill id>} (${DRILL_ID_RULE})` },
  )
  .default(false);

export type DrillSpec = z.output<typeof drillSchema>;
