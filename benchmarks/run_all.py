"""Every benchmark, one after another: `make bench`."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHMARKS = (
    "bench_sim.py",
    "bench_recording.py",
    "bench_serve.py",
    "bench_browser.py",
    "bench_dsp_speed.py",
    "bench_analyze.py",
    "bench_dsp_accuracy.py",
    "bench_store.py",
    "bench_serial.py",
    "bench_gpio.py",
    "bench_techniques.py",
    "bench_cleaning.py",
    "bench_abuse.py",
)

for name in BENCHMARKS:
    print(f"# {name}", flush=True)
    sys.argv = [name]  # each parses its own (empty) command line
    runpy.run_path(str(HERE / name), run_name="__main__")
