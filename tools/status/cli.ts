import { execFile } from "node:child_process";
import { parseArgs } from "node:util";
import { ConfigError } from "../../config/errors";
import { deployingIdentity, type AzureAccess } from "../../components/azureCalls";
import { deployingGoogleIdentity, type GoogleAccess } from "../../components/googleCalls";
import { ARM_ENDPOINT, sqlClient } from "../../components/sql/failover/arm";
import type { Site } from "../../components/role";
import { PROJECT_DIR, platformConfig, type PlanOptions } from "../plan/engine";
import { EngineConfigError } from "../plan/projectConfig";
import { StateError, parseOutputs, readDeployedState, type DeployedState } from "../runbook/state";
import { lakeContainers } from "./azure";
import { writeDrillReport } from "./drill";
import { collectStatus, type StatusClients, type StatusReport } from "./collect";
import { DEFAULT_READ_BOUNDS, googleJson, type ReadBounds } from "./google";
import { lastRestore } from "./metastore";
import { renderStatus, type StatusFormat } from "./render";
import { statusTargets, type StatusTargets } from "./targets";
import { processIo, runAsProcess, type CliIo } from "../io";

const SITES = ["primary", "secondary"] as const;

const USAGE = `usage: npm run status -- [--stack primary|secondary]... [--format text|json|markdown] [--require-synced] [--state DIR] [--concurrency N] [--timeout SECONDS] [--endpoint NAME=URL]...
       npm run status -- --drill-report DIR [--state DIR]

Reads the live platform (read-only) and reports, per data class, what a failover now would lose
against its target, what is not replicated now, and whether each site's fence record agrees with
its stack's outputs. Credentials are the ones the providers use: Azure through @azure/identity
(ARM_* variables, else DefaultAzureCredential), Google through google-auth-library
(GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_CREDENTIALS, else application default credentials).

  --stack SITE         check this site's records (repeatable); default both. The data classes
                       are always measured between the pair.
  --format FORMAT      text (default), json, or markdown (a pull-request comment)
  --require-synced     exit 4 unless nothing is unsynced now (a planned switchover's check)
  --state DIR          the stacks' outputs from files, DIR/<site>.json as
                       'pulumi stack output --json -s <site>' prints them; default: run that
                       command (the pulumi CLI, logged in to the stacks' backend)
  --concurrency N      requests in flight at most per kind of source (default 16, 1-64)
  --timeout SECONDS    each source's limit (default 120); each request's is 30 s, retried 3 times
  --endpoint NAME=URL  another endpoint: blob (with {account}), arm, storage, workflows
  --drill-report DIR   write the drill report the standby's outputs hold (while its drill is on)
                       to DIR/drill-<id>.json and DIR/drill-<id>.md; reads no cloud; exit 0 when
                       the drill passed, 4 when it failed

exit status: 0 every class within its target; 4 a class over its target (or, with
  --require-synced, anything unsynced); 1 a source could not be read, or a site's records
  disagree (the rest is reported anyway); 2 bad arguments`;

class UsageError extends Error {}

export interface StatusCli {
  readonly sites: readonly Site[];
  readonly format: StatusFormat;
  readonly requireSynced: boolean;
  readonly state?: string;
  readonly concurrency: number;
  readonly timeoutSeconds: number;
  /** Write the drill report into this folder instead of reading the platform. */
  readonly drillReport?: string;
  readonly endpoints: {
    readonly blob: string;
    readonly arm: string;
    readonly storage: string;
    readonly workflows: string;
  };
}

const DEFAULT_ENDPOINTS = {
  blob: "https://{account}.blob.core.windows.net",
  arm: ARM_ENDPOINT,
  storage: "https://storage.googleapis.com",
  workflows: "https://workflowexecutions.googleapis.com",
};

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `${flag} ${JSON.stringify(value)}: allowed: a whole number from ${min} to ${max}`,
    );
  return n;
}

export function parseStatusCli(argv: readonly string[]): StatusCli {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        stack: { type: "string", multiple: true, default: [] },
        format: { type: "string", default: "text" },
        "require-synced": { type: "boolean", default: false },
        state: { type: "string" },
        concurrency: { type: "string", default: "16" },
        timeout: { type: "string", default: "120" },
        endpoint: { type: "string", multiple: true, default: [] },
        "drill-report": { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) throw new UsageError("");
  for (const s of values.stack)
    if (!(SITES as readonly string[]).includes(s))
      throw new UsageError(`--stack ${JSON.stringify(s)}: allowed: primary, secondary`);
  if (!["text", "json", "markdown"].includes(values.format))
    throw new UsageError(
      `--format ${JSON.stringify(values.format)}: allowed: text, json, markdown`,
    );
  const endpoints: Record<string, string> = { ...DEFAULT_ENDPOINTS };
  for (const e of values.endpoint) {
    const [name, url] = [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)];
    if (!(name in DEFAULT_ENDPOINTS) || e.indexOf("=") < 0)
      throw new UsageError(
        `--endpoint ${JSON.stringify(e)}: allowed: NAME=URL with NAME one of ${Object.keys(DEFAULT_ENDPOINTS).join(", ")}`,
      );
    try {
      new URL(url.replace("{account}", "account"));
    } catch {
      throw new UsageError(`--endpoint ${name}=${JSON.stringify(url)}: not a URL`);
    }
    if (name === "blob" && !url.includes("{account}"))
      throw new UsageError(
        `--endpoint blob=${url}: must hold {account}, where each lake's account name goes`,
      );
    endpoints[name] = url;
  }
  return {
    sites: values.stack.length ? [...new Set(values.stack as Site[])] : [...SITES],
    format: values.format as StatusFormat,
    requireSynced: values["require-synced"],
    ...(values.state !== undefined && { state: values.state }),
    ...(values["drill-report"] !== undefined && { drillReport: values["drill-report"] }),
    concurrency: wholeNumber("--concurrency", values.concurrency, 1, 64),
    timeoutSeconds: wholeNumber("--timeout", values.timeout, 1, 3600),
    endpoints: endpoints as StatusCli["endpoints"],
  };
}

