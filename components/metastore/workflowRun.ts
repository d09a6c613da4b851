import * as pulumi from "@pulumi/pulumi";

export const WORKFLOW_EXECUTIONS_API = "https://workflowexecutions.googleapis.com/v1";

export interface WorkflowRunInputs {
  /** The Workflow Executions API base URL. */
  endpoint: string;
  /** Full workflow name: projects/<p>/locations/<r>/workflows/<w>. */
  workflow: string;
  /** What the run is for; a new target runs the workflow again. */
  target: string;
  /** More of the execution's argument, beside the target. */
  argument: Record<string, unknown>;
  /** OAuth access token for the API (a secret; a new token alone does not rerun). */
  accessToken: string;
  /** The run fails if it has not finished after this long. */
  timeoutSeconds: number;
  pollSeconds: number;
}

export interface WorkflowRunOutputs extends WorkflowRunInputs {
  execution: string;
  state: string;
  result: string;
}

/**
 * Runs a Cloud Workflow once, on create, and waits for it: the run's failure, cancellation or
 * timeout fails the deployment. Nothing to undo on delete. Self-contained so that Pulumi can
 * serialize it as a dynamic provider.
 */
export const workflowRunProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: WorkflowRunInputs): Promise<pulumi.dynamic.CreateResult> {
    const headers = {
      Authorization: `Bearer ${inputs.accessToken}`,
      "Content-Type": "application/json",
    };
    const call = async (url: string, init: { method: string; body?: string }) => {
      const res = await fetch(url, { ...init, headers });
      const text = await res.text();
      if (!res.ok) throw new Error(`${init.method} ${url}: HTTP ${res.status}: ${text}`);
      return JSON.parse(text) as Record<string, any>;
    };
    const started = await call(`${inputs.endpoint}/${inputs.workflow}/executions`, {
      method: "POST",
      body: JSON.stringify({
        argument: JSON.stringify({ ...inputs.argument, target: inputs.target }),
      }),
    });
    const deadline = Date.now() + inputs.timeoutSeconds * 1000;
    for (;;) {
      const execution = await call(`${inputs.endpoint}/${started.name}`, { method: "GET" });
      if (execution.state === "SUCCEEDED") {
        const outs: WorkflowRunOutputs = {
          ...inputs,
          execution: started.name,
          state: execution.state,
          result: execution.result ?? "",
        };
        return { id: String(started.name), outs };
      }
      if (execution.state !== "ACTIVE" && execution.state !== "QUEUED") {
        throw new Error(
          `workflow run ${started.name} ended ${execution.state}: ${JSON.stringify(execution.error ?? {})}`,
        );
      }
      if (Date.now() >= deadline) {
        throw new Error(
          `workflow run ${started.name} still ${execution.state} after ${inputs.timeoutSeconds}s; giving up`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, inputs.pollSeconds * 1000));
    }
  },

  async diff(
    _id: string,
    olds: WorkflowRunOutputs,
    news: WorkflowRunInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces = (["workflow", "target"] as const).filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },

  async delete(): Promise<void> {
    // A finished run has nothing to undo.
  },
};

export interface WorkflowRunArgs {
  readonly workflow: pulumi.Input<string>;
  readonly target: pulumi.Input<string>;
  /** More of the execution's argument. Default none. */
  readonly argument?: Record<string, unknown>;
  readonly accessToken: pulumi.Input<string>;
  readonly timeoutSeconds: pulumi.Input<number>;
  /** Default 15. */
  readonly pollSeconds?: pulumi.Input<number>;
  /** Default the Google API. */
  readonly endpoint?: pulumi.Input<string>;
}

/** One run of a Cloud Workflow, made when the resource is created. */
export class WorkflowRun extends pulumi.dynamic.Resource {
  // `declare`: a class field would be set to undefined after super() has set the output.
  declare public readonly execution: pulumi.Output<string>;
  declare public readonly state: pulumi.Output<string>;
  /** The execution's result: the workflow's return value as a JSON string. */
  declare public readonly result: pulumi.Output<string>;

  constructor(name: string, args: WorkflowRunArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      workflowRunProvider,
      name,
      {
        endpoint: args.endpoint ?? WORKFLOW_EXECUTIONS_API,
        workflow: args.workflow,
        target: args.target,
        argument: args.argument ?? {},
        accessToken: pulumi.secret(args.accessToken),
        timeoutSeconds: args.timeoutSeconds,
        pollSeconds: args.pollSeconds ?? 15,
        execution: undefined,
        state: undefined,
        result: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["accessToken"] }),
    );
  }
}
