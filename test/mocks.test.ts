import { describe, expect, it } from "vitest";
import { MOCK_SUBSCRIPTION_ID, armId, mockCall, mockResource } from "../tools/plan/mocks";

const sub = `/subscriptions/${MOCK_SUBSCRIPTION_ID}`;

describe("shared mocks", () => {
  it("gives ARM IDs shaped as Azure gives them", () => {
    expect(
      armId("azure-native:resources:ResourceGroup", "rg", { resourceGroupName: "acme-rg" }),
    ).toBe(`${sub}/resourceGroups/acme-rg`);
    expect(
      armId("azure-native:databricks:Workspace", "ws", {
        resourceGroupName: "acme-rg",
        workspaceName: "acme-ws",
      }),
    ).toBe(`${sub}/resourceGroups/acme-rg/providers/Microsoft.Databricks/workspaces/acme-ws`);
    expect(
      armId("azure-native:sql:Database", "db", {
        resourceGroupName: "rg",
        serverName: "srv",
        databaseName: "tenant1",
      }),
    ).toBe(`${sub}/resourceGroups/rg/providers/Microsoft.Sql/servers/srv/databases/tenant1`);
    expect(
      armId("azure-native:network:Subnet", "s", {
        resourceGroupName: "rg",
        virtualNetworkName: "vnet",
        subnetName: "host",
      }),
    ).toBe(
      `${sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/host`,
    );
    expect(() => armId("azure-native:web:WebApp", "x", {})).toThrow(
      "no ARM ID shape for azure-native:web:WebApp",
    );
  });

  it("gives a workspace a stable azuredatabricks.net URL", () => {
    const args = {
      type: "azure-native:databricks:Workspace",
      name: "ws",
      inputs: { resourceGroupName: "rg", workspaceName: "acme-ws" },
      custom: true,
    };
    const a = mockResource(args);
    const b = mockResource(args);
    expect(a).toEqual(b);
    expect(a.state.workspaceUrl).toMatch(/^adb-\d{16}\.\d{1,2}\.azuredatabricks\.net$/);
    expect(a.state.workspaceId).toMatch(/^[1-9]\d{15}$/);
    expect(a.id).toBe(`${sub}/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/acme-ws`);
  });

  it("gives a bucket its self link and gs:// URL, and keeps its inputs", () => {
    const r = mockResource({
      type: "gcp:storage/bucket:Bucket",
      name: "b",
      inputs: { name: "acme-data", location: "nam4" },
      custom: true,
    });
    expect(r.id).toBe("acme-data");
    expect(r.state).toMatchObject({
      name: "acme-data",
      location: "NAM4",
      url: "gs://acme-data",
      selfLink: "https://www.googleapis.com/storage/v1/b/acme-data",
    });
  });

  it("answers the Azure client-config invoke with the mock subscription", () => {
    expect(
      mockCall({ token: "azure-native:authorization:getClientConfig", inputs: {}, provider: "" }),
    ).toMatchObject({
      subscriptionId: MOCK_SUBSCRIPTION_ID,
    });
  });
});
