"""`make run` installs only what running needs: the test tools are an extra that `make test` adds,
and serving the page never imports them."""

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEST_ONLY = ("pytest", "playwright", "ruff", "adafruit", "blinka")


def requirement_names(requirements: list[str]) -> list[str]:
    return [req.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip().lower()
            for req in requirements]  # fmt: skip


def test_the_run_dependencies_hold_no_test_tool():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    run = requirement_names(project["dependencies"])
    assert not [name for name in run if name.startswith(TEST_ONLY)], run
    test = requirement_names(project["optional-dependencies"]["test"])
    assert "pytest" in test
    assert "playwright" in test


def test_make_run_installs_the_package_without_extras(tmp_path):
    dry_run = subprocess.run(
        ["make", "-n", "-C", str(REPO), "run", f"VENV={tmp_path / 'venv'}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    installs = [line for line in dry_run.stdout.splitlines() if "pip install" in line]
    assert any(line.rstrip().endswith("install --quiet -e .") for line in installs), installs
    assert not any("[test]" in line for line in installs), installs


# Imports the test tools would satisfy: refused, so serving must do without them.
BLOCKER = """
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0].lower().startswith({blocked!r}):
            raise ImportError(f"{{name}} is a test tool: serving must not need it")
sys.meta_path.insert(0, Refuse())
"""

SERVE = """
from pfsense.live.service import LiveService
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.web import create_app
live = LiveService(open_sensor("sim", SensorOptions(layout="plate4")))
live.start()
client = create_app(live).test_client()
pages = [client.get(path).status_code for path in ("/", "/therapist", "/api/status")]
stream = client.get("/api/stream", buffered=False)
first = next(stream.response)
stream.close()
live.stop()
print(pages, first[:6])
"""


def test_serving_the_page_imports_no_test_tool():
    probe = BLOCKER.format(blocked=TEST_ONLY) + SERVE
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[200, 200, 200] b'retry:'"
