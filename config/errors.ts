import { RunError } from "@pulumi/pulumi";

/**
 * Every config problem at once, one line each: the file, the key path, what is wrong or allowed,
 * and the value given. A RunError, so `pulumi up` prints the message without a stack trace
 * (@pulumi/pulumi cmd/run/run.js: "Always hide the stack for RunErrors").
 */
export class ConfigError extends RunError {
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid configuration, nothing was deployed (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}
