import * as pulumi from "@pulumi/pulumi";
import { requireBounds, withoutRetired } from "../dynamicInputs";
import {
  clientEndpoint,
  deployingGoogleIdentity,
  guardedAuth,
  httpStatus,
  retryable,
  type GoogleAccess,
} from "../googleCalls";

export const WORKFLOW_EXECUTIONS_API = "https://workflowexecutions.googleapis.com";
export const CLOUD_SCHEDULER_API = "https://cloudscheduler.googleapis.com";

/** The execution label that finds a run's execution again after a failed or interrupted deployment. */
export const RUN_LABEL = "paired-dr-run";

export interface WorkflowRunInputs {
  /** The Workflow Executions API's endpoint. */
  endpoint: string;
  /** Full workflow name: projects/<p>/locations/<r>/workflows/<w>. */
  workflow: string;
  /** What the run is for; a new target runs the workflow again. */
  target: string;
  /**
   * This run's identity, a label value: a deployment that finds an execution with it running
   * waits for it, and one that finds it succeeded takes its result, instead of starting a second.
   */
  runKey: string;
  /** More of the execution's argument, beside the target. */
  argument: Record<string, unknown>;
  /**
   * Before the run: pause this Cloud Scheduler job (projects/<p>/locations/<r>/jobs/<j>) and
   * cancel the workflow's other executions that are still running. "" for none.
   */
  quiesceSchedule: string;
  /** The Cloud Scheduler API's endpoint. */
  schedulerEndpoint: string;
  /**
   * Take no result of an earlier deployment's succeeded execution: start one unless one with this
   * key is still running. For a run whose result is only good made now (a final backup).
   */
  fresh: boolean;
  /** The run fails if it has not finished after this long. */
  timeoutSeconds: number;
  pollSeconds: number;
  /** Bounds each request, its answer's body included. */
  requestTimeoutSeconds: number;
  /** Retries of one request (429, 5xx, network errors, timeouts). */
  maxRetries: number;
}

export interface WorkflowRunOutputs extends WorkflowRunInputs {
  execution: string;
  state: string;
  /** The execution's result: the workflow's return value as a JSON string. */
  result: string;
  /** The execution was found running from an earlier deployment and waited for, not started. */
  resumed: boolean;
  /** Executions of the workflow this run cancelled before it started (quiesce). */
  cancelled: string[];
}

/** Inputs of earlier versions that no resource may keep: an OAuth token (stale within the hour). */
export const RETIRED_INPUTS = ["accessToken"] as const;

/** The longest single wait between retries. */
const MAX_BACKOFF_MS = 30_000;
/** How much of an execution's error payload a message quotes. */
export const ERROR_EXCERPT_CHARS = 2_000;
/** Pages of running executions read before giving up: 100 each (FULL view, executions.proto). */
const MAX_PAGES = 20;
const RUNNING = ["ACTIVE", "QUEUED"];

/** A label value as Workflows accepts it: 1-63 lowercase letters, digits, _ and - (executions.proto, labels). */
const LABEL_VALUE = /^[a-z0-9_-]{1,63}$/;

