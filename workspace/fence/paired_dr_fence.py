"""Fencing between the two sites' lakes (issue 10), as pure functions the notebooks call.

Each stack writes its site's fence record, {"site", "role", "epoch"}, to _paired-dr/fence.json in
its own lake on every deployment. Every promotion raises the epoch above both sites' recorded
epochs (components/fence.ts), so a site that comes back from an outage, still deployed as active
with its jobs unpaused, holds a lower epoch than the site promoted while it was away. Jobs read
both fences before writing and refuse to write for a stale site.

Nothing here touches Spark or dbutils, so the rules are tested offline (test/python) on the same
cases as the runbook engine's model of them (test/fixtures/fence-cases.json).
"""

import json
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from datetime import datetime, timezone

FENCE_PATH = "_paired-dr/fence.json"
# Each copy's ledger, in the lake it writes into: one JSON per table or landing folder.
LEDGER_DIR = "_paired-dr/replication"
PRESERVED_DIR = "_paired-dr/preserved"

MISSING = "missing"
UNREADABLE = "unreadable"

BUSINESS = "business"
REPLICATION = "replication"


class Fence:
    """A parsed fence record."""

    def __init__(self, site, role, epoch):
        self.site, self.role, self.epoch = site, role, epoch

    def __eq__(self, other):
        return isinstance(other, Fence) and vars(self) == vars(other)

    def __repr__(self):
        return f"Fence({self.site}, {self.role}, epoch {self.epoch})"


def lake_path(lake_url, path):
    """A path under a lake URL (abfss://container@account.dfs.core.windows.net)."""
    return f"{lake_url.rstrip('/')}/{path}"


def parse_fence(text):
    """A fence record's text as a Fence; a record that is not one reads as UNREADABLE."""
    try:
        data = json.loads(text)
    except ValueError:
        return UNREADABLE
    if not isinstance(data, dict):
        return UNREADABLE
    site, role, epoch = data.get("site"), data.get("role"), data.get("epoch")
    if site not in ("primary", "secondary") or role not in ("active", "passive"):
        return UNREADABLE
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        return UNREADABLE
    return Fence(site, role, epoch)


def is_missing_error(message):
    """Whether a failed read means the file is not there (ABFS raises FileNotFoundException)."""
    return "FileNotFoundException" in message or "PathNotFound" in message


def read_fence(read, path, timeout_seconds):
    """Reads a fence with `read(path) -> str`, giving up after `timeout_seconds`.

    The ABFS driver retries a lost region for many minutes; a peer that does not answer in time
    is UNREADABLE, which business jobs tolerate and replication does not.
    """
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        text = pool.submit(read, path).result(timeout=timeout_seconds)
    except FutureTimeout:
        return UNREADABLE
    except Exception as e:  # the read's own failure: a missing file or an unreachable lake
        return MISSING if is_missing_error(f"{type(e).__name__}: {e}") else UNREADABLE
    finally:
        pool.shutdown(wait=False)
    return parse_fence(text)


class Verdict:
    def __init__(self, allowed, reason):
        self.allowed, self.reason = allowed, reason

    def __repr__(self):
        return f"Verdict({self.allowed}, {self.reason!r})"


def replication_fence(read, site, lake, peer_lake, what, timeout_seconds=120):
    """A check to call right before each write into the peer's lake; it returns this site's Fence.

    It reads both fences with `read(path) -> str` and raises, naming `what`, when replication is
    refused (see check): a copy writes nothing unless both fences allow it at that moment.
    """

    def fenced():
        own = read_fence(read, lake_path(lake, FENCE_PATH), timeout_seconds)
        peer = read_fence(read, lake_path(peer_lake, FENCE_PATH), timeout_seconds)
        verdict = check(REPLICATION, site, own, peer)
        if not verdict.allowed:
            raise RuntimeError(f"{what}: fenced, nothing written: {verdict.reason}")
        return own

    return fenced


def read_json(read, path):
    """A small JSON file read with `read(path) -> str`, or None when it does not exist."""
    try:
        return json.loads(read(path))
    except Exception as e:
        if is_missing_error(f"{type(e).__name__}: {e}"):
            return None
        raise


