import { describe, expect, it } from "vitest";
import { RESTORE_WORKFLOW_FILE } from "../components/metastore/metastorePair";
import { promotionRestoreReport } from "../components/metastore/plan";
import { parsePlatformConfig } from "../config/load";
import { REPO, validRaw } from "./helpers";
import { WorkflowRaised, WorkflowRunner } from "./workflowRunner";

const PROJECT = "acmedata-platform-dr";
const SITE_SERVICE = `projects/${PROJECT}/locations/us-east1/services/acmedata-secondary-hms`;
const SERVICE = SITE_SERVICE;
const METASTORE = "https://metastore.googleapis.com/v1/";
const BUCKET = "acmedata-metastore-backups";
const OBJECTS = `https://storage.googleapis.com/storage/v1/b/${BUCKET}/o`;
const PREFIX = "metastore/primary/";
const ENV = {
  METASTORE_SERVICE: SERVICE,
  BACKUP_BUCKET: BUCKET,
  BACKUP_PREFIX: PREFIX,
  RPO_MINUTES: "60",
  RESTORE_TIMEOUT_SECONDS: "1200",
  BACKUP_MIN_AGE_SECONDS: "300",
  POLL_SECONDS: "15",
};
const NOW = Date.parse("2026-11-22T12:07:00Z") / 1000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const OPERATION = `${SERVICE}/operations/operation-1`;

/** An object record as the JSON API returns it in full (storage v1 Object resource, noAcl). */
function fullRecord(name: string, timeCreated: string) {
  return {
    kind: "storage#object",
    id: `${BUCKET}/${name}/1763812800000000`,
    selfLink: `https://www.googleapis.com/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}`,
    mediaLink: `https://storage.googleapis.com/download/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}?generation=1763812800000000&alt=media`,
    name,
    bucket: BUCKET,
    generation: "1763812800000000",
    metageneration: "1",
    contentType: "application/octet-stream",
    storageClass: "STANDARD",
    size: "48213",
    md5Hash: "1B2M2Y8AsgTpgAmY7PhCfg==",
    crc32c: "AAAAAA==",
    etag: "CIDg4Z2m7JADEAE=",
    timeCreated,
    updated: timeCreated,
    timeStorageClassUpdated: timeCreated,
  };
}

/**
 * A backup folder as a scheduled backup leaves it: avro/ files, service.json and, when complete,
 * the marker. `parts` shapes a broken one.
 */
function backupFolder(
  id: string,
  completedAt: number,
  parts: { marker?: boolean; service?: boolean; avro?: number } = {},
) {
  const folder = `${PREFIX}${id}/`;
  const at = iso(completedAt);
  return [
    ...Array.from({ length: parts.avro ?? 48 }, (_, i) =>
      fullRecord(`${folder}avro/table-${i}.avro`, iso(completedAt - 60)),
    ),
    ...(parts.service === false ? [] : [fullRecord(`${folder}service.json`, at)]),
    ...(parts.marker === false ? [] : [fullRecord(`${folder}backup_metastore.json`, at)]),
  ];
}

/** A glob of the JSON API's matchGlob, for the patterns the workflow sends ("*" within a folder). */
const globRegex = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);

/**
 * The Storage and Metastore REST APIs the workflow calls, over one listing, with a clock that
 * sys.sleep moves. `operations` scripts each restore: how many polls until done, and its error.
 */
type Restore = { state: string; startTime: string; endTime?: string };

