import os
from pathlib import Path

import pytest

from pfsense.clinical.techniques import Technique, Zone
from pfsense.sensors.layout import make_layout
from pfsense.sensors.sim import SimSensor
from pfsense.sim import FaultKnobs, SimConfig
from pfsense.sim.script import Segment


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's real data directory."""
    monkeypatch.setenv("PFSENSE_HOME", str(tmp_path / "pfsense-home"))


def sim_config(layout: str = "plate4", **overrides) -> SimConfig:
    """A simulator config for tests: one minute of rolling on the arch unless told otherwise."""
    fields = {
        "layout": make_layout(layout),
        "script": (Segment(Technique.ROLLING, 60.0, Zone.ARCH),),
        "loop": False,
        "seed": 1,
        **overrides,
    }
    return SimConfig(**fields)


def fast_sim(layout: str = "plate4", faults: FaultKnobs | None = None, **overrides) -> SimSensor:
    config = sim_config(layout, faults=faults or FaultKnobs(), **overrides)
    return SimSensor(config, realtime=False)


def python_env() -> dict:
    env = dict(os.environ)
    env.pop("PFSENSE_HOME", None)
    return env
