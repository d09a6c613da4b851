import { quote } from "./zod";
import * as fs from "node:fs";
import * as path from "node:path";
import { SITES, peerSite, type Site } from "./sites";
import { configEntry } from "./yamlFile";

/**
 * Checks across the two stack files. Each stack's schema sees only its own file, so a pair that
 * is wrong only as a pair (both sites in one region, a peerRegion that is not the peer's region,
 * two stacks claiming one site) passes it; the program reads the peer's file beside its own.
 */

export interface RegionPair {
  region: string;
  peerRegion: string;
}

/** What one stack file says about its site and regions (raw: the peer's file is not parsed). */
export interface SiteDeclaration {
  /** The stack file, as the message names it (Pulumi.primary.yaml). */
  file: string;
  site: unknown;
  azure?: Partial<RegionPair>;
  gcp?: Partial<RegionPair>;
}

/** The file a stack's config is read from. */
export const stackFileName = (stack: string) => `Pulumi.${stack}.yaml`;

/** The stack file beside Pulumi.yaml (.yaml or .yml), if there is one. */
export function stackFilePath(projectDir: string, stack: string): string | undefined {
  return ["yaml", "yml"]
    .map((ext) => path.join(projectDir, `Pulumi.${stack}.${ext}`))
    .find((f) => fs.existsSync(f));
}

/**
 * Why `stack` cannot be a stack of this project, or undefined. The peer is found by its site's
 * name (components/lastDeployment.ts reads `<org>/<project>/<peer site>`), so a stack is named
 * after its site; a third stack would plan the same resource names as the site it copies.
 */
export function stackNameProblem(stack: string, site: unknown): string | undefined {
  if (!(SITES as readonly string[]).includes(stack))
    return (
      `${stackFileName(stack)}: stack ${quote(stack)} is not a site of the pair; allowed stack names: ` +
      `${SITES.map(quote).join(" | ")} (each stack finds its peer by the site's name, and a third ` +
      `stack would deploy the same resource names as the site it copies). For a second pair (a test ` +
      `environment), copy the project with its own name: in Pulumi.yaml and its own prefix.`
    );
  if ((SITES as readonly unknown[]).includes(site) && site !== stack)
    return `${stackFileName(stack)}: paired-dr:site: must be the stack's name, ${quote(stack)} (given: ${JSON.stringify(site)})`;
  return undefined;
}

const CLOUDS = ["azure", "gcp"] as const;

/** The problems of this stack's site and regions against its peer's stack file. */
export function pairProblems(
  own: SiteDeclaration & { site: Site },
  peer: SiteDeclaration,
): string[] {
  const problems: string[] = [];
  const expected = peerSite(own.site);
  if (peer.site !== undefined && peer.site !== expected)
    problems.push(
      `${peer.file}: paired-dr:site: must be ${quote(expected)}, the peer of ${own.file}'s ${quote(own.site)} (given: ${JSON.stringify(peer.site)})`,
    );
  for (const cloud of CLOUDS) {
    const mine = own[cloud];
    const theirs = peer[cloud];
    if (!mine?.region || !theirs?.region) continue;
    if (mine.region === theirs.region)
      problems.push(
        `${own.file}: paired-dr:${cloud}.region: ${quote(mine.region)} is also ${peer.file}'s ${cloud}.region: ` +
          `both sites would be in one region` +
          (theirs.peerRegion && theirs.peerRegion !== mine.region
            ? `; allowed: ${quote(theirs.peerRegion)}, the region ${peer.file} names as its peer`
            : `; allowed: another region, paired with ${quote(theirs.region)}`) +
          ` (given: ${quote(mine.region)})`,
      );
    if (mine.peerRegion && mine.peerRegion !== theirs.region)
      problems.push(
        `${own.file}: paired-dr:${cloud}.peerRegion: must be the peer's region, ${quote(theirs.region)} ` +
          `(${peer.file}'s ${cloud}.region) (given: ${quote(mine.peerRegion)})`,
      );
  }
  return problems;
}

/** A stack file's site and regions, read from its raw `config:` section. */
export function siteDeclaration(
  file: string,
  namespace: string,
  config: Readonly<Record<string, unknown>>,
): SiteDeclaration {
  const at = (key: string) => configEntry(config, namespace, key);
  const regions = (v: unknown): Partial<RegionPair> | undefined => {
    if (v === null || typeof v !== "object") return undefined;
    const o = v as Record<string, unknown>;
    return {
      ...(typeof o.region === "string" && { region: o.region }),
      ...(typeof o.peerRegion === "string" && { peerRegion: o.peerRegion }),
    };
  };
  return {
    file,
    site: at("site"),
    ...(regions(at("azure")) && { azure: regions(at("azure")) }),
    ...(regions(at("gcp")) && { gcp: regions(at("gcp")) }),
  };
}