function fakeCloud(
  objects: ReturnType<typeof fullRecord>[],
  opts: {
    /** The service's restore history, and its state (default ACTIVE), as of the clock. */
    restores?: Restore[] | ((clock: number) => Restore[]);
    serviceState?: (clock: number) => string;
    /** The listing's answer instead of the objects, from the page at item `from` (default 0). */
    listingError?: { code: number; from?: number };
    operations?: { polls: number; error?: { code: number; message: string } }[];
    /** The drained peer's backups by resource name (Backup: state, createTime). */
    backups?: Record<string, { state: string; createTime: string }>;
    /** How many reads of a backup IAM refuses (403) before it applies a new grant. */
    forbiddenReads?: number;
    /** The service the run restores into (default: this site's, METASTORE_SERVICE). */
    service?: string;
  } = {},
) {
  const SERVICE = opts.service ?? SITE_SERVICE;
  let clock = NOW;
  const restores: Record<string, string>[] = [];
  const pages: number[] = [];
  let polls = 0;
  let forbidden = 0;
  const notFound = () =>
    new WorkflowRaised({ code: 404, tags: ["HttpError"], message: "Not Found" });
  const byName = [...objects].sort((a, b) => (a.name < b.name ? -1 : 1));
  const externals = {
    "sys.sleep": (a: any) => {
      clock += a.seconds;
      return null;
    },
    "http.post": (a: any) => {
      expect(a.url).toBe(`${METASTORE}${SERVICE}:restore`);
      expect(a.auth).toEqual({ type: "OAuth2" });
      restores.push(a.body);
      polls = 0;
      return {
        code: 200,
        body: { name: `${SERVICE}/operations/operation-${restores.length}`, done: false },
      };
    },
    "http.get": (a: any) => {
      expect(a.auth).toEqual({ type: "OAuth2" });
      expect(a.timeout).toBe(60);
      if (a.url === `${METASTORE}${SERVICE}`)
        return {
          code: 200,
          body: {
            name: SERVICE,
            state: opts.serviceState?.(clock) ?? "ACTIVE",
            metadataManagementActivity: {
              restores:
                typeof opts.restores === "function" ? opts.restores(clock) : (opts.restores ?? []),
            },
          },
        };
      if (a.url.includes("/backups/")) {
        if (forbidden < (opts.forbiddenReads ?? 0)) {
          forbidden += 1;
          throw new WorkflowRaised({ code: 403, tags: ["HttpError"], message: "HTTP 403" });
        }
        const name = a.url.slice(METASTORE.length);
        const b = opts.backups?.[name];
        if (!b) throw notFound();
        return { code: 200, body: { name, ...b } };
      }
      if (a.url.startsWith(`${METASTORE}${SERVICE}/operations/`)) {
        const n = Number(a.url.split("-").at(-1));
        const script = opts.operations?.[n - 1] ?? { polls: 2 };
        polls += 1;
        if (polls < script.polls) return { code: 200, body: { name: a.url, done: false } };
        return {
          code: 200,
          body: {
            name: a.url.slice(METASTORE.length),
            done: true,
            ...(script.error
              ? { error: script.error }
              : {
                  // A Restore: times, state, backup, type, details; no name (metastore.proto).
                  response: {
                    "@type": "type.googleapis.com/google.cloud.metastore.v1.Restore",
                    startTime: iso(clock - 60),
                    endTime: iso(clock),
                    state: "SUCCEEDED",
                    type: "METADATA_ONLY",
                  },
                }),
          },
        };
      }
      if (a.url.startsWith(`${OBJECTS}/`)) {
        const name = decodeURIComponent(a.url.slice(OBJECTS.length + 1));
        if (!byName.some((o) => o.name === name)) throw notFound();
        return { code: 200, body: { name } };
      }
      expect(a.url).toBe(OBJECTS);
      const q = a.query as Record<string, any>;
      if (opts.listingError && Number(q.pageToken ?? 0) >= (opts.listingError.from ?? 0))
        throw new WorkflowRaised({
          code: opts.listingError.code,
          tags: ["HttpError"],
          message: `HTTP ${opts.listingError.code}`,
        });
      const glob = q.matchGlob ? globRegex(q.matchGlob) : undefined;
      const matching = byName.filter(
        (o) => o.name.startsWith(q.prefix) && (!glob || glob.test(o.name)),
      );
      const from = Number(q.pageToken ?? 0);
      const size = Math.min(q.maxResults ?? 1000, 1000);
      pages.push(from);
      // Only the fields asked for (partial response: fields=items(name,timeCreated),nextPageToken).
      const wanted = /items\(([^)]*)\)/.exec(q.fields ?? "")?.[1]?.split(",");
      const items = matching
        .slice(from, from + size)
        .map((o) => (wanted ? Object.fromEntries(wanted.map((f) => [f, (o as any)[f]])) : o));
      return {
        code: 200,
        body: {
          ...(items.length && { items }),
          ...(from + size < matching.length && { nextPageToken: String(from + size) }),
        },
      };
    },
  };
  const runner = new WorkflowRunner(RESTORE_WORKFLOW_FILE, ENV, externals, () => clock);
  return { runner, restores, pages, now: () => clock };
}

