/**
 * The promotion protocol, as pure functions of a stack's deployment facts. One documented order
 * for every promotion (the README's "Promotion", the runbooks and these rules say the same):
 *
 *   1. the site losing the active role, if its region is up (`pulumi up -s <active>`: it stands
 *      down and keeps serving its SQL primaries until they move);
 *   2. the site gaining it (`pulumi up -s <standby>`: failovers, restores, writers start);
 *   3. the demoted site once more, whenever its region is up (it scales down what it no longer
 *      serves).
 *
 * Step 1 is the only moment both sites are passive. Two sites are never active, except while a
 * forced failover promotes the standby over a peer whose region is down (acknowledged).
 *
 * Dependency-free, like ./facts, so that the plan tools can run the same rules.
 */
import type { DeploymentFacts, Role } from "../contracts/facts";
import { acknowledgmentsSet, type OnePromotionKey } from "../contracts/acknowledgments";

export type StepKind = "first" | "steady" | "promotion" | "demotion";

/** What this deployment does to the stack's role. */
export function stepKind(lastRole: Role | null, role: Role): StepKind {
  if (lastRole === null) return "first";
  if (lastRole === role) return "steady";
  return role === "active" ? "promotion" : "demotion";
}

/** The config value that sets a one-promotion key, and the one that clears it. */
export const setValue = (key: OnePromotionKey): boolean | "forced" =>
  key === "sql.failover.mode" ? "forced" : true;
export const clearedValue = (key: OnePromotionKey): boolean | "planned" =>
  key === "sql.failover.mode" ? "planned" : false;
const valueOf = (key: OnePromotionKey) => String(clearedValue(key));

/**
 * Two active sites. A promotion may go ahead over a peer still recorded active only as an
 * acknowledged forced failover (the peer's region is down; its state, in a backend that survives
 * the region, still says active). Everything else is refused, whatever is acknowledged.
 */
export function oneActiveProblems(f: DeploymentFacts): string[] {
  if (f.role !== "active" || f.peer.role !== "active") return [];
  const kind = stepKind(f.lastRole, f.role);
  if (kind === "promotion" && f.promotion.acknowledgeForcedFailover) return [];
  const peer = f.site === "primary" ? "secondary" : "primary";
  if (kind === "promotion") {
    return [
      `Deploy '${peer}' first: it is still active, and 'pulumi up -s ${peer}' stands it down before '${f.site}' is promoted; only if ${peer}'s region is down, set promotion.acknowledgeForcedFailover`,
    ];
  }
  return [`Make one site passive: both sites are active (${f.site} and ${peer})`];
}

/** What refuses this promotion (a passive site becoming active); [] when it may go ahead. */
export function promotionProblems(f: DeploymentFacts): string[] {
  const problems: string[] = [];
  const site = f.site;
  const { acceptColdStandbyRto, acknowledgeForcedFailover } = f.promotion;
  if (f.metastore.standby !== "hot" && !acceptColdStandbyRto) {
    problems.push(
      `Set promotion.acceptColdStandbyRto to promote site '${site}': its metastore standby is ${f.metastore.standby}`,
    );
  }
  if (f.peer.role === null && !acknowledgeForcedFailover) {
    problems.push(
      `Set promotion.acknowledgeForcedFailover to promote site '${site}': the peer's role is unknown (never deployed)`,
    );
  }
  if (f.sql.failoverMode === "forced") {
    if (f.peer.role === "passive") {
      problems.push(
        `Set sql.failover.mode to planned to promote site '${site}': the peer is passive, and a planned failover loses nothing`,
      );
    } else {
      if (!f.sql.acknowledgeDataLoss) {
        problems.push(
          `Set sql.failover.acknowledgeDataLoss to promote site '${site}': sql.failover.mode is forced`,
        );
      }
      if (!acknowledgeForcedFailover) {
        problems.push(
          `Set promotion.acknowledgeForcedFailover to promote site '${site}': sql.failover.mode is forced`,
        );
      }
    }
  }
  return [...problems, ...finalSyncProblems(f)];
}

/**
 * A planned promotion (issue 15; seed 004: a planned switch waits for a fully synced moment):
 * the peer stood down, its final sync ran every copy once more after its writers stopped, and it
 * backed its metastore up once its Hive cluster had stopped. The promotion goes ahead only when
 * the sync the peer recorded ended the active period it stood down from (its epoch), covered
 * every copy this site declares and holds the metastore's final backup; a peer whose epoch is not
 * above this site's was not active since, and needs none. Acknowledging a forced failover is the
 * way on without one (a peer that stood down before final syncs existed, or whose sync cannot
 * run), accepting the loss of what it wrote after its last copies and its last scheduled backup.
 */
