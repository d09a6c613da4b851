# Databricks notebook source
# Re-ingests a date range of orders. Declared paused: run it by hand when a backfill is needed.

# COMMAND ----------

dbutils.widgets.text("from_date", "")
dbutils.widgets.text("to_date", "")
dbutils.widgets.text("orders_path", "")
start, end = dbutils.widgets.get("from_date"), dbutils.widgets.get("to_date")
if not start or not end:
    raise ValueError("from_date and to_date are required")
orders = spark.read.format("delta").load(dbutils.widgets.get("orders_path"))
orders.where(f"order_date BETWEEN '{start}' AND '{end}'").write.format("delta").mode("overwrite").option(
    "replaceWhere", f"order_date BETWEEN '{start}' AND '{end}'"
).save(dbutils.widgets.get("orders_path"))
