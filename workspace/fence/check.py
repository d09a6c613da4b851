# Databricks notebook source
# The fence check (issue 10): the first task of every job, or the first cell of a continuous
# job's notebook (`%run` of this notebook; Databricks allows no task dependencies there). Fails
# the run, before anything is written, when this site is not the active one: its own fence says
# passive, or the peer's fence shows a later promotion. A peer lake that cannot be read does not
# stop the job (availability); the deep clone, which writes into that lake, is stricter.

# COMMAND ----------

import sys

for name in ("paired_dr_site", "paired_dr_lake", "paired_dr_peer_lake", "paired_dr_fence_dir"):
    dbutils.widgets.text(name, "")
_site, _lake, _peer_lake, _fence_dir = (
    dbutils.widgets.get(k)
    for k in ("paired_dr_site", "paired_dr_lake", "paired_dr_peer_lake", "paired_dr_fence_dir")
)
if not (_site and _lake and _peer_lake and _fence_dir):
    raise ValueError("the fence check needs paired_dr_site, paired_dr_lake, paired_dr_peer_lake and paired_dr_fence_dir")
if _fence_dir not in sys.path:
    sys.path.insert(0, _fence_dir)
import paired_dr_fence

# COMMAND ----------

_own = paired_dr_fence.read_fence(lambda p: dbutils.fs.head(p, 65536), paired_dr_fence.lake_path(_lake, paired_dr_fence.FENCE_PATH), 120)
_verdict = paired_dr_fence.check(
    paired_dr_fence.BUSINESS,
    _site,
    _own,
    paired_dr_fence.read_fence(lambda p: dbutils.fs.head(p, 65536), paired_dr_fence.lake_path(_peer_lake, paired_dr_fence.FENCE_PATH), 120),
)
if not _verdict.allowed:
    raise RuntimeError(f"fenced, nothing written: {_verdict.reason}")
print(f"fence: {_verdict.reason}")
# For a notebook that runs this one (%run): this site and the epoch it is active at, which names
# its stream's checkpoint (paired_dr_fence.checkpoint_path).
paired_dr_site, paired_dr_epoch = _site, _own.epoch
