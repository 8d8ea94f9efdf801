"""How fast the simulator makes data when not paced: tests and recordings lean on this.

Run: .venv/bin/python benchmarks/bench_sim.py
"""

from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sim import FaultKnobs

try:
    from benchmarks.common import median_seconds, report
except ImportError:  # run as a script
    from common import median_seconds, report

SIM_SECONDS = 600.0  # ten simulated minutes


def simulate(layout: str, faults: FaultKnobs) -> int:
    options = SensorOptions(layout=layout, realtime=False, loop=True, faults=faults)
    samples = 0
    with open_sensor("sim", options) as sensor:
        while samples < SIM_SECONDS * 80:
            samples += len(sensor.read())
    return samples


def main() -> None:
    faulty = FaultKnobs(spike_rate=0.01, saturation_rate=0.01, desync_rate=0.01, drop_rate=0.01)
    for layout, faults, label in [
        ("single", FaultKnobs(), "single, clean"),
        ("plate4", FaultKnobs(), "plate4, clean"),
        ("plate4", faulty, "plate4, 1 % of each fault"),
    ]:
        seconds = median_seconds(lambda layout=layout, faults=faults: simulate(layout, faults))
        report(f"sim {label}: 10 simulated min", seconds * 1000, "ms (median)")
        report(f"sim {label}: speed", SIM_SECONDS / seconds, "x real time")


if __name__ == "__main__":
    main()