/** Shortens a long text, keeping its start and saying how much was left out. */
export function excerpt(text: string, max = ERROR_EXCERPT_CHARS): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** What an ended execution's error says: its payload and the step it failed in. */
export function executionError(error: unknown): string {
  if (!error || typeof error !== "object") return "no error payload";
  const e = error as { payload?: unknown; context?: unknown };
  const parts = [
    typeof e.payload === "string" && e.payload ? e.payload : undefined,
    typeof e.context === "string" && e.context ? `(${e.context})` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? excerpt(parts.join(" ")) : "no error payload";
}

function describe(e: unknown): string {
  const status = httpStatus(e);
  const message = excerpt(String((e as Error | undefined)?.message ?? e), 500);
  return status ? `HTTP ${status}: ${message}` : message;
}

type Execution = {
  name?: string | null;
  state?: unknown;
  result?: string | null;
  error?: unknown;
  labels?: Record<string, string> | null;
};

const stateOf = (e: Execution) => String(e.state ?? "STATE_UNSPECIFIED");

/**
 * The calls of one run, bounded by one deadline; credentials come from `access`, obtained by
 * the caller when the call is made. Every request has its own timeout and is retried on
 * throttling, server errors and network errors, except the start of an execution, which is
 * never sent twice without first looking for the one an unanswered start may have made.
 */
export function runSession(inputs: WorkflowRunInputs, access: GoogleAccess) {
  const label = `workflow run of ${inputs.workflow}`;
  requireBounds(label, inputs);
  if (!LABEL_VALUE.test(inputs.runKey)) {
    throw new Error(
      `${label}: runKey must be 1-63 lowercase letters, digits, _ or - (given: ${inputs.runKey})`,
    );
  }
  const deadline = Date.now() + inputs.timeoutSeconds * 1000;
  const pollMs = inputs.pollSeconds * 1000;
  const requestTimeoutMs = inputs.requestTimeoutSeconds * 1000;
  const connect = (endpoint: string) => {
    const at = clientEndpoint(endpoint);
    return {
      fallback: true,
      protocol: at.protocol,
      apiEndpoint: at.apiEndpoint,
      port: at.port,
      auth: guardedAuth(access, { origin: at.origin, requestTimeoutMs }),
    };
  };
  const { ExecutionsClient } =
    require("@google-cloud/workflows") as typeof import("@google-cloud/workflows");
  // The REST transport in production as in the contract tests: one code path, one guard.
  const executions = new ExecutionsClient(connect(inputs.endpoint) as never);
  // Every method is non-idempotent in the client's own config (no gax retries,
  // executions_client_config.json): the retries here are ours.
  const noRetry = { timeout: requestTimeoutMs } as never;

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const timedOut = (what: string) =>
    new Error(`${label}: ${what} after ${inputs.timeoutSeconds}s; giving up`);

  /** One request, retried while it fails in a way worth retrying and time is left. */
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        const backoff = Math.min(Math.max(pollMs, 10) * 2 ** attempt, MAX_BACKOFF_MS);
        if (!retryable(e) || attempt >= inputs.maxRetries || Date.now() + backoff > deadline) {
          throw new Error(`${label}: ${what}: ${describe(e)}`);
        }
        await sleep(backoff);
      }
    }
  };

  /**
   * The workflow's executions in `states`, newest first, labels included; with `until`, the
   * listing stops at the first page holding one that matches it.
   */
  const listed = async (
    states: readonly string[],
    until?: (e: Execution) => boolean,
  ): Promise<Execution[]> => {
    const found: Execution[] = [];
    let pageToken = "";
    for (let page = 0; page < MAX_PAGES; page++) {
      const [items, , response] = await call(`listing ${states.join(", ")} executions`, () =>
        executions.listExecutions(
          {
            parent: inputs.workflow,
            // AIP-160, the example of the ListExecutions reference; FULL carries the labels,
            // BASIC does not (executions.proto, ExecutionView). Newest first by default.
            filter: states.map((s) => `state="${s}"`).join(" OR "),
            view: "FULL",
            pageSize: 100,
            pageToken,
          },
          { ...(noRetry as object), autoPaginate: false } as never,
        ),
      );
      found.push(...((items ?? []) as Execution[]));
      pageToken = (response as { nextPageToken?: string } | undefined)?.nextPageToken ?? "";
      if (!pageToken || (until && found.some(until))) return found;
    }
    if (until) return found;
    throw new Error(`${label}: more than ${MAX_PAGES * 100} running executions; refusing to guess`);
  };
  const running = () => listed(RUNNING);
  const isOurs = (e: Execution) => e.labels?.[RUN_LABEL] === inputs.runKey;
  /**
   * This run's execution, running or succeeded: a deployment that failed after the run succeeded
   * (or lost its answer) must not restore a second time over what the promoted site has written
   * since. The schedule is paused before the run, so its execution is among the newest.
   */
  const ours = async (): Promise<Execution | undefined> =>
    (await running()).find(isOurs) ??
    (inputs.fresh ? undefined : (await listed(["SUCCEEDED"], isOurs)).find(isOurs));

  /** Pauses the schedule and cancels every other running execution; returns those cancelled. */
  const quiesce = async (): Promise<string[]> => {
    if (!inputs.quiesceSchedule) return [];
    const { CloudSchedulerClient } =
      require("@google-cloud/scheduler") as typeof import("@google-cloud/scheduler");
    const scheduler = new CloudSchedulerClient(connect(inputs.schedulerEndpoint) as never);
    try {
      await call(`pausing ${inputs.quiesceSchedule}`, async () => {
        try {
          await scheduler.pauseJob({ name: inputs.quiesceSchedule }, noRetry);
        } catch (e) {
          // No schedule, nothing starts runs.
          if (httpStatus(e) !== 404) throw e;
        }
      });
    } finally {
      await scheduler.close();
    }
    const cancelled: string[] = [];
    // Twice, a poll apart: a start the scheduler sent just before the pause can create its
    // execution after the first listing.
    for (const round of [0, 1]) {
      if (round) await sleep(pollMs);
      for (const e of await running()) {
        if (isOurs(e) || !e.name || cancelled.includes(e.name)) continue;
        await call(`cancelling ${e.name}`, async () => {
          try {
            await executions.cancelExecution({ name: e.name! }, noRetry);
          } catch (err) {
            // It ended meanwhile (the API refuses to cancel an execution that is not running).
            const status = httpStatus(err);
            if (status !== 400 && status !== 404 && status !== 409) throw err;
          }
        });
        cancelled.push(e.name);
      }
    }
    return cancelled;
  };

  /** Starts the run's execution, or finds it: a start whose answer was lost may have made one. */
  const start = async (): Promise<{ execution: Execution; resumed: boolean }> => {
    const found = await ours();
    if (found) return { execution: found, resumed: true };
    for (let attempt = 0; ; attempt++) {
      try {
        const [execution] = await executions.createExecution(
          {
            parent: inputs.workflow,
            execution: {
              argument: JSON.stringify({ ...inputs.argument, target: inputs.target }),
              labels: { [RUN_LABEL]: inputs.runKey },
            },
          },
          noRetry,
        );
        return { execution: execution as Execution, resumed: false };
      } catch (e) {
        if (!retryable(e) || attempt >= inputs.maxRetries || Date.now() >= deadline) {
          throw new Error(`${label}: starting an execution: ${describe(e)}`);
        }
        await sleep(Math.min(Math.max(pollMs, 10) * 2 ** attempt, MAX_BACKOFF_MS));
        const made = await ours();
        if (made) return { execution: made, resumed: false };
      }
    }
  };

  /** Waits for the execution to end; returns it when it succeeded, throws otherwise. */
  const wait = async (name: string): Promise<Execution> => {
    for (;;) {
      const [execution] = (await call(`reading ${name}`, () =>
        executions.getExecution({ name }, noRetry),
      )) as [Execution, ...unknown[]];
      const state = stateOf(execution);
      if (state === "SUCCEEDED") return execution;
      if (!RUNNING.includes(state)) {
        throw new Error(`${label}: ${name} ended ${state}: ${executionError(execution.error)}`);
      }
      if (Date.now() + pollMs > deadline) {
        throw timedOut(
          `${name} still ${state} (it keeps running; a new deployment waits for it instead of starting another)`,
        );
      }
      await sleep(pollMs);
    }
  };

  const run = async () => {
    try {
      const cancelled = await quiesce();
      const { execution, resumed } = await start();
      if (!execution.name)
        throw new Error(`${label}: the API returned an execution without a name`);
      const done = await wait(execution.name);
      return {
        execution: execution.name,
        state: "SUCCEEDED",
        result: done.result ?? "",
        resumed,
        cancelled,
      };
    } finally {
      await executions.close();
    }
  };

  return { run };
}

