# Databricks notebook source
# Loads a partner's file drop when new files arrive in the landing folder (file-arrival trigger).

# COMMAND ----------

import json

from pyspark.sql.types import StructType

dbutils.widgets.text("landing_path", "")
dbutils.widgets.text("schema_file", "")
dbutils.widgets.text("target_table_path", "")
with open(dbutils.widgets.get("schema_file")) as f:
    schema = StructType.fromJson(json.load(f))
df = spark.read.schema(schema).json(dbutils.widgets.get("landing_path"))
df.write.format("delta").mode("append").save(dbutils.widgets.get("target_table_path"))
