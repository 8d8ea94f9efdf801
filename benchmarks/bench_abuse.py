"""Hardening figures (issue 12) against a real `pfsense serve --sensor sim --layout plate4`:

1. pages and `/api/status` answered while 40 never-reading streams, 100 silent connections and
   20 header tricklers (from other loopback addresses) hold on, and acquisition's samples/s;
2. wrong PINs an attacker gets checked in an hour, and in a year, from 1,000 addresses (the
   throttle on a simulated clock, with the real constants);
3. the live stream's worst gap while a 3 h session's trace is fetched (worked out, then cached),
   and the server's RSS after each of four fetches.

Run: .venv/bin/python benchmarks/bench_abuse.py
"""

import contextlib
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.exceptions import TooManyRequests

from pfsense.web import auth

try:
    from benchmarks.common import report
except ImportError:
    from common import report


def serve(home: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pfsense", "serve", "--sensor", "sim", "--layout", "plate4",
         "--port", "0"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PFSENSE_HOME": str(home)},
    )  # fmt: skip
    return process, re.search(r"http://[\d.]+:\d+/", process.stdout.readline()).group(0)


def connect(url: str, source: str) -> socket.socket:
    host, port = url.split("//")[1].rstrip("/").split(":")
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect((host, int(port)))
    return sock


def fetch_s(url: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
    return time.monotonic() - started


def samples(url: str) -> int:
    with urllib.request.urlopen(url + "api/status", timeout=10) as response:
        return json.load(response)["stats"]["samples"]


def under_attack(home: Path) -> None:
    process, url = serve(home)
    held, stop = [], threading.Event()
    try:
        for i in range(40):
            sock = connect(url, f"127.0.0.{2 + i // 8}")
            sock.sendall(b"GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n")
            held.append(sock)
        held += [connect(url, f"127.0.0.{7 + i // 25}") for i in range(100)]
        slow = [connect(url, "127.0.0.11") for _ in range(20)]
        for sock in slow:
            sock.sendall(b"GET / HTTP/1.1\r\n")

        def trickle():
            while not stop.wait(1.0):
                for sock in slow:
                    with contextlib.suppress(OSError):
                        sock.sendall(b"X")

        threading.Thread(target=trickle, daemon=True).start()
        held += slow
        time.sleep(1.0)
        first, started = samples(url), time.monotonic()
        times_ms = []
        for _ in range(40):
            times_ms += [1000 * fetch_s(url), 1000 * fetch_s(url + "api/status")]
            time.sleep(0.2)
        rate = (samples(url) - first) / (time.monotonic() - started)
        times_ms.sort()
        report("under attack: page and status, median", times_ms[len(times_ms) // 2], "ms",
               f"max {times_ms[-1]:.0f} ms over {len(times_ms)} requests")  # fmt: skip
        report("under attack: acquisition", rate, "samples/s", "(80 expected)")
    finally:
        stop.set()
        for sock in held:
            sock.close()
        process.send_signal(signal.SIGTERM)
        process.wait(10)


def pin_tries(hours: float, addresses: int = 1000) -> int:
    """Tries the throttle lets through in `hours`, an attacker cycling through `addresses` as
    fast as it is let (one attempt per address per simulated second)."""
    throttle, checked, now = auth.LoginThrottle(now=0.0), 0, 0.0
    while now < hours * 3600:
        for i in range(addresses):
            try:
                throttle.begin(f"10.{i // 256}.{i % 256}.1", now)
                checked += 1
            except TooManyRequests:
                pass
        now += 60.0  # every address tries again each simulated minute
    return checked


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return float("nan")


def trace_gap(home: Path, folder: Path) -> None:
    recording = folder / "3h.csv"
    subprocess.run(
        [sys.executable, "-m", "pfsense", "record", "--sensor", "sim", "--layout", "plate4",
         "--fast", "--seconds", "10800", "-o", str(recording)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pfsense", "--data-dir", str(home), "import", str(recording)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    process, url = serve(home)
    arrivals, done = [], threading.Event()

    def view():
        with urllib.request.urlopen(url + "api/stream", timeout=10) as stream:
            while not done.is_set():
                line = stream.readline()
                if line.startswith(b'data: {"type":"frame"'):
                    arrivals.append(time.monotonic())

    threading.Thread(target=view, daemon=True).start()
    try:
        time.sleep(3.0)
        report("trace: server RSS before", rss_mb(process.pid), "MB")
        for fetch in range(4):
            mark = time.monotonic()
            took_s = fetch_s(url + "api/sessions/1/trace")
            time.sleep(0.5)
            window = [a for a in arrivals if a >= mark - 0.2]
            gap_ms = 1000 * max(b - a for a, b in itertools.pairwise(window))
            label = "worked out" if fetch == 0 else "from the cache"
            rss = rss_mb(process.pid)
            report(f"trace of 3 h, {label}: fetch", took_s, "s",
                   f"worst stream gap {gap_ms:.0f} ms; RSS {rss:.0f} MB")  # fmt: skip
    finally:
        done.set()
        process.send_signal(signal.SIGTERM)
        process.wait(10)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pfsense-abuse-") as folder:
        under_attack(Path(folder) / "attack")
        hour = pin_tries(1.0)
        year = auth.GLOBAL_BURST + 365.25 * 24 * 3600 / auth.GLOBAL_REFILL_S
        report("wrong PINs checked in the first hour, 1,000 addresses", hour, "tries",
               f"then one an hour: at most {year:,.0f} in a year")  # fmt: skip
        trace_gap(Path(folder) / "trace", Path(folder))


if __name__ == "__main__":
    main()
