import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../../policies/all";
import { databricksPassiveStandsDown } from "../../policies/databricks-passive-stands-down";
import { drRpoBudget } from "../../policies/dr-rpo-budget";
import { gcpBucketDualRegion } from "../../policies/gcp-bucket-dual-region";
import { TYPE, passiveStack, runResource, stackArgs, valid } from "./factory";

const POLICIES = path.resolve(__dirname, "../../policies");

describe("the pack", () => {
  it("lists every policy once, in a fixed order", () => {
    expect(allPolicies.map((p) => p.name)).toEqual([
      "dr-one-active-site",
      "dr-promotion-gate",
      "dr-region-pair",
      "dr-site-geography",
      "dr-stateful-resources-protected",
      "dr-rpo-budget",
      "databricks-passive-stands-down",
      "databricks-job-portable",
      "databricks-cluster-not-allowed",
      "gcp-bucket-dual-region",
      "gcp-bucket-turbo-replication",
      "gcp-metastore-backup-within-rpo",
      "azure-databricks-workspace-storage-redundancy",
      "azure-storage-lake-secure",
      "azure-sql-server-secure",
      "azure-sql-failover-group-grace-period",
      "azure-sql-paid-tenants-in-failover-groups",
    ]);
  });

  it("names each policy by provider and resource, one file per policy, with its metadata", () => {
    for (const p of allPolicies) {
      expect(p.name).toMatch(/^(dr|databricks|gcp|azure)(-[a-z0-9]+)+$/);
      expect(existsSync(path.join(POLICIES, `${p.name}.ts`)), p.name).toBe(true);
      // Advisory only where a team may accept the risk and should see it (issue 16: a site's
      // clouds in two geographies, where no GCP region is near its Azure region).
      expect(p.enforcementLevel, p.name).toBe(
        p.name === "dr-site-geography" ? "advisory" : "mandatory",
      );
      expect(p.severity, p.name).toBeDefined();
      expect(p.description.length, p.name).toBeGreaterThan(20);
      for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
        expect(schema.default, `${p.name}.${key}`).toBeTypeOf("number");
      }
    }
  });

  it("builds the pack in index.ts only, from the list, and declares no dependencies", () => {
    const index = readFileSync(path.join(POLICIES, "index.ts"), "utf8");
    expect(index).toContain(
      'new PolicyPack("paired-dr", { enforcementLevel: "mandatory", policies: allPolicies });',
    );
    expect(readFileSync(path.join(POLICIES, "all.ts"), "utf8")).not.toContain("new PolicyPack");
    const pkg = JSON.parse(readFileSync(path.join(POLICIES, "package.json"), "utf8"));
    expect(pkg).toMatchObject({
      name: "paired-dr-policies",
      version: "0.1.0",
      private: true,
      type: "commonjs",
      main: "index.ts",
    });
    expect(pkg.dependencies).toBeUndefined();
    expect(readFileSync(path.join(POLICIES, "PulumiPolicy.yaml"), "utf8")).toMatch(
      /^runtime: nodejs$/m,
    );
  });
});

describe("preview unknowns", () => {
  // The server wraps props in this proxy; a read of an unknown throws UnknownValueError, which
  // the server turns into an advisory "can't run during preview". Policies must let it through.
  async function proxy() {
    return (await import("@pulumi/policy/proxy.js")) as any;
  }

  it("lets UnknownValueError out of a resource policy", async () => {
    const { unknownCheckingProxy, unknownStringValue, UnknownValueError } = await proxy();
    const props = unknownCheckingProxy({ ...valid.bucket(), location: unknownStringValue });
    await expect(
      runResource(gcpBucketDualRegion, { type: TYPE.bucket, name: "b", props }),
    ).rejects.toBeInstanceOf(UnknownValueError);
  });

  it("lets UnknownValueError out of stack policies, including the RPO computation", async () => {
    const { unknownCheckingProxy, unknownNumberValue, unknownStringValue, UnknownValueError } =
      await proxy();
    const run = async (policy: StackValidationPolicy, name: string, change: (p: any) => void) => {
      const args = stackArgs(passiveStack());
      for (const r of args.resources) {
        const props = structuredClone(r.props);
        if (r.name === name) change(props);
        r.props = unknownCheckingProxy(props);
      }
      await policy.validateStack(args, () => {});
    };
    await expect(
      run(databricksPassiveStandsDown, "workspace-pool-etl", (p) => {
        p.minIdleInstances = unknownNumberValue;
      }),
    ).rejects.toBeInstanceOf(UnknownValueError);
    await expect(
      run(drRpoBudget, "metastore-restore-schedule", (p) => {
        p.schedule = unknownStringValue;
      }),
    ).rejects.toBeInstanceOf(UnknownValueError);
  });
});
