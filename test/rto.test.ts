import { describe, expect, it } from "vitest";
import { switchoverRto } from "../tools/plan/rto";
import { rtoEstimate } from "../tools/plan/render";
import { COPIES, TYPE, passiveFacts, validFacts } from "./policies/factory";
import { planSteady, primaryStandDown, res } from "./helpers";

const copy = (name: string, timeoutSeconds: number) =>
  res(TYPE.databricksJob, `workspace-${name}`, {
    name,
    tasks: [{ taskKey: "deep_clone", timeoutSeconds }],
  });
const writer = (name: string) => res(TYPE.databricksJob, `workspace-job-${name}`, { name });
const group = (name: string) => res(TYPE.sqlFailoverGroup, name, { failoverGroupName: name });

describe("the planned switchover's RTO estimate (issue 15)", () => {
  const primary = [
    writer("nightly-sales"),
    writer("orders-stream"),
    ...COPIES.map((c, i) => copy(c, i === 0 ? 29 * 60 : 13 * 60)),
    group("fg-mgmt"),
    group("fg-paid-01"),
  ];

  it("bounds the drain by the final sync's deadline and the promoted site's parts by the longest", () => {
    const rto = switchoverRto(
      { resources: primary, facts: validFacts() },
      { resources: [], facts: passiveFacts() },
    );
    expect(rto.parts.map((p) => [p.step, p.label, p.expectedMinutes, p.atMostMinutes])).toEqual([
      // 10 minutes for the writers' runs to end, then the longest copy's 29-minute limit twice.
      [1, "the drain", null, 10 + 2 * 29],
      // 15 for the Hive cluster's stop, 60 for an update or scheduled backup in flight, 60 each
      // for an earlier attempt's delete and the backup, 5 spare (metastore/plan.ts).
      [1, "the final metastore backup", null, 200],
      [2, "the failovers", 1, 60],
      // restore.timeoutMinutes 20: the promotion run's deadline into a hot standby, 3 × 20 + 5.
      [2, "the metastore restore", null, 65],
      [2, "the tenant geo-secondaries", null, null],
    ]);
    expect(rto.parts[0]!.work).toBe(
      "drain: 2 writers cancelled, then 7 copies run once more, at once",
    );
    // The steps run one after the other; the parts of each at once.
    expect([rto.expectedMinutes, rto.atMostMinutes, rto.unstated, rto.unbounded]).toEqual([
      null,
      200 + 65,
      [
        "the drain",
        "the final metastore backup",
        "the metastore restore",
        "the tenant geo-secondaries",
      ],
      ["the tenant geo-secondaries"],
    ]);
  });

  it("the way back: the primary's groups are the pair's, and the primary makes no tenant geo-secondaries", () => {
    const secondary = [writer("nightly-sales"), ...COPIES.map((c) => copy(c, 13 * 60))];
    const primaryFacts = validFacts();
    primaryFacts.role = "active";
    const rto = switchoverRto(
      { resources: secondary, facts: passiveFacts() },
      { resources: [group("fg-mgmt")], facts: primaryFacts },
    );
    expect(rto.parts.map((p) => [p.label, p.atMostMinutes])).toEqual([
      ["the drain", 10 + 2 * 13],
      ["the final metastore backup", 200],
      ["the failovers", 60],
      ["the metastore restore", 65],
    ]);
    // While the secondary keeps geo-secondaries of the trial tenants, the primary takes each
    // back over its link (components/sql/failover/replica.ts): bound by the log, not by a figure.
    const linked = switchoverRto(
      { resources: secondary, facts: passiveFacts() },
      {
        resources: [
          group("fg-mgmt"),
          res(TYPE.dynamicResource, "sql-link-aurora", {
            databaseId: "/x/databases/tenant-aurora",
          }),
          res(TYPE.dynamicResource, "sql-link-nimbus", {
            databaseId: "/x/databases/tenant-nimbus",
          }),
          res(TYPE.dynamicResource, "sql-hold-fg-mgmt", { failoverGroupId: "/x/fg-mgmt" }),
        ],
        facts: primaryFacts,
      },
    );
    expect(linked.parts.at(-1)).toEqual({
      step: 2,
      label: "the tenant links",
      work: "2 tenants without a replica failed back over their geo-replication links, planned",
      expectedMinutes: null,
      atMostMinutes: null,
      basis:
        "a planned failover synchronizes the log not yet replicated first; no figure is documented (sql-docs active-geo-replication-overview.md)",
    });
    expect(linked.unbounded).toEqual(["the tenant links"]);
  });

  it("a cold standby adds a new service; no expected total while a part has no documented figure", () => {
    const cold = passiveFacts();
    cold.metastore.standby = "cold";
    cold.sql.geoRestoredTenants = 0;
    const rto = switchoverRto(
      { resources: COPIES.map((c) => copy(c, 59 * 60)), facts: validFacts() },
      { resources: [], facts: cold },
    );
    expect(rto.parts.map((p) => [p.label, p.expectedMinutes, p.atMostMinutes])).toEqual([
      ["the drain", null, 10 + 2 * 59],
      ["the final metastore backup", null, 200],
      // 30-60 minutes for a new service, then the run's deadline: 2 × 20 + 5.
      ["the metastore restore", 30, 60 + 45],
    ]);
    expect([rto.expectedMinutes, rto.atMostMinutes, rto.unbounded]).toEqual([null, 200 + 105, []]);
    // Without copies the drain is the metastore's backup alone, which no document gives a
    // duration for (only a one-hour job limit): still no expected total.
    const noLake = validFacts();
    noLake.lakeCopies = [];
    const backupOnly = switchoverRto(
      { resources: [group("fg-mgmt")], facts: noLake },
      { resources: [], facts: cold },
    );
    expect([backupOnly.expectedMinutes, backupOnly.atMostMinutes, backupOnly.unstated]).toEqual([
      null,
      200 + 105,
      ["the final metastore backup"],
    ]);
  });

  it("is of the switchover the change makes: from the site it stands down, whatever the roles after", async () => {
    const { secondary, primaryActive, standingDown } = await primaryStandDown();
    const promoted = await planSteady("secondary", {
      sets: ["promote=true"],
      lastOutputs: secondary.outputs,
      peerOutputs: { primary: standingDown.outputs },
    });
    const flip = rtoEstimate([standingDown, promoted])!;
    expect([flip.from, flip.to]).toEqual(["primary", "secondary"]);
    expect(flip.rto.parts.map((p) => p.label)).toEqual([
      "the drain",
      "the final metastore backup",
      "the failovers",
      "the metastore restore",
      "the tenant geo-secondaries",
    ]);
    // Nothing changing role: from the site the plan makes active.
    const steady = rtoEstimate([primaryActive, secondary])!;
    expect([steady.from, steady.to]).toEqual(["primary", "secondary"]);
  });
});
