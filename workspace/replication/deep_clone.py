# Databricks notebook source
# Delta deep clone of one table from this site's lake to the peer site's lake (seed 000, data
# replication). Scheduled every RPO minutes and run only on the active site. Incremental: a deep
# clone into an existing clone copies only the files added since the last run.
#
# Fenced (issue 10): it writes only when this site's fence says active and the peer's fence says
# passive with an epoch no higher than this site's; an unreadable peer stops it. Before its first
# write into a lake in this epoch, the peer table's commits that were never cloned from it (its
# own writes since its last clone, seed 004's unsynced list) are listed and preserved by a deep
# clone under _paired-dr/preserved/ in that lake, where they stay until an operator removes them.

# COMMAND ----------

import json
import sys

for name in ("table", "source", "target", "paired_dr_site", "paired_dr_lake", "paired_dr_peer_lake", "paired_dr_fence_dir"):
    dbutils.widgets.text(name, "")
table, source, target, site, lake, peer_lake, fence_dir = (
    dbutils.widgets.get(k)
    for k in ("table", "source", "target", "paired_dr_site", "paired_dr_lake", "paired_dr_peer_lake", "paired_dr_fence_dir")
)
if not (table and source and target and site and lake and peer_lake and fence_dir) or source == target:
    raise ValueError(f"bad replication parameters: table={table!r} source={source!r} target={target!r} site={site!r}")
if fence_dir not in sys.path:
    sys.path.insert(0, fence_dir)
import paired_dr_fence as fence
from delta.tables import DeltaTable

# COMMAND ----------


def head(path):
    return dbutils.fs.head(path, 65536)


def fenced():
    """Both fences, checked for a write into the peer's lake; raises when refused."""
    own = fence.read_fence(head, fence.lake_path(lake, fence.FENCE_PATH), 120)
    verdict = fence.check(fence.REPLICATION, site, own, fence.read_fence(head, fence.lake_path(peer_lake, fence.FENCE_PATH), 120))
    if not verdict.allowed:
        raise RuntimeError(f"{table}: fenced, nothing written: {verdict.reason}")
    return own


def read_json(path):
    """A small JSON file, or None when there is none; any other failure raises."""
    try:
        return json.loads(head(path))
    except Exception as e:
        if fence.is_missing_error(f"{type(e).__name__}: {e}"):
            return None
        raise


def history(path):
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    rows = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").select("version", "timestamp", "operation").collect()
    return [{"version": r["version"], "timestamp": str(r["timestamp"]), "operation": r["operation"]} for r in rows]


own = fenced()
slug = fence.table_slug(table)

# COMMAND ----------

# The writes the peer holds that this clone would hide: listed and preserved once per epoch.
preserved_dir = fence.lake_path(peer_lake, f"{fence.PRESERVED_DIR}/epoch-{own.epoch}")
listing = f"{preserved_dir}/{slug}.json"
if read_json(listing) is None:
    lost = fence.unreplicated_versions(read_json(fence.lake_path(peer_lake, f"{fence.CLONED_DIR}/{slug}.json")), history(target))
    copy = None
    if lost:
        copy = f"{preserved_dir}/{slug}"
        spark.sql(f"CREATE TABLE IF NOT EXISTS delta.`{copy}` DEEP CLONE delta.`{target}` VERSION AS OF {lost[0]['version']}")
    dbutils.fs.put(
        listing,
        json.dumps({"table": table, "site": fence.peer_of(site), "epoch": own.epoch, "preserved": copy, "versions": lost}, indent=2),
        overwrite=True,
    )
    print(f"{table}: {len(lost)} commit(s) in {fence.peer_of(site)}'s copy never cloned from it" + (f", preserved at {copy}:" if lost else ""))
    for v in lost:
        print(f"  version {v['version']} at {v['timestamp']}: {v['operation']}")

# COMMAND ----------

# The version is fixed first, so the record names exactly what was cloned.
source_version = spark.sql(f"DESCRIBE HISTORY delta.`{source}` LIMIT 1").collect()[0]["version"]
fenced()
result = spark.sql(f"CREATE OR REPLACE TABLE delta.`{target}` DEEP CLONE delta.`{source}` VERSION AS OF {source_version}")
metrics = result.collect()[0].asDict()
dbutils.fs.put(
    fence.lake_path(lake, f"{fence.CLONED_DIR}/{slug}.json"),
    fence.clone_record(table, site, own.epoch, source_version, target),
    overwrite=True,
)
print(f"{table}: cloned version {source_version} to {target}: {metrics}")
