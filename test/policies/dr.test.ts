import { describe, expect, it } from "vitest";
import { STATEFUL_TYPES } from "../../components/stateful";
import type { DeploymentFacts } from "../../policies/facts";
import { drOneActiveSite } from "../../policies/dr-one-active-site";
import { drPromotionGate } from "../../policies/dr-promotion-gate";
import { drRegionPair } from "../../policies/dr-region-pair";
import { drRpoBudget } from "../../policies/dr-rpo-budget";
import { drStatefulResourcesProtected } from "../../policies/dr-stateful-resources-protected";
import {
  TYPE,
  activeStack,
  factsResource,
  passiveStack,
  promotionFacts,
  runResource,
  runStack,
  stackMessages,
  valid,
  without,
  withFacts,
  withProps,
} from "./factory";

const noFacts = without(activeStack(), (r) => r.type === TYPE.dynamicResource);

describe("dr-stateful-resources-protected", () => {
  const policy = drStatefulResourcesProtected;

  it("passes the planned resources (stateful ones protected)", async () => {
    for (const r of [...activeStack(), ...passiveStack()]) {
      expect((await runResource(policy, r)).violations).toEqual([]);
    }
  });

  it("reports every stateful type left unprotected, naming the type", async () => {
    for (const type of STATEFUL_TYPES) {
      const r = { type, name: "thing", props: {}, protect: false };
      expect((await runResource(policy, r)).violations).toEqual([
        `Set protect: true on ${type} 'thing': protect is false`,
      ]);
    }
  });

  it("ignores other types", async () => {
    const pool = {
      type: TYPE.instancePool,
      name: "p",
      props: valid.instancePool(),
      protect: false,
    };
    expect(await runResource(policy, pool)).toEqual({ violations: [] });
  });
});

describe("dr-region-pair", () => {
  const policy = drRegionPair;

  it("passes both planned stacks", async () => {
    expect(await runStack(policy, activeStack())).toEqual([]);
    expect(await runStack(policy, passiveStack())).toEqual([]);
  });

  it("reports Azure regions that are not a pair", async () => {
    const rs = withFacts(activeStack(), (f) => (f.regions.azure.peerRegion = "westus"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Use an Azure region pair: eastus2 and westus are not paired",
    ]);
  });

  it("reports the same GCP region twice", async () => {
    const rs = withFacts(activeStack(), (f) => (f.regions.gcp.peerRegion = "us-central1"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Use two different GCP regions: region and peerRegion are both us-central1",
    ]);
  });

  it("reports GCP regions on two continents", async () => {
    const rs = withFacts(activeStack(), (f) => (f.regions.gcp.peerRegion = "europe-west1"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Use two GCP regions on one continent: us-central1 is in north-america, europe-west1 in europe",
    ]);
  });

  it("reports a GCP region outside the table", async () => {
    const rs = withFacts(activeStack(), (f) => (f.regions.gcp.peerRegion = "me-west1"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Use a known GCP region: me-west1 is not in the region table",
    ]);
  });

  it("reports missing deployment facts", async () => {
    expect(await runStack(policy, noFacts)).toEqual([{ message: "deployment facts missing" }]);
  });
});

describe("dr-one-active-site", () => {
  const policy = drOneActiveSite;
  const promoting = () => [factsResource(promotionFacts())];

  it("passes both planned stacks and a promotion after the peer stood down", async () => {
    expect(await runStack(policy, activeStack())).toEqual([]);
    expect(await runStack(policy, passiveStack())).toEqual([]);
    expect(await runStack(policy, promoting())).toEqual([]);
  });

  it("reports two active sites", async () => {
    const rs = withFacts(activeStack(), (f) => (f.peer.role = "active"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Make one site passive: both sites are active (primary and its peer)",
    ]);
  });

  it("reports a promotion while the peer cannot be read, unless acknowledged", async () => {
    const unreadable = withFacts(promoting(), (f) => (f.peer = { readable: false, role: null }));
    expect(await stackMessages(policy, unreadable)).toEqual([
      "Set promotion.acknowledgeForcedFailover to promote site 'secondary': the peer stack cannot be read",
    ]);
    const acknowledged = withFacts(
      unreadable,
      (f) => (f.promotion.acknowledgeForcedFailover = true),
    );
    expect(await runStack(policy, acknowledged)).toEqual([]);
  });

  it("does not gate an unreadable peer outside a promotion", async () => {
    const rs = withFacts(activeStack(), (f) => (f.peer = { readable: false, role: null }));
    expect(await runStack(policy, rs)).toEqual([]);
  });

  it("reports missing deployment facts", async () => {
    expect(await stackMessages(policy, noFacts)).toEqual(["deployment facts missing"]);
  });
});

