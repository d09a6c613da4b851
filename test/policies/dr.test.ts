import { describe, expect, it } from "vitest";
import type { DeploymentFacts } from "../../contracts/facts";
import { STATEFUL_TYPES } from "../../contracts/stateful";
import { drOneActiveSite } from "../../policies/dr-one-active-site";
import { drPromotionGate } from "../../policies/dr-promotion-gate";
import { drRegionPair } from "../../policies/dr-region-pair";
import { drSiteGeography } from "../../policies/dr-site-geography";
import { drRpoBudget } from "../../policies/dr-rpo-budget";
import { drStatefulResourcesProtected } from "../../policies/dr-stateful-resources-protected";
import {
  TYPE,
  activeStack,
  isFacts,
  factsResource,
  passiveStack,
  promotionFacts,
  runStack,
  stackMessages,
  valid,
  without,
  withFacts,
  withProps,
} from "./factory";

const noFacts = without(activeStack(), isFacts);

describe("dr-stateful-resources-protected", () => {
  const policy = drStatefulResourcesProtected;

  it("passes the planned stacks (stateful ones protected)", async () => {
    expect(await runStack(policy, activeStack())).toEqual([]);
    expect(await runStack(policy, passiveStack())).toEqual([]);
  });

  it("reports every stateful type left unprotected, naming the type and the resource", async () => {
    for (const type of STATEFUL_TYPES) {
      const r = { type, name: "thing", props: {}, protect: false };
      expect(await runStack(policy, [...activeStack(), r])).toEqual([
        {
          message: `Set protect: true on ${type} 'thing': protect is false`,
          urn: expect.stringMatching(/::thing$/),
        },
      ]);
    }
  });

  it("lets go only of what an armed release names, facts or not", async () => {
    const db = { type: TYPE.sqlDatabase, name: "sql-recovered-aurora", props: {}, protect: false };
    const other = { ...db, name: "sql-db-aurora" };
    const armed = withFacts(
      [...passiveStack(), db, other],
      (f) => (f.sql.release = { mode: "delete", resources: ["sql-recovered-aurora"] }),
    );
    expect(await stackMessages(policy, armed)).toEqual([
      `Set protect: true on ${TYPE.sqlDatabase} 'sql-db-aurora': protect is false`,
    ]);
    expect(await stackMessages(policy, [db])).toEqual([
      `Set protect: true on ${TYPE.sqlDatabase} 'sql-recovered-aurora': protect is false`,
    ]);
  });

  it("lets a drill's scratch service go unprotected only where the facts name it as scratch", async () => {
    const scratch = {
      type: TYPE.metastoreService,
      name: "metastore-drill-service",
      props: {},
      protect: false,
    };
    const drilled = withFacts(
      [...passiveStack(), scratch],
      (f) =>
        (f.drill = {
          id: "2026-11",
          resources: ["metastore-drill-service", "metastore-drill-restore-2026-11"],
          scratch: ["metastore-drill-service"],
        }),
    );
    expect(await stackMessages(policy, drilled)).toEqual([]);
    // Named among the drill's resources but not as scratch: still protected.
    const notScratch = withFacts(
      [...passiveStack(), scratch],
      (f) => (f.drill = { id: "2026-11", resources: ["metastore-drill-service"], scratch: [] }),
    );
    expect(await stackMessages(policy, notScratch)).toEqual([
      `Set protect: true on ${TYPE.metastoreService} 'metastore-drill-service': protect is false`,
    ]);
  });

  it("ignores other types", async () => {
    const pool = {
      type: TYPE.instancePool,
      name: "p",
      props: valid.instancePool(),
      protect: false,
    };
    expect(await runStack(policy, [...activeStack(), pool])).toEqual([]);
  });
});

