-- Databricks notebook source
-- Weekly KPI report for the business: revenue and order counts per region over the last 7 days.

-- COMMAND ----------

CREATE WIDGET TEXT sales_path DEFAULT "";

-- COMMAND ----------

SELECT region, SUM(revenue) AS revenue_7d, SUM(orders) AS orders_7d
FROM delta.`${sales_path}`
WHERE order_date >= date_sub(current_date(), 7)
GROUP BY region
ORDER BY revenue_7d DESC
