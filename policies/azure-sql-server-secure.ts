import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPE } from "../contracts/facts";
import { resourceOfType, shown } from "./support";

const ALLOWED_TLS = new Set(["1.2", "1.3"]);

/**
 * azure-sql-server-secure
 *
 * Severity: high. Topic: security (Azure SQL logical servers).
 *
 * Both servers of each failover group take the same settings: TLS 1.2 at least, no public
 * network access (private endpoints only) and Microsoft Entra-only authentication.
 */
export const azureSqlServerSecure: ResourceValidationPolicy = {
  name: "azure-sql-server-secure",
  description:
    "SQL servers require TLS 1.2 or later, disable public network access and allow Entra ID authentication only.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: resourceOfType(TYPE.sqlServer, (server, args, report) => {
    if (!ALLOWED_TLS.has(server.minimalTlsVersion)) {
      report(
        `Set minimalTlsVersion 1.2 on SQL server '${args.name}': it is ${shown(server.minimalTlsVersion)}`,
      );
    }
    if (server.publicNetworkAccess !== "Disabled") {
      report(
        `Set publicNetworkAccess Disabled on SQL server '${args.name}': it is ${shown(server.publicNetworkAccess)}`,
      );
    }
    const entraOnly = server.administrators?.azureADOnlyAuthentication;
    if (entraOnly !== true) {
      report(
        `Set administrators.azureADOnlyAuthentication true on SQL server '${args.name}': it is ${shown(entraOnly)}`,
      );
    }
  }),
};
