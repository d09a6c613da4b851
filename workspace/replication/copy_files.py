# Databricks notebook source
# Copies the files of one landing folder from this site's lake to the same folder in the peer
# site's lake (issue 12): the raw files a promoted site's streams and loads read. Scheduled every
# RPO minutes and run only on the active site. Incremental: a file already in the target with the
# same size is not copied again. Fenced like the deep clone: it writes into the peer's lake only
# while this site is active and the peer's fence says passive.
#
# Each run leaves its result in a ledger in the target lake, _paired-dr/replication/landing-<name>.json.

# COMMAND ----------

import json
import sys
from datetime import datetime, timezone

NAMES = ("landing", "source", "target", "paired_dr_site", "paired_dr_lake", "paired_dr_peer_lake", "paired_dr_fence_dir")
for name in NAMES:
    dbutils.widgets.text(name, "")
fence_dir = dbutils.widgets.get("paired_dr_fence_dir")
if not fence_dir:
    raise ValueError("missing job parameters: paired_dr_fence_dir")
if fence_dir not in sys.path:
    sys.path.insert(0, fence_dir)
import paired_dr_fence as fence

p = fence.required_parameters(dbutils.widgets.get, NAMES)
landing, source, target, site, lake, peer_lake = (p[k] for k in NAMES[:-1])
if source == target:
    raise ValueError(f"landing {landing}: source and target are the same folder, {source}")

# COMMAND ----------


def head(path):
    return dbutils.fs.head(path, 65536)


fenced = fence.replication_fence(head, site, lake, peer_lake, f"landing {landing}")


def missing(e):
    return fence.is_missing_error(f"{type(e).__name__}: {e}")


def files_under(folder):
    """Every file under `folder`, by its relative path, with its size; none when it does not exist."""
    found, pending = {}, [folder]
    while pending:
        try:
            entries = dbutils.fs.ls(pending.pop())
        except Exception as e:
            if missing(e):
                continue
            raise
        for entry in entries:
            if entry.name.endswith("/"):
                pending.append(entry.path)
            else:
                found[fence.relative_path(folder, entry.path)] = entry.size
    return found


own = fenced()
ledger_path = fence.lake_path(peer_lake, fence.ledger_path(f"landing-{landing}"))
ledger = fence.read_json(head, ledger_path)

# COMMAND ----------

source_files = files_under(source)
todo = fence.files_to_copy(source_files, files_under(target))
fenced()
for rel in todo:
    dbutils.fs.cp(fence.lake_path(source, rel), fence.lake_path(target, rel))
now = datetime.now(timezone.utc).isoformat()
dbutils.fs.put(
    ledger_path,
    fence.ledger_entry(
        ledger, landing, site, own.epoch, source, target, now, fence.COPIED,
        {"copiedAt": now, "files": len(source_files), "copiedFiles": len(todo)},
    ),
    overwrite=True,
)
print(f"landing {landing}: copied {len(todo)} of {len(source_files)} file(s) to {target}")
try:
    fenced()
except RuntimeError as e:
    raise RuntimeError(f"{e}; but this run already copied {len(todo)} file(s) to {target}") from e
# What this run copied, as the run's output (Jobs API runs/get-output): a drained site's final
# sync records it (components/workspace/finalSync.ts).
dbutils.notebook.exit(json.dumps({"landing": landing, "files": len(source_files), "copiedFiles": len(todo), "copiedAt": now}))
