import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { failoverGroupPrimaryProvider } from "../components/sql/failover/hold";
import { replicaPrimaryProvider } from "../components/sql/failover/replica";
import { databricksFinalSyncProvider } from "../components/workspace/finalSync";
import { databricksDrillRunProvider } from "../components/drill/drillRun";
import { jobConcurrencyProvider } from "../components/workspace/jobConcurrency";
import { deployingGoogleIdentity } from "../components/googleCalls";
import { workflowRunProvider } from "../components/metastore/workflowRun";

/**
 * Each dynamic provider as Pulumi ships it: a dynamic Resource serializes its provider with the
 * SDK's closure serializer when it is registered (@pulumi/pulumi dynamic/index.js,
 * serializeProvider), and a provider it cannot serialize fails the deployment there. The plan's
 * mocks register only the resources a plan makes, so each provider is serialized here.
 */
describe("the dynamic providers serialize as Pulumi serializes them", () => {
  it.each([
    ["FinalSync", () => databricksFinalSyncProvider],
    ["DrillRun", () => databricksDrillRunProvider],
    ["JobConcurrency", () => jobConcurrencyProvider],
    ["FailoverGroupPrimary", () => failoverGroupPrimaryProvider],
    ["ReplicaPrimary", () => replicaPrimaryProvider],
    ["WorkflowRun", () => workflowRunProvider(() => deployingGoogleIdentity())],
  ])("%s", async (_name, provider) => {
    const p = provider();
    const serialized = await pulumi.runtime.serializeFunction(() => p, {
      allowSecrets: true,
    });
    expect(serialized.text).toContain("exports.handler");
  });
});
