"""`pfsense install-service`: a systemd unit that starts pfsense at boot on Raspberry Pi OS
(Bookworm), binds the LAN so a phone can open the page, and restarts it when it fails.

The unit runs as an ordinary user (in the `gpio` and `dialout` groups for the pins and the Pico's
port), never as root, with the data directory in that user's home.
"""

import shlex
import subprocess
import sys
from pathlib import Path

from pfsense.errors import ConfigError

UNIT_NAME = "pfsense.service"
UNIT_DIR = Path("/etc/systemd/system")


def unit_text(
    user: str, executable: list[str], data_dir: str, serve_args: list[str], port: int = 8080
) -> str:
    """The unit file, for `user` running `executable serve ...` on all interfaces.

    >>> "Restart=on-failure" in unit_text("pi", ["/usr/bin/pfsense"], "/home/pi/.pfsense", [])
    True
    """
    command = shlex.join(
        [*executable, "--data-dir", data_dir, "serve", "--host", "0.0.0.0", "--port", str(port),
         *serve_args]
    )  # fmt: skip
    return f"""[Unit]
Description=pfsense: live feedback for plantar-fascia self-massage
# The Pico's USB port and the LAN should be up; pfsense copes if they are not (it waits).
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={user}
SupplementaryGroups=gpio dialout
ExecStart={command}
# pfsense ends streams and the web server on SIGTERM; restart it whenever it stops by itself.
Restart=on-failure
RestartSec=3
KillSignal=SIGTERM
TimeoutStopSec=15
NoNewPrivileges=true
ProtectSystem=full
PrivateTmp=true

[Install]
WantedBy=multi-user.target
"""


def this_pfsense() -> list[str]:
    """How to run the pfsense that is running now (its virtual environment's, say)."""
    return [sys.executable, "-m", "pfsense"]


def install(
    user: str,
    data_dir: str,
    serve_args: list[str],
    port: int,
    unit_dir: Path = UNIT_DIR,
    start: bool = True,
) -> Path:
    """Write the unit; enable and start it with systemctl unless `start` is False."""
    text = unit_text(user, this_pfsense(), data_dir, serve_args, port)
    path = unit_dir / UNIT_NAME
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"cannot write {path}: {error.strerror} (run with sudo, or use --dry-run to see it)"
        ) from None
    if start:
        for command in (
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", UNIT_NAME],
        ):
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode:
                raise ConfigError(f"{shlex.join(command)} failed: {result.stderr.strip()}")
    return path
