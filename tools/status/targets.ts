import type { DrillSummary } from "../../components/drill/plan";
import type { PlatformConfig } from "../../config/schema";
import { DEPLOYMENT_OUTPUT, parseLastDeployment } from "../../components/lastDeployment";
import { backupFolder } from "../../components/metastore/plan";
import { azureNames, gcpNames } from "../../components/naming";
import { peerSite, type Role, type Site } from "../../components/role";
import { sqlNames } from "../../components/sql/elasticPoolPair";
import { hasReplica, planSql, sqlPlacement } from "../../components/sql/plan";

/**
 * What the status command reads, decided from both stacks' config and their deployed outputs
 * before anything is read. Pure: every name is the one the program gives the resource
 * (components/naming.ts, sqlNames, backupFolder), and the roles are the deployed ones.
 */

export interface SiteState {
  readonly site: Site;
  readonly stack: string;
  readonly config: PlatformConfig;
  /** The stack's outputs (`pulumi stack output --json`); null when the stack has none. */
  readonly outputs: Readonly<Record<string, unknown>> | null;
}

export interface SqlGroupTarget {
  readonly group: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** The server the group is read from: its home site's. */
  readonly server: string;
  readonly databases: readonly string[];
}

export interface SqlServerTarget {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly server: string;
  /** Databases on it without a replica: a failover geo-restores them. */
  readonly databases: readonly string[];
}

export interface StatusTargets {
  readonly sites: readonly {
    readonly site: Site;
    readonly stack: string;
    readonly deployed: { readonly role: Role; readonly epoch: number } | null;
    readonly lake: { readonly account: string; readonly container: string };
    /** The last drill on the site (components/drill/plan.ts, DrillSummary); null for none. */
    readonly lastDrill: DrillSummary | null;
  }[];
  /** The site whose outputs say active; null when none or both do (named in `problems`). */
  readonly active: Site | null;
  /** The direction measured: from the active site (or the configured one) to its peer. */
  readonly measured: { readonly from: Site; readonly to: Site };
  /**
   * A planned switchover between its drain and the peer's promotion: no site active, and the
   * measured one stood down with a final sync of its active period recorded (issue 15). Its
   * metastore's final backup, when it took one, is what the promotion restores.
   */
  readonly drained: { readonly site: Site; readonly metastoreBackup?: string } | null;
  readonly problems: readonly string[];
  readonly targetsMinutes: {
    readonly lake: number;
    readonly metastore: number;
    readonly sql: number;
    readonly sqlGeoRestore: number;
    readonly gcs: number;
  };
  readonly lake: {
    readonly source: { readonly account: string; readonly container: string };
    readonly target: { readonly account: string; readonly container: string };
    readonly tables: readonly { readonly table: string; readonly path: string }[];
    /** Tables jobs write that nothing replicates (declared rebuildable scratch). */
    readonly notProtected: readonly string[];
  };
  readonly metastore: {
    readonly standby: "hot" | "cold";
    readonly bucket: string;
    /** The active site's backup folder. */
    readonly prefix: string;
    /** The standby's restore workflow: projects/<p>/locations/<r>/workflows/<w>. */
    readonly restoreWorkflow: string;
  };
  readonly sql: {
    readonly groups: readonly SqlGroupTarget[];
    readonly geoRestore: readonly SqlServerTarget[];
    /** The two sites share a subscription: a planned switchover links the trial tenants over. */
    readonly linkedSwitchover: boolean;
  };
  readonly gcs: { readonly buckets: Readonly<Record<string, boolean>> };
}

function deployed(outputs: SiteState["outputs"]) {
  const d = parseLastDeployment(outputs?.[DEPLOYMENT_OUTPUT]);
  return d.role && d.epoch !== undefined ? { role: d.role, epoch: d.epoch, record: d } : null;
}

/**
 * The reads for a pair. The active site is the one its deployed outputs call active; without
 * a deployed active site (a first deployment not finished, or two active sites), the configured
 * roles name it and the problem is reported.
 */
