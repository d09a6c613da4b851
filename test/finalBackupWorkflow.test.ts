import { describe, expect, it } from "vitest";
import { FINAL_BACKUP_WORKFLOW_FILE } from "../components/metastore/metastorePair";
import { finalBackupEnvironment, finalBackupMade } from "../components/metastore/plan";
import { WorkflowRaised, WorkflowRunner } from "./workflowRunner";

const PROJECT = "acmedata-platform-dr";
const SERVICE = `projects/${PROJECT}/locations/us-east1/services/acmedata-primary-hms`;
const CLUSTER = `projects/${PROJECT}/regions/us-east1/clusters/acmedata-primary-hive`;
const FENCE = `projects/${PROJECT}/locations/us-east1/workflows/acmedata-primary-hms-fence`;
const METASTORE = "https://metastore.googleapis.com/v1/";
const DATAPROC = "https://dataproc.googleapis.com/v1/";
const EXECUTIONS = `https://workflowexecutions.googleapis.com/v1/${FENCE}/executions`;
const KEY = "drain-primary-e3";
const ENV = finalBackupEnvironment({
  site: "primary",
  project: PROJECT,
  region: "us-east1",
  serviceId: "acmedata-primary-hms",
  hiveCluster: { name: "acmedata-primary-hive", fenceWorkflow: "acmedata-primary-hms-fence" },
});
const NOW = Date.parse("2026-11-22T12:00:00Z") / 1000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

type Backup = { name: string; state: string; createTime: string };
const backup = (id: string, state = "ACTIVE", at = NOW - 86_400): Backup => ({
  name: `${SERVICE}/backups/${id}`,
  state,
  createTime: iso(at),
});

/**
 * The Dataproc, Workflow Executions and Metastore REST APIs the workflow calls, with a clock that
 * sys.sleep moves. The cluster stops `stopAfter` seconds after a fence run; `restartAt` starts it
 * again at that time. Each long-running operation is done on its second poll, with `error` if given.
 */
