import { describe, expect, it } from "vitest";
import { azureDatabricksWorkspaceStorageRedundancy } from "../../policies/azure-databricks-workspace-storage-redundancy";
import { azureSqlFailoverGroupGracePeriod } from "../../policies/azure-sql-failover-group-grace-period";
import { azureSqlPaidTenantsInFailoverGroups } from "../../policies/azure-sql-paid-tenants-in-failover-groups";
import { azureSqlServerSecure } from "../../policies/azure-sql-server-secure";
import { azureStorageLakeSecure } from "../../policies/azure-storage-lake-secure";
import {
  TYPE,
  activeStack,
  isFacts,
  passiveStack,
  runResource,
  runStack,
  stackMessages,
  urnOf,
  valid,
  without,
  withFacts,
  withProps,
  type TestResource,
} from "./factory";

function one(type: string, name: string, props: Record<string, any>): TestResource {
  return { type, name, props };
}

describe("azure-databricks-workspace-storage-redundancy", () => {
  const policy = azureDatabricksWorkspaceStorageRedundancy;
  const withSku = (sku: string) =>
    withProps(activeStack(), "workspace-workspace", (p) => {
      p.parameters.storageAccountSkuName.value = sku;
    });

  it("passes the planned stacks (Standard_GRS)", async () => {
    expect(await runStack(policy, activeStack())).toEqual([]);
    expect(await runStack(policy, passiveStack())).toEqual([]);
  });

  it("reports a single-region SKU, against the workspace", async () => {
    expect(await runStack(policy, withSku("Standard_LRS"))).toEqual([
      {
        message:
          "Use a geo-redundant storageAccountSkuName on workspace 'workspace-workspace' (or allow single-region storage): it is Standard_LRS",
        urn: urnOf({ type: TYPE.databricksWorkspace, name: "workspace-workspace" }),
      },
    ]);
    expect(await stackMessages(policy, withSku("Standard_ZRS"))).toEqual([
      "Use a geo-redundant storageAccountSkuName on workspace 'workspace-workspace' (or allow single-region storage): it is Standard_ZRS",
    ]);
  });

  it("accepts a single-region SKU when the deployment allows it", async () => {
    const rs = withFacts(withSku("Standard_LRS"), (f) => (f.allowSingleRegionStorage = true));
    expect(await runStack(policy, rs)).toEqual([]);
  });

  it("reports missing deployment facts", async () => {
    const rs = without(activeStack(), isFacts);
    expect(await stackMessages(policy, rs)).toEqual(["deployment facts missing"]);
  });
});

describe("azure-storage-lake-secure", () => {
  const policy = azureStorageLakeSecure;
  const account = (change: (p: Record<string, any>) => void = () => {}) => {
    const props = valid.storageAccount();
    change(props);
    return one(TYPE.storageAccount, "workspace-lake", props);
  };

  it("passes the planned lake account", async () => {
    expect(await runResource(policy, account())).toEqual({ violations: [] });
  });

  it("reports an old TLS version", async () => {
    expect(
      (
        await runResource(
          policy,
          account((p) => (p.minimumTlsVersion = "TLS1_0")),
        )
      ).violations,
    ).toEqual(["Set minimumTlsVersion TLS1_2 on storage account 'workspace-lake': it is TLS1_0"]);
  });

  it("reports public blob access, allowed or left unset", async () => {
    expect(
      (
        await runResource(
          policy,
          account((p) => (p.allowBlobPublicAccess = true)),
        )
      ).violations,
    ).toEqual(["Set allowBlobPublicAccess false on storage account 'workspace-lake': it is true"]);
    expect(
      (
        await runResource(
          policy,
          account((p) => delete p.allowBlobPublicAccess),
        )
      ).violations,
    ).toEqual(["Set allowBlobPublicAccess false on storage account 'workspace-lake': it is unset"]);
  });
});

describe("azure-sql-server-secure", () => {
  const policy = azureSqlServerSecure;
  const violations = async (change: (p: Record<string, any>) => void) => {
    const props = valid.sqlServer();
    change(props);
    return (await runResource(policy, one(TYPE.sqlServer, "sql-server", props))).violations;
  };

  it("passes the planned server", async () => {
    expect(await violations(() => {})).toEqual([]);
  });

  it("reports each setting", async () => {
    expect(await violations((p) => (p.minimalTlsVersion = "1.0"))).toEqual([
      "Set minimalTlsVersion 1.2 on SQL server 'sql-server': it is 1.0",
    ]);
    expect(await violations((p) => (p.publicNetworkAccess = "Enabled"))).toEqual([
      "Set publicNetworkAccess Disabled on SQL server 'sql-server': it is Enabled",
    ]);
    expect(await violations((p) => (p.administrators.azureADOnlyAuthentication = false))).toEqual([
      "Set administrators.azureADOnlyAuthentication true on SQL server 'sql-server': it is false",
    ]);
    expect(await violations((p) => delete p.administrators)).toEqual([
      "Set administrators.azureADOnlyAuthentication true on SQL server 'sql-server': it is unset",
    ]);
  });
});

