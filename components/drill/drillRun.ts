import * as pulumi from "@pulumi/pulumi";
import type { AzureAccess } from "../azureCalls";
import { requireBounds } from "../dynamicInputs";
import { runRecordProvider } from "../runRecord";
// From modules without the Pulumi SDK: Pulumi serializes what the provider references.
import {
  databricksAccess,
  databricksApi,
  workspaceCallInputs,
  type DatabricksAuthType,
  type WorkspaceCallArgs,
} from "../workspace/databricksApi";
import { watchRuns } from "../workspace/jobRuns";
import type { DrillRunRecord } from "./plan";

/**
 * The drill's one run on the standby's workspace: a one-time run (Jobs API 2.2 runs/submit, which
 * takes run_as) of the drill's notebook, awaited, with what the notebook returned. No job holds
 * it, so every job of the passive site stays paused with concurrency 0. Its idempotency token is
 * the drill's key: a start whose answer was lost, or a deployment retried, adopts the run instead
 * of starting a second (runs/submit, idempotency_token).
 */

export const DRILL_RUN_KIND = "databricks-drill-run";

/** The token's letters: at most 64 characters (runs/submit), with a retry suffix of 4. */
const RUN_KEY = /^[a-z0-9][a-z0-9-]{0,59}$/;

export interface DrillRunInputs {
  kind: typeof DRILL_RUN_KIND;
  /** The workspace's https:// URL. */
  host: string;
  /** drill-<id>: a new key runs the drill again. */
  runKey: string;
  /** The runs/submit body, without its idempotency token (components/drill/plan.ts, drillSubmit). */
  submit: Record<string, unknown>;
  authType: DatabricksAuthType;
  tenantId: string;
  timeoutSeconds: number;
  requestTimeoutSeconds: number;
  maxRetries: number;
  pollSeconds: number;
}

export interface DrillRunOutputs extends DrillRunInputs {
  run: DrillRunRecord;
}

/** The calls of one drill run, within one deadline, with the credential from `access`. */
export function drillRunSession(inputs: DrillRunInputs, access: AzureAccess) {
  const label = `drill run ${inputs.runKey} on ${inputs.host}`;
  requireBounds(label, inputs);
  if (!(inputs.pollSeconds > 0))
    throw new Error(`${label}: pollSeconds must be a number > 0 (given: ${inputs.pollSeconds})`);
  if (!RUN_KEY.test(inputs.runKey ?? ""))
    throw new Error(
      `drill run: runKey must be 1-60 lowercase letters, digits or '-' (given: ${inputs.runKey})`,
    );
  if (!Array.isArray((inputs.submit as { tasks?: unknown } | undefined)?.tasks))
    throw new Error(`${label}: submit must be a runs/submit body with tasks`);
  const started = Date.now();
  const deadline = started + inputs.timeoutSeconds * 1000;
  // A minute of clock skew between this machine and the workspace: an earlier run is older.
  const startedAt = started - 60_000;
  const call = databricksApi(label, inputs.host, access, inputs);
  const runs = watchRuns(call, label, {
    deadline,
    pollSeconds: inputs.pollSeconds,
    timeoutSeconds: inputs.timeoutSeconds,
  });
  return {
    async run(): Promise<DrillRunRecord> {
      const { runId, run } = await runs.runToSuccess(
        "the drill",
        (stale) => `${inputs.runKey}${stale ? `-r${stale}` : ""}`,
        (token) =>
          call("POST", "/api/2.2/jobs/runs/submit", { ...inputs.submit, idempotency_token: token }),
        startedAt,
      );
      const ms = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
      // A run with tasks reports its cluster's start on the task: the run's own setup_duration
      // is 0 for multitask runs (Jobs API 2.2 runs/get, Run.setup_duration).
      const task = run.tasks?.find((t) => typeof t.run_id === "number");
      return {
        runId,
        startTime: ms(run.start_time),
        endTime: ms(run.end_time),
        setupSeconds: Math.round(ms(task?.setup_duration) / 1000),
        output: await runs.output(run),
      };
    },
  };
}

const INPUT_KEYS = [
  "kind",
  "host",
  "runKey",
  "submit",
  "authType",
  "tenantId",
  "timeoutSeconds",
  "requestTimeoutSeconds",
  "maxRetries",
  "pollSeconds",
] as const;

/**
 * The provider, with the credential made by `access` at each call (tests pass their own). The
 * drill ran: a changed setting (a bound, the pool's cluster) is recorded, not run again; a new
 * drill has a new key and a new resource (components/workspace/workspace.ts).
 */
export function drillRunProvider(
  access: (inputs: DrillRunInputs) => AzureAccess,
): pulumi.dynamic.ResourceProvider {
  return runRecordProvider<DrillRunInputs, DrillRunRecord>({
    keys: INPUT_KEYS,
    record: "run",
    id: (inputs) => inputs.runKey,
    run: (inputs) => drillRunSession(inputs, access(inputs)).run(),
    runsAgain: (olds, news) => olds.runKey !== news.runKey || olds.host !== news.host,
  });
}

/** The provider Pulumi serializes: the deploying identity for the auth type, at each call. */
export const databricksDrillRunProvider = drillRunProvider((i) =>
  databricksAccess(i.authType, i.tenantId),
);

export interface DrillRunArgs extends WorkspaceCallArgs {
  readonly runKey: string;
  readonly submit: pulumi.Input<Record<string, unknown>>;
  readonly timeoutSeconds: pulumi.Input<number>;
  /** Default 30. */
  readonly pollSeconds?: pulumi.Input<number>;
}

/** The drill's one run on the standby's workspace, awaited (see the module's comment). */
export class DrillRun extends pulumi.dynamic.Resource {
  declare public readonly run: pulumi.Output<DrillRunRecord>;

  constructor(name: string, args: DrillRunArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      databricksDrillRunProvider,
      name,
      {
        kind: DRILL_RUN_KIND,
        ...workspaceCallInputs(args),
        runKey: args.runKey,
        submit: args.submit,
        timeoutSeconds: args.timeoutSeconds,
        pollSeconds: args.pollSeconds ?? 30,
        run: undefined,
      },
      opts,
    );
  }
}