/** A stack's outputs through the pulumi CLI, within a minute. */
function pulumiOutputs(site: Site): Promise<unknown> {
  return new Promise((resolve, reject) =>
    execFile(
      "pulumi",
      ["stack", "output", "--json", "--stack", site],
      { cwd: PROJECT_DIR, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err)
          return reject(
            new StateError(
              `pulumi stack output --json --stack ${site}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "the pulumi CLI is not on PATH (or pass --state DIR)" : stderr.trim() || err.message}`,
            ),
          );
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new StateError(`pulumi stack output --json --stack ${site}: not JSON`));
        }
      },
    ),
  );
}

async function deployedState(opts: StatusCli): Promise<DeployedState> {
  if (opts.state) return readDeployedState(opts.state);
  const state: DeployedState = {};
  for (const site of SITES) {
    const outputs = parseOutputs(
      `pulumi stack output --json --stack ${site}`,
      site,
      await pulumiOutputs(site),
    );
    if (outputs) state[site] = outputs;
  }
  return state;
}

/** The pair's targets, from both stacks' config and outputs; the sites not asked for are not checked. */
export function pairTargets(
  state: DeployedState,
  sites: readonly Site[],
  config: PlanOptions = {},
): StatusTargets {
  const view = (site: Site) => ({
    site,
    stack: site,
    config: platformConfig(site, config),
    outputs: state[site] ?? null,
  });
  const targets = statusTargets(view("primary"), view("secondary"));
  const other = SITES.filter((s) => !sites.includes(s));
  return {
    ...targets,
    sites: targets.sites.filter((s) => sites.includes(s.site)),
    // Another site's missing record is not this check's problem.
    problems: targets.problems.filter((p) => !other.some((s) => p.startsWith(`stack ${s} `))),
  };
}

/** Who the status reads as: resolved by the caller when it runs, never written anywhere. */
export interface StatusIdentities {
  readonly azure: AzureAccess;
  readonly google: GoogleAccess;
  /** An account's shared key: the lakes are read with the Azure identity unless given (the emulator's keys). */
  readonly lakeKey?: (account: string) => string;
}

/** The clients on the endpoints, as the identities. */
export function statusClients(
  endpoints: StatusCli["endpoints"],
  ids: StatusIdentities,
  bounds: ReadBounds = DEFAULT_READ_BOUNDS,
): StatusClients {
  const sql = new Map<string, ReturnType<typeof sqlClient>>();
  return {
    lakeContainer: lakeContainers(
      ids.lakeKey ? { keyOf: ids.lakeKey } : ids.azure.credential,
      (account) => endpoints.blob.replace("{account}", account),
      bounds,
    ),
    sql: (subscriptionId) => {
      if (!sql.has(subscriptionId))
        sql.set(
          subscriptionId,
          sqlClient(ids.azure, {
            endpoint: endpoints.arm,
            subscriptionId,
            requestTimeoutMs: bounds.requestTimeoutMs,
            maxRetries: bounds.maxRetries,
            retryDelayMs: bounds.retryDelayMs,
            maxWaitSeconds: 60,
          }),
        );
      return sql.get(subscriptionId)!;
    },
    storage: googleJson(ids.google, endpoints.storage, bounds),
    lastRestore: (workflow) => lastRestore(ids.google, endpoints.workflows, workflow, bounds),
  };
}

export async function runStatus(
  opts: StatusCli,
  clients?: StatusClients,
  now: Date = new Date(),
): Promise<StatusReport> {
  const targets = pairTargets(await deployedState(opts), opts.sites);
  const live = () =>
    statusClients(opts.endpoints, {
      azure: deployingIdentity(),
      google: deployingGoogleIdentity(),
    });
  return collectStatus(targets, clients ?? live(), {
    now,
    concurrency: opts.concurrency,
    sourceTimeoutMs: opts.timeoutSeconds * 1000,
    bounds: DEFAULT_READ_BOUNDS,
    requireSynced: opts.requireSynced,
  });
}

/** The status command: its exit code, its output written to `io`. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let opts: StatusCli;
  try {
    opts = parseStatusCli(argv);
  } catch (e) {
    const msg = (e as Error).message;
    if (!msg) {
      await io.out(`${USAGE}\n`);
      return 0;
    }
    io.err(`status: ${msg}\n${USAGE}\n`);
    return 2;
  }
  try {
    if (opts.drillReport !== undefined) {
      const done = writeDrillReport(await deployedState(opts), opts.drillReport);
      await io.out(
        `drill ${done.report.id} on ${done.site}: ${done.report.verdict}; wrote ${done.written.join(", ")}\n`,
      );
      return done.report.verdict === "pass" ? 0 : 4;
    }
    const report = await runStatus(opts);
    await io.out(`${renderStatus(report, opts.format)}\n`);
    return report.exit;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof EngineConfigError || e instanceof StateError) {
      io.err(`status: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) runAsProcess("status", main);
