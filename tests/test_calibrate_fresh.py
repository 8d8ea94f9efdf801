"""Calibration measures what is on the device after the person says so, not what the sensor (or a
serial port's buffer) kept while they were at the prompt. The weight goes on only after the
prompt, on the simulator and on the real firmware over a pseudo-terminal; the scale comes out
right to 0.5 %."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from pfsense.calibration.stored import load_calibration
from pfsense.sensors import SensorOptions, open_sensor

from .fake_pico import FakePico
from .firmware import circuitpython

WEIGHT_N = 98.0665
PROMPT = b"press Enter when ready "


class Calibrating:
    """`pfsense calibrate` as a person runs it: reads its prompts, presses Enter when told."""

    def __init__(self, home, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pfsense", "--data-dir", str(home), "calibrate",
             "--weight-n", str(WEIGHT_N), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.output = b""

    def wait_for_prompt(self, count: int, timeout_s: float = 30.0) -> float:
        """Until the `count`-th prompt is shown; the monotonic time it was seen."""
        deadline = time.monotonic() + timeout_s
        while self.output.count(PROMPT) < count:
            assert time.monotonic() < deadline, self.output
            chunk = os.read(self.process.stdout.fileno(), 4096)
            assert chunk, (self.output, self.process.stderr.read())
            self.output += chunk
        return time.monotonic()

    def enter(self) -> None:
        self.process.stdin.write(b"\n")
        self.process.stdin.flush()

    def finish(self) -> str:
        rest, errors = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, (self.output + rest, errors)
        return (self.output + rest).decode()


def test_the_cli_measures_the_weight_put_on_after_the_prompt_on_the_simulator(tmp_path):
    home = tmp_path / "home"
    # Nothing on the cell for the first 6 s; the weight is put on then and stays.
    cli = Calibrating(
        home, "--layout", "single", "--script", f"rest:6; weight:600 force={WEIGHT_N}"
    )
    shown_s = cli.wait_for_prompt(1)
    cli.enter()  # the tare, at once: the cell is bare
    cli.wait_for_prompt(2)
    # The person reads the prompt, fetches the weight, puts it on (6 s after the start) and
    # presses Enter a second later. Everything before then is a bare cell.
    time.sleep(max(0.0, shown_s + 7.5 - time.monotonic()))
    cli.enter()
    assert "saved for sim/single" in cli.finish()
    truth = open_sensor("sim", SensorOptions(layout="single")).nominal_calibration
    calibration = load_calibration(home, "sim/single")
    assert calibration.counts_per_n[0] == pytest.approx(truth.counts_per_n[0], rel=0.005)


def test_the_cli_lets_the_serial_ports_backlog_go_before_measuring(tmp_path):
    offset_counts, counts_per_n = 120_000, 4000.0
    weight_on = threading.Event()

    def cell_counts(_cell):
        noise = np.random.default_rng(7)
        while True:
            load = counts_per_n * WEIGHT_N if weight_on.is_set() else 0.0
            yield int(offset_counts + load + noise.normal(0, 20))

    with circuitpython() as cp:
        pico = FakePico(cp, tmp_path / "pico-data", cells=1, values=cell_counts).plug_in()
        try:
            home = tmp_path / "home"
            cli = Calibrating(home, "--sensor", f"serial:{pico.link_path}", "--layout", "single")
            cli.wait_for_prompt(1)
            cli.enter()
            cli.wait_for_prompt(2)
            time.sleep(2.0)  # at the prompt: the port buffers 2 s of a bare cell
            weight_on.set()
            time.sleep(1.0)
            cli.enter()
            output = cli.finish()
        finally:
            pico.unplug()
    assert "saved for" in output
    (key,) = [
        line.split("saved for ")[1].split(":")[0]
        for line in output.splitlines()
        if "saved for" in line
    ]
    calibration = load_calibration(home, key)
    assert calibration.counts_per_n[0] == pytest.approx(counts_per_n, rel=0.005)
    assert calibration.offset_counts[0] == pytest.approx(offset_counts, abs=40)


def test_a_tare_asked_as_the_weight_is_lifted_off_waits_for_it_to_be_off(tmp_path):
    from pfsense.live.service import LiveService

    # A 100 N weight until 1.5 s, then nothing; the tare is asked at 1.35 s, as a hand lifts
    # it: the settling time lets the last of the weight (and the hand) go first.
    options = SensorOptions(layout="single", script=(*_script("weight:1.5 force=100; rest:600"),))
    live = LiveService(open_sensor("sim", options))
    started = time.monotonic()
    live.start()
    try:
        time.sleep(max(0.0, started + 1.35 - time.monotonic()))
        calibration = live.tare()
        truth = open_sensor("sim", SensorOptions(layout="single")).nominal_calibration
        off_n = (calibration.offset_counts[0] - truth.offset_counts[0]) / truth.counts_per_n[0]
        assert abs(off_n) < 0.2  # samples with the weight still on would refuse it or shift it
    finally:
        live.stop()


def _script(text: str):
    from pfsense.sim.script import parse_script

    return parse_script(text)
