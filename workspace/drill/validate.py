# Databricks notebook source
# The DR drill's lake half (issue 15; seed 000: regular drills), on the passive standby, run once
# by a deployment with drill set (components/drill/drillRun.ts), never by a schedule.
#
# For each replicated table: the standby's copy (where the active site's deep clone writes) is
# deep-cloned, at the version its last clone made, into this drill's scratch folder of the
# standby's lake; the scratch clone's rows are compared with the active table's rows at the version
# that clone copied, and the active table's commits the standby lacks give its lag (the measured
# RPO). It writes only under _paired-dr/drill/ and removes what it wrote before it returns:
# production tables are only read. The result is the notebook's exit value (Jobs API
# runs/get-output), which the deployment turns into the drill report.

# COMMAND ----------

import json
import sys
import time

NAMES = ("drill", "scratch", "tables", "paired_dr_drill_dir", "paired_dr_fence_dir")
for name in NAMES:
    dbutils.widgets.text(name, "")
for name in ("paired_dr_drill_dir", "paired_dr_fence_dir"):
    folder = dbutils.widgets.get(name)
    if not folder:
        raise ValueError(f"missing job parameters: {name}")
    if folder not in sys.path:
        sys.path.insert(0, folder)
import paired_dr_drill as drill
import paired_dr_fence as fence
from delta.tables import DeltaTable

p = fence.required_parameters(dbutils.widgets.get, NAMES)
tables = drill.parse_tables(p["tables"])
scratch = p["scratch"]
root = drill.scratch_root(scratch)


def exists(path):
    try:
        dbutils.fs.ls(path)
        return True
    except Exception as e:
        if fence.is_missing_error(str(e)):
            return False
        raise


# An earlier drill's run cut short may have left its scratch: it goes first.
if exists(root):
    for leftover in dbutils.fs.ls(root):
        dbutils.fs.rm(leftover.path, True)

# COMMAND ----------


def newest(path):
    return spark.sql(f"DESCRIBE HISTORY delta.`{path}` LIMIT 1").collect()[0].asDict()


def check(t):
    replica, source = t["replica"], t["source"]
    if not DeltaTable.isDeltaTable(spark, replica):
        return drill.failed(t, f"the standby holds no copy of {t['table']} at {replica}")
    # The standby's newest commit is the active site's last clone: what it copied is read there.
    source_version, replica_version, _ = fence.cloned_versions(newest(replica))
    target = drill.scratch_table(scratch, t["table"])
    began = time.monotonic()
    spark.sql(f"CREATE OR REPLACE TABLE delta.`{target}` DEEP CLONE delta.`{replica}` VERSION AS OF {replica_version}")
    cloned = time.monotonic()
    rows = spark.read.format("delta").load(target).count()
    active_rows = spark.read.format("delta").option("versionAsOf", source_version).load(source).count()
    active = newest(source)
    missing = (
        spark.sql(f"DESCRIBE HISTORY delta.`{source}`")
        .where(f"version > {source_version}")
        .orderBy("version")
        .limit(1)
        .collect()
    )
    lag = drill.lag_minutes(missing[0]["timestamp"] if missing else None, drill.now())
    return drill.table_result(
        t,
        replica_version=replica_version,
        source_version=source_version,
        rows=rows,
        active_rows=active_rows,
        active_version=int(active["version"]),
        lag=lag,
        clone_seconds=round(cloned - began),
        validate_seconds=round(time.monotonic() - cloned),
    )


results = []
try:
    for t in tables:
        try:
            results.append(check(t))
        except Exception as e:
            results.append(drill.failed(t, f"{type(e).__name__}: {str(e)[:500]}"))
finally:
    if exists(scratch):
        dbutils.fs.rm(scratch, True)
removed = not exists(scratch)

# COMMAND ----------

dbutils.notebook.exit(
    json.dumps({"drill": p["drill"], "scratch": scratch, "scratchRemoved": removed, "tables": results})
)