export function finalSyncProblems(f: DeploymentFacts): string[] {
  if (f.peer.role !== "passive" || f.promotion.acknowledgeForcedFailover) return [];
  // A peer not promoted since this site was active (an aborted switchover, a peer never active)
  // wrote nothing this site lacks.
  if (f.peer.epoch !== null && f.peer.epoch <= (f.lastEpoch ?? 0)) return [];
  const peer = f.site === "primary" ? "secondary" : "primary";
  const epoch = f.peer.epoch ?? 0;
  const sync = f.peer.finalSync;
  const way = `; or, accepting the loss of what ${peer} wrote after its last copies and its last scheduled metastore backup, set promotion.acknowledgeForcedFailover`;
  if (!sync || sync.epoch !== epoch)
    return [
      `'${f.site}' cannot be promoted: ${peer} stood down without a final sync of its active period (epoch ${epoch}${sync ? `; its last sync ended epoch ${sync.epoch}` : ""}), so its last writes may not be in ${f.site}'s lake and metastore. Check them with 'npm run status -- --require-synced'${way}`,
    ];
  const problems: string[] = [];
  const missing = f.lakeCopies.filter((j) => !sync.jobs.includes(j));
  if (missing.length)
    problems.push(
      `'${f.site}' cannot be promoted: ${peer}'s final sync (epoch ${epoch}) did not run ${missing.join(", ")}, so those copies may lack ${peer}'s last writes. Check them with 'npm run status -- --require-synced'${way}`,
    );
  if (!sync.metastoreBackup)
    problems.push(
      `'${f.site}' cannot be promoted: ${peer}'s final sync (epoch ${epoch}) holds no final metastore backup, so ${f.site}'s metastore would lack what ${peer}'s Hive clients wrote after its last scheduled backup${way}`,
    );
  return problems;
}

/**
 * Acknowledgments apply to one promotion: the one this stack takes part in now. A stack that is
 * not changing role refuses every one still set; a stack changing role refuses the ones that were
 * already set at its own last deployment (left over from an earlier promotion).
 */
export function leftoverProblems(f: DeploymentFacts): string[] {
  const set = acknowledgmentsSet(f);
  const kind = stepKind(f.lastRole, f.role);
  if (kind === "first" || kind === "steady") {
    return set.map(
      (k) =>
        `Remove ${k} (set it back to ${valueOf(k)}): site '${f.site}' is not changing role, and an acknowledgment applies to one promotion only`,
    );
  }
  const before = new Set(f.lastAcknowledgments ?? []);
  return set
    .filter((k) => before.has(k))
    .map(
      (k) =>
        `Remove ${k} (set it back to ${valueOf(k)}): it was already set when site '${f.site}' was last deployed, so it acknowledged an earlier promotion, not this one`,
    );
}

/** The facts the peer's promotion will see once this stack, now standing down, is deployed. */
export function peerPromotionFacts(f: DeploymentFacts): DeploymentFacts {
  return {
    ...f,
    site: f.site === "primary" ? "secondary" : "primary",
    role: "active",
    promote: f.promote,
    lastRole: f.peer.role,
    lastAcknowledgments: f.peer.acknowledgments,
    lastEpoch: f.peer.epoch,
    // Standing down keeps this site's epoch (components/fence.ts).
    peer: {
      role: "passive",
      acknowledgments: acknowledgmentsSet(f),
      epoch: f.lastEpoch,
      // What this stand-down's drain will record: every copy and the metastore's backup, or the
      // deployment fails.
      finalSync:
        f.finalSync || f.metastoreFinalBackup
          ? {
              epoch: f.lastEpoch ?? 0,
              jobs: f.finalSync ? [...f.lakeCopies] : [],
              metastoreBackup: f.metastoreFinalBackup,
            }
          : null,
    },
    regions: {
      azure: { region: f.regions.azure.peerRegion, peerRegion: f.regions.azure.region },
      gcp: { region: f.regions.gcp.peerRegion, peerRegion: f.regions.gcp.region },
    },
  };
}

/**
 * Preflight, on the first step of a planned promotion (the active site standing down while its
 * peer is passive): every rule the peer's promotion will meet, checked now, so that a promotion
 * that would be refused halfway is refused before any site changes.
 */
export function preflightProblems(f: DeploymentFacts): string[] {
  if (stepKind(f.lastRole, f.role) !== "demotion" || f.peer.role !== "passive") return [];
  const next = peerPromotionFacts(f);
  return [...promotionProblems(next), ...leftoverProblems(next)].map(
    (p) =>
      `Preflight: the next step, 'pulumi up -s ${next.site}', would be refused, leaving no active site: ${p}. Fix it in this pull request before '${f.site}' stands down`,
  );
}

/**
 * Standing down while the peer is still recorded active from before this site's (forced)
 * promotion: the peer's region was down, and it has not been deployed since it came back (a lower
 * epoch). Its next deployment as active would take over from what it held before the outage: no
 * failover group back, no metastore restore, none of this site's writes since. It stands down
 * and catches up first, while this site is still active.
 */
