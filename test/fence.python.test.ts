import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect, test } from "vitest";
import { scanRepo } from "../config/repoFiles";
import { ROOT } from "./helpers";

// The fence logic in the notebooks' own language: test/python/test_fence.py on workspace/fence/paired_dr_fence.py.
test("the fence module's Python tests pass", () => {
  const run = spawnSync(
    "python3",
    ["-m", "unittest", "discover", "-s", "test/python", "-p", "test_*.py"],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    },
  );
  expect(run.error, "python3 must be on PATH").toBeUndefined();
  expect(run.stderr).toMatch(/^Ran 39 tests in /m);
  expect(run.status, run.stderr).toBe(0);
});

test("a bytecode cache beside a workspace module is not deployed", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "paired-dr-repo-"));
  try {
    fs.mkdirSync(path.join(root, "workspace", "fence", "__pycache__"), { recursive: true });
    fs.writeFileSync(
      path.join(root, "workspace", "fence", "paired_dr_fence.py"),
      '"""a module"""\n',
    );
    fs.writeFileSync(
      path.join(root, "workspace", "fence", "__pycache__", "paired_dr_fence.cpython-311.pyc"),
      "",
    );
    expect(scanRepo(root).workspaceFiles).toEqual(["workspace/fence/paired_dr_fence.py"]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
