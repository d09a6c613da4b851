import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers";

/**
 * `pulumi up` does not run tsx: the SDK's language host loads index.ts through the project's
 * TypeScript and its vendored ts-node, type-checking with the project's tsconfig. This runs the
 * program that way (fixtures/pulumi-runtime.cjs) so a program that only works under tsx or vitest
 * fails here.
 */
describe("index.ts under the Pulumi SDK's own TypeScript loader", () => {
  // No peer deployed: the primary's three failover groups and their holds, and its DNS zone's link
  // to the secondary's VNet, wait for the secondary; the secondary's endpoint registers in the zone
  // only once the primary's outputs show it.
  for (const [stack, role, resources] of [
    // Each: the egress IP and NAT gateway, the 8 jobs' concurrency, no global init script, and
    // the jobs' service principal with its 2 secret ACLs and the replication jobs' 3 owners, and
    // the way to the own lake (no peer yet): connector, role, assignment, credential, location,
    // grants.
    // With the restore alerts and their email channel (issue 13, item 16), and the final
    // backup workflow with its account's grant to read the Hive cluster, and the role that lets
    // the workflows poll their operations with its grant (issue 15).
    ["primary", "active", 199],
    ["secondary", "passive", 127],
  ] as const) {
    it(`loads and runs the ${stack} stack`, () => {
      const r = spawnSync(
        process.execPath,
        [path.join(ROOT, "test/fixtures/pulumi-runtime.cjs"), stack],
        {
          cwd: ROOT,
          encoding: "utf8",
        },
      );
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as { tsnode: string; role: string; resources: string[] };
      expect(out.tsnode).toBe("ts-node@7.0.1");
      expect(out.role).toBe(role);
      expect(out.resources).toHaveLength(resources);
    });
  }
});
