"""The benchmarks in bench/ still run (tiny sizes; the numbers are not checked here)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("args, expected", [
    (["bench.aggregation", "--communes", "40", "--days", "3"], "one area (10 %), last day"),
    (["bench.maps", "--communes", "30", "--repeat", "1"], "map.png"),
    (["bench.deadlines", "--communes", "30", "--days", "3"], "board: matrix + rates"),
    (["bench.exports", "--national-communes", "30", "--days", "2", "--national-days", "2"],
     "max RSS of the whole run"),
    (["bench.dashboard", "--communes", "20", "--days", "3", "--repeat", "1"], "dashboard page: "),
    (["bench.sms", "--communes", "30", "--days", "2", "--messages", "5"],
     "POST /api/v1/sms/inbound: unknown number"),
    (["bench.relief", "--communes", "30", "--days", "2", "--batches", "2"], "pipeline, one commune"),
    (["bench.form_offline", "--outages", "1", "--runs", "1"], "server back → receipt"),
    (["bench.pages", "--fast", "--days", "2", "--pages", "login,report form,compliance board"],
     "compliance board"),
    (["bench.submissions", "--seconds", "1", "--clients", "4"], "Latency, paced"),
    (["bench.submissions", "--seconds", "1", "--clients", "4", "--generator", "python"],
     "Latency, paced"),
])
def test_each_benchmark_runs_to_its_last_case(args, expected, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BENCH_DATABASE_URL")}
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**env, "TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert expected in done.stdout
