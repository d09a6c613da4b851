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

FENCE_PATH = "_paired-dr/fence.json"
CLONED_DIR = "_paired-dr/cloned"
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

    `own_clone` is this site's record of its last clone into the peer's table (its
    "targetVersion" is the version that clone committed there); `peer_clone` is the peer's record
    of its last clone out of that table (its "sourceVersion"). Either may be None. A commit after
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


def clone_record(table, site, epoch, source_version, target, target_version):
    """What a replication job writes to its own lake after cloning `table` at `source_version`."""
    return json.dumps(
        {
            "table": table,
            "site": site,
            "epoch": epoch,
            "sourceVersion": source_version,
            "target": target,
            "targetVersion": target_version,
        },
        sort_keys=True,
    )


def table_slug(table):
    """"sales.orders" -> "sales-orders", as components/workspace/plan.ts names the job."""
    return table.replace(".", "-").replace("_", "-")
