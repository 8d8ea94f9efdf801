"""The page's files come with a normal (non-editable) install too, not only from the source tree."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_a_wheel_carries_the_web_files_and_serves_the_page(tmp_path):
    repo = Path(__file__).resolve().parent.parent
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run(
        [*pip, "wheel", str(repo), "--no-deps", "-w", str(wheels)], check=True, capture_output=True
    )
    wheel = next(wheels.glob("pfsense-*.whl"))
    install = [*pip, "install", "--no-deps", "--target", str(target), str(wheel)]
    subprocess.run(install, check=True, capture_output=True)
    probe = (
        "import pfsense, pfsense.paths as p;"
        "from pfsense.live.service import LiveService; from pfsense.sensors import open_sensor;"
        "from pfsense.web import create_app;"
        "app = create_app(LiveService(open_sensor('sim')));"
        "c = app.test_client(); r = c.get('/'); s = c.get('/static/live.js');"
        "print(pfsense.__file__, p.web_dir(), r.status_code, s.status_code); s.close()"
    )
    result = subprocess.run([sys.executable, "-c", probe], env={"PYTHONPATH": str(target)},
                            cwd=tmp_path, capture_output=True, text=True, check=True)  # fmt: skip
    module, web, page, script = result.stdout.split()
    assert module.startswith(str(target))  # the installed copy, not the source tree
    assert web == str(target / "pfsense" / "_web")
    assert (page, script) == ("200", "200")
