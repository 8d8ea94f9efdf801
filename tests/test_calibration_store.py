"""Stored calibrations: saved in the data directory and applied by serve and record."""

import json
import stat

import pytest

from pfsense.calibration.model import Calibration
from pfsense.calibration.stored import FILENAME, load_calibration, save_calibration, sensor_key
from pfsense.errors import ConfigError
from pfsense.sensors.recording import read_recording

from .test_cli import pfsense


def test_save_and_load_round_trip_owner_only(tmp_path):
    calibration = Calibration(
        (1.5, 2.5, 3.5, 4.5), (4000.0, 4100.0, 4200.0, 4300.0), "tare + 10 kg"
    )
    save_calibration(tmp_path, "sim/plate4", calibration)
    assert load_calibration(tmp_path, "sim/plate4") == calibration
    assert load_calibration(tmp_path, "sim/single") is None
    assert stat.S_IMODE((tmp_path / FILENAME).stat().st_mode) == 0o600


def test_a_damaged_file_is_reported_not_crashed_on(tmp_path):
    (tmp_path / FILENAME).write_text("{ not json")
    with pytest.raises(ConfigError, match="is not a calibration file"):
        load_calibration(tmp_path, "sim/plate4")


def test_sensor_keys():
    assert sensor_key("serial:/dev/ttyACM1", "plate4") == "serial/plate4"
    assert sensor_key("sim", "single") == "sim/single"


def test_record_applies_the_stored_calibration(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    stored = Calibration((0.0,), (2000.0,), "tare + 5 kg")
    save_calibration(home, "sim/single", stored)
    out = tmp_path / "r.csv"
    result = pfsense("--data-dir", str(home), "record", "--fast", "--seconds", "1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    recording = read_recording(out)
    assert recording.calibration == stored


def test_a_damaged_calibration_file_stops_serve_with_one_line(tmp_path):
    (tmp_path / FILENAME).write_text(json.dumps({"version": 99}))
    result = pfsense("--data-dir", str(tmp_path), "serve", "--port", "0")
    assert result.returncode == 2
    assert "expected a pfsense calibration file" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_applies_the_stored_calibration_and_the_target_band(tmp_path):
    from .server import served
    from .test_serve import fetch

    save_calibration(tmp_path, "sim/plate4", Calibration((0.0,) * 4, (4379.6,) * 4, "tare + 10 kg"))
    with served(
        "--layout", "plate4", "--target", "150", "250", env={"PFSENSE_HOME": str(tmp_path)}
    ) as (
        _process,
        url,
    ):
        status = json.loads(fetch(url + "api/status"))
        page = fetch(url)
    assert status["calibration"]["source"] == "tare + 10 kg"
    assert status["target_band_n"] == [150.0, 250.0]
    assert 'data-band-low="150.0"' in page