function fakeCloud(
  opts: {
    cluster?: "RUNNING" | "STOPPED" | "absent" | "never-stops";
    stopAfter?: number;
    restartAt?: number;
    backups?: Backup[];
    /** The service's state, its scheduled backup's and a restore's, as of the clock. */
    service?: (clock: number) => { state: string; scheduled?: string; restore?: string };
    createError?: { code: number; message: string };
    /** How many creates the API refuses with 400 FAILED_PRECONDITION before it accepts one. */
    refuseCreates?: number;
    /** What the API answers every create with instead. */
    createRefusal?: unknown;
    /** How many operation polls the API answers 403 (a grant IAM has not applied yet). */
    forbiddenPolls?: number;
    env?: Record<string, string>;
  } = {},
) {
  let clock = NOW;
  let cluster: string = opts.cluster === "never-stops" ? "RUNNING" : (opts.cluster ?? "RUNNING");
  let stateSince = NOW - 3600;
  let fencedAt: number | undefined;
  const backups = [...(opts.backups ?? [])];
  const operations = new Map<string, { polls: number; finish: () => unknown }>();
  const created: { query: Record<string, unknown>; body: unknown }[] = [];
  const deleted: string[] = [];
  let refusals = 0;
  let forbidden = 0;
  const clusterNow = () => {
    if (fencedAt !== undefined && cluster === "RUNNING" && opts.cluster !== "never-stops") {
      cluster = "STOPPED";
      stateSince = fencedAt + (opts.stopAfter ?? 90);
    }
    if (cluster === "STOPPED" && stateSince > clock) return { state: "STOPPING", since: fencedAt! };
    if (opts.restartAt !== undefined && clock >= opts.restartAt)
      return { state: "RUNNING", since: opts.restartAt };
    return { state: cluster, since: stateSince };
  };
  const operation = (finish: () => unknown) => {
    const name = `projects/${PROJECT}/locations/us-east1/operations/op-${operations.size + 1}`;
    operations.set(name, { polls: 0, finish });
    return { code: 200, body: { name, done: false } };
  };
  const notFound = () =>
    new WorkflowRaised({ code: 404, tags: ["HttpError"], message: "Not Found" });
  const externals = {
    "sys.sleep": (a: any) => {
      clock += a.seconds;
      return null;
    },
    "http.get": (a: any) => {
      expect(a.auth).toEqual({ type: "OAuth2" });
      expect(a.timeout).toBe(60);
      if (a.url === `${DATAPROC}${CLUSTER}`) {
        if (cluster === "absent") throw notFound();
        const now = clusterNow();
        return {
          code: 200,
          body: {
            clusterName: "acmedata-primary-hive",
            status: { state: now.state, stateStartTime: iso(now.since) },
          },
        };
      }
      if (a.url === `${METASTORE}${SERVICE}`) {
        const s = opts.service?.(clock) ?? { state: "ACTIVE" };
        return {
          code: 200,
          body: {
            name: SERVICE,
            state: s.state,
            scheduledBackup: { enabled: true, latestBackup: { state: s.scheduled ?? "SUCCEEDED" } },
            metadataManagementActivity: {
              restores: [
                { state: "SUCCEEDED", startTime: iso(NOW - 7200), endTime: iso(NOW - 7000) },
                ...(s.restore ? [{ state: s.restore, startTime: iso(NOW - 60) }] : []),
              ],
            },
          },
        };
      }
      if (a.url === `${METASTORE}${SERVICE}/backups`) {
        expect(a.query).toEqual({ pageSize: 100 });
        return { code: 200, body: backups.length ? { backups: structuredClone(backups) } : {} };
      }
      if (a.url.startsWith(`${METASTORE}${SERVICE}/backups/`)) {
        const found = backups.find((b) => `${METASTORE}${b.name}` === a.url);
        if (!found) throw notFound();
        return { code: 200, body: { ...found, endTime: iso(clock) } };
      }
      const op = operations.get(a.url.slice(METASTORE.length));
      if (!op) throw new Error(`unexpected GET ${a.url}`);
      if (forbidden < (opts.forbiddenPolls ?? 0)) {
        forbidden += 1;
        throw new WorkflowRaised({ code: 403, tags: ["HttpError"], message: "HTTP 403" });
      }
      op.polls += 1;
      if (op.polls < 2) return { code: 200, body: { name: a.url, done: false } };
      return { code: 200, body: { name: a.url, done: true, ...(op.finish() as object) } };
    },
    "http.post": (a: any) => {
      expect(a.auth).toEqual({ type: "OAuth2" });
      if (a.url === EXECUTIONS) {
        expect(a.body).toEqual({ argument: "{}" });
        fencedAt ??= clock;
        return { code: 200, body: { name: `${FENCE}/executions/f-${clock}`, state: "ACTIVE" } };
      }
      expect(a.url).toBe(`${METASTORE}${SERVICE}/backups`);
      if (opts.createRefusal) throw new WorkflowRaised(opts.createRefusal);
      if (refusals < (opts.refuseCreates ?? 0)) {
        refusals += 1;
        throw new WorkflowRaised(refusal("FAILED_PRECONDITION", "a backup is in progress"));
      }
      created.push({ query: a.query, body: a.body });
      return operation(() => {
        if (opts.createError) return { error: opts.createError };
        const made = backup(a.query.backupId, "ACTIVE", clock);
        backups.push(made);
        return { response: made };
      });
    },
    "http.delete": (a: any) => {
      expect(a.auth).toEqual({ type: "OAuth2" });
      const name = a.url.slice(METASTORE.length);
      if (!backups.some((b) => b.name === name)) throw notFound();
      return operation(() => {
        backups.splice(
          backups.findIndex((b) => b.name === name),
          1,
        );
        deleted.push(name);
        return { response: {} };
      });
    },
  };
  const runner = new WorkflowRunner(
    FINAL_BACKUP_WORKFLOW_FILE,
    { ...ENV, ...opts.env },
    externals,
    () => clock,
  );
  return { runner, created, deleted, backups, now: () => clock };
}

/** An HTTP error as Workflows raises it: the status code, and the API's error in the body. */
const refusal = (status: string, message: string) => ({
  code: status === "ABORTED" || status === "ALREADY_EXISTS" ? 409 : 400,
  tags: ["HttpError"],
  message: `HTTP ${status}`,
  body: { error: { code: 400, message, status } },
});

const run = (cloud: ReturnType<typeof fakeCloud>, backupId = KEY) =>
  cloud.runner.run({ backupId, target: SERVICE }) as Record<string, unknown>;

const raised = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof WorkflowRaised)
      return typeof e.value === "string" ? e.value : JSON.stringify(e.value);
    throw e;
  }
  throw new Error("the workflow did not raise");
};