describe("azure-sql-failover-group-grace-period", () => {
  const policy = azureSqlFailoverGroupGracePeriod;
  const group = (change: (p: Record<string, any>) => void = () => {}) => {
    const props = valid.failoverGroup("mgmt", ["catalog"]);
    change(props);
    return one(TYPE.sqlFailoverGroup, "sql-acmedata-primary-fg-mgmt", props);
  };

  it("passes the planned group (Automatic, 60 minutes)", async () => {
    expect(await runResource(policy, group())).toEqual({ violations: [] });
    expect(policy.configSchema?.properties.minGracePeriodMinutes?.default).toBe(60);
  });

  it("reports a grace period under the minimum, or unset, with automatic failover", async () => {
    const short = group((p) => (p.readWriteEndpoint.failoverWithDataLossGracePeriodMinutes = 30));
    expect((await runResource(policy, short)).violations).toEqual([
      "Set failoverWithDataLossGracePeriodMinutes to at least 60 on failover group 'sql-acmedata-primary-fg-mgmt': it is 30; change sql.failoverGroups.gracePeriodMinutes",
    ]);
    const unset = group((p) => delete p.readWriteEndpoint.failoverWithDataLossGracePeriodMinutes);
    expect((await runResource(policy, unset)).violations).toEqual([
      "Set failoverWithDataLossGracePeriodMinutes to at least 60 on failover group 'sql-acmedata-primary-fg-mgmt': it is unset; change sql.failoverGroups.gracePeriodMinutes",
    ]);
  });

  it("takes the minimum from config", async () => {
    const r = group();
    expect(
      (await runResource(policy, r, { config: { minGracePeriodMinutes: 120 } })).violations,
    ).toEqual([
      "Set failoverWithDataLossGracePeriodMinutes to at least 120 on failover group 'sql-acmedata-primary-fg-mgmt': it is 60; change sql.failoverGroups.gracePeriodMinutes",
    ]);
  });

  it("ignores a group with manual failover", async () => {
    const manual = group((p) => {
      p.readWriteEndpoint = { failoverPolicy: "Manual" };
    });
    expect(await runResource(policy, manual)).toEqual({ violations: [] });
  });
});

describe("azure-sql-paid-tenants-in-failover-groups", () => {
  const policy = azureSqlPaidTenantsInFailoverGroups;
  const fg = "sql-acmedata-primary-fg-paid-01";

  it("passes the planned stacks (trial tenants need no group)", async () => {
    expect(await runStack(policy, activeStack())).toEqual([]);
    expect(await runStack(policy, passiveStack())).toEqual([]);
  });

  it("reports a paid tenant listed in no failover group, against the database", async () => {
    const rs = withProps(activeStack(), fg, (p) => {
      p.databases = p.databases.filter((id: string) => !id.endsWith("/tenant-fabrikam"));
    });
    expect(await runStack(policy, rs)).toEqual([
      {
        message:
          "Add paid-pool database 'sql-db-fabrikam' (acmedata-primary-sql/tenant-fabrikam) to a failover group: it is in none",
        urn: urnOf({ type: TYPE.sqlDatabase, name: "sql-db-fabrikam" }),
      },
    ]);
  });

  it("matches on the server as well as the database name", async () => {
    const rs = withProps(activeStack(), fg, (p) => {
      p.databases = p.databases.map((id: string) => id.replace("primary-sql/", "other-sql/"));
    });
    expect(await stackMessages(policy, rs)).toEqual([
      "Add paid-pool database 'sql-db-contoso' (acmedata-primary-sql/tenant-contoso) to a failover group: it is in none",
      "Add paid-pool database 'sql-db-fabrikam' (acmedata-primary-sql/tenant-fabrikam) to a failover group: it is in none",
    ]);
  });

  it("reads provider outputs too: name instead of databaseName, the server from the pool id", async () => {
    const rs = withProps(activeStack(), "sql-db-contoso", (p) => {
      p.name = p.databaseName;
      delete p.databaseName;
      delete p.serverName;
    });
    expect(await runStack(policy, rs)).toEqual([]);
  });

  it("judges every paid pool of a fleet (paid-02, ...), and no other pool", async () => {
    const moved = (pool: string) =>
      withProps(
        withProps(activeStack(), fg, (p) => {
          p.databases = p.databases.filter((id: string) => !id.endsWith("/tenant-fabrikam"));
        }),
        "sql-db-fabrikam",
        (p) => (p.elasticPoolId = p.elasticPoolId.replace(/\/paid$/, `/${pool}`)),
      );
    expect(await stackMessages(policy, moved("paid-02"))).toEqual([
      "Add paid-pool database 'sql-db-fabrikam' (acmedata-primary-sql/tenant-fabrikam) to a failover group: it is in none",
    ]);
    expect(await stackMessages(policy, moved("paidup"))).toEqual([]);
    expect(await stackMessages(policy, moved("trial-02"))).toEqual([]);
  });

  it("skips a database this stack creates by restore", async () => {
    const rs = withProps(
      without(activeStack(), (r) => r.type === TYPE.sqlFailoverGroup),
      "sql-db-contoso",
      (p) => (p.createMode = "Recovery"),
    );
    expect(await stackMessages(policy, rs)).toEqual([
      "Add paid-pool database 'sql-db-fabrikam' (acmedata-primary-sql/tenant-fabrikam) to a failover group: it is in none",
    ]);
  });
});
