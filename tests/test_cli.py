"""The command line as a user meets it: help everywhere, one clear line and exit 2 for bad input."""

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pfsense.paths import data_dir
from pfsense.sensors.recording import read_recording


def pfsense(
    *args: str, cwd: Path | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pfsense", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


@pytest.mark.parametrize("command", [[], ["serve"], ["record"], ["sensors"]])
def test_help_everywhere(command):
    result = pfsense(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: pfsense")


def test_serve_help_documents_the_safe_default_host():
    assert "default 127.0.0.1" in pfsense("serve", "--help").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["record", "--sensor", "bogus", "--seconds", "1", "-o", "x.csv"],
            "unknown sensor 'bogus'",
        ),
        (
            ["record", "--layout", "plate3", "--seconds", "1", "-o", "x.csv"],
            "unknown layout 'plate3'",
        ),
        (
            ["record", "--rate", "40", "--seconds", "1", "-o", "x.csv"],
            "rate 40 SPS is not an HX711 rate: expected 10 or 80",
        ),
        (
            ["record", "--rate", "fast", "--seconds", "1", "-o", "x.csv"],
            "'fast' is not a whole number",
        ),
        (
            [
                "record",
                "--layout",
                "plate4",
                "--plate-mm",
                "5x400",
                "--seconds",
                "1",
                "-o",
                "x.csv",
            ],
            "width 5 mm is out of range",
        ),
        (
            ["record", "--fault", "spike_rate=2", "--seconds", "1", "-o", "x.csv"],
            "spike_rate = 2.0",
        ),
        (
            ["record", "--script", "dance:10", "--seconds", "1", "-o", "x.csv"],
            "unknown technique 'dance'",
        ),
        (
            ["record", "--seconds", "-1", "-o", "x.csv"],
            "--seconds -1: expected a duration above 0 and at most 43200 s",
        ),
        (
            ["record", "--seconds", "1", "-o", "/nonexistent/dir/x.csv", "--fast"],
            "cannot write recording",
        ),
        (["sensors", "--diagnose", "--sensor", "replay:missing.csv"], "missing.csv: no such file"),
        (["serve", "--sensor", "gpio", "--pins", "5:6:7"], "--pins '5:6:7': expected DOUT:SCK"),
        (["serve", "--sensor", "gpio", "--pins", "5:40"], "the Pi's GPIO pins are 0 to 27"),
        (["serve", "--cues", "lamp=3"], "--cues 'lamp=3': expected off, or button=N"),
        (["frobnicate"], "invalid choice"),
        (["serve", "--port", "70000"], "70000 is out of range: expected 0 to 65535"),
        (["serve", "--host", "999.1.1.1"], "--host must be an address of this computer"),
        (["--data-dir", "/proc/no/such", "serve"], "cannot use data directory /proc/no/such"),
        (
            ["sensors", "--diagnose", "--seconds", "0"],
            "--seconds 0: expected a duration above 0 and at most 600 s",
        ),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path, args, message):
    result = pfsense(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr


def test_a_malformed_recording_names_the_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("t,force\n0,1\n0.1,heavy\n")
    result = pfsense("sensors", "--diagnose", "--sensor", f"replay:{bad}")
    assert result.returncode == 2
    assert result.stderr.strip() == f"pfsense: error: {bad}:3: 'heavy' is not a number"


def test_record_then_replay_through_the_command_line(tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    made = pfsense(
        "record",
        "--sensor",
        "sim",
        "--layout",
        "plate4",
        "--seconds",
        "3",
        "--fast",
        "-o",
        str(first),
    )
    assert made.returncode == 0, made.stderr
    assert "recorded 240 samples" in made.stderr
    again = pfsense(
        "record", "--sensor", f"replay:{first}", "--seconds", "10", "--fast", "-o", str(second)
    )
    assert again.returncode == 0, again.stderr
    a, b = read_recording(first), read_recording(second)
    assert b.layout == a.layout
    assert b.calibration.counts_per_n == a.calibration.counts_per_n
    for name in ("t_s", "acquired_at", "seq", "counts", "flags"):
        np.testing.assert_array_equal(getattr(a.batch, name), getattr(b.batch, name))


def test_record_in_real_time_takes_real_time(tmp_path):
    out = tmp_path / "rt.csv"
    result = pfsense("record", "--seconds", "0.5", "--rate", "10", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert len(read_recording(out).batch) == 5


def test_a_dead_sensor_does_not_hang_record_and_what_came_is_kept(tmp_path):
    out = tmp_path / "stalled.csv"
    result = pfsense(
        "record", "--fast", "--seconds", "5", "--fault", "stall_at_s=1", "-o", str(out)
    )
    assert result.returncode == 1
    assert "warning: simulated sensor gave no sample" in result.stderr
    assert "error: no sample for 5 s: the sensor is stalled or unplugged" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(read_recording(out).batch) == 80  # the first second, before the stall


def test_sensors_lists_every_driver_and_diagnoses_one():
    listing = pfsense("sensors")
    assert listing.returncode == 0
    for name in ("sim", "replay:PATH", "serial:PORT", "gpio"):
        assert name in listing.stdout
    report = pfsense(
        "sensors",
        "--diagnose",
        "--layout",
        "plate4",
        "--seconds",
        "1",
        "--fault",
        "saturation_rate=0.05",
    )
    assert report.returncode == 0, report.stderr
    assert "80.0 samples/s achieved" in report.stdout
    assert "SATURATED" in report.stdout
    # The simulator saturates 5 % of readings: the glitch rate says so.
    rate = float(report.stdout.split("glitch rate: ")[1].split(" %")[0])
    assert 2.0 < rate < 10.0, report.stdout


@pytest.mark.skipif(bool(list(Path("/dev").glob("gpiochip*"))), reason="this computer has GPIO")
def test_the_gpio_sensor_without_gpio_says_so():
    result = pfsense("serve", "--sensor", "gpio")
    assert result.returncode == 2
    assert "no GPIO on this computer" in result.stderr


def test_diagnose_finds_a_stuck_channel(tmp_path):
    stuck = tmp_path / "stuck.csv"
    stuck.write_text("t,force\n" + "".join(f"{i / 80},5\n" for i in range(200)))
    report = pfsense("sensors", "--diagnose", "--sensor", f"replay:{stuck}", "--seconds", "1")
    assert "one unique value" in report.stdout
    assert "wiring fault" in report.stdout


def test_serve_refuses_a_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = pfsense("serve", "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in result.stderr
    assert "choose another --port" in result.stderr


def test_data_dir_from_flag_then_env_then_user_dir(tmp_path, monkeypatch):
    assert data_dir(tmp_path / "flag") == tmp_path / "flag"
    assert (tmp_path / "flag").stat().st_mode & 0o077 == 0, "patients' data is owner-only"
    monkeypatch.setenv("PFSENSE_HOME", str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    monkeypatch.delenv("PFSENSE_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "pfsense"
