# Databricks notebook source
# Streams partner order files from the landing zone into the bronze Delta table.
# The checkpoint lives under the replicated lake path, so a promoted site resumes the stream
# where the lost site left it (seed 000: checkpoints must be replicated in time).

# COMMAND ----------

# MAGIC %run ../fence/check

# COMMAND ----------

dbutils.widgets.text("checkpoint_location", "")
dbutils.widgets.text("source_path", "")
dbutils.widgets.text("target_table_path", "")

checkpoint = dbutils.widgets.get("checkpoint_location")
source = dbutils.widgets.get("source_path")
target = dbutils.widgets.get("target_table_path")
if not checkpoint or not source or not target:
    raise ValueError("checkpoint_location, source_path and target_table_path are required")

# COMMAND ----------

(
    spark.readStream.format("cloudFiles")
    .option("cloudFiles.format", "json")
    .option("cloudFiles.schemaLocation", f"{checkpoint}/schema")
    .load(source)
    .writeStream.format("delta")
    .option("checkpointLocation", checkpoint)
    .outputMode("append")
    .start(target)
)
