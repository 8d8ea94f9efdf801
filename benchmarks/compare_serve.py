"""Server CPU of this checkout against another, interleaved: `pfsense serve --sensor SENSOR`
with VIEWERS raw stream clients, each checkout in turn, ROUNDS times, so both see the same
moments of a noisy machine. Each run settles 3 s, then measures the server's CPU over SECONDS.

Run: .venv/bin/python benchmarks/compare_serve.py OTHER_CHECKOUT [--sensor replay:REC|sim]
     [--viewers 5] [--rounds 2] [--seconds 15]
(OTHER_CHECKOUT: e.g. `git worktree add /tmp/old a109aef`; both run with this venv's Python.)
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

THIS_CHECKOUT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu_percent(checkout: Path, sensor: str, viewers: int, seconds: float) -> float:
    with tempfile.TemporaryDirectory() as home:
        # Run from the checkout, with it first on the path, so its own pfsense is the one imported.
        process = subprocess.Popen(
            [sys.executable, "-m", "pfsense", "serve", "--port", "0", "--layout", "plate4",
             "--sensor", sensor],
            cwd=checkout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PFSENSE_HOME": home, "PYTHONPATH": str(checkout)},
        )  # fmt: skip
        try:
            port = int(re.search(r":(\d+)/", process.stdout.readline()).group(1))
            clients = [_viewer(port) for _ in range(viewers)]
            time.sleep(3.0)
            before, started = _cpu_s(process.pid), time.monotonic()
            time.sleep(seconds)
            used_s, elapsed_s = _cpu_s(process.pid) - before, time.monotonic() - started
            for client in clients:
                client.close()
            return used_s / elapsed_s * 100
        finally:
            process.terminate()
            process.wait()


def _viewer(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")

    def read() -> None:
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass

    threading.Thread(target=read, daemon=True).start()
    return sock


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path)
    parser.add_argument("--sensor", default="sim")
    parser.add_argument("--viewers", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    for _ in range(args.rounds):
        for checkout in (THIS_CHECKOUT, args.other.resolve()):
            cpu = server_cpu_percent(checkout, args.sensor, args.viewers, args.seconds)
            print(f"{checkout!s:40s} {args.sensor[:30]:30s} {args.viewers} viewers: "
                  f"{cpu:5.2f} % of one core", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
