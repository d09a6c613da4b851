import { describe, expect, it } from "vitest";
import { databricksClusterNotAllowed } from "../../policies/databricks-cluster-not-allowed";
import { databricksJobPortable } from "../../policies/databricks-job-portable";
import { databricksPassiveStandsDown } from "../../policies/databricks-passive-stands-down";
import {
  TYPE,
  activeStack,
  isFacts,
  factsResource,
  passiveFacts,
  passiveStack,
  runResource,
  runStack,
  stackMessages,
  urnOf,
  valid,
  without,
  withProps,
} from "./factory";

describe("databricks-passive-stands-down", () => {
  const policy = databricksPassiveStandsDown;

  it("passes the passive and the active stack as planned", async () => {
    expect(await runStack(policy, passiveStack())).toEqual([]);
    // An active site runs its pools and jobs: nothing to stand down.
    expect(await runStack(policy, activeStack())).toEqual([]);
  });

  it("reports an idle pool instance on the passive site, against the pool", async () => {
    const rs = withProps(passiveStack(), "workspace-pool-etl", (p) => (p.minIdleInstances = 2));
    expect(await runStack(policy, rs)).toEqual([
      {
        message:
          "Set minIdleInstances 0 on instance pool 'workspace-pool-etl' (passive site): it is 2",
        urn: urnOf({ type: TYPE.instancePool, name: "workspace-pool-etl" }),
      },
    ]);
  });

  it("reports a job whose concurrency resource sets more than 0, against that resource", async () => {
    const rs = withProps(passiveStack(), "workspace-job-nightly-sales-concurrency", (p) => {
      p.maxConcurrentRuns = 1;
    });
    expect(await runStack(policy, rs)).toEqual([
      {
        message:
          "Set maxConcurrentRuns 0 on job 'workspace-job-nightly-sales' through 'workspace-job-nightly-sales-concurrency' (passive site): it is 1",
        urn: urnOf({
          type: TYPE.dynamicResource,
          name: "workspace-job-nightly-sales-concurrency",
        }),
      },
    ]);
  });

  it("reports what Databricks holds: a refresh that read 1 after the resource set 0", async () => {
    const rs = withProps(passiveStack(), "workspace-job-orders-stream-concurrency", (p) => {
      p.effectiveMaxConcurrentRuns = 1;
    });
    expect(await stackMessages(policy, rs)).toEqual([
      "Databricks reports max_concurrent_runs 1 for job 'workspace-job-orders-stream' (passive site): run pulumi up to set 0 again",
    ]);
    // Not yet known (a preview of the update that sets it): judged by what is being set.
    const pending = withProps(passiveStack(), "workspace-job-orders-stream-concurrency", (p) => {
      delete p.effectiveMaxConcurrentRuns;
    });
    expect(await stackMessages(policy, pending)).toEqual([]);
  });

  it("reports a job without its concurrency resource: the provider never sends a 0 (reflect_resource.go GetOk)", async () => {
    const rs = without(passiveStack(), (r) => r.name === "workspace-job-partner-files-concurrency");
    expect(await stackMessages(policy, rs)).toEqual([
      "Give job 'workspace-job-partner-files' its concurrency resource 'workspace-job-partner-files-concurrency' (passive site): the provider never sends maxConcurrentRuns 0, so without it Databricks keeps 1",
    ]);
  });

  it("reports an unpaused schedule, continuous run and trigger", async () => {
    let rs = withProps(passiveStack(), "workspace-job-nightly-sales", (p) => {
      p.schedule.pauseStatus = "UNPAUSED";
    });
    rs = withProps(rs, "workspace-job-orders-stream", (p) => delete p.continuous.pauseStatus);
    rs = withProps(rs, "workspace-job-partner-files", (p) => (p.trigger.pauseStatus = "UNPAUSED"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Pause the schedule of job 'workspace-job-nightly-sales' (passive site): pauseStatus is UNPAUSED",
      "Pause the continuous of job 'workspace-job-orders-stream' (passive site): pauseStatus is unset",
      "Pause the trigger of job 'workspace-job-partner-files' (passive site): pauseStatus is UNPAUSED",
    ]);
  });

  it("reports a job with no schedule, continuous or trigger", async () => {
    const rs = withProps(passiveStack(), "workspace-job-nightly-sales", (p) => delete p.schedule);
    expect(await stackMessages(policy, rs)).toEqual([
      "Give job 'workspace-job-nightly-sales' a paused schedule, continuous or trigger (passive site): it has none",
    ]);
  });

  it("judges by the facts' role, not by the resources", async () => {
    const active = activeStack(passiveFacts());
    expect(await stackMessages(policy, active)).toContain(
      "Set minIdleInstances 0 on instance pool 'workspace-pool-etl' (passive site): it is 2",
    );
  });

  it("reports missing deployment facts", async () => {
    const rs = without(passiveStack(), isFacts);
    expect(await runStack(policy, rs)).toEqual([{ message: "deployment facts missing" }]);
    // A dynamic resource of another kind is not the facts.
    const other = { ...factsResource(passiveFacts()), props: { kind: "something-else" } };
    expect(await stackMessages(policy, [...rs, other])).toEqual(["deployment facts missing"]);
  });
});

describe("databricks-job-portable", () => {
  const policy = databricksJobPortable;
  const job = (props = valid.job()) => ({ type: TYPE.databricksJob, name: "job-x", props });

  it("passes every planned job", async () => {
    for (const r of activeStack().filter((r) => r.type === TYPE.databricksJob)) {
      expect(await runResource(policy, r)).toEqual({ violations: [] });
    }
  });

  it("reports existingClusterId on the job", async () => {
    const props = { ...valid.job(), existingClusterId: "0101-abc" };
    expect((await runResource(policy, job(props))).violations).toEqual([
      "Remove existingClusterId from job 'job-x': it is 0101-abc",
    ]);
  });

  it("reports existingClusterId on a task and on a for-each task", async () => {
    const props = valid.job();
    props.tasks[1].existingClusterId = "0101-abc";
    props.tasks.push({
      taskKey: "each",
      forEachTask: { task: { taskKey: "inner", existingClusterId: "0202-def" } },
    });
    expect((await runResource(policy, job(props))).violations).toEqual([
      "Remove existingClusterId from task 'publish' of job 'job-x': it is 0101-abc",
      "Remove existingClusterId from task 'inner' of job 'job-x': it is 0202-def",
    ]);
  });

  it("does not apply to other types", async () => {
    expect(
      await runResource(policy, {
        type: TYPE.instancePool,
        name: "p",
        props: valid.instancePool(),
      }),
    ).toEqual({
      violations: [],
      notApplicable: `Policy only applies to resources of type '${TYPE.databricksJob}'`,
    });
    expect((policy.validateResource as any).__pulumiType).toBe(TYPE.databricksJob);
  });
});

describe("databricks-cluster-not-allowed", () => {
  const policy = databricksClusterNotAllowed;

  it("passes the planned resources (no clusters)", async () => {
    for (const r of activeStack()) {
      expect((await runResource(policy, r)).violations).toEqual([]);
    }
  });

  it("reports any all-purpose cluster", async () => {
    const cluster = {
      type: TYPE.databricksCluster,
      name: "adhoc",
      props: { clusterName: "adhoc", sparkVersion: "15.4.x-scala2.12", numWorkers: 1 },
    };
    expect((await runResource(policy, cluster)).violations).toEqual([
      "Remove cluster 'adhoc': jobs use job clusters, not databricks:index/cluster:Cluster",
    ]);
  });
});
