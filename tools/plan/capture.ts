import * as pulumi from "@pulumi/pulumi";
// Internal runtime modules (no exports map in @pulumi/pulumi, so the paths resolve): the monitor
// that setMocks installs, and the RPC queue to drain before reading what was registered.
import * as settings from "@pulumi/pulumi/runtime/settings";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
// Its exports object itself (an import's namespace may be read-only): see captureProgram.
import runtimeResource = require("@pulumi/pulumi/runtime/resource");
import { createMocks } from "./mocks";

/** Resource options as the engine receives them with the registration. */
export interface CapturedOptions {
  protect: boolean;
  ignoreChanges: string[];
  deleteBeforeReplace?: boolean;
  retainOnDelete?: boolean;
  replaceOnChanges: string[];
  aliases: string[];
  /** Only the operations given a timeout (e.g. "24h"). */
  customTimeouts?: { create?: string; update?: string; delete?: string };
}

/** One registration, as the engine would see it. */
export interface CapturedResource {
  urn: string;
  type: string;
  name: string;
  /** Parent URN; "" for a resource at the stack's root. */
  parent: string;
  custom: boolean;
  id: string;
  /** "<provider urn>::<provider id>", or "" for the default provider. */
  provider: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** Inputs with secrets shown as "[secret]" and unknowns as "[unknown]". */
  inputs: Record<string, unknown>;
  /** Inputs in wire form: secret envelopes and unknown sentinels intact (for policy analysis). */
  wireInputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  /** Outputs in wire form (for policy analysis). */
  wireOutputs: Record<string, unknown>;
  options: CapturedOptions;
}

export interface CaptureResult {
  /** In the order the program constructed them. */
  resources: CapturedResource[];
  /** The program's stack outputs, resolved. */
  outputs: Record<string, unknown>;
}

export interface CaptureOptions {
  project: string;
  stack: string;
  /** Config in the CLI's form: "namespace:key" -> string. */
  config: Record<string, string>;
  secretKeys?: readonly string[];
  preview?: boolean;
  mocks?: pulumi.runtime.Mocks;
  /** Last outputs of stacks the program references, by stack name (its own included). */
  stackOutputs?: Readonly<Record<string, Record<string, unknown>>>;
  /** Default "organization", as with a self-managed backend. */
  organization?: string;
  /**
   * Receives each registration as it happens, so a caller sees them even when the program throws
   * (then in the order they registered).
   */
  sink?: CapturedResource[];
}

export const SECRET_PLACEHOLDER = "[secret]";
export const UNKNOWN_PLACEHOLDER = "[unknown]";

/** Replaces secret envelopes and unknown sentinels with readable placeholders. */
export function displayValue(v: unknown): unknown {
  if (v === rpc.unknownValue) return UNKNOWN_PLACEHOLDER;
  if (Array.isArray(v)) return v.map(displayValue);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (o[rpc.specialSigKey] === rpc.specialSecretSig) return SECRET_PLACEHOLDER;
  if (o[rpc.specialSigKey] === rpc.specialResourceSig) return o.urn;
  return Object.fromEntries(Object.entries(o).map(([k, e]) => [k, displayValue(e)]));
}

/** A secret's value in wire form, or undefined when `v` is not a secret envelope. */
export function secretValue(v: unknown): { value: unknown } | undefined {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  return o[rpc.specialSigKey] === rpc.specialSecretSig ? { value: o.value } : undefined;
}

/** A wire value with its secrets opened, for code that reads its own program's inputs. */
export function revealed(v: unknown): unknown {
  const secret = secretValue(v);
  if (secret) return revealed(secret.value);
  if (Array.isArray(v)) return v.map(revealed);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, revealed(e)]));
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void;
  };
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  hasProtect?(): boolean;
  getProtect(): boolean;
  getIgnorechangesList(): string[];
  getDeletebeforereplacedefined(): boolean;
  getDeletebeforereplace(): boolean;
  hasRetainondelete?(): boolean;
  getRetainondelete(): boolean;
  getReplaceonchangesList(): string[];
  getAliasesList(): { getUrn?(): string }[];
  hasCustomtimeouts(): boolean;
  getCustomtimeouts():
    { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}
