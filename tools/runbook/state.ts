import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { DEPLOYMENT_OUTPUT } from "../../components/lastDeployment";
import { ONE_PROMOTION_KEYS, type OnePromotionKey } from "../../contracts/acknowledgments";
import { clearedValue, setValue } from "../../policies/promotion";
import { SITES, type Site } from "./model";

/**
 * The deployed state as the state backend keeps it: each stack's last outputs, as
 * `pulumi stack output --json -s <stack> > DIR/<stack>.json` exports them. A
 * missing file, or `{}` (a stack that exists but was never deployed), reads as never deployed.
 */

export type Outputs = Record<string, unknown>;
export type DeployedState = Partial<Record<Site, Outputs>>;

const role = z.enum(["active", "passive"]);
const epoch = z.int().nonnegative();

/** The outputs this program exports and the runbook reads; anything else is kept as it is. */
const outputsSchema = z.looseObject({
  site: z.enum(SITES as [Site, Site]),
  role,
  promote: z.boolean(),
  [DEPLOYMENT_OUTPUT]: z.looseObject({
    role,
    acknowledgments: z.array(z.enum(ONE_PROMOTION_KEYS)).default([]),
    epoch: epoch.optional(),
    previous: z
      .strictObject({
        role: role.nullable(),
        peerRole: role.nullable(),
        // Recorded since fencing (issue 10); older outputs lack them.
        epoch: epoch.nullable().optional(),
        peerEpoch: epoch.nullable().optional(),
      })
      .optional(),
  }),
});

export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateError";
  }
}

/** One stack's exported outputs, checked: a clear error naming the file, the key and the value. */
export function parseOutputs(file: string, stack: Site, doc: unknown): Outputs | undefined {
  if (doc !== null && typeof doc === "object" && !Array.isArray(doc) && !Object.keys(doc).length)
    return undefined;
  const parsed = outputsSchema.safeParse(doc);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      let value: unknown = doc;
      for (const k of i.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[k];
      const key = i.path.join(".") || "(the file)";
      return `  - ${key}: ${value === undefined ? "missing" : `is ${JSON.stringify(value)}`}: ${i.message}`;
    });
    throw new StateError(
      `${file}: not the outputs of a paired-dr stack (pulumi stack output --json -s ${stack}):\n${lines.join("\n")}`,
    );
  }
  if (parsed.data.site !== stack)
    throw new StateError(
      `${file}: site is ${JSON.stringify(parsed.data.site)}, but the file is stack ${stack}'s (site ${stack})`,
    );
  return doc as Outputs;
}

/** Reads DIR/primary.json and DIR/secondary.json. */
export function readDeployedState(dir: string): DeployedState {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new StateError(`--state ${dir}: no such directory`);
  const state: DeployedState = {};
  for (const site of SITES) {
    const file = path.join(dir, `${site}.json`);
    if (!fs.existsSync(file)) continue;
    let doc: unknown;
    try {
      doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      throw new StateError(`${file}: not JSON (${(e as Error).message})`);
    }
    const outputs = parseOutputs(file, site, doc);
    if (outputs) state[site] = outputs;
  }
  return state;
}

/** The one-promotion keys a stack's last deployment was made with. */
export function recordedAcknowledgments(outputs: Outputs): OnePromotionKey[] {
  const acks = (outputs[DEPLOYMENT_OUTPUT] as { acknowledgments?: unknown } | undefined)
    ?.acknowledgments;
  return ONE_PROMOTION_KEYS.filter((k) => Array.isArray(acks) && acks.includes(k));
}

/** The Pulumi.yaml values (dotted paths) a stack's outputs record it was deployed with. */
export function recordedSets(outputs: Outputs): Record<string, unknown> {
  const acks = recordedAcknowledgments(outputs);
  return {
    promote: outputs.promote === true,
    ...Object.fromEntries(
      ONE_PROMOTION_KEYS.map((k) => [k, acks.includes(k) ? setValue(k) : clearedValue(k)]),
    ),
  };
}

/** Writes DIR/<stack>.json for each deployed stack, as `pulumi stack output --json` prints it. */
export function writeDeployedState(dir: string, state: DeployedState): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const site of SITES)
    if (state[site])
      fs.writeFileSync(path.join(dir, `${site}.json`), `${JSON.stringify(state[site], null, 2)}\n`);
}

/** Outputs as they were before a deployment: its role then and, when recorded, its epoch. */
const asBefore = (
  o: Outputs,
  r: "active" | "passive",
  epoch: number | null | undefined,
): Outputs => {
  const { epoch: recorded, ...deployment } = o[DEPLOYMENT_OUTPUT] as Record<string, unknown>;
  return {
    ...o,
    role: r,
    [DEPLOYMENT_OUTPUT]: {
      ...deployment,
      role: r,
      // Outputs from before the epochs were recorded keep theirs; null means it had none.
      ...(epoch === undefined ? { epoch: recorded } : epoch !== null && { epoch }),
    },
  };
};

/**
 * What a stack's last deployment read through its StackReferences, as its outputs record it
 * (`deployment.previous`): its own outputs with the role it had before, or none when that was its
 * first; the peer's outputs with the role it read then, or none. Outputs from before the record
 * existed read as a steady deployment: the stack's own outputs and the peer's.
 */
export function recordedReferences(
  own: Outputs,
  peer: Outputs | undefined,
): { lastOutputs?: Outputs; peerOutputs: Outputs } {
  const previous = (own[DEPLOYMENT_OUTPUT] as { previous?: unknown } | undefined)?.previous as
    | {
        role: "active" | "passive" | null;
        peerRole: "active" | "passive" | null;
        epoch?: number | null;
        peerEpoch?: number | null;
      }
    | undefined;
  if (!previous) return { lastOutputs: own, peerOutputs: peer ?? {} };
  return {
    ...(previous.role && { lastOutputs: asBefore(own, previous.role, previous.epoch) }),
    peerOutputs:
      previous.peerRole && peer ? asBefore(peer, previous.peerRole, previous.peerEpoch) : {},
  };
}
