"""workspace/fence/paired_dr_fence.py, in the notebooks' own language (run by test/fence.python.test.ts)."""

import json
import os
import sys
import threading
import time
import unittest
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "workspace", "fence"))
import paired_dr_fence as fence  # noqa: E402

with open(os.path.join(HERE, "..", "fixtures", "fence-cases.json")) as f:
    CASES = json.load(f)["cases"]


def as_fence(v):
    return v if isinstance(v, str) else fence.Fence(v["site"], v["role"], v["epoch"])


class CheckTest(unittest.TestCase):
    def test_shared_cases(self):
        self.assertEqual(len(CASES), 17)
        for c in CASES:
            with self.subTest(c["name"]):
                verdict = fence.check(c["purpose"], c["site"], as_fence(c["own"]), as_fence(c["target"]))
                self.assertEqual(verdict.allowed, c["allowed"], verdict.reason)

    def test_reasons_name_what_refused(self):
        stale = fence.check(fence.REPLICATION, "primary", fence.Fence("primary", "active", 1), fence.Fence("secondary", "active", 2))
        self.assertEqual(stale.reason, "secondary was promoted after primary: epoch 2 > 1; primary is stale")
        waiting = fence.check(fence.REPLICATION, "secondary", fence.Fence("secondary", "active", 2), fence.Fence("primary", "active", 1))
        self.assertEqual(
            waiting.reason,
            "primary is still fenced as active (epoch 1); replication waits until its stack stands it down",
        )

    def test_unknown_purpose_is_an_error(self):
        with self.assertRaises(ValueError):
            fence.check("backfill", "primary", fence.Fence("primary", "active", 1), fence.MISSING)


class ParseTest(unittest.TestCase):
    def test_the_record_the_program_writes(self):
        # components/fence.ts fenceRecord("secondary", "active", 2), as test/fence.test.ts asserts.
        self.assertEqual(fence.parse_fence('{"site":"secondary","role":"active","epoch":2}'), fence.Fence("secondary", "active", 2))

    def test_anything_else_is_unreadable(self):
        for text in (
            "",
            "not json",
            "[]",
            '{"site":"primary","role":"active"}',
            '{"site":"primary","role":"standby","epoch":1}',
            '{"site":"tertiary","role":"active","epoch":1}',
            '{"site":"primary","role":"active","epoch":-1}',
            '{"site":"primary","role":"active","epoch":1.5}',
            '{"site":"primary","role":"active","epoch":true}',
            '{"site":"primary","role":"active","epoch":"1"}',
        ):
            with self.subTest(text):
                self.assertEqual(fence.parse_fence(text), fence.UNREADABLE)


class ReadTest(unittest.TestCase):
    def test_a_missing_file(self):
        def read(_):
            raise RuntimeError('java.io.FileNotFoundException: Operation failed: "The specified path does not exist.", 404, HEAD')

        self.assertEqual(fence.read_fence(read, "abfss://lake@x.dfs.core.windows.net/_paired-dr/fence.json", 5), fence.MISSING)

    def test_an_unreachable_lake(self):
        def read(_):
            raise RuntimeError("java.net.UnknownHostException: x.dfs.core.windows.net")

        self.assertEqual(fence.read_fence(read, "p", 5), fence.UNREADABLE)

    def test_a_lake_that_does_not_answer_in_time(self):
        release = threading.Event()

        def read(_):
            release.wait(30)
            return '{"site":"primary","role":"active","epoch":1}'

        try:
            self.assertEqual(fence.read_fence(read, "p", 0.05), fence.UNREADABLE)
        finally:
            release.set()

    def test_a_fence(self):
        self.assertEqual(
            fence.read_fence(lambda p: '{"epoch":4,"role":"passive","site":"primary"}', "p", 5),
            fence.Fence("primary", "passive", 4),
        )

    def test_lake_path(self):
        self.assertEqual(
            fence.lake_path("abfss://lake@acmedrpri.dfs.core.windows.net/", fence.FENCE_PATH),
            "abfss://lake@acmedrpri.dfs.core.windows.net/_paired-dr/fence.json",
        )


