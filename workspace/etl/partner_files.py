# Databricks notebook source
# Loads partners' file drops when new files arrive in the landing folder (file-arrival trigger).
# Each run reads only the files no earlier run of this site read (Auto Loader, availableNow), and
# merges them on the table's keys. A promoted site starts a checkpoint of its own for the new fence
# epoch and reads its landing folder, copied from the peer's, from the first file: the merge keeps
# rows that the deep clone already brought from being added twice.

# COMMAND ----------

# MAGIC %run ../fence/check

# COMMAND ----------

# MAGIC %run ./merge_sink

# COMMAND ----------

import json

from pyspark.sql.types import StructType

for name in ("checkpoint_location", "landing_path", "schema_file", "target_table_path", "merge_keys"):
    dbutils.widgets.text(name, "")
checkpoint_base, landing, schema_file, target, keys = (
    dbutils.widgets.get(k) for k in ("checkpoint_location", "landing_path", "schema_file", "target_table_path", "merge_keys")
)
keys = paired_dr_fence.merge_keys(keys)
if not checkpoint_base or not landing or not schema_file or not target or not keys:
    raise ValueError("checkpoint_location, landing_path, schema_file, target_table_path and merge_keys are required")
with open(schema_file) as f:
    schema = StructType.fromJson(json.load(f))
checkpoint = paired_dr_fence.checkpoint_path(checkpoint_base, paired_dr_site, paired_dr_epoch)

# COMMAND ----------

(
    spark.readStream.format("cloudFiles")
    .option("cloudFiles.format", "json")
    .schema(schema)
    .load(landing)
    .writeStream.foreachBatch(merge_on_keys(target, keys))
    .option("checkpointLocation", checkpoint)
    .trigger(availableNow=True)
    .start()
    .awaitTermination()
)
