"""Run every benchmark, each in its own process so peak memory is its own.

    .venv/bin/python -m bench          (make bench)
"""
import subprocess
import sys

MODULES = ["bench.aggregation", "bench.maps", "bench.deadlines", "bench.exports", "bench.dashboard",
           "bench.sms", "bench.relief", "bench.form_offline", "bench.pages", "bench.submissions"]


def main() -> int:
    failed = []
    for module in MODULES:
        print(f"\n=== {module}", flush=True)
        if subprocess.call([sys.executable, "-m", module]):
            failed.append(module)
    if failed:
        print("failed:", ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
