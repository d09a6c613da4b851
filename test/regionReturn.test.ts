import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { planStack, type StackPlan } from "../tools/plan/engine";
import { RunbookPlayer } from "../tools/runbook/play";
import { readRunbook } from "../tools/runbook/schema";
import { PRIMARY_LOST_WRITES_AT_EPOCH_2, ROOT } from "./helpers";

// The seeded variants: the same program with the fence taken out of every job (no fence task,
// no fence parameters), as the jobs were before issue 10; or without the Hive cluster's fence
// schedule.
const withoutFence = (plan: StackPlan): StackPlan => ({
  ...plan,
  resources: plan.resources.map((r) => {
    if (r.type !== "databricks:index/job:Job") return r;
    const tasks = (r.inputs.tasks as any[])
      .filter((t) => t.taskKey !== "fence_check")
      .map((t) => ({
        ...t,
        dependsOns: t.dependsOns?.filter((d: any) => d.taskKey !== "fence_check"),
        notebookTask: {
          ...t.notebookTask,
          baseParameters: Object.fromEntries(
            Object.entries(t.notebookTask.baseParameters).filter(
              ([k]) => !k.startsWith("paired_dr_"),
            ),
          ),
        },
      }));
    return { ...r, inputs: { ...r.inputs, tasks } };
  }),
});
const withoutHiveFence = (plan: StackPlan): StackPlan => ({
  ...plan,
  resources: plan.resources.filter((r) => r.name !== "metastore-fence-schedule"),
});

/** Plays the runbook on the program, or on one seeded variant of it. */
const play = (seed: (plan: StackPlan) => StackPlan = (plan) => plan) =>
  new RunbookPlayer(
    async () => [],
    ROOT,
    [],
    {},
    async (...a) => seed(await planStack(...a)),
  ).play(readRunbook(path.join(ROOT, "runbooks", "region-return.yaml")));
const stepOf = (r: Awaited<ReturnType<typeof play>>, name: string, nth = 0) =>
  r.steps.filter((s) => s.step === name)[nth]!;

describe("region-return: the primary's region comes back before its stack is deployed", () => {
  it("its fenced jobs write nothing, and its demotion lists and preserves what was never cloned", async () => {
    const r = await play();
    expect(r.ok, JSON.stringify(r.unusedGaps)).toBe(true);
    const back = stepOf(r, "recover: primary");
    expect(back.roles).toEqual({ primary: "active", secondary: "active" });
    expect(back.invariants["no-stale-overwrite"]!.ok).toBe(true);
    expect(back.effects.writers.lake).toEqual(["secondary"]);
    // Its Hive cluster's fence stops the cluster: one writer of the metastore and the warehouse.
    expect(back.effects.writers.metastore).toEqual(["secondary"]);
    expect(back.effects.writers.gcs).toEqual(["secondary"]);
    expect(back.effects.stoppedClusters).toEqual([
      { site: "primary", reason: "primary is stale, secondary holds epoch 2 > 1" },
    ]);
    expect(back.invariants["one-writer"]!.breaches.map((b) => b.message.split(":")[0])).toEqual([
      "sql",
    ]);
    // The demotion: the secondary's deep clone into the primary's lake lists before it overwrites.
    const demotion = stepOf(r, "up: primary", 2);
    expect(demotion.roles).toEqual({ primary: "passive", secondary: "active" });
    expect(demotion.effects.lostWrites).toEqual([PRIMARY_LOST_WRITES_AT_EPOCH_2]);
    // Demoted, the primary declares no cluster: nothing left for its fence to stop.
    expect(demotion.effects.stoppedClusters).toEqual([]);
    // Listed once: no later step lists them again.
    expect(r.steps.flatMap((s) => s.effects.lostWrites)).toHaveLength(1);
    // Epochs: the primary's 1 from its first deployment; the secondary promoted above it.
    expect(
      Object.fromEntries(
        Object.entries(r.outputs).map(([s, o]) => [s, (o.deployment as { epoch: number }).epoch]),
      ),
    ).toEqual({ primary: 1, secondary: 2 });
  });

  it("without the fence (seeded variant), no-stale-overwrite breaks as soon as the region is back", async () => {
    const r = await play(withoutFence);
    expect(r.ok).toBe(false);
    const back = stepOf(r, "recover: primary");
    expect(back.invariants["no-stale-overwrite"]!.breaches.map((b) => b.message)).toEqual([
      "lake: primary's replicate-sales-orders deep-clones into secondary's lake (acmedataseclake), which is active",
      "lake: primary's replicate-sales-customers deep-clones into secondary's lake (acmedataseclake), which is active",
      "lake: primary's replicate-finance-invoices deep-clones into secondary's lake (acmedataseclake), which is active",
      "lake: primary's replicate-sales-daily-sales deep-clones into secondary's lake (acmedataseclake), which is active",
      "lake: primary's replicate-sales-partner-orders deep-clones into secondary's lake (acmedataseclake), which is active",
      "lake: primary's replicate-landing-orders copies landing files into secondary's lake (acmedataseclake), which is active",
      "lake: primary's replicate-landing-partners copies landing files into secondary's lake (acmedataseclake), which is active",
      "lake: secondary's replicate-sales-orders deep-clones into primary's lake (acmedataprilake), which is active",
      "lake: secondary's replicate-sales-customers deep-clones into primary's lake (acmedataprilake), which is active",
      "lake: secondary's replicate-finance-invoices deep-clones into primary's lake (acmedataprilake), which is active",
      "lake: secondary's replicate-sales-daily-sales deep-clones into primary's lake (acmedataprilake), which is active",
      "lake: secondary's replicate-sales-partner-orders deep-clones into primary's lake (acmedataprilake), which is active",
      "lake: secondary's replicate-landing-orders copies landing files into primary's lake (acmedataprilake), which is active",
      "lake: secondary's replicate-landing-partners copies landing files into primary's lake (acmedataprilake), which is active",
    ]);
    expect(back.invariants["one-writer"]!.breaches.map((b) => b.message)).toContain(
      "lake: primary and secondary both write tables",
    );
    // And nothing is listed before the secondary's clones overwrite the primary's tables.
    expect(r.steps.flatMap((s) => s.effects.lostWrites)).toEqual([]);
  });

  it("without the Hive cluster's fence (seeded variant), the metastore and the warehouse have two writers", async () => {
    const r = await play(withoutHiveFence);
    expect(r.ok).toBe(false);
    const back = stepOf(r, "recover: primary");
    expect(back.effects.writers.metastore).toEqual(["primary", "secondary"]);
    expect(back.effects.stoppedClusters).toEqual([]);
    expect(back.invariants["one-writer"]!.breaches.map((b) => b.message)).toEqual(
      expect.arrayContaining([
        "metastore: primary and secondary both write hive",
        "gcs: primary and secondary both write warehouse",
      ]),
    );
    // The lake stays fenced: its jobs read their own records.
    expect(back.effects.writers.lake).toEqual(["secondary"]);
  });
});
