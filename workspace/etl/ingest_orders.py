# Databricks notebook source
# Streams partner order files from the landing folder into the orders Delta table.
#
# After a failover the promoted site does not resume the lost site's stream: checkpoints are not
# replicated (a deep clone copies Delta tables, not folders). Its stream starts a checkpoint of its
# own for the new fence epoch and reads its landing folder, which the landing copy job keeps in
# step with the peer's, from the first file. Each micro-batch is merged on the table's keys, so the
# files whose rows already reached this site through the deep clone add nothing twice; the files
# that arrived after the last copy, up to the landing RPO, are the data a failover loses.

# COMMAND ----------

# MAGIC %run ../fence/check

# COMMAND ----------

# MAGIC %run ./merge_sink

# COMMAND ----------

for name in ("checkpoint_location", "source_path", "target_table_path", "merge_keys"):
    dbutils.widgets.text(name, "")
checkpoint_base, source, target, keys = (
    dbutils.widgets.get(k) for k in ("checkpoint_location", "source_path", "target_table_path", "merge_keys")
)
keys = paired_dr_fence.merge_keys(keys)
if not checkpoint_base or not source or not target or not keys:
    raise ValueError("checkpoint_location, source_path, target_table_path and merge_keys are required")
checkpoint = paired_dr_fence.checkpoint_path(checkpoint_base, paired_dr_site, paired_dr_epoch)

# COMMAND ----------

# The stream starts on a site whose landing folder has received nothing yet.
dbutils.fs.mkdirs(source)
(
    spark.readStream.format("cloudFiles")
    .option("cloudFiles.format", "json")
    .option("cloudFiles.schemaLocation", f"{checkpoint}/schema")
    .load(source)
    .writeStream.foreachBatch(merge_on_keys(target, keys))
    .option("checkpointLocation", checkpoint)
    .start()
)
