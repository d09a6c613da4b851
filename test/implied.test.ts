import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { FACTS_KIND } from "../contracts/facts";
import { executePlan, main, parseCli } from "../tools/plan/cli";
import { impliedSteps } from "../tools/runbook/implied";
import { RunbookPlayer, type RunbookResult } from "../tools/runbook/play";
import { readRunbook, type Runbook, type Step } from "../tools/runbook/schema";
import {
  StateError,
  parseOutputs,
  readDeployedState,
  recordedReferences,
  recordedSets,
  writeDeployedState,
} from "../tools/runbook/state";
import { ROOT, runCommand, tempDir } from "./helpers";

const runbook = (name: string) => readRunbook(path.join(ROOT, "runbooks", `${name}.yaml`));
const up = (s: "primary" | "secondary"): Step => ({ up: s });
const FORCED = {
  promote: true,
  "promotion.acknowledgeForcedFailover": true,
  "sql.failover.mode": "forced",
  "sql.failover.acknowledgeDataLoss": true,
} as const;

/** The steps of a shipped runbook after its first `n` (what remains once those are deployed). */
const after = (name: string, n: number): Step[] =>
  runbook(name)
    .steps.slice(n)
    .filter((s) => !("expect" in s));

describe("the runbook a change implies (pure)", () => {
  const none = { primary: null, secondary: null } as const;
  const normal = { primary: "active", secondary: "passive" } as const;
  const promoted = { primary: "passive", secondary: "active" } as const;
  const steps = (...a: Parameters<typeof impliedSteps>) => impliedSteps(...a).map((s) => s.step);

  it("from nothing deployed: the first-deployment runbook's order, active site first", () => {
    expect(steps(none, normal, [])).toEqual(after("first-deployment", 0));
    expect(steps(none, promoted, [])).toEqual([up("secondary"), up("primary"), up("secondary")]);
  });

  it("roles unchanged: each stack once; a passive site never deployed, then the active again", () => {
    expect(steps(normal, normal, [])).toEqual([up("primary"), up("secondary")]);
    expect(steps({ primary: "active", secondary: null }, normal, [])).toEqual([
      up("primary"),
      up("secondary"),
      up("primary"),
    ]);
  });

  it("a planned promotion: the steps planned-promotion.yaml plays after its pull request", () => {
    // planned-promotion.yaml: 3 ups, then `set: {promote: true}`, then the promotion.
    expect(steps(normal, promoted, [])).toEqual(after("planned-promotion", 4));
  });

  it("a forced failover: the steps unplanned-failover.yaml plays after its pull request", () => {
    // unplanned-failover.yaml: 3 ups, the outage, the pull request; the implied runbook
    // declares the outage itself (acknowledgeForcedFailover says the region is down).
    expect(
      steps(normal, promoted, [
        "promotion.acknowledgeForcedFailover",
        "sql.failover.mode",
        "sql.failover.acknowledgeDataLoss",
      ]),
    ).toEqual([{ outage: "primary" }, ...after("unplanned-failover", 5)]);
  });

  it("a cold-standby promotion: the acknowledgment is removed before the demoted site's last step", () => {
    // cold-standby-preflight.yaml after its acknowledging pull request (step 8), without the
    // expect-blocked step that shows the leftover acknowledgment refused.
    const rest = after("cold-standby-preflight", 8).filter((s) => !("expect-blocked" in s));
    expect(steps(normal, promoted, ["promotion.acceptColdStandbyRto"])).toEqual(rest);
  });

  it("midway (the active site already stood down): the promotion, then the demoted site", () => {
    expect(steps({ primary: "passive", secondary: "passive" }, promoted, [])).toEqual([
      up("secondary"),
      up("primary"),
    ]);
  });
});

