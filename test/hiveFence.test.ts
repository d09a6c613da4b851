import * as fs from "node:fs";
import * as path from "node:path";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { describe, expect, it } from "vitest";
import { FENCE_WORKFLOW_FILE } from "../components/metastore/metastorePair";
import { fenceEnvironment } from "../components/metastore/plan";
import type { CapturedResource } from "../tools/plan/capture";
import {
  bucketFenceOf,
  hiveClusterAction,
  parseFence,
  writers,
  type Deployed,
  type FenceRead,
  type Platform,
  type Site,
} from "../tools/runbook/model";
import { ROOT, res } from "./helpers";
import { WorkflowRaised, WorkflowRunner, type External } from "./workflowRunner";

interface Case {
  name: string;
  site: Site;
  own: unknown;
  peer: unknown;
  cluster: string | null;
  action: "stop" | "start" | "none" | "hold";
}
const { cases } = JSON.parse(
  fs.readFileSync(path.join(ROOT, "test/fixtures/hive-fence-cases.json"), "utf8"),
) as { cases: Case[] };

const PROJECT = "acmedata-platform-dr";
const REGION = "us-central1";
const BUCKET = "acmedata-metastore-backups";
const CLUSTER = (site: Site) => `acmedata-${site}-hive`;
const UUID = "6f1c2a9e-0b7d-4c1e-9f5a-3d2b8e7c4a10";
const EXECUTION = "0b8f0b57-4a36-4f0e-8d55-6c1f5b0e9a21";

const httpError = (code: number) => ({ code, message: `HTTP ${code}`, tags: ["HttpError"] });

/** An object body as GCS serves it: a record decodes to a map; "unreadable" is not JSON. */
function fenceBody(record: unknown): External {
  return () => {
    if (record === "missing") throw httpError(404);
    return { code: 200, body: record === "unreadable" ? "not a fence record" : record };
  };
}

/**
 * The fence workflow, as written, against loopback answers shaped by the Cloud Storage and
 * Dataproc REST references: objects.get with alt=media, clusters.get, clusters.stop/start.
 */
function fenceRun(c: {
  site: Site;
  own: unknown;
  peer: unknown;
  cluster: string | null;
  storageError?: number;
  clusterError?: number;
}) {
  const env: Record<string, string> = {
    ...fenceEnvironment({
      site: c.site,
      project: PROJECT,
      region: REGION,
      backupBucket: BUCKET,
      hiveCluster: c.cluster === null ? undefined : CLUSTER(c.site),
    }),
    GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID: EXECUTION,
  };
  const storage = (url: string) => `https://storage.googleapis.com/storage/v1/b/${BUCKET}/o/${url}`;
  const objects: Record<string, External> = {
    [storage(encodeURIComponent(env.OWN_FENCE!))]: fenceBody(c.own),
    [storage(encodeURIComponent(env.PEER_FENCE!))]: fenceBody(c.peer),
  };
  const clusterUrl = `https://dataproc.googleapis.com/v1/projects/${PROJECT}/regions/${REGION}/clusters/${CLUSTER(c.site)}`;
  const runner = new WorkflowRunner(FENCE_WORKFLOW_FILE, env, {
    "http.get": (args) => {
      const url = String(args.url);
      expect(args.auth).toEqual({ type: "OAuth2" });
      expect(args.timeout).toBe(30);
      if (objects[url]) {
        expect(args.query).toEqual({ alt: "media" });
        if (c.storageError) throw httpError(c.storageError);
        return objects[url]!(args);
      }
      expect(url).toBe(clusterUrl);
      if (c.clusterError) throw httpError(c.clusterError);
      if (c.cluster === "absent") throw httpError(404);
      return { code: 200, body: { clusterUuid: UUID, status: { state: c.cluster } } };
    },
    "http.post": (args) => {
      expect(args.auth).toEqual({ type: "OAuth2" });
      expect(args.timeout).toBe(60);
      return { code: 200, body: { name: `projects/${PROJECT}/regions/${REGION}/operations/op-1` } };
    },
  });
  return { runner, clusterUrl };
}

const asRead = (v: unknown): FenceRead =>
  v === "missing" || v === "unreadable" ? v : parseFence(JSON.stringify(v));

describe("the Hive cluster's fence (issue 10), on the shared cases", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    // The runbook engine's model.
    expect(hiveClusterAction(c.site, asRead(c.own), asRead(c.peer), c.cluster)).toBe(c.action);
    // The workflow, as written.
    const { runner, clusterUrl } = fenceRun(c);
    const result = runner.run() as { action: string; reason: string };
    expect(result.action).toBe(c.action);
    expect(typeof result.reason).toBe("string");
    const posts = runner.calls.filter((x) => x.name === "http.post");
    if (c.action === "stop" || c.action === "start")
      expect(posts).toEqual([
        {
          name: "http.post",
          args: {
            url: `${clusterUrl}:${c.action}`,
            auth: { type: "OAuth2" },
            timeout: 60,
            // Only this cluster, one request however often it is retried.
            body: { clusterUuid: UUID, requestId: EXECUTION },
          },
        },
      ]);
    else expect(posts).toEqual([]);
    // A held or undeclared cluster is never even read.
    const reads = runner.calls.filter((x) => x.args.url === clusterUrl).length;
    expect(reads).toBe(c.action === "hold" || c.cluster === null ? 0 : 1);
  });

  it("covers every action, both sites and every reading of a record", () => {
    expect(new Set(cases.map((c) => c.action))).toEqual(new Set(["stop", "start", "none", "hold"]));
    expect(new Set(cases.map((c) => c.site))).toEqual(new Set(["primary", "secondary"]));
    const reads = new Set(
      cases.flatMap((c) => [c.own, c.peer]).map((r) => (typeof r === "string" ? r : "record")),
    );
    expect(reads).toEqual(new Set(["record", "missing", "unreadable"]));
  });
});