def required_parameters(get, names):
    """The job parameters `names`, read with `get(name)`; raises naming those that are empty."""
    values = {n: get(n) for n in names}
    empty = [n for n, v in values.items() if not v]
    if empty:
        raise ValueError(f"missing job parameters: {', '.join(empty)}")
    return values


def peer_of(site):
    return "secondary" if site == "primary" else "primary"


def check(purpose, site, own, target):
    """May a job of `site` write now? `own` is its lake's fence, `target` the peer lake's.

    Both jobs need their own fence to say this site is active. A business job writes its own
    lake: it may run when the peer cannot be read (availability), and is refused only when the
    peer holds a higher epoch, that is when a later promotion made the peer active. Replication
    writes into the peer's lake: it needs the peer's fence, saying passive, with an epoch no
    higher than its own; a peer still marked active may hold writes that were never replicated,
    and they are listed and preserved only after its stack has stood it down.
    """
    if purpose not in (BUSINESS, REPLICATION):
        raise ValueError(f"purpose must be {BUSINESS!r} or {REPLICATION!r}, not {purpose!r}")
    if own == MISSING:
        return Verdict(False, f"{site}'s own fence record is missing")
    if own == UNREADABLE:
        return Verdict(False, f"{site}'s own fence record cannot be read")
    if own.site != site:
        return Verdict(False, f"{site}'s lake holds {own.site}'s fence record")
    if own.role != "active":
        return Verdict(False, f"{site} is fenced as {own.role} (epoch {own.epoch})")
    peer = peer_of(site)
    if target in (MISSING, UNREADABLE):
        if purpose == BUSINESS:
            return Verdict(True, f"{peer}'s fence is {target}; {site} runs as active (epoch {own.epoch})")
        return Verdict(False, f"{peer}'s fence is {target}; replication needs it to say passive")
    if target.site != peer:
        return Verdict(False, f"{peer}'s lake holds {target.site}'s fence record")
    if target.epoch > own.epoch:
        return Verdict(
            False,
            f"{peer} was promoted after {site}: epoch {target.epoch} > {own.epoch}; {site} is stale",
        )
    if purpose == REPLICATION and target.role != "passive":
        return Verdict(
            False,
            f"{peer} is still fenced as active (epoch {target.epoch}); "
            f"replication waits until its stack stands it down",
        )
    return Verdict(True, f"{site} active at epoch {own.epoch}, {peer} {target.role} at {target.epoch}")


def last_known_version(own_clone, peer_clone, target_latest):
    """The newest version of the peer's table that is accounted for; later commits would be lost.

    `own_clone` is the ledger of this site's clones into the peer's table, in the peer's lake (its
    "targetVersion" is the version the last clone committed there); `peer_clone` is the ledger of
    the peer's clones out of that table, in this site's lake (its "sourceVersion"). Either may be
    None. A commit after
    both is one the peer made that never reached this site: the overwrite would hide it. When the
    table's versions are below what the records say, it was recreated, and nothing is accounted
    for.
    """
    known = max(
        own_clone.get("targetVersion", -1) if own_clone else -1,
        peer_clone.get("sourceVersion", -1) if peer_clone else -1,
    )
    if target_latest is not None and target_latest < known:
        return -1
    return known


def preserved_path(slug, version):
    """Where a table's never-cloned commits are kept, in the peer's lake, until released."""
    return f"{PRESERVED_DIR}/{slug}/version-{version}"


# Where clone records lived before the ledgers (each in the lake of the site that cloned): read
# when a ledger is missing, so the first run after the upgrade does not count every earlier
# commit as never cloned.
LEGACY_CLONED_DIR = "_paired-dr/cloned"


def legacy_record_path(slug):
    return f"{LEGACY_CLONED_DIR}/{slug}.json"


def ledger_path(slug):
    """Where a copy's ledger lives in the lake it copies into."""
    return f"{LEDGER_DIR}/{slug}.json"


# What a run found; a failed run keeps the last success's fields.
LAST_SUCCESS_KEYS = ("sourceVersion", "targetVersion", "clonedAt", "copiedAt", "files", "copiedFiles")
CLONED = "cloned"
COPIED = "copied"
SOURCE_MISSING = "source-missing"