class LostWritesTest(unittest.TestCase):
    def test_after_this_sites_last_clone_into_the_table(self):
        # This site's clone committed version 40 of the peer's table; the peer's own last clone
        # out of it was at its version 12, before this site overwrote it.
        self.assertEqual(fence.last_known_version({"targetVersion": 40}, {"sourceVersion": 12}, 43), 40)

    def test_after_the_peers_last_clone_out_of_it(self):
        # A returning old primary: it cloned its version 10 out; this site never cloned into it.
        self.assertEqual(fence.last_known_version(None, {"sourceVersion": 10}, 12), 10)
        # It made no commit since: nothing would be lost.
        self.assertEqual(fence.last_known_version(None, {"sourceVersion": 12}, 12), 12)

    def test_a_table_never_cloned_either_way_keeps_every_commit(self):
        self.assertEqual(fence.last_known_version(None, None, 7), -1)

    def test_a_recreated_table_keeps_every_commit(self):
        # Versions below what the records say: the table was dropped and made again.
        self.assertEqual(fence.last_known_version({"targetVersion": 40}, None, 3), -1)

    def test_no_table(self):
        self.assertEqual(fence.last_known_version({"targetVersion": 40}, {"sourceVersion": 3}, None), 40)

    def test_paths(self):
        self.assertEqual(fence.table_slug("sales.daily_sales"), "sales-daily-sales")
        self.assertEqual(fence.ledger_path("sales-orders"), "_paired-dr/replication/sales-orders.json")
        # The clone records written before the ledgers, still read when a ledger is missing.
        self.assertEqual(fence.legacy_record_path("sales-orders"), "_paired-dr/cloned/sales-orders.json")
        self.assertEqual(fence.preserved_path("sales-orders", 12), "_paired-dr/preserved/sales-orders/version-12")


class ReplicationFenceTest(unittest.TestCase):
    PRI = "abfss://lake@pri.dfs.core.windows.net"
    SEC = "abfss://lake@sec.dfs.core.windows.net"

    def fenced(self, records):
        def read(path):
            if path not in records:
                raise RuntimeError("java.io.FileNotFoundException: " + path)
            return records[path]

        return fence.replication_fence(read, "primary", self.PRI, self.SEC, "sales.orders", 5)

    def test_it_returns_this_sites_fence_when_both_allow_the_write(self):
        fenced = self.fenced(
            {
                f"{self.PRI}/_paired-dr/fence.json": '{"site":"primary","role":"active","epoch":3}',
                f"{self.SEC}/_paired-dr/fence.json": '{"site":"secondary","role":"passive","epoch":2}',
            }
        )
        self.assertEqual(fenced(), fence.Fence("primary", "active", 3))

    def test_it_raises_naming_what_was_not_written(self):
        fenced = self.fenced({f"{self.PRI}/_paired-dr/fence.json": '{"site":"primary","role":"active","epoch":3}'})
        with self.assertRaisesRegex(RuntimeError, r"^sales.orders: fenced, nothing written: secondary's fence is missing; replication needs it to say passive$"):
            fenced()

    def test_read_json(self):
        def read(path):
            if path == "gone":
                raise RuntimeError('java.io.FileNotFoundException: Operation failed: "The specified path does not exist.", 404')
            if path == "down":
                raise RuntimeError("java.net.UnknownHostException: x")
            return '{"a": 1}'

        self.assertEqual(fence.read_json(read, "here"), {"a": 1})
        self.assertIsNone(fence.read_json(read, "gone"))
        with self.assertRaises(RuntimeError):
            fence.read_json(read, "down")

    def test_required_parameters(self):
        values = {"table": "sales.orders", "source": "a", "target": ""}
        with self.assertRaisesRegex(ValueError, r"^missing job parameters: target$"):
            fence.required_parameters(values.get, ("table", "source", "target"))
        self.assertEqual(fence.required_parameters(values.get, ("table", "source")), {"table": "sales.orders", "source": "a"})


class LedgerTest(unittest.TestCase):
    ARGS = ("sales.orders", "primary", 3, "abfss://s/t", "abfss://p/t", "2026-11-22T08:00:00+00:00")
    CLONE = {"sourceVersion": 10, "targetVersion": 41, "clonedAt": "2026-11-22 08:00:07"}

    def test_a_clone(self):
        self.assertEqual(
            json.loads(fence.ledger_entry(None, *self.ARGS, fence.CLONED, self.CLONE)),
            {
                "name": "sales.orders",
                "site": "primary",
                "epoch": 3,
                "source": "abfss://s/t",
                "target": "abfss://p/t",
                "status": "cloned",
                "checkedAt": "2026-11-22T08:00:00+00:00",
                "sourceVersion": 10,
                "targetVersion": 41,
                "clonedAt": "2026-11-22 08:00:07",
            },
        )

    def test_a_failed_run_keeps_the_last_clone(self):
        # The next overwrite's list of lost writes reads targetVersion: a run that found no
        # source must not erase it.
        before = json.loads(fence.ledger_entry(None, *self.ARGS, fence.CLONED, self.CLONE))
        after = json.loads(fence.ledger_entry(before, *self.ARGS[:5], "2026-11-22T09:00:00+00:00", fence.SOURCE_MISSING))
        self.assertEqual((after["status"], after["checkedAt"]), ("source-missing", "2026-11-22T09:00:00+00:00"))
        self.assertEqual({k: after[k] for k in self.CLONE}, self.CLONE)
        self.assertEqual(fence.last_known_version(after, None, 41), 41)

    def test_the_first_run_without_a_source_records_no_versions(self):
        entry = json.loads(fence.ledger_entry(None, *self.ARGS, fence.SOURCE_MISSING))
        self.assertNotIn("targetVersion", entry)
        self.assertEqual(fence.last_known_version(entry, None, None), -1)


