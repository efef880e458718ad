"""`testboost load` on the bundled example: Locust scaling out, and an N+1 route under load.

    .venv/bin/python benchmarks/load_scale.py [--seconds 20] [--rows 200]

1. The example app (examples/shopapi) loaded for SECONDS with Locust distributed over 1, then 2
   worker processes (100 users, no pause between requests): requests/s of each and the ratio.
2. p95 of ``GET /api/orders`` under load with the seeded rows and with ROWS more orders, on the
   example (its list lazy-loads each order's items and user: N+1) and on its fixed twin
   (examples/shopapi_fixed, eager loading), side by side.

Every figure comes from the CSV Locust wrote; the machine (cores, load average) is printed too,
since the server and Locust share it.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BROKEN = "examples.shopapi:create_app()"
FIXED = "examples.shopapi_fixed:create_app()"
ROUTE = ("GET", "/api/orders")


def load(
    spec: str, seconds: int, csv_prefix: Path, *extra: str
) -> dict[tuple[str, str], dict[str, str]]:
    """Run `testboost load` once; Locust's rows by (method, rule), "Aggregated" included."""
    command = [sys.executable, "-m", "testboost", "load", "--app", spec, "--time", f"{seconds}s"]
    command += ["--csv", str(csv_prefix), *extra]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}
    )
    if done.returncode != 0:
        raise SystemExit(f"testboost load failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    with Path(f"{csv_prefix}_stats.csv").open(newline="") as handle:
        return {(row["Type"], row["Name"]): row for row in csv.DictReader(handle)}


def main() -> int:
    """Run both measurements and print them."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rows", type=int, default=200)
    arguments = parser.parse_args()
    cores = os.cpu_count()
    print(f"machine: {cores} cores, load average {os.getloadavg()[0]:.1f} before the runs")
    with tempfile.TemporaryDirectory(prefix="load-scale-") as tmp:
        out = Path(tmp)
        print(f"\n1. {BROKEN}, {arguments.seconds} s, 100 users, no pause (--wait 0)")
        rates = {}
        for workers in (1, 2):
            rows = load(
                BROKEN,
                arguments.seconds,
                out / f"scale{workers}",
                "--workers",
                str(workers),
                "--users",
                "100",
                "--spawn-rate",
                "50",
                "--wait",
                "0",
            )
            total = rows[("", "Aggregated")]
            rates[workers] = float(total["Requests/s"])
            print(
                f"   {workers} Locust worker{'s' if workers > 1 else ''}: "
                f"{rates[workers]:7.1f} req/s  ({total['Request Count']} requests, "
                f"{total['Failure Count']} failures, p95 {total['95%']} ms)"
            )
        print(f"   ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}")
        print(f"\n2. p95 of {' '.join(ROUTE)} under load (20 users, 10 s), by rows in orders")
        print(f"   {'app':<40} {'seeded rows':>12} {f'+{arguments.rows} rows':>12}")
        for spec in (BROKEN, FIXED):
            p95 = []
            for rows_added in (0, arguments.rows):
                name = f"rows{rows_added}-{spec.split('.')[1].split(':')[0]}"
                rows = load(spec, 10, out / name, "--users", "20", "--rows", str(rows_added))
                p95.append(f"{rows[ROUTE]['95%']} ms")
            print(f"   {spec:<40} {p95[0]:>12} {p95[1]:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
