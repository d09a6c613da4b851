import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPE } from "../contracts/facts";
import { resourceOfType, shown } from "./support";

const ALLOWED_TLS = new Set(["TLS1_2", "TLS1_3"]);

/**
 * azure-storage-lake-secure
 *
 * Severity: high. Topic: security (the Delta lake storage accounts).
 *
 * The lake accounts hold every replicated table: TLS 1.2 at least, and no anonymous blob access.
 */
export const azureStorageLakeSecure: ResourceValidationPolicy = {
  name: "azure-storage-lake-secure",
  description: "Storage accounts require TLS 1.2 or later and forbid public blob access.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: resourceOfType(TYPE.storageAccount, (account, args, report) => {
    if (!ALLOWED_TLS.has(account.minimumTlsVersion)) {
      report(
        `Set minimumTlsVersion TLS1_2 on storage account '${args.name}': it is ${shown(account.minimumTlsVersion)}`,
      );
    }
    if (account.allowBlobPublicAccess !== false) {
      report(
        `Set allowBlobPublicAccess false on storage account '${args.name}': it is ${shown(account.allowBlobPublicAccess)}`,
      );
    }
  }),
};