describe("the deployed state (pulumi stack output --json)", () => {
  const tmp = () => tempDir("state-");
  const outputs = (over: Record<string, unknown> = {}) => ({
    site: "primary",
    role: "active",
    promote: false,
    deployment: { role: "active", acknowledgments: [] },
    ...over,
  });

  it("reads each stack's file; a missing file or {} is a stack never deployed", () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "primary.json"), JSON.stringify(outputs()));
    fs.writeFileSync(path.join(dir, "secondary.json"), "{}\n");
    expect(readDeployedState(dir)).toEqual({ primary: outputs() });
    fs.rmSync(path.join(dir, "secondary.json"));
    expect(readDeployedState(dir)).toEqual({ primary: outputs() });
  });

  it("refuses a missing directory, a file that is not JSON, and outputs it does not know", () => {
    expect(() => readDeployedState("/nonexistent/state")).toThrow(
      new StateError("--state /nonexistent/state: no such directory"),
    );
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "primary.json"), "error: no stack named 'primary' found");
    expect(() => readDeployedState(dir)).toThrow(/primary\.json: not JSON \(/);
    expect(() =>
      parseOutputs("s/primary.json", "primary", outputs({ role: "standby", promote: "no" })),
    ).toThrow(
      "s/primary.json: not the outputs of a paired-dr stack (pulumi stack output --json -s primary):\n" +
        '  - role: is "standby": Invalid option: expected one of "active"|"passive"\n' +
        '  - promote: is "no": Invalid input: expected boolean, received string',
    );
    expect(() => parseOutputs("s/primary.json", "primary", outputs({ deployment: 1 }))).toThrow(
      "  - deployment: is 1: Invalid input: expected object, received number",
    );
    expect(() => parseOutputs("s/primary.json", "primary", outputs({ site: "secondary" }))).toThrow(
      's/primary.json: site is "secondary", but the file is stack primary\'s (site primary)',
    );
  });

  it("the config a deployment was made with: promote and the acknowledgments it recorded", () => {
    const o = outputs({
      promote: true,
      deployment: { role: "active", acknowledgments: ["sql.failover.mode"] },
    });
    expect(recordedSets(o)).toEqual({
      promote: true,
      "promotion.acceptColdStandbyRto": false,
      "promotion.acknowledgeForcedFailover": false,
      "sql.failover.mode": "forced",
      "sql.failover.acknowledgeDataLoss": false,
    });
  });

  it("what a deployment read: its role before and the peer's role then; older outputs read as steady", () => {
    const peer = { ...outputs({ site: "secondary", role: "active" }) };
    const own = outputs({
      role: "passive",
      deployment: { role: "passive", previous: { role: "active", peerRole: "passive" } },
    });
    expect(recordedReferences(own, peer)).toEqual({
      lastOutputs: { ...own, role: "active", deployment: { ...own.deployment, role: "active" } },
      peerOutputs: {
        ...peer,
        role: "passive",
        deployment: { ...peer.deployment, role: "passive" },
      },
    });
    // With the epochs recorded (fencing, issue 10): each side as it was before.
    const promoted = outputs({
      role: "active",
      deployment: {
        role: "active",
        epoch: 2,
        previous: { role: "passive", peerRole: "active", epoch: 0, peerEpoch: 1 },
      },
    });
    const returning = { ...peer, deployment: { ...peer.deployment, epoch: 1 } };
    expect(recordedReferences(promoted, returning)).toEqual({
      lastOutputs: {
        ...promoted,
        role: "passive",
        deployment: { ...promoted.deployment, role: "passive", epoch: 0 },
      },
      peerOutputs: { ...returning, deployment: { ...returning.deployment, epoch: 1 } },
    });
    const unrecorded = outputs({
      deployment: {
        role: "active",
        epoch: 1,
        previous: { role: null, peerRole: "passive", epoch: null, peerEpoch: null },
      },
    });
    expect(recordedReferences(unrecorded, returning).peerOutputs).toEqual({
      ...returning,
      role: "passive",
      deployment: { ...returning.deployment, role: "passive", epoch: undefined },
    });
    const first = outputs({
      deployment: { role: "active", previous: { role: null, peerRole: null } },
    });
    expect(recordedReferences(first, peer)).toEqual({ peerOutputs: {} });
    expect(recordedReferences(outputs(), peer)).toEqual({
      lastOutputs: outputs(),
      peerOutputs: peer,
    });
  });
});

const noPolicy = async () => [];
const sets = (rb: Runbook, n: number) =>
  Object.assign({}, ...rb.steps.slice(0, n).flatMap((s) => ("set" in s ? [s.set] : [])));
const withoutFacts = (r: RunbookResult["plans"]["primary"]) =>
  (r?.resources ?? []).filter((x) => x.inputs.kind !== FACTS_KIND);

