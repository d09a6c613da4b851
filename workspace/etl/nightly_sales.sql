-- Databricks notebook source
-- Nightly aggregation of yesterday's orders into the daily sales table.

-- COMMAND ----------

CREATE WIDGET TEXT orders_path DEFAULT "";
CREATE WIDGET TEXT sales_path DEFAULT "";

-- COMMAND ----------

MERGE INTO delta.`${sales_path}` AS t
USING (
  SELECT order_date, region, SUM(amount) AS revenue, COUNT(*) AS orders
  FROM delta.`${orders_path}`
  WHERE order_date = date_sub(current_date(), 1)
  GROUP BY order_date, region
) AS s
ON t.order_date = s.order_date AND t.region = s.region
WHEN MATCHED THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *
