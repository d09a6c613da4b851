import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The Pulumi runtime keeps its settings in module state: one file at a time per worker.
    pool: "forks",
  },
});
