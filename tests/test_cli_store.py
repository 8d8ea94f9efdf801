"""`pfsense patients`, `export`, `import` and `calibrate` from the terminal, on a temporary data
directory, as a script would use them."""

import csv
import io
import json
from contextlib import closing

import numpy as np
import pytest

from pfsense.calibration.stored import load_calibration
from pfsense.store import db
from pfsense.store.calibrations import calibration_history

from .test_cli import pfsense


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def run(home, *args):
    return pfsense("--data-dir", str(home), *args)


def test_patients_from_the_terminal(home):
    added = run(home, "patients", "add", "T. Erminal", "--foot-mm", "270", "--severity", "chronic")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "patient 1: T. Erminal"
    listed = json.loads(run(home, "patients", "list", "--json").stdout)
    assert [(p["name"], p["plan_per_week"]) for p in listed] == [("T. Erminal", [7, 7])]
    target = run(home, "patients", "target", "1", "rolling", "140", "220", "--cadence", "25", "35")
    assert target.returncode == 0, target.stderr
    shown = json.loads(run(home, "patients", "show", "1").stdout)
    rolling = next(t for t in shown["targets"] if t["technique"] == "rolling")
    assert rolling["band_n"] == [140, 220]
    assert len(shown["routine"]) == 6  # the chronic default
    refused = run(home, "patients", "delete", "1")
    assert refused.returncode == 2
    assert "add --yes" in refused.stderr
    assert run(home, "patients", "delete", "1", "--yes").returncode == 0
    assert json.loads(run(home, "patients", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["patients", "add", "X", "--foot-mm", "99"], "Foot length (mm): 99 is too small"),
        (["patients", "add", "X", "--severity", "acute"], "Severity: 'acute' is not one of"),
        (["patients", "show", "5"], "no patient 5"),
        (["patients", "target", "5", "rolling", "100", "200"], "no patient 5"),
        (["export", "session", "3"], "no session 3"),
        (["import", "missing.csv"], "missing.csv: no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(home, args, message):
    result = run(home, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_recording_is_imported_and_exported_again(home, tmp_path):
    run(home, "patients", "add", "I. Mport")
    source = tmp_path / "made-elsewhere.csv"
    assert pfsense("record", "--seconds", "5", "--fast", "-o", str(source)).returncode == 0
    imported = run(home, "import", str(source), "--patient", "1")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("session 1: imported")
    samples = run(home, "export", "session", "1", "--format", "csv")
    rows = list(csv.reader(io.StringIO(samples.stdout)))
    assert rows[0][-3:] == ["force_n", "x_mm", "y_mm"]
    assert len(rows) == 1 + 5 * 80
    report = json.loads(run(home, "export", "session", "1", "--format", "json").stdout)
    assert report["analysis"]["samples"] == 400
    assert report["session"]["status"] == "complete"
    output = tmp_path / "history.csv"
    assert run(home, "export", "history", "1", "-o", str(output)).returncode == 0
    history = list(csv.DictReader(io.StringIO(output.read_text())))
    assert [row["session"] for row in history] == ["1"]


def test_calibrate_a_single_cell_with_a_known_weight(home):
    weight_n = 98.0665
    script = f"rest:2.5; weight:600 force={weight_n}"
    result = run(home, "calibrate", "--weight-n", str(weight_n), "--script", script, "--yes")
    assert result.returncode == 0, result.stderr
    assert "saved for sim/single" in result.stdout
    calibration = load_calibration(home, "sim/single")
    from pfsense.sensors import SensorOptions, open_sensor

    truth = open_sensor("sim", SensorOptions(layout="single")).nominal_calibration
    assert calibration.counts_per_n[0] == pytest.approx(truth.counts_per_n[0], rel=0.005)
    assert calibration.offset_counts[0] == pytest.approx(truth.offset_counts[0], abs=0.5 * 4380)
    with closing(db.connect(home)) as connection:
        history = calibration_history(connection)
    assert [(h["sensor"], h["source"]) for h in history] == [
        ("sim/single", "tare and known weight")
    ]


def test_calibrate_refuses_a_tare_with_someone_pressing(home):
    result = run(home, "calibrate", "--weight-n", "98", "--script", "rolling:60", "--yes")
    assert result.returncode == 2
    assert "tare refused" in result.stderr
    assert load_calibration(home, "sim/single") is None


def test_a_plain_four_cell_csv_is_imported_with_its_plate_size_and_keeps_it(home, tmp_path):
    t_s = np.arange(0, 20, 1 / 40)
    y_mm = 50 * np.sin(2 * np.pi * 0.5 * t_s)  # along the foot, 100 mm strokes
    corners = [200 * (0.25 + sign * y_mm / (2 * 350)) for sign in (1, 1, -1, -1)]
    rows = (",".join(f"{v:.4f}" for v in row) for row in zip(t_s, *corners, strict=True))
    source = tmp_path / "board.csv"
    source.write_text("t,fl,fr,rl,rr\n" + "\n".join(rows) + "\n")
    refused = run(home, "import", str(source))
    assert refused.returncode == 2
    assert "a plain four-cell CSV does not say how far apart its cells are" in refused.stderr
    assert not (home / "recordings").exists() or not list((home / "recordings").iterdir())
    imported = run(home, "import", str(source), "--plate-mm", "250", "350")
    assert imported.returncode == 0, imported.stderr
    # Stored in pfsense's format, so every later reading knows the plate without being told.
    (stored,) = (home / "recordings").iterdir()
    assert "# plate_mm: 250x350" in stored.read_text()
    samples = run(home, "export", "session", "1", "--format", "csv")
    y_exported = np.array([float(r["y_mm"]) for r in csv.DictReader(io.StringIO(samples.stdout))])
    assert np.max(np.abs(y_exported - y_mm)) < 0.2  # off by 400/350 with a guessed plate


def test_a_plain_csv_read_a_hair_over_1000_hz_is_imported(home, tmp_path):
    source = tmp_path / "fast.csv"
    source.write_text("t,force\n" + "".join(f"{i * 0.000999:.6f},100\n" for i in range(3000)))
    imported = run(home, "import", str(source))
    assert imported.returncode == 0, imported.stderr
