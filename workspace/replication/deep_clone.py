# Databricks notebook source
# Delta deep clone of one table from this site's lake to the peer site's lake (seed 000, data
# replication). Scheduled every RPO minutes and run only on the active site. Incremental: a deep
# clone into an existing clone copies only the files added since the last run.

# COMMAND ----------

dbutils.widgets.text("table", "")
dbutils.widgets.text("source", "")
dbutils.widgets.text("target", "")
table, source, target = (dbutils.widgets.get(k) for k in ("table", "source", "target"))
if not (table and source and target) or source == target:
    raise ValueError(f"bad replication parameters: table={table!r} source={source!r} target={target!r}")

# COMMAND ----------

result = spark.sql(f"CREATE OR REPLACE TABLE delta.`{target}` DEEP CLONE delta.`{source}`")
metrics = result.collect()[0].asDict()
source_version = spark.sql(f"DESCRIBE HISTORY delta.`{source}` LIMIT 1").collect()[0]["version"]
print(f"{table}: cloned version {source_version} to {target}: {metrics}")
