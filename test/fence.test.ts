import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { fenceEpoch, fenceRecord, fenceWrittenBeforeJobs } from "../components/fence";
import { parseLastDeployment } from "../components/lastDeployment";
import { RunbookPlayer } from "../tools/runbook/play";
import { readRunbook } from "../tools/runbook/schema";
import { ROOT } from "./helpers";

describe("the fencing epoch (issue 10)", () => {
  it("a first deployment: the active site takes 1 above the peer's, a passive site holds 0", () => {
    expect(fenceEpoch("active", {}, {})).toBe(1);
    expect(fenceEpoch("active", {}, { epoch: 4 })).toBe(5);
    expect(fenceEpoch("passive", {}, { epoch: 1 })).toBe(0);
  });

  it("a promotion raises it above both sites' recorded epochs; equal epochs are never reused", () => {
    expect(fenceEpoch("active", { role: "passive", epoch: 0 }, { epoch: 1 })).toBe(2);
    expect(fenceEpoch("active", { role: "passive", epoch: 3 }, { epoch: 2 })).toBe(4);
    expect(fenceEpoch("active", { role: "passive", epoch: 2 }, { epoch: 2 })).toBe(3);
  });

  it("a steady deployment and a demotion keep the site's own epoch", () => {
    expect(fenceEpoch("active", { role: "active", epoch: 3 }, { epoch: 2 })).toBe(3);
    expect(fenceEpoch("active", { role: "active", epoch: 3 }, { epoch: 3 })).toBe(3);
    expect(fenceEpoch("passive", { role: "active", epoch: 3 }, { epoch: 4 })).toBe(3);
    expect(fenceEpoch("passive", { role: "passive", epoch: 1 }, {})).toBe(1);
  });

  it("a site active before the peer's promotion takes over above it, or it would stay fenced", () => {
    // The primary's region was down while the secondary was promoted (epoch 2); the failback
    // deploys it as active again before it was ever deployed as passive.
    expect(fenceEpoch("active", { role: "active", epoch: 1 }, { role: "passive", epoch: 2 })).toBe(
      3,
    );
    expect(fenceEpoch("active", { role: "active", epoch: 3 }, { role: "passive", epoch: 9 })).toBe(
      10,
    );
    // Below a peer still recorded active it stays fenced: never above the site promoted last.
    expect(fenceEpoch("active", { role: "active", epoch: 1 }, { role: "active", epoch: 2 })).toBe(
      1,
    );
  });

  it("an active deployment made before epochs were recorded takes one as a promotion would", () => {
    expect(fenceEpoch("active", { role: "active" }, { epoch: 0 })).toBe(1);
  });

  it("is written before the jobs start on an active site, after they stand down on a passive one", () => {
    expect([fenceWrittenBeforeJobs("active"), fenceWrittenBeforeJobs("passive")]).toEqual([
      true,
      false,
    ]);
    // The record's text, as workspace/fence/paired_dr_fence.py parses it (test/python).
    expect(fenceRecord("secondary", "active", 2)).toBe(
      '{"site":"secondary","role":"active","epoch":2}',
    );
  });

  it("reads back only a non-negative integer", () => {
    expect(parseLastDeployment({ epoch: 3 }).epoch).toBe(3);
    for (const epoch of [-1, 1.5, "3", null])
      expect(parseLastDeployment({ epoch }).epoch).toBe(undefined);
  });

  it("across a forced failover and the failback: monotonic, and the site that missed a promotion stays below", async () => {
    const player = new RunbookPlayer(async () => [], ROOT);
    const epochs = async (name: string) => {
      const r = await player.play(readRunbook(path.join(ROOT, "runbooks", `${name}.yaml`)));
      expect(r.ok).toBe(true);
      return Object.fromEntries(
        Object.entries(r.outputs).map(([site, o]) => [
          site,
          (o.deployment as { epoch: number }).epoch,
        ]),
      );
    };
    // first deployment: primary 1, secondary 0; the secondary promoted while the primary is
    // down reads the primary's recorded epoch from the state backend: 2; the primary returns
    // and catches up as passive, keeping 1.
    expect(await epochs("unplanned-failover")).toEqual({ primary: 1, secondary: 2 });
    // failback: the primary is promoted above both: 3; the demoted secondary keeps 2.
    expect(await epochs("failback")).toEqual({ primary: 3, secondary: 2 });
  });
});
