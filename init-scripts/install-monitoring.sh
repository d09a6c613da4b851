#!/bin/bash
# Global init script: ships Spark driver and executor logs to the platform's log pipeline.
set -euo pipefail
cat >/databricks/driver/conf/00-paired-dr-monitoring.conf <<'CONF'
spark.eventLog.enabled true
spark.metrics.namespace ${spark.app.name}
CONF
