import * as pulumi from "@pulumi/pulumi";
import type { AzureAccess } from "../azureCalls";
import { requireBounds } from "../dynamicInputs";
import { runRecordProvider } from "../runRecord";
// From a module without the Pulumi SDK: Pulumi serializes what the provider references.
import {
  databricksAccess,
  databricksApi,
  workspaceCallInputs,
  type DatabricksAuthType,
  type WorkspaceCallArgs,
} from "./databricksApi";
import { watchRuns } from "./jobRuns";

export { exitValue, runState, type RunState } from "./jobRuns";

/**
 * The final sync of a drained site (issue 15, seed 004: a planned switch waits for a fully
 * synced moment): each replication job runs once more, to completion, after the writers have
 * stopped, and the deployment waits for every run. What each run copied (the notebook's exit
 * value: the source version it cloned, or the files it copied) is recorded in the outputs, so
 * the standby's promotion can check that the final sync covers every table.
 *
 * Each run is started with `jobs/run-now` and an idempotency token made of the sync's key, when
 * the writers last wrote, and the job: "If a run with the provided token already exists, the
 * request does not create a new run but returns the ID of the existing run instead" (Jobs API
 * 2.2, run-now), so a start whose answer was lost is retried without a second run, and a
 * deployment retried after a success adopts the runs it started. Each run asks to queue (run-now's `queue.enabled`,
 * https://docs.databricks.com/api/azure/workspace/jobs/runnow): a scheduled run still active
 * would otherwise make Databricks skip it (max_concurrent_runs 1). Writers' runs are cancelled
 * with jobs/runs/cancel-all, which cancels asynchronously: they are awaited until none is active.
 */

export const FINAL_SYNC_KIND = "databricks-final-sync";

export interface FinalSyncJob {
  /** The job's name, as the outputs name its run. */
  readonly name: string;
  readonly jobId: string;
}

export interface FinalSyncInputs {
  kind: typeof FINAL_SYNC_KIND;
  /** The workspace's https:// URL. */
  host: string;
  jobs: FinalSyncJob[];
  /**
   * The site's other jobs, the writers: stood down before the sync (concurrency 0, paused), and
   * their runs still active are cancelled and awaited before any copy starts, so that nothing
   * is written after the copies read their sources.
   */
  writers: FinalSyncJob[];
  /** What this sync is for, e.g. "drain-primary-e4": a new key runs every job again. */
  syncKey: string;
  authType: DatabricksAuthType;
  tenantId: string;
  /** Bounds the whole sync: every run, polls and retries. */
  timeoutSeconds: number;
  /** Bounds each attempt of each request. */
  requestTimeoutSeconds: number;
  /** Retries of one request (5xx, 429, network errors, timeouts). */
  maxRetries: number;
  /** How often a run is polled. */
  pollSeconds: number;
}

export interface SyncedRun {
  readonly name: string;
  readonly jobId: string;
  readonly runId: number;
  /** The notebook's exit value, parsed: what the run copied. Null when it returned none. */
  readonly output: Readonly<Record<string, unknown>> | null;
}

export interface FinalSyncOutputs extends FinalSyncInputs {
  synced: SyncedRun[];
}

/**
 * The key's letters: it is part of each run's idempotency token, at most 64 characters (Jobs API
 * run-now): the key (30), the writers' stop time (9), the job ID (19) and a retry suffix (4).
 */
const SYNC_KEY = /^[a-z0-9][a-z0-9-]{0,29}$/;

