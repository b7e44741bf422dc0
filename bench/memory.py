"""Peak memory of a comparison per customer: what the size of a simulable company is bounded by.

    python bench/memory.py [--sizes 20000 100000] [--days 30] [--replications 2] [--events]

Each size runs `socialsim compare` in a fresh subprocess (so no size inherits another's heap)
and reads that run's peak resident set from `getrusage(RUSAGE_CHILDREN)` in a wrapper process
that ran nothing else. The per-customer figure is the slope between the smallest and largest
size: (peak at largest - peak at smallest) / (customers added), which leaves out the
interpreter and libraries every run pays once.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

KIB = 1024  # ru_maxrss is in KiB on Linux [bytes per unit]
GOAL_BYTES_PER_CUSTOMER = 4 * KIB  # without events [bytes]


def peak_rss_bytes(scenario: str, customers: int, days: int, replications: int, events: bool) -> int:
    """Run one comparison in a child of a fresh wrapper process; return the child's peak RSS."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, __file__, "--one", scenario, str(customers), str(days), str(replications)]
        cmd += [str(Path(out) / "run"), "events" if events else "no-events"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1])


def one(scenario: str, customers: str, days: str, replications: str, out: str, events: str) -> None:
    """The wrapper: runs the CLI as its only child, prints the child's peak RSS [bytes]."""
    cmd = [sys.executable, "-c", "from socialsim.cli import main; main()", "compare", scenario]
    cmd += ["--customers", customers, "--days", days, "--replications", replications, "--out", out]
    if events == "no-events":
        cmd.append("--no-events")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * KIB)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        one(*sys.argv[2:8])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="credit-card-issuer")
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--events", action="store_true", help="keep events (streamed to events.parquet)")
    args = ap.parse_args()
    sizes = sorted(args.sizes)
    peaks = {}
    for n in sizes:
        peaks[n] = peak_rss_bytes(args.scenario, n, args.days, args.replications, args.events)
        print(f"{n:>10,} customers  peak RSS {peaks[n] / KIB**3:6.2f} GiB", flush=True)
    lo, hi = sizes[0], sizes[-1]
    per = (peaks[hi] - peaks[lo]) / (hi - lo) if hi > lo else float("nan")
    print(
        f"{args.scenario}, {args.days} days, {args.replications} replications, "
        f"events {'kept' if args.events else 'not kept'}: {per / KIB:.2f} KiB per additional customer "
        f"(goal without events <= {GOAL_BYTES_PER_CUSTOMER // KIB} KiB)"
    )


if __name__ == "__main__":
    main()
