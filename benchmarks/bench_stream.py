"""Acquisition-to-arrival latency of every sample through `pfsense serve` on loopback, and the
server's CPU use, with 1 and 5 stream clients (simulated plate4 at 80 samples/s).

A sample's acquisition time is its frame's `acquired_at` minus how much older it is than the
frame's newest sample; its arrival time is when the client has parsed the frame.

Run: .venv/bin/python benchmarks/bench_stream.py [--seconds 20]
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import numpy as np

try:
    from benchmarks.common import report
except ImportError:
    from common import report

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def client(url: str, seconds: float, out: list) -> None:
    latencies, seqs, arrivals = [], [], []
    with urllib.request.urlopen(url + "api/stream", timeout=10) as stream:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            line = stream.readline()
            if not line.startswith(b"data: "):
                continue
            arrived = time.time()
            event = json.loads(line[6:])
            if event["type"] != "frame":
                continue
            arrivals.append(arrived)
            t_s = np.array(event["t_s"])
            acquired = event["acquired_at"] - (t_s[-1] - t_s)
            latencies.extend(arrived - acquired)
            seqs.extend(event["seq"])
    out.append((np.array(latencies), np.array(seqs), np.diff(arrivals)))


def measure(url: str, pid: int, clients: int, seconds: float) -> None:
    results: list = []
    threads = [
        threading.Thread(target=client, args=(url, seconds, results)) for _ in range(clients)
    ]
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu_share = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
    latencies_ms = np.concatenate([r[0] for r in results]) * 1000
    gaps = sum(int(np.count_nonzero(np.diff(r[1].astype(int)) % 65536 != 1)) for r in results)
    label = f"stream, {clients} client{'s' if clients > 1 else ''}"
    report(f"{label}: latency p50", float(np.percentile(latencies_ms, 50)), "ms")
    report(f"{label}: latency p99", float(np.percentile(latencies_ms, 99)), "ms")
    report(f"{label}: samples received, gaps", len(latencies_ms), "samples", f"{gaps} gaps")
    between_ms = np.concatenate([r[2] for r in results]) * 1000
    report(
        f"{label}: time between frames p99",
        float(np.percentile(between_ms, 99)),
        "ms",
        f"max {between_ms.max():.1f} ms",
    )
    report(f"{label}: server CPU", cpu_share * 100, "% of one core")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    home = tempfile.TemporaryDirectory(prefix="pfsense-bench-home-")
    server = subprocess.Popen(
        [sys.executable, "-m", "pfsense", "serve", "--layout", "plate4", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PFSENSE_HOME": home.name},
    )
    try:
        url = re.search(r"http://[\d.]+:\d+/", server.stdout.readline()).group(0)
        time.sleep(1.0)
        for clients in (1, 5):
            measure(url, server.pid, clients, args.seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)
        home.cleanup()


if __name__ == "__main__":
    main()
