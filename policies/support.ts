/**
 * Helpers shared by the policies. Type-only imports of the policy SDK: nothing here starts or
 * loads the pack, so tests import the policies directly.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import { findFacts, type DeploymentFacts } from "../contracts/facts";

export const FACTS_MISSING = "deployment facts missing";

/**
 * A resource validation for one type token, without importing the provider SDK for its class.
 * The attached `__pulumiType` is what `validateResourceOfType` attaches: the policy server reads
 * it to report the policy as not applicable to other types without calling the function.
 */
export function resourceOfType(
  type: string,
  validate: (
    props: Record<string, any>,
    args: ResourceValidationArgs,
    report: ReportViolation,
  ) => void,
): ResourceValidation {
  const fn: ResourceValidation = (args, report) => {
    if (args.type !== type) {
      return args.notApplicable(`Policy only applies to resources of type '${type}'`);
    }
    return validate(args.props, args, report);
  };
  return Object.assign(fn, { __pulumiType: type });
}

/** The stack's deployment facts; reports FACTS_MISSING and returns undefined when absent. */
export function requireFacts(
  args: StackValidationArgs,
  report: ReportViolation,
): DeploymentFacts | undefined {
  const facts = findFacts(args.resources);
  if (!facts) report(FACTS_MISSING);
  return facts;
}

export function ofType(resources: readonly PolicyResource[], type: string): PolicyResource[] {
  return resources.filter((r) => r.type === type);
}

/** A value as a message shows it: "unset" for undefined or null, strings bare, the rest JSON. */
export function shown(value: unknown): string {
  if (value === undefined || value === null) return "unset";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Minutes as a message shows them: at most two decimals (5 s = 0.08). */
export function minutes(value: number): string {
  return String(Number(value.toFixed(2)));
}
