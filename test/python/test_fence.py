"""workspace/fence/paired_dr_fence.py, in the notebooks' own language (run by test/fence.python.test.ts)."""

import json
import os
import sys
import threading
import unittest

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
    HISTORY = [
        {"version": 12, "timestamp": "2026-11-20 10:05:00", "operation": "STREAMING UPDATE"},
        {"version": 11, "timestamp": "2026-11-20 10:01:00", "operation": "STREAMING UPDATE"},
        {"version": 10, "timestamp": "2026-11-20 09:59:00", "operation": "STREAMING UPDATE"},
    ]

    def test_commits_after_the_last_cloned_version(self):
        lost = fence.unreplicated_versions({"sourceVersion": 10}, self.HISTORY)
        self.assertEqual([v["version"] for v in lost], [12, 11])

    def test_nothing_after_a_final_clone(self):
        self.assertEqual(fence.unreplicated_versions({"sourceVersion": 12}, self.HISTORY), [])

    def test_a_table_never_cloned_keeps_every_commit(self):
        self.assertEqual([v["version"] for v in fence.unreplicated_versions(None, self.HISTORY)], [12, 11, 10])

    def test_no_table(self):
        self.assertEqual(fence.unreplicated_versions({"sourceVersion": 3}, None), [])

    def test_clone_record(self):
        self.assertEqual(
            json.loads(fence.clone_record("sales.orders", "primary", 1, 10, "abfss://t")),
            {"table": "sales.orders", "site": "primary", "epoch": 1, "sourceVersion": 10, "target": "abfss://t"},
        )
        self.assertEqual(fence.table_slug("sales.daily_sales"), "sales-daily-sales")


if __name__ == "__main__":
    unittest.main()
