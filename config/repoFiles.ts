import * as fs from "node:fs";
import * as path from "node:path";

/** Repo folder whose notebooks and files are deployed, identically, into both workspaces. */
export const WORKSPACE_DIR = "workspace";
/** Repo folder holding global init scripts. */
export const INIT_SCRIPTS_DIR = "init-scripts";

const NOTEBOOK_HEADERS: Readonly<Record<string, { header: string; language: string }>> = {
  ".py": { header: "# Databricks notebook source", language: "PYTHON" },
  ".sql": { header: "-- Databricks notebook source", language: "SQL" },
  ".scala": { header: "// Databricks notebook source", language: "SCALA" },
  ".r": { header: "# Databricks notebook source", language: "R" },
};

export interface RepoNotebook {
  /** Repo-relative source file, e.g. "workspace/etl/ingest_orders.py". */
  readonly source: string;
  /** Path under the workspace root, without extension, e.g. "etl/ingest_orders". */
  readonly key: string;
  readonly language: string;
  /** The notebooks it runs inline (`%run <path>` cells), resolved to keys. */
  readonly runs?: readonly string[];
}

/** The `%run` targets of a notebook's source, resolved against its own key ("etl/x" -> ...). */
export function notebookRuns(key: string, source: string): string[] {
  const runs: string[] = [];
  for (const m of source.matchAll(/^(?:#|--|\/\/) MAGIC %run\s+(\S+)\s*$/gm)) {
    const target = m[1]!;
    runs.push(target.startsWith("/") ? target : path.posix.join(path.posix.dirname(key), target));
  }
  return runs;
}

export interface RepoFiles {
  /** Notebooks by key ("etl/ingest_orders"). */
  readonly notebooks: Readonly<Record<string, RepoNotebook>>;
  /** Other files under WORKSPACE_DIR, repo-relative ("workspace/etl/schemas/orders.json"). */
  readonly workspaceFiles: readonly string[];
  /** Files under INIT_SCRIPTS_DIR, repo-relative. */
  readonly initScripts: readonly string[];
}

/**
 * A file is a notebook when its extension is a notebook language and its first line is the
 * Databricks source header (what the workspace export writes); anything else is a plain file.
 */
export function classifyWorkspaceFile(rel: string, firstLine: string): RepoNotebook | undefined {
  const ext = path.extname(rel).toLowerCase();
  const kind = NOTEBOOK_HEADERS[ext];
  if (!kind || firstLine.trim() !== kind.header) return undefined;
  return {
    source: path.posix.join(WORKSPACE_DIR, rel),
    key: rel.slice(0, -ext.length),
    language: kind.language,
  };
}

function walk(dir: string, rel = ""): string[] {
  if (!fs.existsSync(path.join(dir, rel))) return [];
  return fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const r = rel ? `${rel}/${e.name}` : e.name;
      // Python's bytecode cache (left by importing workspace/fence/paired_dr_fence.py) is not a source.
      if (e.name === "__pycache__") return [];
      return e.isDirectory() ? walk(dir, r) : e.isFile() ? [r] : [];
    });
}

/** Lists the repo's workspace sources and init scripts (paths relative to `root`, sorted). */
export function scanRepo(root: string): RepoFiles {
  const notebooks: Record<string, RepoNotebook> = {};
  const workspaceFiles: string[] = [];
  const wsDir = path.join(root, WORKSPACE_DIR);
  for (const rel of walk(wsDir)) {
    const text = fs.readFileSync(path.join(wsDir, rel), "utf8");
    const notebook = classifyWorkspaceFile(rel, text.split("\n", 1)[0] ?? "");
    if (notebook) {
      const runs = notebookRuns(notebook.key, text);
      notebooks[notebook.key] = runs.length ? { ...notebook, runs } : notebook;
    } else workspaceFiles.push(path.posix.join(WORKSPACE_DIR, rel));
  }
  const initScripts = walk(path.join(root, INIT_SCRIPTS_DIR)).map((r) =>
    path.posix.join(INIT_SCRIPTS_DIR, r),
  );
  return { notebooks, workspaceFiles, initScripts };
}
