import type { ContainerClient } from "@azure/storage-blob";
import { FENCE_BLOB } from "../../components/fence";
import { parseFence, type FenceRead } from "../runbook/model";

/**
 * The fencing records each site's lake holds (components/fence.ts, FENCE_BLOB), read as the jobs
 * read them (workspace/fence/paired_dr_fence.py), against what the site's stack outputs record
 * (its role and epoch): a record that disagrees means the site's last deployment did not finish,
 * or someone wrote the record by hand. Read-only.
 */

/** A site's record in its lake: "missing" when there is none (a first deployment not finished). */
export async function readLakeFence(
  container: ContainerClient,
  signal: AbortSignal,
): Promise<FenceRead> {
  try {
    const buffer = await container
      .getBlobClient(FENCE_BLOB)
      .downloadToBuffer(0, undefined, { abortSignal: signal });
    return parseFence(buffer.toString("utf8"));
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return "missing";
    throw e;
  }
}

export interface FenceAgreement {
  readonly site: string;
  readonly record: FenceRead;
  readonly outputs: { readonly role: string; readonly epoch: number } | null;
  readonly agrees: boolean;
  readonly note: string;
}

export function fenceAgreement(
  site: string,
  record: FenceRead,
  outputs: { readonly role: string; readonly epoch: number } | null,
): FenceAgreement {
  const base = { site, record, outputs };
  if (record === "missing" || record === "unreadable")
    return { ...base, agrees: false, note: `the lake's fence record is ${record}` };
  if (!outputs) return { ...base, agrees: false, note: "the stack records no deployment" };
  if (record.site !== site)
    return { ...base, agrees: false, note: `the record names site ${record.site}` };
  const agrees = record.role === outputs.role && record.epoch === outputs.epoch;
  return {
    ...base,
    agrees,
    note: agrees
      ? `${record.role} at epoch ${record.epoch}`
      : `the record says ${record.role} at epoch ${record.epoch}; the stack's outputs say ${outputs.role} at epoch ${outputs.epoch}`,
  };
}
