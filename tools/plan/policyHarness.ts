import { createHash } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
// The generated protocol classes @pulumi/pulumi ships: the gRPC stubs check messages with
// instanceof against these exact classes, so no other copy will do.
import * as apb from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { CapturedResource } from "./capture";

/**
 * The engine's side of the CrossGuard analyzer protocol, for a machine without the pulumi CLI:
 * start a policy pack in its own process, read its port from its first stdout line, configure
 * it as the CLI would, and send it Analyze (each resource's inputs) and AnalyzeStack (every
 * resource's outputs with the dependency graph).
 */

export type EnforcementLevel = "advisory" | "mandatory" | "disabled" | "remediate";
/** The proto enum's order: ADVISORY = 0, MANDATORY = 1, DISABLED = 2, REMEDIATE = 3. */
const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "disabled", "remediate"];

export interface Violation {
  policyName: string;
  enforcementLevel: EnforcementLevel;
  urn: string;
  message: string;
}

/** The policy pack: policies/ in the project. */
export const policyPackDir = (dir: string) => path.join(dir, "policies");

/** How the pulumi CLI starts a Node.js pack: the SDK's runner, its ts-node and the pack's tsconfig. */
export const RUN_POLICY_PACK = (root: string) => [
  process.execPath,
  `${root}/node_modules/@pulumi/pulumi/cmd/run-policy-pack`,
  "127.0.0.1:0",
  ".",
];

/**
 * Loaded first into a pack this harness starts: the pack ends once the process that started it is
 * gone (its stdin, a pipe from that process, closes). A test runner ends its workers without
 * their exit handlers, and each worker's pack was left running.
 */
const PACK_LIFELINE =
  'data:text/javascript,process.stdin.on("end", () => process.exit(0)).resume();';

export interface PolicyInfo {
  name: string;
  enforcementLevel: EnforcementLevel;
  defaults: Record<string, unknown>;
}

/** The engine's marshalling: drop undefined, keep secret and unknown sentinels as they are. */
function toWire(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.filter((e) => e !== undefined).map(toWire);
  const o = v as Record<string, unknown>;
  if (o[rpc.specialSigKey] === rpc.specialResourceSig) return o.id || o.urn;
  return Object.fromEntries(
    Object.entries(o)
      .filter(([, e]) => e !== undefined)
      .map(([k, e]) => [k, toWire(e)]),
  );
}
const struct = (o: Record<string, unknown>) =>
  Struct.fromJavaScript(toWire(o) as Record<string, never>);

function options(r: CapturedResource): apb.AnalyzerResourceOptions {
  const o = new apb.AnalyzerResourceOptions()
    .setProtect(r.options.protect)
    .setIgnorechangesList(r.options.ignoreChanges)
    .setAliasesList(r.options.aliases)
    .setAdditionalsecretoutputsList([])
    .setParent(r.parent);
  if (r.options.deleteBeforeReplace !== undefined) {
    o.setDeletebeforereplacedefined(true).setDeletebeforereplace(r.options.deleteBeforeReplace);
  }
  return o;
}

/** Each provider's message is built once and shared by the requests of its resources. */
const providerMessages = new WeakMap<CapturedResource, apb.AnalyzerProviderResource>();

function provider(
  r: CapturedResource,
  byUrn: Map<string, CapturedResource>,
): apb.AnalyzerProviderResource | undefined {
  if (!r.provider) return undefined;
  const p = byUrn.get(r.provider.slice(0, r.provider.lastIndexOf("::")));
  if (!p) return undefined;
  let message = providerMessages.get(p);
  if (!message) {
    message = new apb.AnalyzerProviderResource()
      .setType(p.type)
      .setName(p.name)
      .setUrn(p.urn)
      .setProperties(struct(p.wireInputs));
    providerMessages.set(p, message);
  }
  return message;
}

function decode(resp: apb.AnalyzeResponse): Violation[] {
  return resp.getDiagnosticsList().map((d) => ({
    policyName: d.getPolicyname(),
    enforcementLevel: LEVELS[d.getEnforcementlevel()]!,
    urn: d.getUrn(),
    message: d.getMessage(),
  }));
}

/** A pack's process, started; `connect` waits for its port, `kill` ends it unconnected. */
export interface PolicyPackLaunch {
  connect(timeoutMs?: number): Promise<PolicyPackProcess>;
  kill(): void;
}

/** A pack shared by a process's callers (see PolicyPackProcess.shared). */
export interface SharedPack {
  use<T>(fn: (pack: PolicyPackProcess) => Promise<T>): Promise<T>;
}
const sharedPacks = new Map<string, SharedPack>();

/** Verdicts a pack keeps (see analyzeAll). */
const VERDICTS_KEPT = 256;

