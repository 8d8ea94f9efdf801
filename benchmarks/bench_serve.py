"""What `pfsense serve` costs on this machine, plate4 at 80 samples/s: the server's CPU share with
the replay driver and with the simulator, at 0, 1 and 5 viewers on /api/stream, and every
sample's time from acquisition to arrival at a viewer (p50, p99), beside the machine reference.

A Raspberry Pi runs Python several times slower than this machine (a Pi 4 roughly 3-5x, a
Zero 2 W roughly 8-10x): scale the CPU shares by the ratio of the reference measured there.

A sample's acquisition time is its frame's `acquired_at` minus how much older it is than the
frame's newest sample; its arrival time is when the viewer has parsed the frame. Latency is
measured with the simulator, whose samples are stamped as they become due; a replay carries the
times it was recorded at.

Run: .venv/bin/python benchmarks/bench_serve.py [--seconds 20] [--drivers replay sim]
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
from pathlib import Path

import numpy as np

try:
    from benchmarks.common import reference_ms, report
except ImportError:
    from common import reference_ms, report

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SETTLE_S = 3.0  # after start-up and after viewers connect, before measuring


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def make_recording(path: Path, minutes: float) -> None:
    subprocess.run(
        [sys.executable, "-m", "pfsense", "record", "--sensor", "sim", "--layout", "plate4",
         "--fast", "--seconds", str(minutes * 60), "-o", str(path)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


class Viewer(threading.Thread):
    """One stream client: parses every event, keeps every frame sample's latency."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.latencies_s: list[float] = []
        self.seqs: list[int] = []
        self.recording = threading.Event()
        self.done = threading.Event()
        self.connected = threading.Event()

    def run(self) -> None:
        with urllib.request.urlopen(self.url + "api/stream", timeout=10) as stream:
            self.connected.set()
            while not self.done.is_set():
                line = stream.readline()
                if not line.startswith(b"data: "):
                    continue
                arrived = time.time()
                event = json.loads(line[6:])
                if event["type"] != "frame" or not self.recording.is_set():
                    continue
                t_s = np.array(event["t_s"])
                acquired = event["acquired_at"] - (t_s[-1] - t_s)
                self.latencies_s.extend((arrived - acquired).tolist())
                self.seqs.extend(event["seq"])


def measure(url: str, pid: int, viewers: int, seconds: float, driver: str) -> None:
    clients = [Viewer(url) for _ in range(viewers)]
    for client in clients:
        client.start()
        client.connected.wait(10)
    time.sleep(SETTLE_S)
    for client in clients:
        client.recording.set()
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    share = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
    for client in clients:
        client.done.set()
    label = f"serve {driver}, {viewers} viewer{'' if viewers == 1 else 's'}"
    report(f"{label}: server CPU", share * 100, "% of one core")
    if not clients or driver != "sim":
        return
    for client in clients:
        client.join(5)
    latencies_ms = np.concatenate([np.array(c.latencies_s) for c in clients]) * 1000
    gaps = sum(int(np.count_nonzero(np.diff(np.array(c.seqs, int)) % 65536 != 1)) for c in clients)
    report(f"{label}: latency p50", float(np.percentile(latencies_ms, 50)), "ms")
    report(f"{label}: latency p99", float(np.percentile(latencies_ms, 99)), "ms",
           f"{len(latencies_ms)} samples, {gaps} gaps")  # fmt: skip


def serve(sensor: str, home: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pfsense", "serve", "--sensor", sensor, "--layout", "plate4",
         "--port", "0"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PFSENSE_HOME": home},
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--drivers", nargs="+", default=["replay", "sim"])
    parser.add_argument("--viewers", nargs="+", type=int, default=[0, 1, 5])
    args = parser.parse_args()
    reference = reference_ms()
    report("machine reference: 3 M Python additions", reference, "ms (median of 5)")
    with tempfile.TemporaryDirectory(prefix="pfsense-bench-") as folder:
        recording = Path(folder) / "replay.csv"
        needed_min = len(args.viewers) * (args.seconds + 2 * SETTLE_S) / 60 + 1
        make_recording(recording, needed_min)
        for driver in args.drivers:
            sensor = f"replay:{recording}" if driver == "replay" else "sim"
            home = Path(folder) / f"home-{driver}"
            server = serve(sensor, str(home))
            try:
                url = re.search(r"http://[\d.]+:\d+/", server.stdout.readline()).group(0)
                time.sleep(SETTLE_S)
                for viewers in args.viewers:
                    measure(url, server.pid, viewers, args.seconds, driver)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(10)


if __name__ == "__main__":
    main()