/** 200 complete backups every 15 minutes back from 11:45, about 10,000 objects in all. */
function history(count = 200) {
  const last = Date.parse("2026-11-22T11:47:00Z") / 1000;
  return Array.from({ length: count }, (_, i) =>
    backupFolder(`backup-${String(count - i).padStart(4, "0")}`, last - i * 900),
  ).flat();
}

describe("the restore workflow, run as written over the Storage and Metastore APIs", () => {
  it("restores the newest completed backup (by its marker's time, not its name) through the REST API, METADATA_ONLY, with a request ID, and reports it", () => {
    const objects = [
      ...history(),
      // Named to sort first, completed last of the complete ones: chosen by time, not by name.
      ...backupFolder("aaa-manual", Date.parse("2026-11-22T11:55:00Z") / 1000),
      // Two minutes old: left for the next run (nothing says the marker is written last).
      ...backupFolder("zzz-just-now", NOW - 120),
      // Still running: no marker yet.
      ...backupFolder("zzz-running", NOW - 30, { marker: false }),
    ];
    expect(objects.length).toBeGreaterThan(10_000);
    const cloud = fakeCloud(objects);
    const result = cloud.runner.run({}) as Record<string, any>;
    expect(cloud.restores).toHaveLength(1);
    expect(cloud.restores[0]).toEqual({
      backupLocation: `gs://${BUCKET}/${PREFIX}aaa-manual/`,
      // FULL would also restore the peer service's configuration (metastore.proto RestoreType).
      restoreType: "METADATA_ONLY",
      requestId: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
    });
    expect(result).toEqual({
      restored: `gs://${BUCKET}/${PREFIX}aaa-manual/`,
      backupTime: "2026-11-22T11:55:00.000Z",
      ageMinutes: 12,
      rpoBreached: false,
      skippedNewest: null,
      // The operation's name from the call that started it: a finished Restore has none.
      operation: OPERATION,
      restore: expect.objectContaining({ state: "SUCCEEDED", type: "METADATA_ONLY" }),
    });
    // Only the markers were listed, 100 at a time: 202 markers in 3 pages, then one avro/ name.
    expect(cloud.pages).toEqual([0, 100, 200, 0]);
    const lists = cloud.runner.calls.filter((c) => c.args.url === OBJECTS);
    expect(lists[0]!.args.query).toEqual({
      prefix: PREFIX,
      matchGlob: `${PREFIX}*/backup_metastore.json`,
      fields: "items(name,timeCreated),nextPageToken",
      maxResults: 100,
    });
    // Workflows caps all of an execution's variables at 512 KB (Workflows quotas, "Memory").
    expect(cloud.runner.peakVariableBytes).toBeLessThan((512 * 1024) / 4);
    // What one page of full records would have held: over the limit on its own.
    const fullPage = JSON.stringify({ items: objects.slice(0, 1000) }).length;
    expect(fullPage).toBeGreaterThan(512 * 1024);
  });

  it("restores into the service a run names as its target (a drill's scratch service), never into this site's", () => {
    const scratch = `projects/${PROJECT}/locations/us-east1/services/acmedata-secondary-drill`;
    const cloud = fakeCloud(history(3), { service: scratch });
    const result = cloud.runner.run({
      target: scratch,
      restoreWhateverAge: true,
      waitForIdle: true,
    });
    expect(cloud.restores).toEqual([
      {
        backupLocation: `gs://${BUCKET}/${PREFIX}backup-0003/`,
        restoreType: "METADATA_ONLY",
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    ]);
    expect(result).toMatchObject({
      restored: `gs://${BUCKET}/${PREFIX}backup-0003/`,
      ageMinutes: 20,
    });
    // Every call to the Metastore API named the scratch service; none this site's own.
    const metastoreCalls = cloud.runner.calls
      .map((c) => String(c.args.url))
      .filter((u) => u.startsWith(METASTORE));
    expect(metastoreCalls.length).toBeGreaterThan(2);
    expect(metastoreCalls.every((u) => u.startsWith(`${METASTORE}${scratch}`))).toBe(true);
  });

  it("restores a drained peer's final backup by name (backup, not backupLocation), whatever its age, reading no listing", () => {
    const name = `projects/${PROJECT}/locations/us-central1/services/acmedata-primary-hms/backups/drain-primary-e3`;
    const cloud = fakeCloud(history(3), {
      backups: { [name]: { state: "ACTIVE", createTime: "2026-11-22T09:00:00Z" } },
    });
    const result = cloud.runner.run({
      backup: name,
      restoreWhateverAge: true,
      waitForIdle: true,
      allowNoBackup: true,
    });
    expect(cloud.restores).toEqual([
      {
        backup: name,
        restoreType: "METADATA_ONLY",
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    ]);
    expect(result).toEqual({
      restored: name,
      backupTime: "2026-11-22T09:00:00.000Z",
      ageMinutes: 187,
      // The drained site wrote nothing after it: no RPO breach, however long the wait.
      rpoBreached: false,
      skippedNewest: null,
      operation: OPERATION,
      restore: expect.objectContaining({ state: "SUCCEEDED" }),
    });
    expect(cloud.pages).toEqual([]);
    expect(cloud.runner.calls.filter((c) => String(c.args.url).startsWith(OBJECTS))).toEqual([]);
  });

  it("restores nothing over a peer not promoted since this site was active, once the service is idle", () => {
    const cloud = fakeCloud(history(3), {
      serviceState: (clock) => (clock < NOW + 30 ? "UPDATING" : "ACTIVE"),
    });
    expect(cloud.runner.run({ restoreNothing: true, waitForIdle: true })).toEqual({
      restored: null,
      reason: `the peer was not promoted since this site was active: its backups are older than what ${SERVICE} holds`,
    });
    expect(cloud.restores).toEqual([]);
    expect(cloud.pages).toEqual([]);
    expect(cloud.now()).toBeGreaterThanOrEqual(NOW + 30);
  });

  it("reads the named backup again while IAM has not applied this deployment's grant on the peer's service, for up to 7 minutes", () => {
    const name = `projects/${PROJECT}/locations/us-central1/services/acmedata-primary-hms/backups/drain-primary-e3`;
    const backups = { [name]: { state: "ACTIVE", createTime: "2026-11-22T11:50:00Z" } };
    const slow = fakeCloud(history(3), { backups, forbiddenReads: 4 });
    expect(slow.runner.run({ backup: name })).toMatchObject({ restored: name });
    const never = fakeCloud(history(3), { backups, forbiddenReads: Infinity });
    expect(() => never.runner.run({ backup: name })).toThrow(/"code":403/);
    expect(never.now()).toBeGreaterThanOrEqual(NOW + 420);
    expect(never.restores).toEqual([]);
  });

  it("fails rather than falls back when the named final backup is not ACTIVE, is missing, or its restore fails", () => {
    const name = `projects/${PROJECT}/locations/us-central1/services/acmedata-primary-hms/backups/drain-primary-e3`;
    const args = { backup: name, restoreWhateverAge: true, allowNoBackup: true };
    const deleting = fakeCloud(history(3), {
      backups: { [name]: { state: "DELETING", createTime: "2026-11-22T09:00:00Z" } },
    });
    expect(() => deleting.runner.run(args)).toThrow(
      new WorkflowRaised(`the final backup ${name} is DELETING, not ACTIVE: nothing is restored`),
    );
    const missing = fakeCloud(history(3));
    expect(() => missing.runner.run(args)).toThrow(/"code":404/);
    const failing = fakeCloud(history(3), {
      backups: { [name]: { state: "ACTIVE", createTime: "2026-11-22T09:00:00Z" } },
      operations: [{ polls: 2, error: { code: 5, message: "backup not found" } }],
    });
    expect(() => failing.runner.run(args)).toThrow(
      new WorkflowRaised(
        `restore of ${name} into ${SERVICE} failed: {"code":5,"message":"backup not found"}`,
      ),
    );
    // One restore, no fallback to the newest scheduled backup.
    expect(failing.restores).toHaveLength(1);
    for (const cloud of [deleting, missing, failing]) expect(cloud.pages).toEqual([]);
  });

  it("restores nothing while a restore is still running on the service, and says so", () => {
    const cloud = fakeCloud(history(3), {
      restores: [
        // Ended 47 minutes ago: the standby is within its RPO of 60 minutes.
        { state: "SUCCEEDED", startTime: "2026-11-22T11:07:00Z", endTime: "2026-11-22T11:20:00Z" },
        { state: "RUNNING", startTime: "2026-11-22T11:37:00Z" },
      ],
    });
    expect(cloud.runner.run({})).toEqual({
      skipped: `a restore started at 2026-11-22T11:37:00Z is still running on ${SERVICE}; this run restores nothing`,
    });
    expect(cloud.restores).toEqual([]);
    expect(cloud.pages).toEqual([]);
  });

  it("fails instead of skipping once the standby's last successful restore is older than the RPO, so that the alert on failed runs fires", () => {
    const running = { state: "RUNNING", startTime: "2026-11-22T11:37:00Z" };
    const stale = fakeCloud(history(3), {
      restores: [
        { state: "SUCCEEDED", startTime: "2026-11-22T10:37:00Z", endTime: "2026-11-22T10:50:00Z" },
        // A later failure does not count as restored.
        { state: "FAILED", startTime: "2026-11-22T11:07:00Z", endTime: "2026-11-22T11:20:00Z" },
        running,
      ],
    });
    expect(() => stale.runner.run({})).toThrow(
      new WorkflowRaised(
        `a restore started at 2026-11-22T11:37:00Z is still running on ${SERVICE}, and its last successful restore ended 77 minutes ago, beyond the RPO of 60 minutes`,
      ),
    );
    const none = fakeCloud(history(3), { restores: [running] });
    expect(() => none.runner.run({})).toThrow(
      new WorkflowRaised(
        `a restore started at 2026-11-22T11:37:00Z is still running on ${SERVICE}, and no successful restore is in its history: the standby may be older than the RPO of 60 minutes`,
      ),
    );
    expect([...stale.restores, ...none.restores]).toEqual([]);
  });

  it("a promotion's run waits for the restore in flight and an ACTIVE service, then restores the newest backup once", () => {
    const busyUntil = NOW + 600;
    const cloud = fakeCloud(history(3), {
      restores: (clock) => [
        clock < busyUntil
          ? { state: "RUNNING", startTime: "2026-11-22T11:37:00Z" }
          : { state: "SUCCEEDED", startTime: "2026-11-22T11:37:00Z", endTime: iso(busyUntil) },
      ],
      // The restore's end leaves the service UPDATING a little longer.
      serviceState: (clock) => (clock < busyUntil + 30 ? "UPDATING" : "ACTIVE"),
    });
    const result = cloud.runner.run({
      restoreWhateverAge: true,
      waitForIdle: true,
      allowNoBackup: true,
    }) as Record<string, any>;
    // Polled every POLL_SECONDS: 630 s of a busy service, 42 sleeps; then 2 polls of the restore.
    expect(cloud.runner.calls.filter((c) => c.name === "sys.sleep")).toHaveLength(42 + 2);
    expect(cloud.restores.map((r) => r.backupLocation)).toEqual([
      `gs://${BUCKET}/${PREFIX}backup-0003/`,
    ]);
    expect(result).toMatchObject({
      restored: `gs://${BUCKET}/${PREFIX}backup-0003/`,
      backupTime: "2026-11-22T11:47:00.000Z",
      ageMinutes: 31,
      rpoBreached: false,
    });

    const stuck = fakeCloud(history(3), {
      restores: [{ state: "RUNNING", startTime: "2026-11-22T11:37:00Z" }],
    });
    expect(() => stuck.runner.run({ waitForIdle: true })).toThrow(
      new WorkflowRaised(
        `${SERVICE} still has a restore started at 2026-11-22T11:37:00Z running after 1200s; the promotion restores nothing into a busy service`,
      ),
    );
    expect(stuck.restores).toEqual([]);
    const updating = fakeCloud(history(3), { serviceState: () => "UPDATING" });
    expect(() => updating.runner.run({ waitForIdle: true })).toThrow(
      new WorkflowRaised(
        `${SERVICE} is still UPDATING after 1200s; the promotion restores nothing into a busy service`,
      ),
    );
  });

  it("a hot promotion's run reports, instead of failing, backups it cannot read or find", () => {
    const args = { restoreWhateverAge: true, waitForIdle: true, allowNoBackup: true };
    const unreadable = fakeCloud(history(3), { listingError: { code: 403 } });
    const report = promotionRestoreReport(JSON.stringify(unreadable.runner.run(args)));
    const lead = `the backups under gs://${BUCKET}/${PREFIX} could not be listed: `;
    expect(report).toEqual({
      restored: null,
      reason: expect.stringMatching(/^the backups under /),
    });
    const reason = (report as { reason: string }).reason;
    expect(reason.startsWith(lead)).toBe(true);
    // The HTTP error as Workflows raises it (the map json.encode_to_string renders).
    expect(JSON.parse(reason.slice(lead.length))).toEqual({
      code: 403,
      message: "HTTP 403",
      tags: ["HttpError"],
    });
    expect(unreadable.restores).toEqual([]);
    const empty = fakeCloud([]);
    expect(empty.runner.run(args)).toEqual({
      restored: null,
      reason: `no completed metastore backup under gs://${BUCKET}/${PREFIX} older than 300s`,
    });
    // A listing that fails after its first page: the newest backup found so far, with its age.
    const partly = fakeCloud(history(150), { listingError: { code: 503, from: 100 } });
    expect(partly.runner.run(args)).toMatchObject({
      restored: `gs://${BUCKET}/${PREFIX}backup-0100/`,
      // Backups every 15 minutes back from 11:47: the 100th by name is 50 steps back.
      backupTime: "2026-11-21T23:17:00.000Z",
      ageMinutes: 770,
      rpoBreached: true,
    });
    expect(partly.restores.map((r) => r.backupLocation)).toEqual([
      `gs://${BUCKET}/${PREFIX}backup-0100/`,
    ]);
    // A scheduled run, or a cold promotion's, fails on the same listing.
    expect(() => fakeCloud(history(3), { listingError: { code: 403 } }).runner.run({})).toThrow(
      WorkflowRaised,
    );
    expect(() => fakeCloud([]).runner.run({ restoreWhateverAge: true })).toThrow(
      new WorkflowRaised(
        `no completed metastore backup under gs://${BUCKET}/${PREFIX} older than 300s (0 newer marker(s) left for the next run)`,
      ),
    );
  });

  it("falls back to the next older backup when the newest folder is incomplete", () => {
    const newest = Date.parse("2026-11-22T11:55:00Z") / 1000;
    const cloud = fakeCloud([...history(2), ...backupFolder("broken", newest, { service: false })]);
    const result = cloud.runner.run({}) as Record<string, any>;
    expect(cloud.restores.map((r) => r.backupLocation)).toEqual([
      `gs://${BUCKET}/${PREFIX}backup-0002/`,
    ]);
    expect(result.skippedNewest).toBe(
      `gs://${BUCKET}/${PREFIX}broken/ holds no service.json: not a complete backup`,
    );
    const noAvro = fakeCloud([...history(2), ...backupFolder("broken", newest, { avro: 0 })]);
    expect((noAvro.runner.run({}) as Record<string, any>).skippedNewest).toBe(
      `gs://${BUCKET}/${PREFIX}broken/ holds no avro/ files: not a complete backup`,
    );
  });

  it("falls back to the next older backup when restoring the newest finds its data missing, and raises on any other error", () => {
    const notReadable = fakeCloud(history(2), {
      operations: [{ polls: 2, error: { code: 5, message: "backup_metastore.json not found" } }],
    });
    const result = notReadable.runner.run({}) as Record<string, any>;
    expect(notReadable.restores.map((r) => r.backupLocation)).toEqual([
      `gs://${BUCKET}/${PREFIX}backup-0002/`,
      `gs://${BUCKET}/${PREFIX}backup-0001/`,
    ]);
    // A retried request would carry the same ID; the fallback is a new restore with its own.
    expect(notReadable.restores[0]!.requestId).not.toBe(notReadable.restores[1]!.requestId);
    expect(result.restored).toBe(`gs://${BUCKET}/${PREFIX}backup-0001/`);
    expect(result.operation).toBe(`${SERVICE}/operations/operation-2`);

    const denied = fakeCloud(history(2), {
      operations: [{ polls: 1, error: { code: 7, message: "permission denied" } }],
    });
    expect(() => denied.runner.run({})).toThrow(
      new WorkflowRaised(
        `restore of gs://${BUCKET}/${PREFIX}backup-0002/ into ${SERVICE} failed: {"code":7,"message":"permission denied"}`,
      ),
    );
    expect(denied.restores).toHaveLength(1);
  });

  it("raises when the restore outlives its timeout, naming the operation that keeps running", () => {
    const cloud = fakeCloud(history(2), { operations: [{ polls: 1_000 }] });
    expect(() => cloud.runner.run({})).toThrow(
      new WorkflowRaised(
        `restore of gs://${BUCKET}/${PREFIX}backup-0002/ into ${SERVICE} still running after 1200s (operation ${OPERATION}; it keeps running on Google's side, and the next run restores nothing while it does)`,
      ),
    );
    // Polled every POLL_SECONDS until the deadline: 1200 / 15.
    expect(cloud.runner.calls.filter((c) => c.name === "sys.sleep")).toHaveLength(80);
  });

  it("raises without a completed backup old enough, and past the RPO unless told to restore whatever the age", () => {
    const young = fakeCloud(backupFolder("b", NOW - 60));
    expect(() => young.runner.run({})).toThrow(
      new WorkflowRaised(
        `no completed metastore backup under gs://${BUCKET}/${PREFIX} older than 300s (1 newer marker(s) left for the next run)`,
      ),
    );
    const stale = () => fakeCloud(backupFolder("b", NOW - 3 * 3600));
    expect(() => stale().runner.run({})).toThrow(
      new WorkflowRaised(
        `newest completed backup gs://${BUCKET}/${PREFIX}b/ is 180 minutes old, beyond the RPO of 60 minutes`,
      ),
    );
    // A promotion needs a metastore however old: it restores and reports the breach.
    const promotion = stale();
    expect(promotion.runner.run({ restoreWhateverAge: true })).toMatchObject({
      restored: `gs://${BUCKET}/${PREFIX}b/`,
      ageMinutes: 180,
      rpoBreached: true,
    });
  });

  it("reports a promotion's restore in the stack's outputs from the run's result, breach included", () => {
    const promotion = fakeCloud(backupFolder("b", NOW - 3 * 3600));
    const result = JSON.stringify(promotion.runner.run({ restoreWhateverAge: true }));
    expect(promotionRestoreReport(result)).toEqual({
      restored: `gs://${BUCKET}/${PREFIX}b/`,
      backupTime: "2026-11-22T09:07:00.000Z",
      ageMinutes: 180,
      rpoBreached: true,
    });
    // A run that restored nothing, or no result yet, reports nothing.
    const skipped = fakeCloud(history(1), {
      restores: [
        { state: "SUCCEEDED", startTime: "2026-11-22T11:07:00Z", endTime: "2026-11-22T11:20:00Z" },
        { state: "RUNNING", startTime: "2026-11-22T11:37:00Z" },
      ],
    });
    expect(promotionRestoreReport(JSON.stringify(skipped.runner.run({})))).toBeUndefined();
    expect(promotionRestoreReport("")).toBeUndefined();
    expect(promotionRestoreReport(undefined)).toBeUndefined();
  });

  it("bounds the timeout: the restore waits at most RESTORE_TIMEOUT_SECONDS, which config caps", () => {
    const raw = validRaw();
    raw.metastore.restore.timeoutMinutes = 721;
    raw.metastore.rpoMinutes = 1440;
    expect(() => parsePlatformConfig(raw, REPO)).toThrow(
      "paired-dr:metastore.restore.timeoutMinutes: too large; allowed: a whole number of minutes from 5 to 720 (given: 721)",
    );
  });
});
