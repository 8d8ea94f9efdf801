"""`pfsense analyze` as a user meets it."""

import json

import numpy as np
import pytest

from pfsense.sensors.recording import RecordingWriter
from pfsense.sim import Segment

from .scenarios import run
from .test_cli import pfsense

REQUIRED = {
    "duration_s", "samples", "rejected_samples", "force_n", "time_in_band_fraction",
    "cadence_per_min", "rhythm_regularity", "stroke_direction", "stroke_length_mm", "holds",
    "coverage", "technique", "score",
}  # fmt: skip


@pytest.fixture(scope="module")
def rolling_recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("rec") / "rolling.csv"
    batch, sensor = run("plate4", [Segment("rolling", 60.0)], seed=3)
    with RecordingWriter(path, sensor.layout, 80, sensor.nominal_calibration, "sim") as writer:
        writer.write(batch)
    return path


def test_json_is_exactly_one_object_with_every_field(rolling_recording):
    result = pfsense("analyze", str(rolling_recording), "--json", "--target", "150", "300")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= REQUIRED
    assert report["technique"] == "rolling"
    assert report["stroke_direction"] == "along"
    assert report["samples"] + report["lost_samples"] == 4800  # the glitchy run drops a few
    assert report["target_band_n"] == [150.0, 300.0]
    assert set(report["force_n"]) == {"mean", "peak", "p95"}
    assert set(report["coverage"]["zones_s"]) == {"heel", "arch", "forefoot"}
    assert set(report["score"]) == {"total", "pressure", "rhythm", "coverage"}
    assert 25 < report["cadence_per_min"] < 45
    assert 0 <= report["score"]["total"] <= 100


def test_the_readable_report(rolling_recording):
    result = pfsense("analyze", str(rolling_recording))
    assert result.returncode == 0
    assert "technique      rolling" in result.stdout
    assert "coaching" in result.stdout


def test_a_plain_four_cell_csv_takes_its_plate_size_from_the_command_line(tmp_path):
    t = np.arange(0, 30, 1 / 80)
    y = 50 * np.sin(2 * np.pi * 0.5 * t)  # 30 cycles/min along the foot, 100 mm stroke
    force = 200.0
    corners = [force * (0.25 + sy * y / (2 * 350)) for sy in (1, 1, -1, -1)]
    rows = "\n".join(",".join(f"{v:.4f}" for v in row) for row in zip(t, *corners, strict=True))
    path = tmp_path / "plate.csv"
    path.write_text("t,fl,fr,rl,rr\n" + rows + "\n")
    result = pfsense("analyze", str(path), "--plate-mm", "250", "350", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["stroke_direction"] == "along"
    assert report["stroke_length_mm"] == pytest.approx(100.0, abs=2.0)
    assert report["cadence_per_min"] == pytest.approx(30.0, rel=0.02)
    assert report["force_n"]["mean"] == pytest.approx(200.0, abs=0.01)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("t\n0\n", ":1: header is 't'"),
        ("t,force\n0,1\n0.1,lots\n", ":3: 'lots' is not a number"),
        ("", "the file is empty"),
        ("t,force\n0,1\n0.2,1\n0.1,1\n", ":4: time goes backwards"),
    ],
)
def test_bad_files_get_one_line_naming_the_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    result = pfsense("analyze", str(path), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "300", "100"], "LOW must be below HIGH"),
        (["--target", "-5", "100"], "expected newtons from 0 to 2000"),
        (["--target", "1", "heavy"], "invalid float value"),
        (["--foot-mm", "900"], "expected a foot length from 150 to 350 mm"),
        (["--plate-mm", "10", "350"], "width 10 mm is out of range"),
    ],
)
def test_bad_options(rolling_recording, args, message):
    result = pfsense("analyze", str(rolling_recording), *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_analyze_into_a_pipe_closed_early_ends_quietly(rolling_recording):
    import os
    import subprocess
    import sys

    # `pfsense analyze REC | head -0`: the reader has gone before anything is written.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pfsense", "analyze", str(rolling_recording)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 141  # 128 + SIGPIPE, as `yes | head` leaves
    assert result.stderr == ""


def test_the_p95_force_is_never_above_the_peak(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("t,force\n0,10\n0.0125,11\n")
    report = json.loads(pfsense("analyze", str(path), "--json").stdout)
    assert report["force_n"]["peak"] == 11.0
    assert report["force_n"]["p95"] <= 11.0  # was 11.4, interpolated past the last value


@pytest.mark.parametrize(
    "rows",
    [
        "0,10\n",  # one sample
        "0,10\n0.0125,11\n",  # two
        "".join(f"{i / 40},0\n" for i in range(400)),  # nothing on the cell
        "".join(f"{i / 40},-50\n" for i in range(400)),  # below zero throughout
        "".join(f"{i / 5},{150 + 60 * np.sin(2 * np.pi * 0.4 * i / 5):.2f}\n" for i in range(300)),
    ],
    ids=["one", "two", "empty", "negative", "5-hz"],
)
def test_odd_but_valid_recordings_are_analysed_without_a_warning(tmp_path, rows):
    import subprocess
    import sys

    path = tmp_path / "odd.csv"
    path.write_text("t,force\n" + rows)
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "pfsense", "analyze", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "np." not in result.stdout
