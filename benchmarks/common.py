"""Helpers for the benchmarks: repeat, take medians, print one line per figure."""

import statistics
import time
from collections.abc import Callable


def median_seconds(run: Callable[[], object], repeats: int = 5) -> float:
    """Median wall time of `run` over `repeats` calls (one warm-up call first)."""
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def report(name: str, value: float, unit: str, note: str = "") -> None:
    print(f"{name:<52} {value:>12,.2f} {unit:<18} {note}".rstrip())


def reference_ms() -> float:
    """Median time of a fixed pure-Python loop (3 million additions): how fast this machine is
    right now. On a shared machine other figures move with it; their ratio to it moves less."""

    def loop() -> None:
        total = 0
        for i in range(3_000_000):
            total += i

    return median_seconds(loop, repeats=5) * 1000
