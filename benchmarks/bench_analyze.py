"""`pfsense analyze` of long recordings: wall time and peak memory of the whole command (start-up
and CSV parsing included) for 1 h and 3 h four-cell 80 Hz recordings made by the simulator,
beside the machine reference. The recording is read a chunk at a time, so peak memory should be
about the same for both lengths.

Peak memory is the analyze process's own maximum resident set size (os.wait4's rusage, in kB on
Linux). On a shared machine the times move with the load; their ratio to the reference moves less.

Run: .venv/bin/python benchmarks/bench_analyze.py [--repeats 5] [--hours 1 3]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    from benchmarks.common import reference_ms, report
except ImportError:
    from common import reference_ms, report

RATE_HZ = 80


def make_recording(path: Path, hours: float) -> None:
    subprocess.run(
        [sys.executable, "-m", "pfsense", "record", "--sensor", "sim", "--layout", "plate4",
         "--fast", "--seconds", str(hours * 3600), "-o", str(path)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def analyze_once(path: Path) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one `pfsense analyze FILE --json`."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "pfsense", "analyze", str(path), "--json"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall_s = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if process.returncode != 0:
        raise SystemExit(f"pfsense analyze {path} failed with status {process.returncode}")
    return wall_s, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per recording (default 5)")
    parser.add_argument("--hours", type=float, nargs="+", default=[1.0, 3.0])
    args = parser.parse_args()
    reference = reference_ms()
    with tempfile.TemporaryDirectory() as folder:
        for hours in args.hours:
            path = Path(folder) / f"{hours:g}h.csv"
            make_recording(path, hours)
            runs = [analyze_once(path) for _ in range(args.repeats)]
            wall_s = statistics.median(wall for wall, _ in runs)
            peak_mb = statistics.median(peak for _, peak in runs)
            rows = int(hours * 3600 * RATE_HZ)
            name = f"analyze {hours:g} h plate4 80 Hz ({rows:,} rows)"
            note = f"{path.stat().st_size / 1e6:.0f} MB file"
            report(f"{name}, wall", wall_s, f"s (median of {args.repeats})",
                   f"= {wall_s * 1000 / reference:.2f} x reference")  # fmt: skip
            report(f"{name}, peak RSS", peak_mb, f"MB (median of {args.repeats})", note)
    report("machine reference: 3 M Python additions", reference, "ms (median of 5)")


if __name__ == "__main__":
    main()
