import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "./helpers";

/**
 * Runs a Cloud Workflows file as written, for the subset of the syntax this repo's workflows use
 * (assign, call, try/retry/except, switch with next/return/raise/assign, for with continue and
 * break, subworkflows), with the
 * standard-library functions they call. Calls that leave the workflow (http.get, http.post...) go
 * to functions the test supplies; an error they throw is the workflow's exception (a map with
 * `code` for an HTTP error), and a raise surfaces as a WorkflowRaised.
 * Syntax reference: https://cloud.google.com/workflows/docs/reference/syntax
 */

type Step = Record<string, any>;
type Vars = Record<string, unknown>;
export type External = (args: Vars) => unknown;

export class WorkflowRaised extends Error {
  constructor(readonly value: unknown) {
    super(`workflow raised ${JSON.stringify(value)}`);
  }
}

class Returned {
  constructor(readonly value: unknown) {}
}

/** http.default_retry: 429, 502, 503, 504 and connection errors, up to 5 retries. */
const DEFAULT_RETRY = {
  codes: [429, 502, 503, 504],
  tags: ["ConnectionError", "TimeoutError"],
  maxRetries: 5,
};

const STRING = /"(?:[^"\\]|\\.)*"/g;

/** A Workflows expression as JavaScript: operators and reserved names outside string literals. */
function translate(expr: string): string {
  const code = expr.slice(2, -1);
  let out = "";
  let last = 0;
  const rewrite = (s: string) =>
    s
      .replace(/\band\b/g, "&&")
      .replace(/\bor\b/g, "||")
      .replace(/\bnot\s*\(/g, "__not(")
      .replace(/\bdefault\s*\(/g, "__default(");
  for (const m of code.matchAll(STRING)) {
    out += rewrite(code.slice(last, m.index)) + m[0];
    last = m.index! + m[0].length;
  }
  return out + rewrite(code.slice(last));
}

function getType(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "double";
  if (typeof v === "string") return "string";
  return Array.isArray(v) ? "list" : "map";
}

export class WorkflowRunner {
  private readonly program: Record<string, { params?: string[]; steps: Step[] }>;

  constructor(
    file: string,
    private readonly env: Record<string, string>,
    private readonly externals: Record<string, External>,
    /** The clock sys.now() reads, in seconds (a test's sys.sleep can move it). */
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    this.program = parse(fs.readFileSync(path.join(ROOT, file), "utf8"));
  }

  /** Every external call made, in order. */
  readonly calls: { name: string; args: Vars }[] = [];

  /**
   * The most memory the variables of one (sub)workflow held after any step, as Workflows counts
   * it: the JSON of their values, near enough (8 bytes per number or boolean, strings and
   * containers by their contents; docs, reference/syntax/variables).
   */
  peakVariableBytes = 0;

  run(args: unknown = {}): unknown {
    return this.invoke("main", { args });
  }

  private invoke(name: string, vars: Vars): unknown {
    const sub = this.program[name];
    if (!sub) throw new Error(`no subworkflow ${name}`);
    try {
      this.steps(sub.steps, { ...vars });
      return null;
    } catch (e) {
      if (e instanceof Returned) return e.value;
      throw e;
    }
  }

  private lib(vars: Vars) {
    const env = this.env;
    return {
      sys: { get_env: (k: string) => env[k] ?? null, now: this.now },
      uuid: { generate: () => crypto.randomUUID() },
      text: {
        url_encode: (s: string) => encodeURIComponent(s),
        match_regex: (s: string, r: string) => new RegExp(r).test(s),
        substring: (s: string, a: number, b: number) => s.substring(a, b),
      },
      map: {
        get: (m: unknown, k: string) => {
          if (getType(m) !== "map")
            throw new WorkflowRaised({ tags: ["TypeError"], message: "map.get on a non-map" });
          return (m as Vars)[k] ?? null;
        },
      },
      json: { encode_to_string: (v: unknown) => JSON.stringify(v) },
      list: { concat: (l: unknown[], v: unknown) => [...l, v] },
      time: {
        parse: (t: string) => Date.parse(t) / 1000,
        format: (seconds: number) => new Date(seconds * 1000).toISOString(),
      },
      http: { default_retry: DEFAULT_RETRY },
      get_type: getType,
      string: (v: unknown) => String(v),
      int: (v: unknown) => Math.trunc(Number(v)),
      len: (v: string | unknown[]) => v.length,
      __not: (v: unknown) => {
        if (typeof v !== "boolean")
          throw new WorkflowRaised({ tags: ["TypeError"], message: "not on a non-boolean" });
        return !v;
      },
      __default: (v: unknown, d: unknown) => (v === null || v === undefined ? d : v),
      ...vars,
    };
  }

  evaluate(value: unknown, vars: Vars): any {
    if (typeof value === "string" && value.startsWith("${") && value.endsWith("}")) {
      const scope = this.lib(vars);
      try {
        return new Function(...Object.keys(scope), `return (${translate(value)});`)(
          ...Object.values(scope),
        );
      } catch (e) {
        if (e instanceof WorkflowRaised) throw e;
        // A missing key or a call on null is an error the workflow itself would raise.
        throw new WorkflowRaised({
          tags: ["KeyError"],
          message: `${value}: ${(e as Error).message}`,
        });
      }
    }
    if (Array.isArray(value)) return value.map((v) => this.evaluate(v, vars));
    if (value && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.evaluate(v, vars)]));
    return value;
  }

  private assign(list: Record<string, unknown>[], vars: Vars) {
    for (const a of list) {
      const [k, v] = Object.entries(a)[0]!;
      // Workflows copies a value on assignment (docs, reference/syntax/variables).
      const value = structuredClone(this.evaluate(v, vars));
      // "a.b: v" sets key b of map a.
      const [head, ...keys] = k.split(".");
      if (!keys.length) vars[k] = value;
      else {
        let target = vars[head!] as Vars;
        for (const key of keys.slice(0, -1)) target = target[key] as Vars;
        target[keys.at(-1)!] = value;
      }
    }
  }

  /** Runs a list of steps; returns the name of a `next` that leaves the list, if any. */
  private steps(list: Step[], vars: Vars): string | undefined {
    const index = (n: string) => list.findIndex((s) => Object.keys(s)[0] === n);
    let i = 0;
    while (i < list.length) {
      const [, body] = Object.entries(list[i]!)[0]!;
      const next = this.step(body, vars);
      this.peakVariableBytes = Math.max(this.peakVariableBytes, JSON.stringify(vars).length);
      if (next === undefined) {
        i += 1;
        continue;
      }
      if (next === "end") return undefined;
      const j = index(next);
      if (j < 0) return next;
      i = j;
    }
    return undefined;
  }

  /** Runs one step; returns where to go next, or undefined for the following step. */
  private step(body: Step, vars: Vars): string | undefined {
    if (body.assign) this.assign(body.assign, vars);
    if (body.call) {
      const result = this.call(body.call, this.evaluate(body.args ?? {}, vars));
      if (body.result) vars[body.result] = result;
    }
    if (body.try) {
      const retry = body.retry ? this.evaluate(body.retry, vars) : undefined;
      for (let attempt = 0; ; attempt++) {
        try {
          const next = body.try.steps
            ? this.steps(body.try.steps, vars)
            : this.step(body.try, vars);
          if (next !== undefined) return next;
          break;
        } catch (e) {
          if (e instanceof Returned || !(e instanceof WorkflowRaised)) throw e;
          const err = e.value as { code?: number; tags?: string[] };
          const retryable =
            retry &&
            attempt < retry.maxRetries &&
            (retry.codes.includes(err?.code) ||
              (err?.tags ?? []).some((t: string) => retry.tags.includes(t)));
          if (retryable) continue;
          if (!body.except) throw e;
          vars[body.except.as] = err;
          return this.steps(body.except.steps, vars);
        }
      }
    }
    if (body.for) {
      const { value, in: items, steps } = body.for;
      for (const item of this.evaluate(items, vars) as unknown[]) {
        vars[value] = item;
        const next = this.steps(steps, vars);
        if (next === "break") break;
        if (next !== undefined && next !== "continue") return next;
      }
      return body.next;
    }
    if (body.switch) {
      for (const c of body.switch) {
        if (this.evaluate(c.condition, vars) !== true) continue;
        return this.step(c, vars);
      }
    }
    if (body.steps && !body.try) {
      const next = this.steps(body.steps, vars);
      if (next !== undefined) return next;
    }
    if ("return" in body) throw new Returned(this.evaluate(body.return, vars));
    if ("raise" in body) throw new WorkflowRaised(this.evaluate(body.raise, vars));
    return body.next;
  }

  private call(name: string, evaluated: Vars): unknown {
    // Arguments are passed by value, as an assignment copies them.
    const args = structuredClone(evaluated);
    if (this.program[name]) return this.invoke(name, args);
    const external = this.externals[name];
    if (!external) throw new Error(`the test supplies no ${name}`);
    this.calls.push({ name, args });
    try {
      return external(args);
    } catch (e) {
      throw e instanceof WorkflowRaised ? e : new WorkflowRaised(e);
    }
  }
}