def ledger_entry(previous, name, site, epoch, source, target, checked_at, status, result=None):
    """A copy's ledger after one run: what it found (`status`, `checked_at`) and its last success.

    The ledger lives in the target lake, where the site that reads it after a failover finds it
    without a cluster. `result` holds what this run copied (for a table: sourceVersion,
    targetVersion and clonedAt, read from the target's history); a run that copied nothing
    keeps the last success from `previous`, so a failing copy never hides the version that
    last reached the target.
    """
    last = {k: v for k, v in (previous or {}).items() if k in LAST_SUCCESS_KEYS}
    entry = {
        "name": name,
        "site": site,
        "epoch": epoch,
        "source": source,
        "target": target,
        "status": status,
        "checkedAt": checked_at,
        **(result if result is not None else last),
    }
    return json.dumps(entry, sort_keys=True)


def cloned_versions(history_row):
    """(sourceVersion, targetVersion, clonedAt) of the clone that made the target's newest commit.

    `history_row` is DESCRIBE HISTORY's newest row of the target, as a dict. Delta records a
    clone as operation CLONE with its parameters JSON-encoded, sourceVersion among them
    (delta-io/delta, spark/src/main/scala/org/apache/spark/sql/delta/DeltaOperations.scala,
    case class Clone and jsonEncodedValues). Reading it there, not from a second read of the
    source, names exactly the version that was copied, whatever was written to the source since.
    """
    operation = history_row.get("operation")
    if operation != "CLONE":
        raise ValueError(
            f"the target's newest commit (version {history_row.get('version')}) is {operation}, "
            "not this run's CLONE: something else writes the target"
        )
    params = history_row.get("operationParameters") or {}
    source_version = json.loads(str(params.get("sourceVersion")))
    if isinstance(source_version, bool) or not isinstance(source_version, int):
        raise ValueError(f"the CLONE commit names no source version: {params!r}")
    return source_version, int(history_row["version"]), utc_timestamp(history_row["timestamp"])


def utc_timestamp(value):
    """A commit time as ISO 8601 in UTC, so that whoever reads the ledger reads one instant.

    PySpark hands DESCRIBE HISTORY's timestamp over as a naive datetime in the driver's local
    time (pyspark.sql.types.TimestampType.fromInternal: datetime.fromtimestamp); astimezone reads
    a naive datetime as local time, the same way, and an aware one as it is.
    """
    if not isinstance(value, datetime):
        raise ValueError(f"the commit's timestamp is not a datetime: {value!r}")
    return value.astimezone(timezone.utc).isoformat()


def files_to_copy(source_files, target_files):
    """The relative paths to copy: missing from the target, or there with another size.

    Both arguments map a file's path relative to the folder to its size. A landing drop is
    written once; a file of the same path and size in the target is the one copied before.
    """
    return sorted(p for p, size in source_files.items() if target_files.get(p) != size)


def relative_path(folder, path):
    """A listed file's path relative to the listed folder (both abfss:// URLs)."""
    base = folder.rstrip("/") + "/"
    if not path.startswith(base):
        raise ValueError(f"{path} is not under {base}")
    return path[len(base):]


def merge_keys(text):
    """The merge_keys parameter ("order_id" or "tenant_id, order_id") as a list of columns."""
    keys = [k.strip() for k in text.split(",") if k.strip()]
    bad = [k for k in keys if not k.replace("_", "a").isalnum()]
    if bad:
        raise ValueError(f"merge_keys: {bad!r} are not column names (letters, digits and '_')")
    return keys


def merge_condition(keys):
    """The merge condition that matches a batch row ("s") to a target row ("t") on every key."""
    if not keys:
        raise ValueError("merge_keys: at least one column is needed")
    return " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)


def checkpoint_path(base, site, epoch):
    """A stream's checkpoint: one per site and fence epoch, never replicated.

    A promotion raises the epoch, so the promoted site's stream starts a new checkpoint and reads
    its landing folder from the first file; its sink merges on the table's keys, so the files whose
    rows the deep clone already brought add nothing twice. A checkpoint reused across a failover
    would remember files this site read before the peer's writes replaced its table.
    """
    return f"{base.rstrip('/')}/{site}/epoch-{epoch}"


def table_slug(table):
    """"sales.orders" -> "sales-orders", as components/workspace/plan.ts names the job."""
    return table.replace(".", "-").replace("_", "-")
