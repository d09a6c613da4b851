import * as pulumi from "@pulumi/pulumi";
import type { AzureAccess } from "../azureCalls";
// From a module without the Pulumi SDK: Pulumi serializes what the provider references.
import {
  databricksAccess,
  databricksApi,
  workspaceCallInputs,
  type DatabricksAuthType,
  type JobsApiError,
  type WorkspaceCallArgs,
} from "./databricksApi";
import { JOB_CONCURRENCY_KIND } from "../naming";

/**
 * A Databricks job's max_concurrent_runs, set through the Jobs API. The provider behind
 * @pulumi/databricks never sends a 0: it copies a field only when GetOk is true
 * (terraform-provider-databricks common/reflect_resource.go), and the SDK drops zero values
 * (databricks-sdk-go service/jobs JobSettings `max_concurrent_runs,omitempty`), so a passive job
 * declared with concurrency 0 keeps the API's default of 1 and anyone allowed to run it could.
 * This resource sets the value with `jobs/update`, which changes only the fields it is given,
 * reads it back, and reads it again on every refresh: the policies judge what Databricks holds.
 */

export {
  AZURE_DATABRICKS_SCOPE,
  databricksAccess,
  databricksIdentity,
  type DatabricksAuthType,
  type DatabricksIdentity,
} from "./databricksApi";

/**
 * The Jobs API's default for a job whose settings carry no max_concurrent_runs (jobs/create:
 * "Defaults to 1"). A read that finds none counts as 1: a stood-down job is confirmed only by a
 * 0 that Databricks reports, never assumed.
 */
export const API_DEFAULT_CONCURRENCY = 1;

export interface ConcurrencyInputs {
  kind: typeof JOB_CONCURRENCY_KIND;
  /** The workspace's https:// URL. */
  host: string;
  jobId: string;
  maxConcurrentRuns: number;
  /**
   * A digest of the job's own settings. The provider updates a job with jobs/reset, which sends
   * every setting and so puts max_concurrent_runs back to the Job's (a 0 it drops): whenever the
   * job's settings change this does too, and this resource sets the value again after the Job.
   * A Job updated only because a refresh found an edit made in the workspace is reset without
   * this resource running again: the next refresh reads the value back, the policy reports it,
   * and the next update sets it again.
   */
  jobSettingsDigest: string;
  /** How to sign in (the Databricks provider's authType) and the tenant. */
  authType: DatabricksAuthType;
  tenantId: string;
  /** Bounds the whole operation, retries included. */
  timeoutSeconds: number;
  /** Bounds each attempt of each request. */
  requestTimeoutSeconds: number;
  /** Retries of one request (5xx, 429, network errors, timeouts). */
  maxRetries: number;
}

export interface ConcurrencyOutputs extends ConcurrencyInputs {
  /** max_concurrent_runs as Databricks reported it at the last create, update or refresh. */
  effectiveMaxConcurrentRuns: number;
}

const count = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** The Jobs API calls for one job, each bounded by one deadline (databricksApi). */
export function jobsSession(inputs: ConcurrencyInputs, access: AzureAccess) {
  const label = `Databricks job ${inputs.jobId} on ${inputs.host}`;
  if (!/^\d+$/.test(inputs.jobId ?? ""))
    throw new Error(`${label}: jobId must be a job's numeric ID (given: ${inputs.jobId})`);
  const call = databricksApi(label, inputs.host, access, inputs);

  /** max_concurrent_runs as Databricks holds it; undefined when the job does not exist. */
  async function read(): Promise<number | undefined> {
    let job: { settings?: { max_concurrent_runs?: unknown } };
    try {
      job = (await call("GET", `/api/2.2/jobs/get?job_id=${inputs.jobId}`)) as typeof job;
    } catch (e) {
      const err = e as Partial<JobsApiError>;
      if (err.status === 404 || err.errorCode === "RESOURCE_DOES_NOT_EXIST") return undefined;
      throw e;
    }
    const runs = job.settings?.max_concurrent_runs;
    if (runs === undefined) return API_DEFAULT_CONCURRENCY;
    if (!count(runs))
      throw new Error(`${label}: Databricks reports max_concurrent_runs ${JSON.stringify(runs)}`);
    return runs as number;
  }

  /** Sets max_concurrent_runs, and returns it as Databricks reads it back afterwards. */
  async function set(runs: number): Promise<number> {
    if (!count(runs) || runs > 1000)
      throw new Error(
        `${label}: maxConcurrentRuns must be a whole number from 0 to 1000 (given: ${runs})`,
      );
    // jobs/update changes only the fields in new_settings (Jobs API 2.2), unlike jobs/reset.
    await call("POST", "/api/2.2/jobs/update", {
      job_id: Number(inputs.jobId),
      new_settings: { max_concurrent_runs: runs },
    });
    const now = await read();
    if (now === undefined) throw new Error(`${label}: the job does not exist`);
    if (now !== runs)
      throw new Error(
        `${label}: Databricks reports max_concurrent_runs ${now} after jobs/update set ${runs}`,
      );
    return now;
  }

  return { read, set };
}

