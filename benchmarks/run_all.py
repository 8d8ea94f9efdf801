"""Every benchmark, one after another: `make bench`."""

import runpy
from pathlib import Path

HERE = Path(__file__).parent

for name in ("bench_sim.py", "bench_recording.py", "bench_stream.py"):
    print(f"# {name}")
    runpy.run_path(str(HERE / name), run_name="__main__")
