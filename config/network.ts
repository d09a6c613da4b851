import ipaddr from "ipaddr.js";

/** An IPv4 range in CIDR form, as integers. */
export interface Cidr {
  readonly first: number;
  readonly last: number;
  readonly prefix: number;
}

const toInt = (a: ipaddr.IPv4) => a.toByteArray().reduce((n, b) => n * 256 + b, 0);

/** Parses an IPv4 CIDR whose host bits are zero (Azure rejects an unaligned prefix). */
export function parseCidr(text: string): Cidr | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text)) return undefined;
  try {
    const [addr, prefix] = ipaddr.IPv4.parseCIDR(text);
    const first = toInt(addr);
    const size = 2 ** (32 - prefix);
    if (first % size !== 0) return undefined;
    return { first, last: first + size - 1, prefix };
  } catch {
    return undefined;
  }
}

export const contains = (outer: Cidr, inner: Cidr) =>
  inner.first >= outer.first && inner.last <= outer.last;
export const overlaps = (a: Cidr, b: Cidr) => a.first <= b.last && b.first <= a.last;
