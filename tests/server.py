"""Run `pfsense serve` in a subprocess, as a user would, and find its URL."""

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager


@contextmanager
def served(*args: str, env: dict | None = None):
    """Yields (process, base URL) of a running `pfsense serve --port 0 ...`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pfsense", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        line = process.stdout.readline()
        match = re.search(r"http://[\d.]+:\d+/", line)
        if not match:
            process.kill()
            raise AssertionError(f"serve did not print its URL: {line!r} {process.stderr.read()}")
        yield process, match.group(0)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        process.stderr.close()


def wait_for(predicate, timeout_s: float = 10.0, every_s: float = 0.05):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {predicate}")
