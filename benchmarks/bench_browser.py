"""The live page in headless Chromium for ten minutes against `pfsense serve` (simulated plate4 at
80 samples/s): frames drawn per second, and whether its memory grows.

Frames per second: requestAnimationFrame callbacks counted in the page, per 10 s interval (the
page redraws its chart in the same callbacks). Memory: the JavaScript heap after a forced garbage
collection, and the number of DOM nodes, once a minute (Chrome DevTools Protocol).

Run: .venv/bin/python benchmarks/bench_browser.py [--minutes 10]
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.browser

from tests.browser import browser_page

try:
    from benchmarks.common import report
except ImportError:
    from common import report

COUNT_FRAMES = """
window.__frames = 0;
(function tick() { window.__frames += 1; requestAnimationFrame(tick); })();
"""
INTERVAL_S = 10.0


def serve(home: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pfsense", "serve", "--layout", "plate4", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PFSENSE_HOME": home},
    )
    match = re.search(r"http://[\d.]+:\d+/", process.stdout.readline())
    if not match:
        process.kill()
        sys.exit("pfsense serve did not start")
    return process, match.group(0)


def heap_mb(cdp) -> tuple[float, int]:
    """JavaScript heap in use after a full garbage collection, and DOM nodes."""
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["JSHeapUsedSize"] / 1e6, int(metrics["Nodes"])


def run(url: str, minutes: float, chromium: str) -> None:
    with browser_page(chromium) as page:
        page.add_init_script(COUNT_FRAMES)
        page.goto(url)
        page.wait_for_function("window.pfsenseChart.data[0].length > 700", timeout=30_000)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        fps, memory = [], [heap_mb(cdp)]
        started = time.monotonic()
        next_memory_s = 60.0
        while time.monotonic() - started < minutes * 60:
            frames_before, t_before = page.evaluate("window.__frames"), time.monotonic()
            page.wait_for_timeout(INTERVAL_S * 1000)
            frames = page.evaluate("window.__frames") - frames_before
            fps.append(frames / (time.monotonic() - t_before))
            if time.monotonic() - started >= next_memory_s:
                memory.append(heap_mb(cdp))
                next_memory_s += 60.0
        points = page.evaluate("window.pfsenseChart.data[0].length")
    heap = [m for m, _nodes in memory]
    nodes = [n for _m, n in memory]
    note = f"{len(fps)} intervals of {INTERVAL_S:g} s over {minutes:g} min"
    report("page frames/s, median", statistics.median(fps), "frames/s", note)
    report("page frames/s, slowest interval", min(fps), "frames/s")
    report("JS heap after GC, first minute", heap[0], "MB")
    report("JS heap after GC, last minute", heap[-1], "MB")
    report("JS heap after GC, largest", max(heap), "MB")
    report("DOM nodes, first / last", nodes[0], "nodes", f"last {nodes[-1]}, largest {max(nodes)}")
    print("heap MB by minute: " + " ".join(f"{m:.2f}" for m in heap))
    print("DOM nodes by minute: " + " ".join(str(n) for n in nodes))
    report("chart points held (10 s at 80/s)", points, "points")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    chromium = os.environ.get("PFSENSE_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        sys.exit("Chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="pfsense-bench-home-") as home:
        process, url = serve(home)
        try:
            run(url, args.minutes, chromium)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(10)


if __name__ == "__main__":
    main()
