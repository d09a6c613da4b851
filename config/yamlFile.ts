import * as fs from "node:fs";
import * as path from "node:path";
import { LineCounter, parseDocument, visit, isAlias } from "yaml";
import { ConfigError } from "./errors";

/**
 * How far aliases may expand before the parser stops (yaml's toJS default): a few nested
 * anchors can otherwise expand to gigabytes (an alias bomb).
 */
const MAX_ALIAS_COUNT = 100;

/**
 * Reads a YAML file (a stack file, Pulumi.yaml, a runbook) and returns its content. A syntax
 * error, a duplicate key, a tab used as indentation or an alias bomb is one ConfigError naming
 * the file as `shownAs` (default: its name), the line and column, and the parser's message.
 */
export function readYamlFile(file: string, shownAs: string = path.basename(file)): unknown {
  const text = fs.readFileSync(file, "utf8");
  if (!parsed.has(text)) {
    if (parsed.size >= PARSED_KEPT) parsed.clear();
    parsed.set(text, parseYaml(text, shownAs));
  }
  // Each caller gets its own copy: callers may edit what they read.
  return structuredClone(parsed.get(text));
}

/**
 * Contents already parsed in this process, by text (a failed parse is not kept): a plan reads the
 * same few files several times, a runbook or a test file plans dozens of times, and parsing was
 * a twentieth of a plan's time.
 */
const parsed = new Map<string, unknown>();
const PARSED_KEPT = 256;

function parseYaml(text: string, shownAs: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${shownAs}:${line}:${col}`;
  };
  const [error] = doc.errors;
  if (error) throw new ConfigError([`${at(error.pos[0])}: ${firstLine(error.message)}`]);
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    let first = 0;
    visit(doc, {
      Alias(_, node) {
        if (isAlias(node)) first = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    throw new ConfigError([
      `${at(first)}: ${firstLine((e as Error).message)} (aliases may expand to at most ${MAX_ALIAS_COUNT} nodes)`,
    ]);
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}

/** A key's value in a `config:` map, written namespaced (`paired-dr:site`) or bare (`site`). */
export function configEntry(
  config: Readonly<Record<string, unknown>>,
  namespace: string,
  key: string,
): unknown {
  return config[`${namespace}:${key}`] ?? config[key];
}

/** A YAML file's top-level `config:` map: {} when the file or the key is absent or empty. */
export function readConfigSection(file: string, shownAs?: string): Record<string, unknown> {
  const doc = readYamlFile(file, shownAs);
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new ConfigError([`${shownAs ?? path.basename(file)}: must be a map with a config: key`]);
  const config = (doc as { config?: unknown }).config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config))
    throw new ConfigError([
      `${shownAs ?? path.basename(file)}: config: must be a map of key: value (given: ${JSON.stringify(config)})`,
    ]);
  return config as Record<string, unknown>;
}
