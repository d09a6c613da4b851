/**
 * A Jobs API run, watched to its end: where it is (runState), what its notebook returned
 * (exitValue), polled within one deadline (watchRuns). Shared by a drain's final sync and a
 * drill's run. Without the Pulumi SDK: Pulumi serializes what a dynamic provider references.
 */

/** A run's state, from Jobs API 2.2's `status` or, before it, `state` (runs/get). */
export interface RunState {
  readonly ended: boolean;
  readonly succeeded: boolean;
  readonly state: string;
  readonly message: string;
}

export interface RunResource {
  run_id?: unknown;
  start_time?: unknown;
  end_time?: unknown;
  /** 0 for a run with tasks: each task reports its own (Jobs API runs/get). */
  setup_duration?: unknown;
  status?: {
    state?: unknown;
    termination_details?: { code?: unknown; message?: unknown };
  };
  state?: { life_cycle_state?: unknown; result_state?: unknown; state_message?: unknown };
  /** Each task's run; setup_duration: milliseconds its cluster took to start. */
  tasks?: { run_id?: unknown; task_key?: unknown; setup_duration?: unknown }[];
}

const str = (v: unknown) => (typeof v === "string" ? v : "");

/**
 * Where a run is: ended or not, and how. Jobs API 2.2 reports `status.state` (QUEUED, PENDING,
 * RUNNING, TERMINATING, TERMINATED, BLOCKED, WAITING) with `termination_details.code` (SUCCESS,
 * or why not); the older `state` reports life_cycle_state (TERMINATED, SKIPPED, INTERNAL_ERROR
 * end a run) and result_state.
 */
export function runState(run: RunResource): RunState {
  const status = str(run.status?.state);
  if (status) {
    const code = str(run.status?.termination_details?.code);
    const ended = status === "TERMINATED";
    return {
      ended,
      succeeded: ended && code === "SUCCESS",
      state: ended ? `TERMINATED ${code || "(no code)"}` : status,
      message: str(run.status?.termination_details?.message),
    };
  }
  const life = str(run.state?.life_cycle_state);
  const result = str(run.state?.result_state);
  const ended = ["TERMINATED", "SKIPPED", "INTERNAL_ERROR"].includes(life);
  return {
    ended,
    succeeded: life === "TERMINATED" && result === "SUCCESS",
    state: [life || "UNKNOWN", result].filter(Boolean).join(" "),
    message: str(run.state?.state_message),
  };
}

/** The notebook's exit value (dbutils.notebook.exit), parsed when it is a JSON object. */
export function exitValue(output: {
  notebook_output?: { result?: unknown; truncated?: unknown };
}): Record<string, unknown> | null {
  const result = output.notebook_output?.result;
  if (typeof result !== "string" || output.notebook_output?.truncated === true) return null;
  try {
    const v = JSON.parse(result) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Runs found already ended in failure by the same token, before a fresh one. */
const MAX_STALE_RUNS = 9;

type Call = (method: "GET" | "POST", path: string, body?: unknown) => Promise<unknown>;

/**
 * Polls runs until they end, within `deadline` (epoch ms), every `pollSeconds`; reads a
 * succeeded run's notebook output from its first task's run (runs/get-output takes a task run).
 */
export function watchRuns(
  call: Call,
  label: string,
  bounds: {
    readonly deadline: number;
    readonly pollSeconds: number;
    readonly timeoutSeconds: number;
  },
) {
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  async function awaitRun(name: string, runId: number): Promise<RunResource> {
    for (;;) {
      const run = (await call("GET", `/api/2.2/jobs/runs/get?run_id=${runId}`)) as RunResource;
      if (runState(run).ended) return run;
      if (Date.now() + bounds.pollSeconds * 1000 > bounds.deadline)
        throw new Error(
          `${label}: ${name} run ${runId} still ${runState(run).state} after ${bounds.timeoutSeconds}s (it keeps running; a retried deployment waits for it instead of starting another)`,
        );
      await sleep(bounds.pollSeconds * 1000);
    }
  }
  return {
    awaitRun,
    /**
     * A run started (or adopted by its idempotency token) and awaited until it succeeds. A run
     * the token finds already failed that started before `startedAt` (an earlier deployment's)
     * is passed over for the next token; one that fails now fails the call.
     */
    async runToSuccess(
      name: string,
      token: (stale: number) => string,
      start: (token: string) => Promise<unknown>,
      startedAt: number,
    ): Promise<{ runId: number; run: RunResource }> {
      for (let stale = 0; stale <= MAX_STALE_RUNS; stale++) {
        const runId = ((await start(token(stale))) as { run_id?: unknown } | null)?.run_id;
        if (typeof runId !== "number" || !Number.isSafeInteger(runId))
          throw new Error(`${label}: the start of ${name} returned no run_id`);
        const run = await awaitRun(name, runId);
        const s = runState(run);
        if (s.succeeded) return { runId, run };
        const startTime = typeof run.start_time === "number" ? run.start_time : Date.now();
        if (startTime >= startedAt)
          throw new Error(
            `${label}: ${name} run ${runId} ended ${s.state}${s.message ? `: ${s.message}` : ""}`,
          );
      }
      throw new Error(
        `${label}: ${name}: ${MAX_STALE_RUNS + 1} runs by this deployment's tokens had already failed`,
      );
    },
    async output(run: RunResource): Promise<Record<string, unknown> | null> {
      const task = run.tasks?.find((t) => typeof t.run_id === "number");
      return task
        ? exitValue(
            (await call("GET", `/api/2.2/jobs/runs/get-output?run_id=${task.run_id}`)) as {
              notebook_output?: { result?: unknown; truncated?: unknown };
            },
          )
        : null;
    },
  };
}
