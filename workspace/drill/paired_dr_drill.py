"""The DR drill's rules, in the notebooks' own language (issue 15; run by workspace/drill/validate).

Pure: no Spark, no dbutils, so that test/python/test_drill.py runs them anywhere.
"""

import json
from datetime import datetime, timezone

TABLE_KEYS = ("table", "replica", "source", "rpoMinutes")


def parse_tables(text):
    """The drill's tables parameter (components/drill/plan.ts, drillSubmit): a JSON list."""
    tables = json.loads(text)
    if not isinstance(tables, list):
        raise ValueError("the tables parameter is not a list")
    for t in tables:
        missing = [k for k in TABLE_KEYS if not isinstance(t, dict) or k not in t]
        if missing:
            raise ValueError(f"a drill table lacks {', '.join(missing)}: {t!r}")
    return tables


def scratch_root(scratch):
    """The folder of every drill's scratch: the parent of this drill's, whose leftovers go first."""
    if not scratch.rstrip("/").rsplit("/", 1)[0].endswith("_paired-dr/drill"):
        raise ValueError(f"the scratch folder {scratch} is not under _paired-dr/drill: refusing to remove it")
    return scratch.rstrip("/").rsplit("/", 1)[0]


def scratch_table(scratch, table):
    """Where one table's scratch clone goes: under the drill's folder, never anywhere else."""
    return f"{scratch.rstrip('/')}/{table.replace('.', '-').replace('_', '-')}"


def lag_minutes(first_missing_at, now):
    """How old the oldest active commit the standby lacks is; 0 when it lacks none.

    `first_missing_at` is the commit time of the first version after the one the standby's copy
    holds (None when there is none), as DESCRIBE HISTORY hands it over: a naive datetime in the
    driver's local time, which astimezone reads as local (paired_dr_fence.utc_timestamp); `now` is
    aware.
    """
    if first_missing_at is None:
        return 0
    return max(0, int((now - first_missing_at.astimezone(timezone.utc)).total_seconds() // 60))


def table_result(t, *, replica_version, source_version, rows, active_rows, active_version,
                 lag, clone_seconds, validate_seconds):
    """One table's figures and verdict: its clone holds the active rows at the version it copied,
    and the standby lags no more than the table's RPO."""
    reasons = []
    if rows != active_rows:
        reasons.append(
            f"the clone of the standby's version {replica_version} has {rows} rows; the active table "
            f"had {active_rows} at the version it copied ({source_version})"
        )
    if lag > t["rpoMinutes"]:
        reasons.append(f"the standby lacks commits up to {lag} minutes old, beyond the table's RPO of {t['rpoMinutes']}")
    result = {
        "table": t["table"],
        "pass": not reasons,
        "replicaVersion": replica_version,
        "sourceVersion": source_version,
        "rows": rows,
        "activeRows": active_rows,
        "activeVersion": active_version,
        "lagMinutes": lag,
        "rpoMinutes": t["rpoMinutes"],
        "cloneSeconds": clone_seconds,
        "validateSeconds": validate_seconds,
    }
    if reasons:
        result["reason"] = "; ".join(reasons)
    return result


def failed(t, reason):
    """A table the drill could not check: it fails, saying why."""
    return {"table": t["table"], "pass": False, "reason": reason, "rpoMinutes": t["rpoMinutes"]}


def now():
    return datetime.now(timezone.utc)