export class PolicyPackProcess {
  /** What configure and configureStack last set: a verdict holds only under the same. */
  private configured: { config?: unknown; stack?: unknown } = {};
  private unsettled = 0;
  /**
   * Verdicts already given, by configuration and resources: the pack's policies are pure, and a
   * runbook, a plan's implied runbook and the tests analyze the same plans again (about a third of
   * the analyses a test run asked for were new).
   */
  private readonly verdicts = new Map<string, Violation[]>();

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: AnalyzerClient,
    private readonly stderr: () => string,
  ) {}

  /**
   * Starts the pack in `dir` (its package.json gives its version) and connects to it. By default
   * through tsx; `command` can start it as the pulumi CLI does (see RUN_POLICY_PACK).
   */
  static start(
    dir: string,
    command?: readonly string[],
    timeoutMs?: number,
  ): Promise<PolicyPackProcess> {
    return PolicyPackProcess.launch(dir, command).connect(timeoutMs);
  }

  /**
   * Starts the pack's process now and connects later, so the pack loads while the caller works.
   * The port deadline runs from `connect`: a caller whose event loop is busy for a minute (a
   * large fleet's planning) reads the port late, and that is not the pack's fault.
   */
  static launch(
    dir: string,
    command: readonly string[] = [
      process.execPath,
      "--import",
      PACK_LIFELINE,
      "--import",
      "tsx",
      "index.ts",
    ],
  ): PolicyPackLaunch {
    const child = spawn(command[0]!, command.slice(1), {
      cwd: dir,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const kill = () => child.kill("SIGKILL");
    process.once("exit", kill); // a pack never exits by itself
    child.once("exit", () => process.removeListener("exit", kill));
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    const port = new Promise<number>((resolve, reject) => {
      let out = "";
      const fail = (why: string) => {
        kill();
        reject(new Error(`policy pack ${dir}: ${why}\n${err}`));
      };
      const early = (code: number | null) => fail(`exited (code ${code}) before printing its port`);
      child.once("exit", early);
      child.stdout!.on("data", (d) => {
        out += d;
        const nl = out.indexOf("\n");
        if (nl < 0) return;
        const first = out.slice(0, nl).trim();
        child.removeListener("exit", early);
        if (/^\d+$/.test(first)) resolve(Number(first));
        else fail(`first stdout line is not a port: ${JSON.stringify(first)}`);
      });
    });
    port.catch(() => undefined); // reported by connect
    return {
      connect: async (timeoutMs = 60_000) => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            kill();
            reject(
              new Error(`policy pack ${dir}: no port on stdout after ${timeoutMs} ms\n${err}`),
            );
          }, timeoutMs);
        });
        try {
          const client = new AnalyzerClient(
            `127.0.0.1:${await Promise.race([port, deadline])}`,
            grpc.credentials.createInsecure(),
          );
          await new Promise<void>((res, rej) =>
            client.waitForReady(Date.now() + 10_000, (e) => (e ? rej(e) : res())),
          );
          return new PolicyPackProcess(child, client, () => err);
        } catch (e) {
          kill();
          throw e;
        } finally {
          clearTimeout(timer);
        }
      },
      kill,
    };
  }

  /**
   * The pack in `dir` this process shares: started on first use and kept until it exits, so a
   * process that plans many times (a test file, a fleet) loads the pack once. `use` runs its
   * callers one at a time, each configuring the pack before it analyzes; a pack that died is
   * started again.
   */
  static shared(dir: string): SharedPack {
    let pack = sharedPacks.get(dir);
    if (!pack) {
      // Launched now, so it loads while the caller works; connected (and its port awaited) at use.
      let launched: PolicyPackLaunch | undefined = PolicyPackProcess.launch(dir);
      let current: Promise<PolicyPackProcess> | undefined;
      const connect = () => {
        if (!current) {
          const connecting = (launched ?? PolicyPackProcess.launch(dir)).connect();
          launched = undefined;
          current = connecting;
          const forget = () => {
            if (current === connecting) current = undefined;
          };
          connecting.then((p) => p.child.once("exit", forget), forget);
        }
        return current;
      };
      let queue: Promise<unknown> = Promise.resolve();
      pack = {
        use: <T>(fn: (pack: PolicyPackProcess) => Promise<T>): Promise<T> => {
          const turn = queue.then(async () => fn(await connect()));
          queue = turn.catch(() => undefined);
          return turn;
        },
      };
      sharedPacks.set(dir, pack);
    }
    return pack;
  }

  private call<Req, Res>(method: string, req: Req): Promise<Res> {
    return new Promise((resolve, reject) =>
      (this.client as unknown as Record<string, Function>)[method]!.call(
        this.client,
        req,
        new grpc.Metadata(),
        { deadline: Date.now() + 120_000 },
        (err: grpc.ServiceError | null, res: Res) =>
          err ? reject(new Error(`${method}: ${err.message}\n${this.stderr()}`)) : resolve(res),
      ),
    );
  }

  async policies(): Promise<PolicyInfo[]> {
    const info = await this.call<Empty, apb.AnalyzerInfo>("getAnalyzerInfo", new Empty());
    return info.getPoliciesList().map((p) => ({
      name: p.getName(),
      enforcementLevel: LEVELS[p.getEnforcementlevel()]!,
      defaults: Object.fromEntries(
        Object.entries(
          (p.getConfigschema()?.getProperties()?.toJavaScript() ?? {}) as Record<
            string,
            { default?: unknown }
          >,
        )
          .filter(([, s]) => s && "default" in s)
          .map(([k, s]) => [k, s.default]),
      ),
    }));
  }

  /**
   * Configures every policy as the CLI does: its schema defaults, then the given settings ("all"
   * sets every level). Each policy gets an explicit level: an unset one would read as ADVISORY.
   */
  async configure(
    config: Record<
      string,
      EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
    > = {},
  ) {
    const req = new apb.ConfigureAnalyzerRequest();
    const all = typeof config.all === "string" ? config.all : config.all?.enforcementLevel;
    for (const p of await this.policies()) {
      const c = config[p.name];
      const { enforcementLevel, ...props } =
        typeof c === "string" ? { enforcementLevel: c } : (c ?? {});
      req
        .getPolicyconfigMap()
        .set(
          p.name,
          new apb.PolicyConfig()
            .setEnforcementlevel(
              LEVELS.indexOf(enforcementLevel ?? all ?? p.enforcementLevel) as apb.EnforcementLevel,
            )
            .setProperties(struct({ ...p.defaults, ...props })),
        );
    }
    await this.settle("config", config, () => this.call("configure", req));
  }

  async configureStack(stack: string, project: string, dryRun: boolean) {
    await this.settle("stack", { stack, project, dryRun }, () =>
      this.call(
        "configureStack",
        new apb.AnalyzerStackConfigureRequest()
          .setStack(stack)
          .setProject(project)
          .setOrganization("organization")
          .setDryRun(dryRun),
      ),
    );
  }

  /** Records a setting once the pack took it; while it is in doubt, no verdict matches. */
  private async settle(field: "config" | "stack", value: unknown, send: () => Promise<unknown>) {
    this.configured = { ...this.configured, [field]: { unsettled: ++this.unsettled } };
    await send();
    this.configured = { ...this.configured, [field]: value };
  }

  /** Analyze: one resource's inputs, as the engine sends them after Check. */
  async analyze(r: CapturedResource, byUrn: Map<string, CapturedResource>): Promise<Violation[]> {
    const req = new apb.AnalyzeRequest()
      .setType(r.type)
      .setName(r.name)
      .setUrn(r.urn)
      .setProperties(struct(r.wireInputs))
      .setOptions(options(r));
    const p = provider(r, byUrn);
    if (p) req.setProvider(p);
    // A resource policy's diagnostic is about the resource analyzed, as the engine reports it.
    return decode(await this.call("analyze", req)).map((v) => ({ ...v, urn: v.urn || r.urn }));
  }

  /** AnalyzeStack: every resource's outputs, parents and dependencies. */
  async analyzeStack(resources: readonly CapturedResource[]): Promise<Violation[]> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const req = new apb.AnalyzeStackRequest().setResourcesList(
      resources.map((r) => {
        const m = new apb.AnalyzerResource()
          .setType(r.type)
          .setName(r.name)
          .setUrn(r.urn)
          .setProperties(struct(r.wireOutputs))
          .setOptions(options(r))
          .setParent(r.parent)
          .setDependenciesList(r.dependencies);
        for (const [k, urns] of Object.entries(r.propertyDependencies)) {
          m.getPropertydependenciesMap().set(
            k,
            new apb.AnalyzerPropertyDependencies().setUrnsList(urns),
          );
        }
        const p = provider(r, byUrn);
        if (p) m.setProvider(p);
        return m;
      }),
    );
    return decode(await this.call("analyzeStack", req));
  }

  /** A `pulumi up` of the stack (not a preview): configured for it, then every registration. */
  async analyzeUp(
    stack: string,
    project: string,
    resources: readonly CapturedResource[],
  ): Promise<Violation[]> {
    await this.configureStack(stack, project, false);
    return this.analyzeAll(resources);
  }

  /**
   * Analyze on every resource, then AnalyzeStack: what `pulumi preview --policy-pack` runs. The
   * same resources under the same settings get the verdict already given.
   */
  async analyzeAll(resources: readonly CapturedResource[]): Promise<Violation[]> {
    const key = createHash("sha256")
      .update(JSON.stringify([this.configured, resources]))
      .digest("hex");
    let verdict = this.verdicts.get(key);
    if (!verdict) {
      const byUrn = new Map(resources.map((r) => [r.urn, r]));
      const perResource = await Promise.all(resources.map((r) => this.analyze(r, byUrn)));
      verdict = [...perResource.flat(), ...(await this.analyzeStack(resources))];
      if (this.verdicts.size >= VERDICTS_KEPT) this.verdicts.clear();
      this.verdicts.set(key, verdict);
    }
    return structuredClone(verdict);
  }

  /** The pack's process. */
  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((res) => this.child.once("exit", res));
    this.child.kill("SIGTERM");
    const t = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(t);
  }
}
