import type { Site } from "./model";
import type { LiveStacks } from "./live";

/**
 * The live stacks through Pulumi's Automation API (`@pulumi/pulumi/automation`): a LocalWorkspace
 * on the project directory drives the `pulumi` CLI on PATH with the stack's own backend and
 * credentials, exactly as `pulumi up -s <stack> --refresh --policy-pack <dir>` from that
 * directory would (its preview first, then the update). Loaded when a live run starts, never at import.
 */
export function automationStacks(dir: string, policyPack: string): LiveStacks {
  const automation = async () =>
    require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation/index.js");
  return {
    async outputs(site: Site) {
      const { LocalWorkspace } = await automation();
      let stack;
      try {
        stack = await LocalWorkspace.selectStack({ stackName: site, workDir: dir });
      } catch (e) {
        // A stack never created has no outputs; any other failure (the backend, a login) stops.
        if (/no stack named/i.test(String((e as Error).message))) return undefined;
        throw e;
      }
      const out = await stack.outputs();
      const values = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.value]));
      return Object.keys(values).length ? values : undefined;
    },
    async up(site: Site, onOutput: (text: string) => void) {
      const { LocalWorkspace } = await automation();
      // A first deployment creates the stack, as `pulumi up -s <stack>` offers to.
      const stack = await LocalWorkspace.createOrSelectStack({ stackName: site, workDir: dir });
      // The engine runs stack policies (the gate, the protection of stateful resources) after
      // an update's steps (pulumi pkg/resource/deploy/deployment_executor.go, Execute), and the
      // Automation API's up always passes --skip-preview: the preview runs them before anything
      // changes, and a mandatory violation stops here.
      await stack.preview({ refresh: true, policyPacks: [policyPack], onOutput });
      const result = await stack.up({ refresh: true, policyPacks: [policyPack], onOutput });
      return { ...(result.summary?.resourceChanges ?? {}) } as Record<string, number>;
    },
    requireSynced: (onOutput) => requireSynced(dir, onOutput),
  };
}

/**
 * How long `npm run status` may take in all: each of its sources has its own limit (120 s by
 * default, tools/status/cli.ts), and they are read side by side.
 */
export const STATUS_TIMEOUT_MS = 15 * 60_000;

/** `npm run status -- --require-synced` from the project directory, with the caller's environment. */
export function requireSynced(
  dir: string,
  onOutput: (text: string) => void,
  timeoutMs = STATUS_TIMEOUT_MS,
): Promise<{ code: number; output: string }> {
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "status", "--", "--require-synced"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
    });
    let output = "";
    const take = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      onOutput(text);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code, signal) =>
      signal
        ? reject(new Error(`npm run status stopped by ${signal} (limit ${timeoutMs / 1000} s)`))
        : resolve({ code: code ?? 1, output }),
    );
  });
}