export function staleTakeoverProblems(f: DeploymentFacts): string[] {
  if (stepKind(f.lastRole, f.role) !== "demotion" || f.peer.role !== "active") return [];
  if (f.peer.epoch === null || f.lastEpoch === null || f.peer.epoch >= f.lastEpoch) return [];
  const peer = f.site === "primary" ? "secondary" : "primary";
  return [
    `Deploy '${peer}' as passive before '${f.site}' stands down: ${peer} is still recorded active at epoch ${f.peer.epoch}, from before ${f.site}'s promotion (epoch ${f.lastEpoch}), and holds nothing ${f.site} wrote since. Keep promote as it was, run 'pulumi up -s ${peer}' so that it stands down and catches up from ${f.site}, then fail back`,
  ];
}

/**
 * The SQL estate keeps its settings while promoted and in any deployment that changes a role.
 * While `promote` is true the primary's failover groups are primary on the secondary's server,
 * and Azure refuses every change sent to a group's secondary server (400
 * FailoverGroupUpdateOrDeleteRequestOnSecondary, azure-rest-api-specs Microsoft.Sql/stable/
 * 2021-11-01/FailoverGroups.json); a deployment that changes a role moves the groups while it
 * runs; a tenant without a replica is geo-restored from backups that a new tenant does not have.
 */
export function sqlSettingsProblems(f: DeploymentFacts): string[] {
  const last = f.sql.lastSettings;
  const kind = stepKind(f.lastRole, f.role);
  if (last === null || !(f.promote || kind === "promotion" || kind === "demotion")) return [];
  const now = f.sql.settings;
  const why = f.promote
    ? "while promote is true the primary's failover groups are primary on the secondary's server, and Azure refuses any change sent to a group's secondary server (FailoverGroupUpdateOrDeleteRequestOnSecondary). Revert it, and change it in its own pull request once the failback is done (promote: false)"
    : `a deployment that changes site '${f.site}''s role moves the failover groups, and Azure refuses a change sent to a group's secondary server (FailoverGroupUpdateOrDeleteRequestOnSecondary). Revert it, and change it in its own pull request once every step of this failback is deployed`;
  const problems: string[] = [];
  for (const key of ["strategy", "databasesPerGroup", "gracePeriodMinutes"] as const) {
    if (now[key] !== last[key]) {
      const path = key === "strategy" ? "sql.strategy" : `sql.failoverGroups.${key}`;
      problems.push(`Keep ${path} at ${last[key]} (given: ${now[key]}): ${why}`);
    }
  }
  if (now.tenantsDigest !== last.tenantsDigest) {
    const given =
      now.tenants === last.tenants
        ? `${now.tenants}, with other IDs, tiers or homes`
        : String(now.tenants);
    problems.push(
      `Keep sql.tenants as deployed (${last.tenants} tenants; given: ${given}): ${why}; a tenant without a replica is geo-restored on promotion from backups a new tenant does not have`,
    );
  }
  return problems;
}

/**
 * A release (sql.releaseRecoveredDatabases) lets go only of what the other site now holds. On the
 * secondary, its recovered databases: only once the primary is recorded active again, and for
 * `delete` only where the primary holds the data (geo-secondaries made of its originals, or
 * geo-restored copies it reprotected: its promotion failed their links back); and never while
 * this site is active (they are the tenants' primaries then). On the primary, its reprotects
 * (the stale originals stay in Azure): only in an active deployment after an active one (that
 * one held the links).
 */
export function releaseProblems(f: DeploymentFacts): string[] {
  const r = f.sql.release;
  if (!r) return [];
  const key = "sql.releaseRecoveredDatabases";
  const what = `${r.resources.length} resource(s): ${r.resources.join(", ")}`;
  if (f.site === "primary") {
    return f.role === "active" && f.lastRole === "active"
      ? []
      : [
          `Set ${key} back to false until the primary is active again: releasing its reprotects needs an active deployment after the one that failed their links back (recorded role ${f.lastRole ?? "none"}, role now ${f.role})`,
        ];
  }
  if (f.role !== "passive")
    return [
      `Set ${key} back to false while secondary is active: its recovered databases (${what}) are the tenants' primaries`,
    ];
  if (f.peer.role !== "active")
    return [
      `Set ${key} back to false until the primary is recorded active again: the recovered databases (${what}) hold what the tenants wrote since the failover (primary recorded ${f.peer.role ?? "never deployed"})`,
    ];
  if (
    r.mode === "delete" &&
    f.sql.lastRecoveredBy !== "Secondary" &&
    f.peer.sqlReprotected !== true
  )
    return [
      `Set ${key} to "retain" (or false): deleting geo-restored databases (${what}) needs the primary to have reprotected them and failed them back, and it recorded no reprotect, so they hold the outage's writes alone`,
    ];
  return [];
}

/** Every problem of the promotion protocol for this deployment, in a fixed order. */
export function protocolProblems(f: DeploymentFacts): string[] {
  const kind = stepKind(f.lastRole, f.role);
  return [
    ...(kind === "promotion" ? promotionProblems(f) : []),
    ...leftoverProblems(f),
    ...staleTakeoverProblems(f),
    ...preflightProblems(f),
    ...sqlSettingsProblems(f),
    ...releaseProblems(f),
  ];
}