describe("dr-promotion-gate", () => {
  const policy = drPromotionGate;
  const promoting = () => [factsResource(promotionFacts())];

  it("passes a clean promotion (hot standby, peer passive, planned failover)", async () => {
    expect(await runStack(policy, promoting())).toEqual([]);
  });

  it("does nothing outside a promotion: first deployment, steady state, demotion", async () => {
    // Every gate would fire in a promotion.
    const ungated = (f: DeploymentFacts) => {
      f.metastore.standby = "cold";
      f.peer.role = "active";
      f.sql.failoverMode = "forced";
    };
    const first = withFacts(promoting(), (f) => {
      ungated(f);
      f.lastRole = null;
    });
    expect(await runStack(policy, first)).toEqual([]);
    expect(await runStack(policy, withFacts(activeStack(), ungated))).toEqual([]);
    const demotion = withFacts(passiveStack(), (f) => {
      ungated(f);
      f.lastRole = "active";
    });
    expect(await runStack(policy, demotion)).toEqual([]);
    expect(await stackMessages(policy, withFacts(promoting(), ungated))).toHaveLength(4);
  });

  it("requires acceptColdStandbyRto for a cold metastore standby", async () => {
    const rs = withFacts(promoting(), (f) => (f.metastore.standby = "cold"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Set promotion.acceptColdStandbyRto to promote site 'secondary': its metastore standby is cold",
    ]);
    const accepted = withFacts(rs, (f) => (f.promotion.acceptColdStandbyRto = true));
    expect(await runStack(policy, accepted)).toEqual([]);
  });

  it("requires acknowledgeForcedFailover when the peer is not passive", async () => {
    const active = withFacts(promoting(), (f) => (f.peer.role = "active"));
    expect(await stackMessages(policy, active)).toEqual([
      "Set promotion.acknowledgeForcedFailover to promote site 'secondary': the peer's role is active",
    ]);
    const unknown = withFacts(promoting(), (f) => (f.peer = { readable: false, role: null }));
    expect(await stackMessages(policy, unknown)).toEqual([
      "Set promotion.acknowledgeForcedFailover to promote site 'secondary': the peer's role is unknown",
    ]);
  });

  it("requires both acknowledgments for a forced SQL failover", async () => {
    const forced = withFacts(promoting(), (f) => (f.sql.failoverMode = "forced"));
    expect(await stackMessages(policy, forced)).toEqual([
      "Set sql.acknowledgeDataLoss to promote site 'secondary': sql.failoverMode is forced",
      "Set promotion.acknowledgeForcedFailover to promote site 'secondary': sql.failoverMode is forced",
    ]);
    const dataLossOnly = withFacts(forced, (f) => (f.sql.acknowledgeDataLoss = true));
    expect(await stackMessages(policy, dataLossOnly)).toEqual([
      "Set promotion.acknowledgeForcedFailover to promote site 'secondary': sql.failoverMode is forced",
    ]);
    const both = withFacts(dataLossOnly, (f) => (f.promotion.acknowledgeForcedFailover = true));
    expect(await runStack(policy, both)).toEqual([]);
  });

  it("reports missing deployment facts", async () => {
    expect(await stackMessages(policy, noFacts)).toEqual(["deployment facts missing"]);
  });
});

describe("dr-rpo-budget", () => {
  const policy = drRpoBudget;

  it("passes both planned stacks", async () => {
    expect(await runStack(policy, activeStack())).toEqual([]);
    expect(await runStack(policy, passiveStack())).toEqual([]);
  });

  it("reports each class over its target, with achieved and target minutes", async () => {
    let rs = withFacts(activeStack(), (f) => {
      f.rpoTargetsMinutes.metastore = 30;
      f.sql.strategy = "budget";
    });
    rs = withProps(rs, "workspace-replicate-sales-orders", (p) => {
      p.schedule.quartzCronExpression = "0 0 0/2 * * ?";
    });
    expect(await stackMessages(policy, rs)).toEqual([
      'Bring the metastore RPO within 30 minutes: it is 45 (backup "*/15 * * * *" every 15 + restore "*/30 * * * *" every 30 minutes)',
      'Bring the lake RPO within 60 minutes: it is 120 (longest of 3 replication schedules: replicate-sales-orders "0 0 0/2 * * ?" every 120 minutes)',
      "Bring the sql RPO within 1 minutes: it is 60 (budget: tenant databases are geo-restored (RPO 60 minutes); only the management databases are in a failover group)",
    ]);
  });

  it("shows fractional minutes with two decimals", async () => {
    const rs = withFacts(activeStack(), (f) => (f.rpoTargetsMinutes.sql = 0.05));
    expect(await stackMessages(policy, rs)).toEqual([
      "Bring the sql RPO within 0.05 minutes: it is 0.08 (tiered: failover groups (asynchronous geo-replication, RPO 5 seconds))",
    ]);
  });

  it("reports missing deployment facts", async () => {
    expect(await stackMessages(policy, noFacts)).toEqual(["deployment facts missing"]);
  });
});
