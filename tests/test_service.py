"""`pfsense install-service`: the systemd unit it writes, without touching the real system."""

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


def test_a_unit_that_cannot_be_written_is_one_clear_line(tmp_path):
    # A file where the unit directory should be: refused even for root, which CI runs as.
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    result = pfsense("install-service", "--user", "pi", "--unit-dir", str(blocked), "--no-start")
    assert result.returncode == 2
    assert "cannot write" in result.stderr
    assert "run with sudo, or use --dry-run" in result.stderr
    assert "Traceback" not in result.stderr


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
