"""`pfsense install-service`: the systemd unit it writes, without touching the real system."""

import subprocess
import sys

from .test_cli import pfsense


def test_the_unit_serves_the_lan_as_a_user_and_restarts_on_failure():
    result = pfsense(
        "install-service", "--dry-run", "--user", "pi", "--layout", "plate4",
        "--cues", "button=17,led=27,buzzer=22",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    unit = result.stdout
    assert "User=pi\n" in unit
    assert "SupplementaryGroups=gpio dialout" in unit
    assert "Restart=on-failure" in unit
    assert "WantedBy=multi-user.target" in unit
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert f"{sys.executable} -m pfsense" in exec_start
    assert "--host 0.0.0.0" in exec_start  # a phone on the network can open the page
    assert "--sensor serial:auto --layout plate4 --cues button=17,led=27,buzzer=22" in exec_start
    assert "--data-dir /home/pi/.local/share/pfsense" in exec_start


def test_the_unit_is_written_where_asked(tmp_path):
    result = pfsense("install-service", "--user", "pi", "--unit-dir", str(tmp_path), "--no-start")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "pfsense.service").read_text().startswith("[Unit]")


def test_without_permission_it_says_what_to_do(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = pfsense("install-service", "--user", "pi", "--unit-dir", str(locked), "--no-start")
    if subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() == "0":
        assert result.returncode == 0  # root may write anywhere: nothing to refuse
        return
    assert result.returncode == 2
    assert "run with sudo" in result.stderr


def test_the_checked_in_example_unit_is_what_the_command_writes():
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "firmware" / "pi" / "pfsense.service"
    result = pfsense(
        "install-service", "--dry-run", "--user", "pi", "--layout", "plate4",
        "--cues", "button=17,led=27,buzzer=22",
    )  # fmt: skip
    written = result.stdout.replace(
        f"{sys.executable} -m pfsense", "/home/pi/pfsense/.venv/bin/pfsense"
    )
    assert example.read_text() == written
