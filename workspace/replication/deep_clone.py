# Databricks notebook source
# Delta deep clone of one table from this site's lake to the peer site's lake (seed 000, data
# replication). Scheduled every RPO minutes and run only on the active site. Incremental: a deep
# clone into an existing clone copies only the files added since the last run.
#
# Fenced (issue 10): it writes only when this site's fence says active and the peer's fence says
# passive with an epoch no higher than this site's; an unreadable peer stops it. Before every
# overwrite, the peer table's commits that are neither this site's clones nor cloned from it
# (seed 004's unsynced list) are listed and kept readable by a deep clone under
# _paired-dr/preserved/ in that lake, where they stay until an operator removes them.
#
# Each run leaves its result in a ledger in the target lake, _paired-dr/replication/<table>.json:
# the status, when it checked, and the last clone's source version, target version and time.

# COMMAND ----------

import json
import sys
from datetime import datetime, timezone

NAMES = ("table", "source", "target", "paired_dr_site", "paired_dr_lake", "paired_dr_peer_lake", "paired_dr_fence_dir")
for name in NAMES:
    dbutils.widgets.text(name, "")
fence_dir = dbutils.widgets.get("paired_dr_fence_dir")
if not fence_dir:
    raise ValueError("missing job parameters: paired_dr_fence_dir")
if fence_dir not in sys.path:
    sys.path.insert(0, fence_dir)
import paired_dr_fence as fence
from delta.tables import DeltaTable

p = fence.required_parameters(dbutils.widgets.get, NAMES)
table, source, target, site, lake, peer_lake = (p[k] for k in NAMES[:-1])
if source == target:
    raise ValueError(f"{table}: source and target are the same table, {source}")

# COMMAND ----------


def head(path):
    return dbutils.fs.head(path, 65536)


fenced = fence.replication_fence(head, site, lake, peer_lake, table)


def read_record(path):
    return fence.read_json(head, path)


def latest_version(path):
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    return spark.sql(f"DESCRIBE HISTORY delta.`{path}` LIMIT 1").collect()[0]["version"]


def now():
    return datetime.now(timezone.utc).isoformat()


own = fenced()
slug = fence.table_slug(table)
# The ledger of this site's clones into the peer's table lives in the peer's lake, beside the
# table; the peer's clones out of it left theirs in this site's lake.
ledger_path = fence.lake_path(peer_lake, fence.ledger_path(slug))
ledger = read_record(ledger_path)


def record(status, result=None):
    entry = fence.ledger_entry(ledger, table, site, own.epoch, source, target, now(), status, result)
    dbutils.fs.put(ledger_path, entry, overwrite=True)


# A table that no job has written yet has nothing to replicate: the run fails, so that the missed
# RPO is seen, and the ledger says why.
if not DeltaTable.isDeltaTable(spark, source):
    fenced()
    record(fence.SOURCE_MISSING)
    raise RuntimeError(
        f"{table}: there is no Delta table at {source} yet, so nothing reaches {target}; "
        "the job that writes it creates it on its first run"
    )

# COMMAND ----------

# The commits the overwrite would hide: listed in full beside a preserved copy of the table.
target_latest = latest_version(target)
# Before the ledgers, this site's record was in its own lake, the peer's in the peer's lake.
after = fence.last_known_version(
    ledger or read_record(fence.lake_path(lake, fence.legacy_record_path(slug))),
    read_record(fence.lake_path(lake, fence.ledger_path(slug)))
    or read_record(fence.lake_path(peer_lake, fence.legacy_record_path(slug))),
    target_latest,
)
if target_latest is not None and target_latest > after:
    lost = [
        {"version": r["version"], "timestamp": str(r["timestamp"]), "operation": r["operation"]}
        for r in spark.sql(f"DESCRIBE HISTORY delta.`{target}`").where(f"version > {after}").select("version", "timestamp", "operation").collect()
    ]
    if lost:
        newest = max(v["version"] for v in lost)
        copy = fence.lake_path(peer_lake, fence.preserved_path(slug, newest))
        spark.sql(f"CREATE TABLE IF NOT EXISTS delta.`{copy}` DEEP CLONE delta.`{target}` VERSION AS OF {newest}")
        dbutils.fs.put(
            f"{copy}.json",
            json.dumps({"table": table, "site": fence.peer_of(site), "epoch": own.epoch, "preserved": copy, "versions": lost}),
            overwrite=True,
        )
        print(f"{table}: {len(lost)} commit(s) in {fence.peer_of(site)}'s copy were never cloned from it; preserved at {copy}, listed in {copy}.json")

# COMMAND ----------

# The clone creates the target when it does not exist. What it copied is read from the target's
# history, the clone's own commit, not from a second read of a source that keeps being written.
fenced()
metrics = spark.sql(f"CREATE OR REPLACE TABLE delta.`{target}` DEEP CLONE delta.`{source}`").collect()[0].asDict()
newest = spark.sql(f"DESCRIBE HISTORY delta.`{target}` LIMIT 1").collect()[0].asDict()
source_version, target_version, cloned_at = fence.cloned_versions(newest)
record(fence.CLONED, {"sourceVersion": source_version, "targetVersion": target_version, "clonedAt": cloned_at})
print(f"{table}: cloned version {source_version} to {target} (its version {target_version}): {metrics}")
# A clone runs for minutes: a promotion of the peer meanwhile is reported, not undone (undoing it
# could discard the peer's own writes since); the versions above say what to restore.
try:
    fenced()
except RuntimeError as e:
    raise RuntimeError(f"{e}; but this run's clone already committed version {target_version} of {target}") from e
# What this run copied, as the run's output (Jobs API runs/get-output): a drained site's final
# sync records it (components/workspace/finalSync.ts).
dbutils.notebook.exit(json.dumps({"table": table, "sourceVersion": source_version, "targetVersion": target_version, "clonedAt": cloned_at}))