const INPUT_KEYS = [
  "kind",
  "host",
  "jobId",
  "maxConcurrentRuns",
  "jobSettingsDigest",
  "authType",
  "tenantId",
  "timeoutSeconds",
  "requestTimeoutSeconds",
  "maxRetries",
] as const;

const inputsOf = (props: ConcurrencyInputs): ConcurrencyInputs =>
  Object.fromEntries(INPUT_KEYS.map((k) => [k, props[k]])) as unknown as ConcurrencyInputs;

/** The provider, with the credential made by `access` at each call (tests pass their own). */
export function concurrencyProvider(
  access: (inputs: ConcurrencyInputs) => AzureAccess,
): pulumi.dynamic.ResourceProvider {
  return {
    async create(inputs: ConcurrencyInputs): Promise<pulumi.dynamic.CreateResult> {
      const effective = await jobsSession(inputs, access(inputs)).set(inputs.maxConcurrentRuns);
      return {
        id: inputs.jobId,
        outs: { ...inputsOf(inputs), effectiveMaxConcurrentRuns: effective },
      };
    },

    async read(id: string, props: ConcurrencyOutputs): Promise<pulumi.dynamic.ReadResult> {
      const effective = await jobsSession(props, access(props)).read();
      // Blank: the job is gone, and so is what this resource set on it.
      if (effective === undefined) return { id: "" };
      return {
        id,
        props: { ...inputsOf(props), effectiveMaxConcurrentRuns: effective },
        inputs: inputsOf(props),
      };
    },

    async diff(
      _id: string,
      olds: ConcurrencyOutputs,
      news: ConcurrencyInputs,
    ): Promise<pulumi.dynamic.DiffResult> {
      const replaces = (["host", "jobId"] as const).filter((k) => olds[k] !== news[k]);
      const changed = INPUT_KEYS.filter((k) => olds[k] !== news[k]);
      // A refresh that read another value (someone changed it): the update sets it again.
      const drifted = olds.effectiveMaxConcurrentRuns !== news.maxConcurrentRuns;
      return {
        changes: changed.length > 0 || drifted,
        replaces: [...replaces],
        deleteBeforeReplace: false,
      };
    },

    async update(
      _id: string,
      _olds: ConcurrencyOutputs,
      news: ConcurrencyInputs,
    ): Promise<pulumi.dynamic.UpdateResult> {
      const effective = await jobsSession(news, access(news)).set(news.maxConcurrentRuns);
      return { outs: { ...inputsOf(news), effectiveMaxConcurrentRuns: effective } };
    },

    async delete(): Promise<void> {
      // The job keeps the value it was last given: removing this resource never lets it run.
    },
  };
}

/** The provider Pulumi serializes: the deploying identity for the auth type, at each call. */
export const jobConcurrencyProvider = concurrencyProvider((i) =>
  databricksAccess(i.authType, i.tenantId),
);

export interface JobConcurrencyArgs extends WorkspaceCallArgs {
  readonly jobId: pulumi.Input<string>;
  readonly maxConcurrentRuns: pulumi.Input<number>;
  readonly jobSettingsDigest: pulumi.Input<string>;
  /** Default 300. */
  readonly timeoutSeconds?: pulumi.Input<number>;
}

/** A job's max_concurrent_runs as Databricks holds it (see the module's comment). */
export class JobConcurrency extends pulumi.dynamic.Resource {
  declare public readonly effectiveMaxConcurrentRuns: pulumi.Output<number>;

  constructor(name: string, args: JobConcurrencyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      jobConcurrencyProvider,
      name,
      {
        kind: JOB_CONCURRENCY_KIND,
        ...workspaceCallInputs(args),
        jobId: args.jobId,
        maxConcurrentRuns: args.maxConcurrentRuns,
        jobSettingsDigest: args.jobSettingsDigest,
        timeoutSeconds: args.timeoutSeconds ?? 300,
        effectiveMaxConcurrentRuns: undefined,
      },
      opts,
    );
  }
}
