"""The simulated sensor's physics: a foot working a ball, load cells, and HX711s with faults.

`Simulation` produces rows of raw counts with the ground truth behind each; the `sim` sensor driver
(pfsense.sensors.sim) paces them like real hardware.
"""

from pfsense.sim.faults import FaultCode, FaultKnobs
from pfsense.sim.hx711 import HX711Model
from pfsense.sim.motion import Variability
from pfsense.sim.script import REST, Segment, demo_script, parse_script
from pfsense.sim.simulator import SimConfig, SimTruth, Simulation

__all__ = [
    "REST",
    "FaultCode",
    "FaultKnobs",
    "HX711Model",
    "Segment",
    "SimConfig",
    "SimTruth",
    "Simulation",
    "Variability",
    "demo_script",
    "parse_script",
]