const SETTINGS = [
  "endpoint",
  "schedulerEndpoint",
  "quiesceSchedule",
  "timeoutSeconds",
  "pollSeconds",
  "requestTimeoutSeconds",
  "maxRetries",
] as const;

/**
 * Runs a Cloud Workflow once, on create, and waits for it: the run's failure, cancellation or
 * timeout fails the deployment. A later deployment changes only the recorded settings; a new
 * workflow or target runs it again. Nothing to undo on delete. `access` is called at
 * each operation, so a credential is never older than the call.
 */
export function workflowRunProvider(access: () => GoogleAccess): pulumi.dynamic.ResourceProvider {
  return {
    async create(inputs: WorkflowRunInputs): Promise<pulumi.dynamic.CreateResult> {
      const ran = await runSession(inputs, access()).run();
      const outs: WorkflowRunOutputs = { ...withoutRetired(inputs, RETIRED_INPUTS), ...ran };
      return { id: ran.execution, outs };
    },

    async diff(
      _id: string,
      olds: WorkflowRunOutputs,
      news: WorkflowRunInputs,
    ): Promise<pulumi.dynamic.DiffResult> {
      // A run recorded before run keys existed keeps its run: it already happened, and its
      // target was the service's name as the API returns it (with the project number).
      const keys =
        olds.runKey === undefined
          ? []
          : (["workflow", "target"] as const).filter((k) => olds[k] !== news[k]);
      // A new key alone (a site that stays active takes a new epoch when its peer stood down
      // after a promotion: components/fence.ts) is recorded, never a second restore.
      const changed = [...SETTINGS, "runKey" as const].filter((k) => olds[k] !== news[k]);
      // Recorded before `fresh` existed: false.
      if ((olds.fresh ?? false) !== news.fresh) changed.push("fresh" as never);
      // What the run was given is what it ran with: a later deployment that would give it
      // something else (a promoted site's next one reads newer epochs) changes nothing recorded.
      const retired = RETIRED_INPUTS.some((k) => k in olds);
      return {
        changes: keys.length > 0 || changed.length > 0 || retired,
        replaces: keys,
        deleteBeforeReplace: false,
      };
    },

    async update(
      _id: string,
      olds: WorkflowRunOutputs,
      news: WorkflowRunInputs,
    ): Promise<pulumi.dynamic.UpdateResult> {
      // The run happened: only what is recorded about it changes.
      const outs: WorkflowRunOutputs = {
        ...withoutRetired(news, RETIRED_INPUTS),
        argument: olds.argument,
        execution: olds.execution,
        state: olds.state,
        result: olds.result,
        resumed: olds.resumed ?? false,
        cancelled: olds.cancelled ?? [],
      };
      return { outs };
    },

    async delete(): Promise<void> {
      // A finished run has nothing to undo.
    },
  };
}

