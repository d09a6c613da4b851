"""workspace/drill/paired_dr_drill.py, in the notebooks' own language (run by test/fence.python.test.ts)."""

import json
import os
import sys
import unittest
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "workspace", "drill"))
import paired_dr_drill as drill  # noqa: E402

T = {"table": "sales.orders", "replica": "abfss://lake@b/x", "source": "abfss://lake@a/x", "rpoMinutes": 60}
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def result(**kw):
    base = dict(replica_version=7, source_version=41, rows=100, active_rows=100, active_version=41,
                lag=0, clone_seconds=30, validate_seconds=5)
    base.update(kw)
    return drill.table_result(T, **base)


class DrillTest(unittest.TestCase):
    def test_parse_tables(self):
        self.assertEqual(drill.parse_tables(json.dumps([T])), [T])
        with self.assertRaisesRegex(ValueError, "not a list"):
            drill.parse_tables("{}")
        with self.assertRaisesRegex(ValueError, "lacks source, rpoMinutes"):
            drill.parse_tables(json.dumps([{"table": "a", "replica": "b"}]))

    def test_scratch_stays_under_the_drill_folder(self):
        s = "abfss://lake@b.dfs.core.windows.net/_paired-dr/drill/2026-11"
        self.assertEqual(drill.scratch_root(s), "abfss://lake@b.dfs.core.windows.net/_paired-dr/drill")
        self.assertEqual(drill.scratch_table(s, "sales.orders_eu"), s + "/sales-orders-eu")
        with self.assertRaisesRegex(ValueError, "refusing to remove"):
            drill.scratch_root("abfss://lake@b.dfs.core.windows.net/sales/orders")

    def test_lag(self):
        self.assertEqual(drill.lag_minutes(None, NOW), 0)
        self.assertEqual(drill.lag_minutes(NOW - timedelta(minutes=61, seconds=30), NOW), 61)
        self.assertEqual(drill.lag_minutes(NOW + timedelta(minutes=2), NOW), 0)

    def test_a_matching_table_within_its_rpo_passes(self):
        r = result()
        self.assertTrue(r["pass"])
        self.assertNotIn("reason", r)
        self.assertEqual((r["sourceVersion"], r["replicaVersion"], r["lagMinutes"]), (41, 7, 0))

    def test_rows_that_differ_fail(self):
        r = result(rows=99)
        self.assertFalse(r["pass"])
        self.assertIn("has 99 rows; the active table had 100 at the version it copied (41)", r["reason"])

    def test_a_lag_beyond_the_rpo_fails(self):
        self.assertTrue(result(lag=60)["pass"])
        r = result(lag=61)
        self.assertFalse(r["pass"])
        self.assertIn("up to 61 minutes old, beyond the table's RPO of 60", r["reason"])

    def test_failed(self):
        self.assertEqual(drill.failed(T, "why"), {"table": "sales.orders", "pass": False, "reason": "why", "rpoMinutes": 60})


if __name__ == "__main__":
    unittest.main()
