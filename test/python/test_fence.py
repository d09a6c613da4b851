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

    def test_clone_record_and_paths(self):
        self.assertEqual(
            json.loads(fence.clone_record("sales.orders", "primary", 1, 10, "abfss://t", 41)),
            {
                "table": "sales.orders",
                "site": "primary",
                "epoch": 1,
                "sourceVersion": 10,
                "target": "abfss://t",
                "targetVersion": 41,
            },
        )
        self.assertEqual(fence.table_slug("sales.daily_sales"), "sales-daily-sales")
        self.assertEqual(fence.preserved_path("sales-orders", 12), "_paired-dr/preserved/sales-orders/version-12")


class NotebooksTest(unittest.TestCase):
    def test_every_python_file_under_workspace_compiles(self):
        # Notebooks in source format are Python files; their %run cells are comments.
        root = os.path.join(HERE, "..", "..", "workspace")
        files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".py")]
        self.assertEqual(len(files), 7)
        for path in files:
            with self.subTest(path), open(path) as f:
                compile(f.read(), path, "exec")


if __name__ == "__main__":
    unittest.main()