export interface WorkflowRunArgs {
  readonly workflow: pulumi.Input<string>;
  readonly target: pulumi.Input<string>;
  readonly runKey: pulumi.Input<string>;
  /** More of the execution's argument. Default none. */
  readonly argument?: Record<string, unknown>;
  /** Pause this scheduler job and cancel running executions first. Default none. */
  readonly quiesceSchedule?: pulumi.Input<string>;
  /** Start an execution unless one with this key is running; default false (see WorkflowRunInputs). */
  readonly fresh?: boolean;
  readonly timeoutSeconds: pulumi.Input<number>;
  /** Default 15. */
  readonly pollSeconds?: pulumi.Input<number>;
  /** Default 60. */
  readonly requestTimeoutSeconds?: pulumi.Input<number>;
  /** Default 5. */
  readonly maxRetries?: pulumi.Input<number>;
}

/**
 * One provider for every run: the SDK serializes a provider's closure once per provider object
 * (@pulumi/pulumi dynamic/index.js providerCache), so a provider made per resource was serialized
 * again for each.
 */
const workflowRunResourceProvider = workflowRunProvider(() => deployingGoogleIdentity());

/** One run of a Cloud Workflow, made when the resource is created. */
export class WorkflowRun extends pulumi.dynamic.Resource {
  // `declare`: a class field would be set to undefined after super() has set the output.
  declare public readonly execution: pulumi.Output<string>;
  declare public readonly state: pulumi.Output<string>;
  /** The execution's result: the workflow's return value as a JSON string. */
  declare public readonly result: pulumi.Output<string>;
  declare public readonly resumed: pulumi.Output<boolean>;
  declare public readonly cancelled: pulumi.Output<string[]>;

  constructor(name: string, args: WorkflowRunArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      workflowRunResourceProvider,
      name,
      {
        endpoint: WORKFLOW_EXECUTIONS_API,
        schedulerEndpoint: CLOUD_SCHEDULER_API,
        workflow: args.workflow,
        target: args.target,
        runKey: args.runKey,
        argument: args.argument ?? {},
        quiesceSchedule: args.quiesceSchedule ?? "",
        fresh: args.fresh ?? false,
        timeoutSeconds: args.timeoutSeconds,
        pollSeconds: args.pollSeconds ?? 15,
        requestTimeoutSeconds: args.requestTimeoutSeconds ?? 60,
        maxRetries: args.maxRetries ?? 5,
        execution: undefined,
        state: undefined,
        result: undefined,
        resumed: undefined,
        cancelled: undefined,
      },
      opts,
    );
  }
}