/** The calls of one final sync, within one deadline, with the credential from `access`. */
export function finalSyncSession(inputs: FinalSyncInputs, access: AzureAccess) {
  const label = `final sync ${inputs.syncKey} on ${inputs.host}`;
  requireBounds(label, inputs);
  if (!(inputs.pollSeconds > 0))
    throw new Error(`${label}: pollSeconds must be a number > 0 (given: ${inputs.pollSeconds})`);
  if (!SYNC_KEY.test(inputs.syncKey ?? ""))
    throw new Error(
      `final sync: syncKey must be 1-30 lowercase letters, digits or '-' (given: ${inputs.syncKey})`,
    );
  if (!Array.isArray(inputs.jobs) || inputs.jobs.length === 0)
    throw new Error(`${label}: jobs must name at least one replication job`);
  if (!Array.isArray(inputs.writers))
    throw new Error(`${label}: writers must list the site's other jobs (none: [])`);
  for (const j of [...inputs.jobs, ...inputs.writers])
    if (!/^\d{1,19}$/.test(j?.jobId ?? ""))
      throw new Error(`${label}: job ${j?.name} has no numeric jobId (given: ${j?.jobId})`);
  const started = Date.now();
  const deadline = started + inputs.timeoutSeconds * 1000;
  // A minute of clock skew between this machine and the workspace: an earlier run is older.
  // (Declared before the functions that read it: Pulumi's closure serializer refuses a later one.)
  const startedAt = started - 60_000;
  const call = databricksApi(label, inputs.host, access, inputs);
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  const runs = watchRuns(call, label, {
    deadline,
    pollSeconds: inputs.pollSeconds,
    timeoutSeconds: inputs.timeoutSeconds,
  });

  /**
   * One job's run, started or adopted by its token, awaited. A run found already failed that
   * started before this sync (an earlier deployment's) is passed over for a new token; one that
   * fails now fails the sync.
   */
  async function syncJob(job: FinalSyncJob, generation: string): Promise<SyncedRun> {
    const { runId, run } = await runs.runToSuccess(
      job.name,
      (stale) => `${inputs.syncKey}-${generation}-${job.jobId}${stale ? `-r${stale}` : ""}`,
      (token) =>
        call("POST", "/api/2.2/jobs/run-now", {
          job_id: Number(job.jobId),
          idempotency_token: token,
          queue: { enabled: true },
        }),
      startedAt,
    );
    return { name: job.name, jobId: job.jobId, runId, output: await runs.output(run) };
  }

  /** Cancels a writer's active runs (jobs/runs/cancel-all) and waits until it has none. */
  async function stopWriter(job: FinalSyncJob): Promise<void> {
    await call("POST", "/api/2.2/jobs/runs/cancel-all", { job_id: Number(job.jobId) });
    for (;;) {
      const active = (await call(
        "GET",
        `/api/2.2/jobs/runs/list?job_id=${job.jobId}&active_only=true&completed_only=false&limit=1`,
      )) as { runs?: unknown[] };
      if (!active.runs?.length) return;
      if (Date.now() + inputs.pollSeconds * 1000 > deadline)
        throw new Error(
          `${label}: ${job.name} still has an active run ${inputs.timeoutSeconds}s after it was cancelled; nothing is copied while a writer runs`,
        );
      await sleep(inputs.pollSeconds * 1000);
    }
  }

  /**
   * When the writers last wrote: the latest end of their completed runs, 0 when none ever ran.
   * Jobs API 2.2 runs/list lists "in descending order by end time" (its reference, /api/2.2/jobs/
   * runs/list), so each writer's first completed run is its last to end.
   */
  async function writersStoppedAt(): Promise<number> {
    let latest = 0;
    for (const w of inputs.writers) {
      const done = (await call(
        "GET",
        `/api/2.2/jobs/runs/list?job_id=${w.jobId}&active_only=false&completed_only=true&limit=1`,
      )) as { runs?: { end_time?: unknown }[] };
      for (const r of done.runs ?? [])
        if (typeof r.end_time === "number" && r.end_time > latest) latest = r.end_time;
    }
    return latest;
  }

  return {
    /**
     * The writers stopped, then every copy's run at once: the slowest bounds the drain. Each
     * run's token names when the writers last wrote: a retry while they are still stopped adopts
     * the runs an earlier attempt started, and once they have written again (a drain reverted,
     * then tried again at the same epoch) every copy runs anew.
     */
    async run(): Promise<SyncedRun[]> {
      await Promise.all(inputs.writers.map(stopWriter));
      const generation = (await writersStoppedAt()).toString(36);
      return Promise.all(inputs.jobs.map((job) => syncJob(job, generation)));
    },
  };
}

const INPUT_KEYS = [
  "kind",
  "host",
  "jobs",
  "writers",
  "syncKey",
  "authType",
  "tenantId",
  "timeoutSeconds",
  "requestTimeoutSeconds",
  "maxRetries",
  "pollSeconds",
] as const;

/** Only what the sync is for, where, or which jobs it covers, runs it again. */
const runsAgain = (olds: FinalSyncInputs, news: FinalSyncInputs) =>
  olds.syncKey !== news.syncKey ||
  olds.host !== news.host ||
  JSON.stringify(olds.jobs) !== JSON.stringify(news.jobs) ||
  JSON.stringify(olds.writers) !== JSON.stringify(news.writers);

/**
 * The provider, with the credential made by `access` at each call (tests pass their own). A
 * bound changed alone keeps the record of the sync that ran.
 */
export function finalSyncProvider(
  access: (inputs: FinalSyncInputs) => AzureAccess,
): pulumi.dynamic.ResourceProvider {
  return runRecordProvider<FinalSyncInputs, SyncedRun[]>({
    keys: INPUT_KEYS,
    record: "synced",
    id: (inputs) => inputs.syncKey,
    run: (inputs) => finalSyncSession(inputs, access(inputs)).run(),
    runsAgain,
  });
}

/** The provider Pulumi serializes: the deploying identity for the auth type, at each call. */
export const databricksFinalSyncProvider = finalSyncProvider((i) =>
  databricksAccess(i.authType, i.tenantId),
);

/** A job as the program names it: its ID is known once the Job exists. */
export interface JobRef {
  readonly name: string;
  readonly jobId: pulumi.Input<string>;
}

export interface FinalSyncArgs extends WorkspaceCallArgs {
  readonly jobs: pulumi.Input<JobRef[]>;
  readonly writers: pulumi.Input<JobRef[]>;
  readonly syncKey: pulumi.Input<string>;
  /** Default 3600: a deep clone of every table, with its cluster's start. */
  readonly timeoutSeconds?: pulumi.Input<number>;
  /** Default 15. */
  readonly pollSeconds?: pulumi.Input<number>;
}

/** A drained site's final run of each replication job, awaited (see the module's comment). */
export class FinalSync extends pulumi.dynamic.Resource {
  declare public readonly synced: pulumi.Output<SyncedRun[]>;

  constructor(name: string, args: FinalSyncArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      databricksFinalSyncProvider,
      name,
      {
        kind: FINAL_SYNC_KIND,
        ...workspaceCallInputs(args),
        jobs: args.jobs,
        writers: args.writers,
        syncKey: args.syncKey,
        timeoutSeconds: args.timeoutSeconds ?? 3600,
        pollSeconds: args.pollSeconds ?? 15,
        synced: undefined,
      },
      opts,
    );
  }
}