describe("the fence workflow's failures", () => {
  const stale = {
    site: "primary" as Site,
    own: { site: "primary", role: "active", epoch: 1 },
    peer: { site: "secondary", role: "active", epoch: 2 },
    cluster: "RUNNING",
  };

  it("retries a read that Google answers 503 five times, then fails the execution", () => {
    const { runner } = fenceRun({ ...stale, storageError: 503 });
    expect(() => runner.run()).toThrow(WorkflowRaised);
    // http.default_retry: the first call and five retries, then the error (Workflows reference,
    // http.default_retry).
    expect(runner.calls).toHaveLength(6);
    expect(runner.calls.some((x) => x.name === "http.post")).toBe(false);
  });

  it("fails, without stopping or starting, when the records cannot be read (403)", () => {
    const { runner } = fenceRun({ ...stale, storageError: 403 });
    expect(() => runner.run()).toThrow(WorkflowRaised);
    expect(runner.calls).toHaveLength(1);
  });

  it("fails when it may not read its cluster: a missing grant is loud, not a quiet no-op", () => {
    const { runner } = fenceRun({ ...stale, clusterError: 403 });
    try {
      runner.run();
      expect.unreachable();
    } catch (e) {
      expect((e as WorkflowRaised).value).toEqual(httpError(403));
    }
    expect(runner.calls.some((x) => x.name === "http.post")).toBe(false);
  });

  it("reads its settings from the environment the component sets, and names the records by site", () => {
    expect(
      fenceEnvironment({
        site: "secondary",
        project: PROJECT,
        region: "us-east1",
        backupBucket: BUCKET,
        hiveCluster: undefined,
      }),
    ).toEqual({
      SITE: "secondary",
      PEER_SITE: "primary",
      PROJECT,
      REGION: "us-east1",
      FENCE_BUCKET: BUCKET,
      OWN_FENCE: "_paired-dr/fence/secondary.json",
      PEER_FENCE: "_paired-dr/fence/primary.json",
      HIVE_CLUSTER: "",
    });
    const source = fs.readFileSync(path.join(ROOT, FENCE_WORKFLOW_FILE), "utf8");
    const read = [...source.matchAll(/sys\.get_env\("([A-Z_]+)"\)/g)].map((m) => m[1]);
    expect(new Set(read)).toEqual(
      new Set([
        ...Object.keys(
          fenceEnvironment({
            site: "primary",
            project: "p",
            region: "r",
            backupBucket: "b",
            hiveCluster: "c",
          }),
        ),
        "GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID",
      ]),
    );
  });
});

describe("the model's metastore writers with the Hive fence", () => {
  const secret = (value: string) => ({ [rpc.specialSigKey]: rpc.specialSecretSig, value });
  /** A record as the state holds it: the provider keeps an object's content secret. */
  const record = (s: Site, role: string, epoch: number): CapturedResource => {
    const r = res("gcp:storage/bucketObject:BucketObject", `${s}-fence-record`, {
      name: `_paired-dr/fence/${s}.json`,
      content: "[secret]",
    });
    return {
      ...r,
      wireInputs: { ...r.wireInputs, content: secret(JSON.stringify({ site: s, role, epoch })) },
    };
  };
  const metastoreSite = (
    s: Site,
    role: "active" | "passive",
    epoch: number,
    fence = true,
  ): Deployed => ({
    outputs: { role },
    resources: [
      res("gcp:dataproc/metastoreService:MetastoreService", "ms", {
        scheduledBackup: { enabled: role === "active" },
      }),
      res("gcp:cloudscheduler/job:Job", "restore", {
        name: `acmedata-${s}-hms-restore`,
        paused: role === "active",
      }),
      ...(role === "active"
        ? [res("gcp:dataproc/cluster:Cluster", "hive", { name: CLUSTER(s) })]
        : []),
      ...(fence
        ? [
            res("gcp:cloudscheduler/job:Job", "fence", {
              name: `acmedata-${s}-hms-fence`,
              paused: false,
            }),
          ]
        : []),
      record(s, role, epoch),
    ],
  });
  const platform = (p: Deployed, s: Deployed): Platform => ({
    stacks: {
      primary: { deployed: p, reachable: true },
      secondary: { deployed: s, reachable: true },
    },
    groupPrimary: {},
  });

  it("reads a record the state keeps secret", () => {
    expect(bucketFenceOf(metastoreSite("primary", "active", 1), "primary")).toEqual({
      site: "primary",
      role: "active",
      epoch: 1,
    });
    expect(bucketFenceOf(metastoreSite("primary", "active", 1), "secondary")).toBe("missing");
  });

  it("a returning primary whose peer holds a higher epoch has its cluster stopped: one writer", () => {
    const w = writers(
      platform(metastoreSite("primary", "active", 1), metastoreSite("secondary", "active", 2)),
    );
    expect(w.metastore).toEqual({ hive: ["secondary"] });
    expect(w.gcs).toEqual({ warehouse: ["secondary"] });
  });

  it("without the fence, both sites write the metastore and the shared warehouse", () => {
    const w = writers(
      platform(
        metastoreSite("primary", "active", 1, false),
        metastoreSite("secondary", "active", 2),
      ),
    );
    expect(w.metastore).toEqual({ hive: ["primary", "secondary"] });
    expect(w.gcs).toEqual({ warehouse: ["primary", "secondary"] });
  });
});
