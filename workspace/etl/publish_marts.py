# Databricks notebook source
# Publishes the daily sales table to the analysts' mart after the nightly aggregation.

# COMMAND ----------

dbutils.widgets.text("sales_path", "")
dbutils.widgets.text("mart_path", "")
sales = spark.read.format("delta").load(dbutils.widgets.get("sales_path"))
sales.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(dbutils.widgets.get("mart_path"))
