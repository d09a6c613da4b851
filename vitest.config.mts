import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The workers share the plans they make through one directory per run: most files plan the
    // shipped stacks, and a plan is the SDK's mock run of the whole program.
    globalSetup: ["test/run/sharedPlans.ts"],
    setupFiles: ["test/run/workerPlans.ts"],
    // Hang guards only (a slow but correct test on a loaded machine must pass); speed is the bench's.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // The Pulumi runtime keeps its settings in module state: one file at a time per worker.
    pool: "forks",
    // A worker's files share its modules: the SDKs load once per worker, not once per file, and
    // the plans and the policy pack each process keeps (tools/plan/engine.ts planStack,
    // PolicyPackProcess.shared) serve every file. Each capture sets the runtime's mocks and
    // config afresh; a test that changes process state (env, cwd) restores it.
    isolate: false,
    // Every core: vitest's default leaves one free (availableParallelism - 1), a single worker
    // on a 2-core machine, while most of a file's time is its own CPU.
    maxWorkers: availableParallelism(),
    // A plan allocates many short-lived objects (the SDK's outputs and promises): a larger young
    // generation spends less of it collecting (about a sixth of a plan's time on this machine).
    execArgv: ["--max-semi-space-size=128"],
  },
});