describe("the final backup workflow, run as written over the Dataproc, Workflows and Metastore APIs", () => {
  it("has the fence stop the Hive cluster, waits for STOPPED, backs the idle service up under the drain's key with a request ID, checks the cluster stayed stopped, and returns the backup", () => {
    const cloud = fakeCloud({ backups: [backup("weekly-1")] });
    const result = run(cloud);
    const stoppedAt = iso(NOW + 90);
    expect(result).toEqual({
      backup: `${SERVICE}/backups/${KEY}`,
      createTime: expect.any(String),
      endTime: expect.any(String),
      clusterStoppedAt: stoppedAt,
      deleted: [],
    });
    expect(finalBackupMade(JSON.stringify(result))).toBe(`${SERVICE}/backups/${KEY}`);
    expect(cloud.created).toEqual([
      {
        query: { backupId: KEY, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
        body: { description: `paired-dr: ${KEY}; Hive cluster stopped at ${stoppedAt}` },
      },
    ]);
    // The backup starts only once the cluster reads STOPPED, and the fence was started once.
    const calls = cloud.runner.calls.map((c) => `${c.name} ${String(c.args.url ?? "")}`);
    const fenceRuns = calls.filter((c) => c === `http.post ${EXECUTIONS}`);
    expect(fenceRuns).toHaveLength(1);
    const lastClusterReadBefore = calls.lastIndexOf(
      `http.get ${DATAPROC}${CLUSTER}`,
      calls.indexOf(`http.post ${METASTORE}${SERVICE}/backups`),
    );
    expect(lastClusterReadBefore).toBeGreaterThan(calls.indexOf(`http.post ${EXECUTIONS}`));
    // And the cluster is read again after the backup.
    expect(calls.at(-1)).toBe(`http.get ${DATAPROC}${CLUSTER}`);
  });

  it("hands a cluster still RUNNING to its fence again every FENCE_EVERY_SECONDS, and fails at STOP_TIMEOUT_SECONDS without backing up", () => {
    const cloud = fakeCloud({ cluster: "never-stops" });
    expect(raised(() => run(cloud))).toBe(
      `the Hive cluster ${CLUSTER} is still RUNNING 900s after the drain began (8 fence run(s) started); no final backup is taken while it may write`,
    );
    expect(cloud.created).toEqual([]);
  });

  it("waits while the service is UPDATING, its scheduled backup runs or a restore runs (no update or second backup is accepted meanwhile; a restore would overwrite what is backed up)", () => {
    const cloud = fakeCloud({
      cluster: "STOPPED",
      service: (clock) =>
        clock < NOW + 300
          ? { state: "UPDATING" }
          : clock < NOW + 600
            ? { state: "ACTIVE", scheduled: "IN_PROGRESS" }
            : clock < NOW + 900
              ? { state: "ACTIVE", restore: "RUNNING" }
              : { state: "ACTIVE" },
    });
    run(cloud);
    expect(cloud.created).toHaveLength(1);
    expect(cloud.now()).toBeGreaterThanOrEqual(NOW + 900);
    // The create comes only after the service read idle: one read every 30 s from 0 to 900 s.
    const calls = cloud.runner.calls.map((c) => `${c.name} ${String(c.args.url ?? "")}`);
    const create = calls.indexOf(`http.post ${METASTORE}${SERVICE}/backups`);
    expect(
      calls.slice(0, create).filter((c) => c === `http.get ${METASTORE}${SERVICE}`),
    ).toHaveLength(900 / 30 + 1);
  });

  it("fails when the service is still busy after IDLE_TIMEOUT_SECONDS", () => {
    const cloud = fakeCloud({ cluster: "STOPPED", service: () => ({ state: "UPDATING" }) });
    expect(raised(() => run(cloud))).toBe(
      `${SERVICE} is still UPDATING (or a restore or its scheduled backup still running) 3600s after its cluster stopped; no backup can start`,
    );
    expect(cloud.created).toEqual([]);
  });

  it("makes room under the 7-backup limit by deleting this site's oldest earlier drain (by creation time, not name), never another's", () => {
    const backups = [
      backup("weekly-1"),
      backup("weekly-2"),
      backup("drain-secondary-e2", "ACTIVE", NOW - 900_000),
      backup("manual-before-upgrade"),
      backup("drain-primary-e9", "ACTIVE", NOW - 800_000),
      backup("drain-primary-e1", "ACTIVE", NOW - 500_000),
      backup("drain-primary-e2", "FAILED", NOW - 400_000),
    ];
    const cloud = fakeCloud({ cluster: "STOPPED", backups });
    const result = run(cloud);
    expect(result.deleted).toEqual([`${SERVICE}/backups/drain-primary-e9`]);
    expect(cloud.deleted).toEqual([`${SERVICE}/backups/drain-primary-e9`]);
    expect(cloud.backups.map((b) => b.name.split("/").at(-1))).toEqual([
      "weekly-1",
      "weekly-2",
      "drain-secondary-e2",
      "manual-before-upgrade",
      "drain-primary-e1",
      "drain-primary-e2",
      KEY,
    ]);
  });

  it("refuses, naming the limit, when the service's seven backups are none of this site's drains", () => {
    const backups = [1, 2, 3, 4, 5, 6, 7].map((n) => backup(`weekly-${n}`));
    const cloud = fakeCloud({ cluster: "STOPPED", backups });
    expect(raised(() => run(cloud))).toBe(
      `${SERVICE} holds 7 backups, none of them an earlier drain of this site: a service keeps at most 7, and an eighth fails (Dataproc Metastore backup considerations). Delete one of them`,
    );
    expect(cloud.created).toEqual([]);
    expect(cloud.deleted).toEqual([]);
  });

  it("deletes and makes again a backup an earlier attempt of the same drain left", () => {
    for (const state of ["ACTIVE", "FAILED"]) {
      const cloud = fakeCloud({ cluster: "STOPPED", backups: [backup(KEY, state)] });
      const result = run(cloud);
      expect(cloud.deleted).toEqual([`${SERVICE}/backups/${KEY}`]);
      expect(cloud.created).toHaveLength(1);
      expect(result.backup).toBe(`${SERVICE}/backups/${KEY}`);
    }
  });

  it("waits for an earlier attempt's backup still being created, and fails at its deadline if it never ends", () => {
    const cloud = fakeCloud({ cluster: "STOPPED", backups: [backup(KEY, "CREATING")] });
    expect(raised(() => run(cloud))).toMatch(
      new RegExp(`^no final backup of ${SERVICE} within 7200s: .*"state":"CREATING"`),
    );
    expect(cloud.created).toEqual([]);
    expect(cloud.deleted).toEqual([]);
  });

  it("fails when the cluster was started again during the backup: the backup may lack what it wrote", () => {
    const cloud = fakeCloud({ restartAt: NOW + 150 });
    expect(raised(() => run(cloud))).toBe(
      `the Hive cluster ${CLUSTER} did not stay stopped during the final backup (now RUNNING since ${iso(NOW + 150)}; stopped at ${iso(NOW + 90)}): ${SERVICE}/backups/${KEY} may lack what it wrote`,
    );
  });

  it("tries again while the API refuses the create (a scheduled backup began meanwhile), until its deadline", () => {
    const later = fakeCloud({ cluster: "STOPPED", refuseCreates: 3 });
    expect(run(later).backup).toBe(`${SERVICE}/backups/${KEY}`);
    expect(later.created).toHaveLength(1);
    const never = fakeCloud({ cluster: "STOPPED", refuseCreates: Infinity });
    expect(raised(() => run(never))).toBe(
      `no final backup of ${SERVICE} within 7200s: ${JSON.stringify(refusal("FAILED_PRECONDITION", "a backup is in progress"))}`,
    );
  });

  it("fails at once on a create the API refuses for good (a bad request is not retried for two hours)", () => {
    const cloud = fakeCloud({
      cluster: "STOPPED",
      createRefusal: refusal("INVALID_ARGUMENT", "description too long"),
    });
    expect(raised(() => run(cloud))).toBe(
      JSON.stringify(refusal("INVALID_ARGUMENT", "description too long")),
    );
    expect(cloud.now()).toBeLessThan(NOW + 60);
  });

  it("polls an operation again while IAM has not yet applied a new grant (403), until the deadline", () => {
    const cloud = fakeCloud({ cluster: "STOPPED", forbiddenPolls: 3 });
    expect(run(cloud).backup).toBe(`${SERVICE}/backups/${KEY}`);
  });

  it("fails with the operation's error when the backup fails", () => {
    const cloud = fakeCloud({
      cluster: "STOPPED",
      createError: { code: 9, message: "backup already running" },
    });
    expect(raised(() => run(cloud))).toBe(
      `the backup ${KEY} of ${SERVICE} failed: {"code":9,"message":"backup already running"}`,
    );
  });

  it("backs up at once without a Hive cluster (none declared, or already removed)", () => {
    for (const cloud of [
      fakeCloud({ env: { HIVE_CLUSTER: "", FENCE_WORKFLOW: "" } }),
      fakeCloud({ cluster: "absent" }),
    ]) {
      expect(run(cloud)).toMatchObject({
        backup: `${SERVICE}/backups/${KEY}`,
        clusterStoppedAt: null,
      });
      expect(cloud.runner.calls.filter((c) => c.args.url === EXECUTIONS)).toEqual([]);
    }
  });

  it("refuses a backup ID that is not this site's drain key", () => {
    for (const id of ["drain-secondary-e3", "weekly-1", "drain-primary-e"]) {
      const cloud = fakeCloud();
      expect(raised(() => run(cloud, id))).toBe(
        `backupId must be drain-primary-e<epoch> (given "${id}")`,
      );
      expect(cloud.runner.calls).toEqual([]);
    }
  });
});