describe("a deployment rebuilt from its outputs", () => {
  // The facts record carries the last deployment's own last acknowledgments, which no output
  // keeps; it is not a pending change anywhere (tools/runbook/play.ts), so it is left out.
  // The last column: the trial tenants' geo-replication links the deployments left (issue 15).
  it.each([
    ["first-deployment", 4, 0],
    ["planned-promotion", 5, 0], // the active site stood down, the standby not yet promoted
    ["planned-promotion", 7, 20],
    ["unplanned-failover", 6, 0], // promoted over a primary whose region is down: geo-restored
    ["cold-standby-preflight", 10, 20], // a cold standby promoted with its restore once
    // The returning primary demoted: epochs 1 and 2 in the fence records; it reprotects the
    // geo-restored trial tenants (their names geo-secondaries of the secondary's copies).
    ["region-return", 11, 20],
    // The failback after the catch-up: the primary promoted to epoch 3, holding those links.
    ["skipped-demotion", 19, 20],
  ] as const)("%s after %i steps: the same resources as deployed", async (name, n, links) => {
    const rb = runbook(name);
    const played = await new RunbookPlayer(noPolicy, ROOT).play({
      ...rb,
      "known-gaps": [],
      steps: rb.steps.slice(0, n),
    });
    const rebuilt = await new RunbookPlayer(noPolicy, ROOT, [], sets(rb, n)).deployed(
      played.outputs,
    );
    for (const site of ["primary", "secondary"] as const) {
      const a = withoutFacts(played.plans[site]);
      const b = withoutFacts(rebuilt.plans[site]);
      expect(b.length).toBe(a.length);
      expect(a.filter((x) => !b.some((y) => isDeepStrictEqual(x, y))).map((x) => x.name)).toEqual(
        [],
      );
      // The rebuilt deployment takes the role its outputs record (its fence record, with the
      // epoch, is among the resources compared above).
      expect(rebuilt.plans[site]!.role).toBe((played.outputs[site] as { role: string }).role);
    }
    const relationships = Object.keys(played.groupPrimary);
    expect(relationships.filter((k) => !k.startsWith("link:"))).toHaveLength(3);
    expect(relationships.filter((k) => k.startsWith("link:"))).toHaveLength(links);
    expect(rebuilt.groupPrimary).toEqual(played.groupPrimary);
  });
});

