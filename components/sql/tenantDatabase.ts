import * as pulumi from "@pulumi/pulumi";
import type * as sql from "@pulumi/azure-native/sql";
import { getVersion } from "@pulumi/azure-native/utilities";

/**
 * An azure-native `sql.Database`, registered with the same type token and typed inputs, but
 * without the generated class's ~40 output properties: each of those costs an Output and a stack
 * trace, which made a fleet of thousands of tenants the dominant cost of a plan (DESIGN, measured
 * 12 ms and 1.7 MB per database). The engine and the provider see exactly the same registration.
 */
export class TenantDatabase extends pulumi.CustomResource {
  /** The database's ARM ID is the resource ID. */
  constructor(name: string, args: sql.DatabaseArgs, opts?: pulumi.CustomResourceOptions) {
    // The plugin version the generated class would pin, so the engine picks the same provider.
    super(
      "azure-native:sql:Database",
      name,
      { ...args },
      pulumi.mergeOptions({ version: getVersion() }, opts),
    );
  }
}