describe("dr-site-geography (advisory)", () => {
  const policy = drSiteGeography;

  it("passes a site whose Azure and GCP regions share a geography", async () => {
    const rs = withFacts(activeStack(), (f) => (f.regions.gcp.region = "us-east4"));
    expect(await runStack(policy, rs)).toEqual([]);
  });

  it("warns, naming both places and the key to change, when they do not", async () => {
    // The factory's active site: Azure East US 2 with GCP us-central1.
    expect(await stackMessages(policy, activeStack())).toEqual([
      "Put site primary's two clouds in one geography: Azure eastus2 (Virginia (Boydton), US) and GCP us-central1 (Council Bluffs, Iowa, US) are not in one geography: a regional disaster can take out half of this site and half of its peer; change gcp.region to us-east4, in the same geography as Azure eastus2",
    ]);
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
      "Use an Azure region pair: eastus2 and westus are not paired; change azure.peerRegion",
    ]);
  });

  it("reports the same GCP region twice", async () => {
    const rs = withFacts(activeStack(), (f) => (f.regions.gcp.peerRegion = "us-central1"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Use two different GCP regions: region and peerRegion are both us-central1; change gcp.peerRegion",
    ]);
  });

  it("reports GCP regions on two continents", async () => {
    const rs = withFacts(activeStack(), (f) => (f.regions.gcp.peerRegion = "europe-west1"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Use two GCP regions on one continent: us-central1 is in north-america, europe-west1 in europe; change gcp.peerRegion",
    ]);
  });

  it("reports a GCP region outside the table", async () => {
    const rs = withFacts(activeStack(), (f) => (f.regions.gcp.peerRegion = "me-west1"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Use a known GCP region: me-west1 is not in the region table; change gcp.region or gcp.peerRegion",
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

  it("reports two active sites outside a promotion", async () => {
    const rs = withFacts(activeStack(), (f) => (f.peer.role = "active"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Make one site passive: both sites are active (primary and secondary)",
    ]);
  });

  it("refuses a promotion over a peer still recorded active: deploy the peer first", async () => {
    const rs = withFacts(promoting(), (f) => (f.peer.role = "active"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Deploy 'primary' first: it is still active, and 'pulumi up -s primary' stands it down before 'secondary' is promoted; only if primary's region is down, set promotion.acknowledgeForcedFailover",
    ]);
  });

  it("lets only the acknowledged promotion go ahead over an active peer (forced failover)", async () => {
    const forced = withFacts(promoting(), (f) => {
      f.peer.role = "active";
      f.promotion.acknowledgeForcedFailover = true;
    });
    expect(await runStack(policy, forced)).toEqual([]);
    // The acknowledgment never excuses a stack that is not being promoted.
    const steady = withFacts(activeStack(), (f) => {
      f.peer.role = "active";
      f.promotion.acknowledgeForcedFailover = true;
    });
    expect(await stackMessages(policy, steady)).toEqual([
      "Make one site passive: both sites are active (primary and secondary)",
    ]);
  });

  it("reports missing deployment facts", async () => {
    expect(await stackMessages(policy, noFacts)).toEqual(["deployment facts missing"]);
  });
});

describe("dr-promotion-gate", () => {
  const policy = drPromotionGate;
  const promoting = () => [factsResource(promotionFacts())];
  /**
   * The primary standing down in a planned promotion (its peer passive), with its final sync and
   * its final metastore backup.
   */
  const demoting = () =>
    withFacts(activeStack(), (f) => {
      f.role = "passive";
      f.promote = true;
      f.finalSync = true;
      f.metastoreFinalBackup = true;
    });

  it("passes a clean promotion (hot standby, peer passive, planned failover) and its first step", async () => {
    expect(await runStack(policy, promoting())).toEqual([]);
    expect(await runStack(policy, demoting())).toEqual([]);
  });

  // Issue 15 §3: a release lets go only of what the other site now holds.
  it("refuses a release until the other site holds what it lets go", async () => {
    const key = "sql.releaseRecoveredDatabases";
    const release = {
      mode: "delete" as const,
      resources: ["sql-recovered-aurora", "sql-pool-trial"],
    };
    const what = "2 resource(s): sql-recovered-aurora, sql-pool-trial";
    const secondary = (change: (f: DeploymentFacts) => void) =>
      withFacts(passiveStack(), (f) => {
        f.sql.release = release;
        f.sql.lastRecoveredBy = "Recovery";
        f.peer.role = "active";
        f.peer.sqlReprotected = true;
        change(f);
      });
    expect(
      await runStack(
        policy,
        secondary(() => {}),
      ),
    ).toEqual([]);
    expect(
      await stackMessages(
        policy,
        secondary((f) => (f.peer.role = "passive")),
      ),
    ).toEqual([
      `Set ${key} back to false until the primary is recorded active again: the recovered databases (${what}) hold what the tenants wrote since the failover (primary recorded passive)`,
    ]);
    const unprotected = secondary((f) => (f.peer.sqlReprotected = false));
    expect(await stackMessages(policy, unprotected)).toEqual([
      `Set ${key} to "retain" (or false): deleting geo-restored databases (${what}) needs the primary to have reprotected them and failed them back, and it recorded no reprotect, so they hold the outage's writes alone`,
    ]);
    // Kept in Azure, or geo-secondaries of the primary's own originals: nothing is lost.
    const retain = secondary((f) => {
      f.peer.sqlReprotected = false;
      f.sql.release = { ...release, mode: "retain" };
    });
    expect(await runStack(policy, retain)).toEqual([]);
    const linked = secondary((f) => {
      f.peer.sqlReprotected = false;
      f.sql.lastRecoveredBy = "Secondary";
    });
    expect(await runStack(policy, linked)).toEqual([]);
    // Never while the secondary is active: its recovered databases are the primaries then.
    const active = secondary((f) => (f.role = "active"));
    expect(await stackMessages(policy, active)).toContain(
      `Set ${key} back to false while secondary is active: its recovered databases (${what}) are the tenants' primaries`,
    );
    // The primary's release takes its reprotects out: nothing stateful goes unprotected.
    const stale = { mode: "delete" as const, resources: [] };
    const primary = withFacts(activeStack(), (f) => {
      f.sql.release = stale;
      f.lastRole = "passive";
    });
    expect(await stackMessages(policy, primary)).toEqual([
      `Set ${key} back to false until the primary is active again: releasing its reprotects needs an active deployment after the one that failed their links back (recorded role passive, role now active)`,
    ]);
    expect(
      await runStack(
        policy,
        withFacts(activeStack(), (f) => (f.sql.release = stale)),
      ),
    ).toEqual([]);
  });

  it("requires acceptColdStandbyRto for a cold metastore standby", async () => {
    const rs = withFacts(promoting(), (f) => (f.metastore.standby = "cold"));
    expect(await stackMessages(policy, rs)).toEqual([
      "Set promotion.acceptColdStandbyRto to promote site 'secondary': its metastore standby is cold",
    ]);
    const accepted = withFacts(rs, (f) => (f.promotion.acceptColdStandbyRto = true));
    expect(await runStack(policy, accepted)).toEqual([]);
  });

  // Issue 15 (seed 004: a planned switch waits for a fully synced moment): the drained peer's
  // recorded final sync must end its active period and cover every copy.
  it("refuses a planned promotion unless the drained peer's final sync covers every copy and the metastore", async () => {
    const or =
      "; or, accepting the loss of what primary wrote after its last copies and its last scheduled metastore backup, set promotion.acknowledgeForcedFailover";
    const way = `Check them with 'npm run status -- --require-synced'${or}`;
    const none = withFacts(promoting(), (f) => (f.peer.finalSync = null));
    expect(await stackMessages(policy, none)).toEqual([
      `'secondary' cannot be promoted: primary stood down without a final sync of its active period (epoch 1), so its last writes may not be in secondary's lake and metastore. ${way}`,
    ]);
    // A sync from an earlier stand-down: the writes of the active period since are not in it.
    const earlier = withFacts(promoting(), (f) => (f.peer.finalSync!.epoch = 0));
    expect(await stackMessages(policy, earlier)).toEqual([
      `'secondary' cannot be promoted: primary stood down without a final sync of its active period (epoch 1; its last sync ended epoch 0), so its last writes may not be in secondary's lake and metastore. ${way}`,
    ]);
    // Every copy ran, but the metastore was not backed up after its Hive cluster stopped.
    const noBackup = withFacts(promoting(), (f) => (f.peer.finalSync!.metastoreBackup = false));
    expect(await stackMessages(policy, noBackup)).toEqual([
      `'secondary' cannot be promoted: primary's final sync (epoch 1) holds no final metastore backup, so secondary's metastore would lack what primary's Hive clients wrote after its last scheduled backup${or}`,
    ]);
    const partial = withFacts(
      promoting(),
      (f) =>
        (f.peer.finalSync!.jobs = f.peer.finalSync!.jobs.filter(
          (j) => j !== "replicate-sales-orders" && j !== "replicate-landing-orders",
        )),
    );
    expect(await stackMessages(policy, partial)).toEqual([
      `'secondary' cannot be promoted: primary's final sync (epoch 1) did not run replicate-landing-orders, replicate-sales-orders, so those copies may lack primary's last writes. ${way}`,
    ]);
    // The way on without one: a forced failover, acknowledged.
    const acknowledged = withFacts(none, (f) => (f.promotion.acknowledgeForcedFailover = true));
    expect(await runStack(policy, acknowledged)).toEqual([]);
    // An aborted switchover, or a peer never active: not promoted since this site was active
    // (its epoch not above this site's), it wrote nothing this site lacks.
    for (const lastEpoch of [1, 2]) {
      const aborted = withFacts(none, (f) => (f.lastEpoch = lastEpoch));
      expect(await runStack(policy, aborted)).toEqual([]);
    }
    // A workspace without copies still has a metastore to back up: its backup alone is the sync.
    const noCopies = withFacts(promoting(), (f) => {
      f.lakeCopies = [];
      f.peer.finalSync!.jobs = [];
    });
    expect(await runStack(policy, noCopies)).toEqual([]);
    expect(
      await stackMessages(
        policy,
        withFacts(none, (f) => (f.lakeCopies = [])),
      ),
    ).toEqual([
      `'secondary' cannot be promoted: primary stood down without a final sync of its active period (epoch 1), so its last writes may not be in secondary's lake and metastore. ${way}`,
    ]);
    // A forced failover over a peer still recorded active is the other rule's (one active site).
    const unplanned = withFacts(none, (f) => {
      f.peer.role = "active";
      f.promotion.acknowledgeForcedFailover = true;
    });
    expect(await runStack(policy, unplanned)).toEqual([]);
  });

  it("refuses a stand-down that makes no final sync while its peer waits to be promoted (preflight)", async () => {
    const or =
      "; or, accepting the loss of what primary wrote after its last copies and its last scheduled metastore backup, set promotion.acknowledgeForcedFailover";
    const preflight = (p: string) =>
      `Preflight: the next step, 'pulumi up -s secondary', would be refused, leaving no active site: ${p}. Fix it in this pull request before 'primary' stands down`;
    const noSync = withFacts(demoting(), (f) => {
      f.finalSync = false;
      f.metastoreFinalBackup = false;
    });
    expect(await stackMessages(policy, noSync)).toEqual([
      preflight(
        `'secondary' cannot be promoted: primary stood down without a final sync of its active period (epoch 1), so its last writes may not be in secondary's lake and metastore. Check them with 'npm run status -- --require-synced'${or}`,
      ),
    ]);
    const noBackup = withFacts(demoting(), (f) => (f.metastoreFinalBackup = false));
    expect(await stackMessages(policy, noBackup)).toEqual([
      preflight(
        `'secondary' cannot be promoted: primary's final sync (epoch 1) holds no final metastore backup, so secondary's metastore would lack what primary's Hive clients wrote after its last scheduled backup${or}`,
      ),
    ]);
  });

  it("refuses the first step of a promotion that a later step would refuse (preflight)", async () => {
    const cold = withFacts(demoting(), (f) => (f.metastore.standby = "cold"));
    expect(await stackMessages(policy, cold)).toEqual([
      "Preflight: the next step, 'pulumi up -s secondary', would be refused, leaving no active site: Set promotion.acceptColdStandbyRto to promote site 'secondary': its metastore standby is cold. Fix it in this pull request before 'primary' stands down",
    ]);
    const accepted = withFacts(cold, (f) => (f.promotion.acceptColdStandbyRto = true));
    expect(await runStack(policy, accepted)).toEqual([]);
    // The returning old primary catching up after a forced failover: its peer is already active,
    // promoted above it.
    const catchUp = withFacts(cold, (f) => (f.peer = { ...f.peer, role: "active", epoch: 2 }));
    expect(await runStack(policy, catchUp)).toEqual([]);
  });

  it("refuses to stand down while the peer is still recorded active from before this site's promotion", async () => {
    // The secondary, promoted at epoch 2 while the primary's region was down; the primary is back
    // but was never deployed since, so it is still recorded active at epoch 1.
    const failbackFirst = withFacts(passiveStack(), (f) => {
      f.lastRole = "active";
      f.lastEpoch = 2;
      f.promote = false;
      f.peer = { role: "active", acknowledgments: [], epoch: 1, finalSync: null };
    });
    expect(await stackMessages(policy, failbackFirst)).toEqual([
      "Deploy 'primary' as passive before 'secondary' stands down: primary is still recorded active at epoch 1, from before secondary's promotion (epoch 2), and holds nothing secondary wrote since. Keep promote as it was, run 'pulumi up -s primary' so that it stands down and catches up from secondary, then fail back",
    ]);
    // The primary standing down itself is that catch-up.
    const primaryCatchesUp = withFacts(demoting(), (f) => {
      f.peer = { role: "active", acknowledgments: [], epoch: 2, finalSync: null };
    });
    expect(await runStack(policy, primaryCatchesUp)).toEqual([]);
    // Once the primary is recorded passive, the secondary may stand down.
    // (Its peer passive, its stand-down makes a final sync.)
    const afterCatchUp = withFacts(failbackFirst, (f) => {
      f.peer.role = "passive";
      f.finalSync = true;
      f.metastoreFinalBackup = true;
    });
    expect(await runStack(policy, afterCatchUp)).toEqual([]);
    // A peer deployed before epochs were recorded cannot be compared: nothing refused on a guess.
    const legacy = withFacts(failbackFirst, (f) => (f.peer.epoch = null));
    expect(await runStack(policy, legacy)).toEqual([]);
  });

  it("requires acknowledgeForcedFailover when the peer's role is unknown", async () => {
    const unknown = withFacts(
      promoting(),
      (f) => (f.peer = { role: null, acknowledgments: null, epoch: null, finalSync: null }),
    );
    expect(await stackMessages(policy, unknown)).toEqual([
      "Set promotion.acknowledgeForcedFailover to promote site 'secondary': the peer's role is unknown (never deployed)",
    ]);
  });

  it("requires both acknowledgments for a forced SQL failover, and refuses it over a passive peer", async () => {
    const forced = withFacts(promoting(), (f) => {
      f.sql.failoverMode = "forced";
      f.peer.role = "active";
    });
    expect(await stackMessages(policy, forced)).toEqual([
      "Set sql.failover.acknowledgeDataLoss to promote site 'secondary': sql.failover.mode is forced",
      "Set promotion.acknowledgeForcedFailover to promote site 'secondary': sql.failover.mode is forced",
    ]);
    const both = withFacts(forced, (f) => {
      f.sql.acknowledgeDataLoss = true;
      f.promotion.acknowledgeForcedFailover = true;
    });
    expect(await runStack(policy, both)).toEqual([]);
    const overPassive = withFacts(both, (f) => (f.peer.role = "passive"));
    expect(await stackMessages(policy, overPassive)).toEqual([
      "Set sql.failover.mode to planned to promote site 'secondary': the peer is passive, and a planned failover loses nothing",
    ]);
  });

  it("refuses an acknowledgment on a stack not changing role, naming the key", async () => {
    const steady = withFacts(activeStack(), (f) => {
      f.promotion.acknowledgeForcedFailover = true;
      f.sql.failoverMode = "forced";
    });
    expect(await stackMessages(policy, steady)).toEqual([
      "Remove promotion.acknowledgeForcedFailover (set it back to false): site 'primary' is not changing role, and an acknowledgment applies to one promotion only",
      "Remove sql.failover.mode (set it back to planned): site 'primary' is not changing role, and an acknowledgment applies to one promotion only",
    ]);
    // A first deployment is not a role change either.
    const first = withFacts(steady, (f) => (f.lastRole = null));
    expect(await stackMessages(policy, first)).toEqual(await stackMessages(policy, steady));
  });

  it("refuses an acknowledgment left over from an earlier promotion", async () => {
    const stale = withFacts(promoting(), (f) => {
      f.promotion.acceptColdStandbyRto = true;
      f.lastAcknowledgments = ["promotion.acceptColdStandbyRto"];
    });
    expect(await stackMessages(policy, stale)).toEqual([
      "Remove promotion.acceptColdStandbyRto (set it back to false): it was already set when site 'secondary' was last deployed, so it acknowledged an earlier promotion, not this one",
    ]);
  });

  // Azure refuses a change sent to a failover group's secondary server (400
  // FailoverGroupUpdateOrDeleteRequestOnSecondary, azure-rest-api-specs Microsoft.Sql/stable/
  // 2021-11-01/FailoverGroups.json): while promoted, the owning (primary) stack's server is it.
  it("holds the SQL settings still while promoted and in any deployment that changes a role", async () => {
    const promotedWhy =
      "while promote is true the primary's failover groups are primary on the secondary's server, and Azure refuses any change sent to a group's secondary server (FailoverGroupUpdateOrDeleteRequestOnSecondary). Revert it, and change it in its own pull request once the failback is done (promote: false)";
    const changed = (f: DeploymentFacts) => {
      f.sql.settings = {
        ...f.sql.settings,
        gracePeriodMinutes: 120,
        tenants: 61,
        tenantsDigest: "fedcba9876543210",
      };
    };
    // The primary, standing down as promoted, some steps later: a tenant and the grace period.
    const promotedPrimary = withFacts(passiveStack(), (f) => {
      f.site = "primary";
      f.promote = true;
      changed(f);
    });
    expect(await stackMessages(policy, promotedPrimary)).toEqual([
      `Keep sql.failoverGroups.gracePeriodMinutes at 60 (given: 120): ${promotedWhy}`,
      `Keep sql.tenants as deployed (60 tenants; given: 61): ${promotedWhy}; a tenant without a replica is geo-restored on promotion from backups a new tenant does not have`,
    ]);
    // The same list reordered or retiered counts as a change, said as such.
    const retiered = withFacts(promotedPrimary, (f) => {
      f.sql.settings = { ...f.sql.lastSettings!, tenantsDigest: "fedcba9876543210" };
    });
    expect(await stackMessages(policy, retiered)).toEqual([
      `Keep sql.tenants as deployed (60 tenants; given: 60, with other IDs, tiers or homes): ${promotedWhy}; a tenant without a replica is geo-restored on promotion from backups a new tenant does not have`,
    ]);
    // The promoted secondary too: it geo-restores the tenants that have no replica.
    expect(await stackMessages(policy, withFacts(promoting(), changed))).toHaveLength(2);
    // The failback's first step (promote false, the secondary standing down).
    const failback = withFacts(activeStack(), (f) => {
      f.site = "secondary";
      f.role = "passive";
      f.lastRole = "active";
      f.finalSync = true;
      f.metastoreFinalBackup = true;
      f.sql.settings = { ...f.sql.settings, strategy: "geo-distributed" };
    });
    expect(await stackMessages(policy, failback)).toEqual([
      "Keep sql.strategy at tiered (given: geo-distributed): a deployment that changes site 'secondary''s role moves the failover groups, and Azure refuses a change sent to a group's secondary server (FailoverGroupUpdateOrDeleteRequestOnSecondary). Revert it, and change it in its own pull request once every step of this failback is deployed",
    ]);
    // Steady and unpromoted: any change; a last deployment that recorded no settings: nothing to hold.
    expect(await runStack(policy, withFacts(activeStack(), changed))).toEqual([]);
    expect(
      await runStack(
        policy,
        withFacts(promotedPrimary, (f) => (f.sql.lastSettings = null)),
      ),
    ).toEqual([]);
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
      // The configured worst cases: the standby's restore timeout and each copy's run limit count.
      'Bring the metastore RPO within 30 minutes: it is 60 (the standby\'s worst case: backup "*/15 * * * *" every 15 + 5 minutes a backup ages before it is restored + restore "7-59/20 * * * *" every 20 + a restore of up to 20 minutes (a promotion that reads the peer\'s backups restores the newest: 20 minutes)); change metastore.backupEveryMinutes, metastore.restore.everyMinutes or metastore.restore.timeoutMinutes, or the target metastore.rpoMinutes',
      'Bring the lake RPO within 60 minutes: it is 124 (worst of 3 copy jobs: replicate-sales-orders "0 0 0/2 * * ?" every 120 + a run of up to 4 minutes; not replicated (rebuilt from replicated data): marts.sales_daily); change workspace.replication.tables.<table>.rpoMinutes, or the target rpoTargetsMinutes.lake',
    ]);
    // Under budget every tenant is geo-restored: its own class, against its own target.
    const strict = withFacts(rs, (f) => {
      f.sql.geoRestoredTenants = 60;
      f.rpoTargetsMinutes.sqlGeoRestore = 30;
    });
    expect((await stackMessages(policy, strict)).at(-1)).toBe(
      "Bring the sql-geo-restore RPO within 30 minutes: it is 60 (60 tenant databases without a replica, geo-restored on promotion from geo-replicated backups (RPO 60 minutes), at most 4 per pool at once); change sql.strategy or sql.tenants (paid tenants are replicated), or the target rpoTargetsMinutes.sqlGeoRestore",
    );
  });

  it("shows fractional minutes with two decimals", async () => {
    const rs = withFacts(activeStack(), (f) => (f.rpoTargetsMinutes.sql = 0.05));
    expect(await stackMessages(policy, rs)).toEqual([
      "Bring the sql RPO within 0.05 minutes: it is 0.08 (tiered: the management databases and the paid tenants in failover groups (asynchronous geo-replication, RPO 5 seconds)); change sql.strategy, or the target rpoTargetsMinutes.sql",
    ]);
  });

  it("reports missing deployment facts", async () => {
    expect(await stackMessages(policy, noFacts)).toEqual(["deployment facts missing"]);
  });
});