export function statusTargets(primary: SiteState, secondary: SiteState): StatusTargets {
  const states = { primary, secondary } as const;
  const problems: string[] = [];
  const roles = {
    primary: deployed(primary.outputs),
    secondary: deployed(secondary.outputs),
  };
  const activeSites = (["primary", "secondary"] as const).filter(
    (s) => roles[s]?.role === "active",
  );
  for (const s of ["primary", "secondary"] as const)
    if (!roles[s])
      problems.push(
        `stack ${states[s].stack} records no deployment (outputs.${DEPLOYMENT_OUTPUT})`,
      );
  if (activeSites.length === 2)
    problems.push(
      `both stacks' outputs say active: the pair has two writers; reading as configured (${primary.config.promote ? "secondary" : "primary"} active)`,
    );
  const configured: Site = primary.config.promote ? "secondary" : "primary";
  const active: Site | null = activeSites.length === 1 ? activeSites[0]! : null;
  // Drained: stood down with the final sync of the period it ended (the epoch it still holds).
  const drainedSite =
    activeSites.length === 0
      ? (["primary", "secondary"] as const).find(
          (s) =>
            roles[s]?.role === "passive" &&
            roles[s]!.record.finalSync !== undefined &&
            roles[s]!.record.finalSync!.epoch === roles[s]!.epoch,
        )
      : undefined;
  if (activeSites.length === 0 && !drainedSite)
    problems.push(`no stack's outputs say active; reading as configured (${configured} active)`);
  const from: Site = active ?? drainedSite ?? configured;
  const finalBackup = drainedSite && roles[drainedSite]!.record.finalSync!.metastoreBackup;
  const to = peerSite(from);
  const a = states[from].config;
  const lakeOf = (s: Site) => ({
    account: roles[s]?.record.lake ?? azureNames(states[s].config.prefix, s).lake,
    container: states[s].config.workspace.lake.container,
  });

  const replicated = a.workspace.replication?.tables ?? {};
  const gcp = states[to].config.gcp;
  return {
    sites: (["primary", "secondary"] as const).map((s) => ({
      site: s,
      stack: states[s].stack,
      deployed: roles[s] ? { role: roles[s]!.role, epoch: roles[s]!.epoch } : null,
      lake: lakeOf(s),
      lastDrill: roles[s]?.record.lastDrill ?? null,
    })),
    active,
    measured: { from, to },
    drained: drainedSite
      ? { site: drainedSite, ...(finalBackup && { metastoreBackup: finalBackup }) }
      : null,
    problems,
    targetsMinutes: { metastore: a.metastore.rpoMinutes, ...a.rpoTargetsMinutes },
    lake: {
      source: lakeOf(from),
      target: lakeOf(to),
      tables: Object.entries(replicated).map(([table, t]) => ({ table, path: t.path })),
      notProtected: Object.keys(a.workspace.scratchTables ?? {}),
    },
    metastore: {
      standby: a.metastore.standby,
      bucket: a.storage.buckets.backup.name,
      prefix: backupFolder(from),
      restoreWorkflow: `projects/${gcp.project}/locations/${gcp.region}/workflows/${gcpNames(states[to].config.prefix, to).restoreWorkflow}`,
    },
    sql: sqlTargets(states, roles, from),
    gcs: {
      buckets: Object.fromEntries(
        Object.values(a.storage.buckets).map((b) => [b.name, b.turboReplication]),
      ),
    },
  };
}

function sqlTargets(
  states: Readonly<Record<Site, SiteState>>,
  roles: Readonly<Record<Site, ReturnType<typeof deployed>>>,
  active: Site,
): StatusTargets["sql"] {
  const plans = (["primary", "secondary"] as const).map((site) => {
    const c = states[site].config;
    const peer = roles[peerSite(site)]?.record;
    const placement = sqlPlacement(
      c.sql,
      site,
      roles[site]?.record.sql?.placement,
      peer?.sql?.placement,
      c.sql.rebalancePools,
    ).placement;
    const role = roles[site]?.role ?? (site === active ? "active" : "passive");
    return { site, c, plan: planSql(c.sql, c.prefix, site, role, false, false, placement) };
  });
  const server = (site: Site, pair: number) => {
    const c = states[site].config;
    return sqlNames(c.prefix, site, c.azure.subscriptionId, pair);
  };
  const groups = plans.flatMap(({ site, c, plan }) =>
    plan.failoverGroups.map((g) => ({
      group: g.name,
      subscriptionId: c.azure.subscriptionId,
      resourceGroup: server(site, g.server).resourceGroup,
      server: server(site, g.server).server,
      databases: g.databases,
    })),
  );
  // The tenants without a replica whose primary is on the active site: a failover now would
  // geo-restore them from its geo-replicated backups.
  const onActive = plans.find((p) => p.site === active)!;
  const byServer = new Map<number, string[]>();
  for (const d of [...onActive.plan.databases, ...(onActive.plan.recovery?.databases ?? [])])
    if (!hasReplica(d.kind))
      byServer.set(d.server, [...(byServer.get(d.server) ?? []), d.database]);
  const geoRestore = [...byServer].map(([pair, databases]) => ({
    subscriptionId: onActive.c.azure.subscriptionId,
    resourceGroup: server(active, pair).resourceGroup,
    server: server(active, pair).server,
    databases: [...new Set(databases)],
  }));
  const subscription = (site: Site) => states[site].config.azure.subscriptionId;
  return {
    groups,
    geoRestore,
    linkedSwitchover: subscription("primary") === subscription("secondary"),
  };
}