describe("the plan's pull-request comment", () => {
  let state: string;
  const exported = async (name: string, n: number) => {
    const rb = runbook(name);
    const played = await new RunbookPlayer(noPolicy, ROOT).play({
      ...rb,
      "known-gaps": [],
      steps: rb.steps.slice(0, n),
    });
    const dir = tempDir("state-");
    writeDeployedState(dir, played.outputs);
    return dir;
  };
  beforeAll(async () => {
    state = await exported("first-deployment", 4); // the whole runbook
  });
  const comment = async (projectSets: Record<string, unknown>, stateDir?: string) => {
    const md = (
      await executePlan({
        ...parseCli(["--format", "markdown", ...(stateDir ? ["--state", stateDir] : [])]),
        projectSets,
      })
    ).output;
    // The effect comes first, after the roles; the RTO and each stack's details follow it.
    const start = md.indexOf("## This change as a runbook");
    const end = md.search(/\nRTO estimate|\n### `/);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    return md.slice(start, end + 1);
  };

  it("without a deployed state, says it assumes a first deployment, and plays it", async () => {
    const md = await comment({});
    expect(md).toContain(
      "No deployed state was given (--state DIR), so this assumes a first deployment from empty: primary not deployed → active, secondary not deployed → passive.",
    );
    expect(md).toContain(
      "3. `pulumi up -s primary --policy-pack policies` (the active site once more: it creates what needs the peer's resources): goes through\n" +
        // The five deep clones and two landing copies start, and their concurrency with them; the
        // way to the peer's lake (the connector's role on it, its external location and grants)
        // is created.
        "   - changes: 10 created, 15 updated, 0 deleted, 0 replaced\n",
    );
    expect(md).toContain(
      "Every step goes through and the pair converges, with every invariant holding after each step.",
    );
  });

  it("a promotion from the deployed state: each step's failovers, creates and known gaps", async () => {
    const md = await comment({ promote: true }, state);
    expect(md).toContain(
      "From the deployed state (each stack's last outputs): primary active → passive, secondary passive → active.",
    );
    expect(md).toContain(
      "1. `pulumi up -s primary --policy-pack policies` (step 1: the active site stands down): goes through\n" +
        // The Hive fence's workflow and record are updated; its grant on the cluster goes with it.
        // Each job's concurrency follows its job.
        // The demoted primary is watched as a standby from now on (issue 13, item 16), and
        // makes its final sync: each copy runs once more after the writers stood down, and the
        // metastore is backed up once its Hive cluster stopped (issue 15). The fence's workflow
        // keeps naming the cluster through the drain, so it is not among the updates.
        "   - changes: 3 created, 30 updated, 5 deleted, 1 replaced\n" +
        "   - creates: `pulumi-nodejs:dynamic:Resource` `workspace-final-sync`, `gcp:monitoring/alertPolicy:AlertPolicy` `metastore-alert-standby-behind`, `pulumi-nodejs:dynamic:Resource` `metastore-final-backup`\n",
    );
    expect(md).toContain(
      "   - final sync: primary: drain-primary-e1 stopped 5 writers, then ran 7 copies once more into secondary's lake\n" +
        "   - final sync: primary: drain-primary-e1 stopped the Hive cluster, then backed the metastore up\n" +
        "   - writers after: lake none · metastore none · sql primary · gcs none\n",
    );
    expect(md).toContain(
      "2. `pulumi up -s secondary --policy-pack policies` (step 2: the standby is promoted): goes through\n" +
        // The fourth dynamic resource is the metastore's promotion restore (issue 13); it may
        // use the primary's final backup once granted on the primary's service (issue 15). The
        // other 20 hold the trial tenants' geo-replication links (issue 15).
        "   - changes: 48 created, 32 updated, 1 deleted, 1 replaced\n" +
        "   - creates: 20 × `azure-native:sql:Database`, 1 × `azure-native:sql:ElasticPool`, 1 × `gcp:dataproc/cluster:Cluster`, 1 × `gcp:dataproc/clusterIAMMember:ClusterIAMMember`, 1 × `gcp:dataproc/metastoreServiceIamMember:MetastoreServiceIamMember`, 24 × `pulumi-nodejs:dynamic:Resource`\n" +
        "   - deletes: `gcp:monitoring/alertPolicy:AlertPolicy` `metastore-alert-standby-behind`\n" +
        "   - replaces: `azure-native:storage:Blob` `workspace-fence`\n" +
        "   - failover: `acmedata-primary-fg-mgmt` primary → secondary (planned)\n" +
        "   - failover: `acmedata-primary-fg-paid-01` primary → secondary (planned)\n" +
        "   - failover: `acmedata-primary-fg-paid-02` primary → secondary (planned)\n" +
        // The trial tenants, geo-replicated and failed over planned: their originals are the
        // read-only copies now, so no database has two writers (issue 15).
        "   - failover: `20 geo-replication links (tenant-aurora, tenant-beacon, tenant-cascade and 17 more)` primary → secondary (planned)\n" +
        "   - restore: secondary: metastore-promotion-restore stops the scheduled restores, waits for any in flight, then restores primary's final backup drain-primary-e1 once\n" +
        // The drain's final sync (step 1) copied the primary's last writes: no lost writes here.
        "   - writers after: lake secondary · metastore secondary · sql secondary · gcs secondary\n",
    );
    expect(md).not.toContain("known gap");
    expect(md.match(/^\d+\. /gm)).toHaveLength(3);
  });

  it("a forced failover declares the outage and ends with the acknowledgments removed", async () => {
    const md = await comment(FORCED, state);
    expect(md.match(/^\d+\. .*/gm)!.map((l) => l.replace(/\)(: .*)?$/, ")"))).toEqual([
      "1. `primary's region is down` (promotion.acknowledgeForcedFailover declares primary's region down: its stack cannot be deployed)",
      "2. `pulumi up -s secondary --policy-pack policies` (step 2: the standby is promoted)",
      "3. `primary's region is back` (later: primary's region is back)",
      "4. `pulumi up -s primary --policy-pack policies` (the demoted site catches up as passive)",
      '5. `a pull request sets promotion.acknowledgeForcedFailover: false, sql.failover.mode: "planned", sql.failover.acknowledgeDataLoss: false` (the next pull request removes the acknowledgments: they applied to this promotion only)',
      "6. `pulumi up -s secondary --policy-pack policies` (the promoted site without the acknowledgments)",
      "7. `pulumi up -s primary --policy-pack policies` (step 3: the demoted site once more)",
    ]);
    expect(md).toContain("   - failover: `acmedata-primary-fg-mgmt` primary → secondary (forced)");
  });

  it("a promotion the gate would refuse halfway is shown refused at its first step", async () => {
    const md = await comment({ promote: true, "metastore.standby": "cold" }, state);
    expect(md).toContain(
      "1. `pulumi up -s primary --policy-pack policies` (step 1: the active site stands down): **refused by the policy pack**\n" +
        "   - refused by `dr-promotion-gate`: Preflight: the next step, 'pulumi up -s secondary', would be refused, leaving no active site: Set promotion.acceptColdStandbyRto to promote site 'secondary'",
    );
    expect(md).toContain(
      "2. `pulumi up -s secondary --policy-pack policies` (step 2: the standby is promoted): not reached while the step before it cannot go through",
    );
    expect(md).toContain("**Step 1 of 3 would not go as planned.**");
  });

  it("json carries the runbook when --state is given", async () => {
    const out = JSON.parse(
      (await executePlan({ ...parseCli(["--format", "json", "--state", state, "--no-policy"]) }))
        .output,
    ) as { runbook: { basis: string; steps: { step: string; why: string; ok: boolean }[] } };
    expect(out.runbook.basis).toBe("deployed");
    expect(out.runbook.steps.map((s) => [s.step, s.ok])).toEqual([
      ["up: primary", true],
      ["up: secondary", true],
    ]);
  });

  it("a bad --state is a clear error and exit 1, before any plan", async () => {
    const r = await runCommand(main, "--state", "/nonexistent/state");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("plan: --state /nonexistent/state: no such directory\n");
  });
});