class ClonedVersionsTest(unittest.TestCase):
    # DESCRIBE HISTORY's row for a clone: operationParameters values are JSON-encoded
    # (delta-io/delta DeltaOperations.scala, Clone and jsonEncodedValues).
    ROW = {
        "version": 41,
        "timestamp": datetime(2026, 11, 22, 8, 0, 7, tzinfo=timezone.utc),
        "operation": "CLONE",
        "operationParameters": {"source": '"delta.`abfss://lake@pri.dfs.core.windows.net/t`"', "sourceVersion": "10", "isShallow": "false"},
    }

    def test_the_versions_come_from_the_targets_clone_commit(self):
        self.assertEqual(fence.cloned_versions(self.ROW), (10, 41, "2026-11-22T08:00:07+00:00"))

    def test_the_clone_time_is_written_in_utc_whatever_the_drivers_zone(self):
        # PySpark's naive datetimes are the driver's local time: read as such, written as UTC.
        before = os.environ.get("TZ")
        os.environ["TZ"] = "America/New_York"
        time.tzset()
        try:
            naive = {**self.ROW, "timestamp": datetime(2026, 11, 22, 8, 0, 7)}
            self.assertEqual(fence.cloned_versions(naive)[2], "2026-11-22T13:00:07+00:00")
        finally:
            if before is None:
                del os.environ["TZ"]
            else:
                os.environ["TZ"] = before
            time.tzset()
        with self.assertRaisesRegex(ValueError, "not a datetime"):
            fence.cloned_versions({**self.ROW, "timestamp": "2026-11-22 08:00:07"})

    def test_another_commit_on_top_is_refused(self):
        with self.assertRaisesRegex(ValueError, r"newest commit \(version 42\) is MERGE, not this run's CLONE"):
            fence.cloned_versions({**self.ROW, "version": 42, "operation": "MERGE"})

    def test_a_clone_without_a_source_version_is_refused(self):
        for bad in ({}, {"sourceVersion": "true"}, {"sourceVersion": '"10"'}):
            with self.subTest(bad), self.assertRaises(ValueError):
                fence.cloned_versions({**self.ROW, "operationParameters": bad})


class LandingTest(unittest.TestCase):
    def test_only_new_or_changed_files_are_copied(self):
        source = {"2026/11/22/a.json": 10, "2026/11/22/b.json": 20, "c.json": 5}
        target = {"2026/11/22/a.json": 10, "c.json": 4, "only-there.json": 1}
        self.assertEqual(fence.files_to_copy(source, target), ["2026/11/22/b.json", "c.json"])
        self.assertEqual(fence.files_to_copy(source, source), [])

    def test_relative_paths(self):
        folder = "abfss://lake@pri.dfs.core.windows.net/replicated/landing/orders"
        self.assertEqual(fence.relative_path(folder + "/", folder + "/2026/a.json"), "2026/a.json")
        with self.assertRaises(ValueError):
            fence.relative_path(folder, "abfss://lake@pri.dfs.core.windows.net/replicated/landing/orders-old/a.json")

    def test_a_checkpoint_per_site_and_epoch(self):
        self.assertEqual(
            fence.checkpoint_path("abfss://lake@sec.dfs.core.windows.net/checkpoints/orders-stream/", "secondary", 2),
            "abfss://lake@sec.dfs.core.windows.net/checkpoints/orders-stream/secondary/epoch-2",
        )

    def test_merge_keys(self):
        self.assertEqual(fence.merge_keys(" tenant_id, order_id ,"), ["tenant_id", "order_id"])
        self.assertEqual(fence.merge_condition(["tenant_id", "order_id"]), "t.`tenant_id` = s.`tenant_id` AND t.`order_id` = s.`order_id`")
        with self.assertRaises(ValueError):
            fence.merge_keys("order_id; DROP TABLE x")
        with self.assertRaises(ValueError):
            fence.merge_condition([])


class NotebooksTest(unittest.TestCase):
    def test_every_python_file_under_workspace_compiles(self):
        # Notebooks in source format are Python files; their %run cells are comments.
        root = os.path.join(HERE, "..", "..", "workspace")
        files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".py")]
        self.assertEqual(len(files), 11)
        for path in files:
            with self.subTest(path), open(path) as f:
                compile(f.read(), path, "exec")


if __name__ == "__main__":
    unittest.main()