interface RegisterResponse {
  getUrn(): string;
  getId(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type RegisterFn = (
  req: RegisterRequest,
  cb: (err: unknown, resp: RegisterResponse) => void,
) => void;

function capture(req: RegisterRequest, resp: RegisterResponse): CapturedResource {
  const wireInputs = req.getObject()?.toJavaScript() ?? {};
  const wireOutputs = resp.getObject()?.toJavaScript() ?? {};
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((v, k) => (propertyDependencies[k] = v.getUrnsList()));
  return {
    urn: resp.getUrn(),
    type: req.getType(),
    name: req.getName(),
    parent: req.getParent(),
    custom: req.getCustom(),
    id: resp.getId(),
    provider: req.getProvider(),
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    inputs: displayValue(wireInputs) as Record<string, unknown>,
    wireInputs,
    outputs: displayValue(wireOutputs) as Record<string, unknown>,
    wireOutputs,
    options: {
      protect: req.getProtect(),
      ignoreChanges: req.getIgnorechangesList(),
      ...(req.getDeletebeforereplacedefined() && {
        deleteBeforeReplace: req.getDeletebeforereplace(),
      }),
      ...(req.hasRetainondelete?.() && { retainOnDelete: req.getRetainondelete() }),
      replaceOnChanges: req.getReplaceonchangesList(),
      aliases: req.getAliasesList().map((a) => a.getUrn?.() ?? String(a)),
      ...(req.hasCustomtimeouts() && { customTimeouts: timeouts(req.getCustomtimeouts()!) }),
    },
  };
}

function timeouts(t: { getCreate(): string; getUpdate(): string; getDelete(): string }) {
  return {
    ...(t.getCreate() && { create: t.getCreate() }),
    ...(t.getUpdate() && { update: t.getUpdate() }),
    ...(t.getDelete() && { delete: t.getDelete() }),
  };
}

/** Resolves a program's returned outputs to plain values; a secret output shows as a placeholder. */
async function resolveOutputs(value: unknown): Promise<Record<string, unknown>> {
  if (value === undefined || value === null) return {};
  const entries = Object.entries(value as Record<string, unknown>).map(async ([key, v]) => {
    const out: pulumi.Output<unknown> = pulumi.output(v as pulumi.Input<string | object>);
    const [plain, secret] = await Promise.all([
      new Promise<unknown>((resolve) => out.apply((x: unknown) => (resolve(x), x))),
      pulumi.isSecret(out),
    ]);
    return [key, secret ? SECRET_PLACEHOLDER : plain] as const;
  });
  return Object.fromEntries(await Promise.all(entries));
}

/**
 * Runs `program` under the SDK's mock monitor with the given config, recording every resource
 * registration with its options. Throws what the program throws (a config error, for one).
 */
export async function captureProgram(
  program: () => unknown,
  opts: CaptureOptions,
): Promise<CaptureResult> {
  await pulumi.runtime.setMocks(
    opts.mocks ?? createMocks(opts.stackOutputs),
    opts.project,
    opts.stack,
    opts.preview ?? false,
    opts.organization ?? "organization",
  );
  pulumi.runtime.setAllConfig(opts.config, [...(opts.secretKeys ?? [])]);
  const monitor = settings.getMonitor() as unknown as { registerResource: RegisterFn };
  const resources: CapturedResource[] = opts.sink ?? [];
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) =>
    register(req, (err, resp) => {
      if (!err) resources.push(capture(req, resp));
      cb(err, resp);
    });

  // Registration order is not the program's order: a dynamic provider's first serialization in a
  // process (@pulumi/pulumi dynamic/index.js caches it per provider object) takes many ticks, so a
  // process's first plan registered its dynamic resources later than its next plans did. The
  // resources are listed in the order the program constructs them: each Resource constructor
  // calls the runtime's registerResource at once (resource.js), before any input is awaited.
  const constructed = new Map<string, number>();
  const typeChains = new WeakMap<object, string>();
  const runtime = runtimeResource as unknown as { registerResource: (...a: unknown[]) => unknown };
  const registerAtConstruction = runtime.registerResource;
  runtime.registerResource = function (this: unknown, ...a: unknown[]) {
    const [res, parent, type, name] = a as [object, object | undefined, string, string];
    const parentChain = parent && typeChains.get(parent);
    const chain = parentChain ? `${parentChain}$${type}` : type;
    typeChains.set(res, chain);
    constructed.set(
      `urn:pulumi:${opts.stack}::${opts.project}::${chain}::${name}`,
      constructed.size,
    );
    return registerAtConstruction.apply(this, a);
  };

  // The SDK records every registration's source position and every promise's stack
  // (@pulumi/pulumi resource.js callsites, runtime/debuggable.js); the mock monitor discards
  // them. Capturing and formatting those stacks was half of a plan's time, so none is taken
  // while the program runs, unless PULUMI_DEBUG_PROMISE_LEAKS asks for the promises' stacks.
  // callsites lifts the depth limit for its own stack, so none is formatted either: a stack reads
  // as its error's first line (a test runner's formatter maps every frame through source maps).
  // A program's errors are messages (config errors carry no trace); their positions are lost.
  const sourceMaps = process.sourceMapsEnabled;
  const stackTraceLimit = Error.stackTraceLimit;
  const prepareStackTrace = Error.prepareStackTrace;
  process.setSourceMapsEnabled(false);
  if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    Error.stackTraceLimit = 0;
    Error.prepareStackTrace = (err) => firstLine(err);
  }
  try {
    const returned = await program();
    const outputs = await resolveOutputs(returned);
    // waitForRPCs is internal (not in the typings): it drains registrations still in flight.
    await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    const at = (r: CapturedResource) => constructed.get(r.urn) ?? constructed.size;
    resources.sort((a, b) => at(a) - at(b));
    return { resources, outputs };
  } finally {
    runtime.registerResource = registerAtConstruction;
    process.setSourceMapsEnabled(sourceMaps);
    Error.stackTraceLimit = stackTraceLimit;
    Error.prepareStackTrace = prepareStackTrace;
  }
}

/** What V8 prints above an error's frames: its name and message (Error.prototype.toString). */
const firstLine = (err: Error) => {
  try {
    return Error.prototype.toString.call(err);
  } catch {
    return "Error";
  }
};
