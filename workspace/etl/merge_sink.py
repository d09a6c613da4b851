# Databricks notebook source
# The sink of the landing loads (%run ./merge_sink, after the fence check): each micro-batch is
# merged into the target on its keys, so reading a landing file again, as a promoted site's new
# checkpoint does, adds no row twice.

# COMMAND ----------

from delta.tables import DeltaTable


def merge_on_keys(target, keys):
    """A foreachBatch function that inserts the batch's rows whose keys the target lacks."""
    condition = paired_dr_fence.merge_condition(keys)

    def merge_batch(batch, _batch_id):
        rows = batch.dropDuplicates(keys)
        if not DeltaTable.isDeltaTable(spark, target):
            rows.write.format("delta").mode("append").save(target)
            return
        DeltaTable.forPath(spark, target).alias("t").merge(rows.alias("s"), condition).whenNotMatchedInsertAll().execute()

    return merge_batch
