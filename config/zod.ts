import { z } from "zod";

/** Small builders that make every schema error say what is allowed. */

export const quote = (v: unknown) => JSON.stringify(v);
export const oneOf = (values: readonly string[]) => values.map(quote).join(" | ");

/**
 * A strict object whose unknown-key error lists the keys that are allowed, so typos are caught.
 * `hidden` keys are in the shape only to reject them with a message of their own.
 */
export function strictObject<T extends z.ZodRawShape>(shape: T, hidden: readonly string[] = []) {
  const allowed = Object.keys(shape)
    .filter((k) => !hidden.includes(k))
    .join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `allowed keys: ${allowed}` : undefined),
  });
}

/** A string from a fixed list; the error lists every allowed value. */
export function oneOfStrings(article: "a" | "an", what: string, values: readonly string[]) {
  return z
    .string({ error: `must be ${article} ${what}, one of ${oneOf(values)}` })
    .refine((v) => values.includes(v), {
      error: `unknown ${what}; allowed: ${oneOf(values)}`,
    });
}

/** A whole number in [min, max]. */
export function int(what: string, min: number, max: number) {
  const allowed = `allowed: a whole number of ${what} from ${min} to ${max}`;
  return z
    .int({ error: `not a whole number; ${allowed}` })
    .min(min, { error: `too small; ${allowed}` })
    .max(max, { error: `too large; ${allowed}` });
}

export const bool = () => z.boolean({ error: "must be true or false" });

/** A name used as a map key and in resource names: lowercase, digits, '-'. */
export const KEY_RULE =
  "2-40 characters of lowercase letters, digits and '-', starting with a letter";
export const keyName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,39}$/, { error: `malformed name; allowed: ${KEY_RULE}` });

/** A map keyed by names that follow KEY_RULE. */
export function namedMap<T extends z.ZodType>(value: T) {
  return z.record(keyName, value, { error: "must be a map of name: settings" });
}

const GUID_RULE = "a GUID such as 00000000-0000-0000-0000-000000000000";
export const guid = z
  .string({ error: `must be ${GUID_RULE}` })
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    error: `malformed ID; allowed: ${GUID_RULE}`,
  });
