import { describe, expect, it } from "vitest";
import { switchoverRto } from "../tools/plan/rto";
import { COPIES, TYPE, passiveFacts, validFacts } from "./policies/factory";
import { res } from "./helpers";

const copy = (name: string, timeoutSeconds: number) =>
  res(TYPE.databricksJob, `workspace-${name}`, {
    name,
    tasks: [{ taskKey: "deep_clone", timeoutSeconds }],
  });
const writer = (name: string) => res(TYPE.databricksJob, `workspace-job-${name}`, { name });
const group = (name: string) => res(TYPE.sqlFailoverGroup, name, { failoverGroupName: name });

describe("the planned switchover's RTO estimate (issue 15)", () => {
  const active = [
    writer("nightly-sales"),
    writer("orders-stream"),
    ...COPIES.map((c, i) => copy(c, i === 0 ? 29 * 60 : 13 * 60)),
    group("fg-mgmt"),
    group("fg-paid-01"),
  ];

  it("bounds the drain by the longest copy twice (a scheduled run first) and the standby's parts by the longest", () => {
    const rto = switchoverRto(active, validFacts(), passiveFacts());
    expect(rto.parts.map((p) => [p.step, p.label, p.expectedMinutes, p.atMostMinutes])).toEqual([
      [1, "the drain", null, 58],
      [2, "the failovers", 1, 60],
      // restore.timeoutMinutes 20: the promotion run's deadline into a hot standby, 3 × 20 + 5.
      [2, "the metastore restore", null, 65],
      [2, "the tenant copies", null, null],
    ]);
    expect(rto.parts[0]!.work).toBe(
      "drain: 2 writers cancelled, then 7 copies run once more, at once",
    );
    expect([rto.expectedMinutes, rto.atMostMinutes, rto.unstated, rto.unbounded]).toEqual([
      null,
      58 + 65,
      ["the drain", "the metastore restore", "the tenant copies"],
      ["the tenant copies"],
    ]);
  });

  it("caps the drain at the sync's deadline; a cold standby adds a new service", () => {
    const slow = [...COPIES.map((c) => copy(c, 59 * 60))];
    const cold = passiveFacts();
    cold.metastore.standby = "cold";
    cold.sql.geoRestoredTenants = 0;
    const rto = switchoverRto(slow, validFacts(), cold);
    expect(rto.parts.map((p) => [p.label, p.expectedMinutes, p.atMostMinutes])).toEqual([
      ["the drain", null, 60],
      // 30-60 minutes for a new service, then the run's deadline: 2 × 20 + 5.
      ["the metastore restore", 30, 60 + 45],
    ]);
    expect([rto.atMostMinutes, rto.unbounded]).toEqual([60 + 105, []]);
  });

  it("states an expected total only when every part has a documented figure", () => {
    const noLake = validFacts();
    noLake.lakeCopies = [];
    const cold = passiveFacts();
    cold.metastore.standby = "cold";
    cold.sql.geoRestoredTenants = 0;
    const rto = switchoverRto([group("fg-mgmt")], noLake, cold);
    expect([rto.expectedMinutes, rto.atMostMinutes]).toEqual([30, 105]);
  });
});
