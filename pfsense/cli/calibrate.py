"""`pfsense calibrate`: the calibration wizard from the terminal (pfsense.calibration.wizard).
It asks before each step (Enter to go on) unless `--yes`; then it stores the calibration where
`serve` and `record` find it, and in the database's dated list."""

import argparse
import time
from contextlib import closing

from pfsense.errors import ConfigError, SensorTimeout

READ_TIMEOUT_S = 1.0


def add_command(commands, sensor_options) -> None:
    calibrate = commands.add_parser(
        "calibrate",
        parents=[sensor_options],
        help="tare and known-weight calibration of the sensor",
        description="Tare with nothing on, then a known weight at each spot (the centre; for "
        "plate4 also halfway to each corner). Stores the result for serve and record.",
    )
    calibrate.add_argument(
        "--weight-n", type=float, required=True, help="the known weight in newtons (kg x 9.81)"
    )
    calibrate.add_argument(
        "--yes", action="store_true", help="do not wait for Enter before each step"
    )
    calibrate.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from pfsense.calibration.stored import save_calibration, sensor_key
    from pfsense.calibration.wizard import CAPTURE_S, CalibrationWizard
    from pfsense.cli.main import sensor_options
    from pfsense.paths import data_dir
    from pfsense.sensors import open_sensor
    from pfsense.store.calibrations import add_calibration
    from pfsense.store.db import connect

    home = data_dir(args.data_dir)
    if args.sensor.startswith("replay:"):
        raise ConfigError(
            "calibrate needs the device itself (--sensor sim, serial:auto or gpio): a recording "
            "carries the calibration it was made with"
        )
    sensor = open_sensor(args.sensor, sensor_options(args))
    with sensor:
        wizard = CalibrationWizard(
            sensor.layout, sensor.rate_hz, args.weight_n, sensor.nominal_calibration
        )
        while wizard.next_step != "done":
            step = wizard.next_step
            if not args.yes:
                input(f"{step}; press Enter when ready ")
            batch = _capture(sensor, CAPTURE_S, time.time())
            if wizard.offsets is None:
                wizard.tare(batch)
            else:
                wizard.place(batch)
            print(f"done: {step}", flush=True)
        calibration, check = wizard.result()
    if check is not None:
        print(
            f"plate check: within {max(check.position_error_mm):.1f} mm and "
            f"{max(check.force_error_fraction):.2%} at every spot",
            flush=True,
        )
        if not check.passed:
            from pfsense.errors import CalibrationError

            raise CalibrationError(
                "the plate check failed: check that the weight sat on the marks, then again"
            )
    key = sensor_key(sensor.name, sensor.layout.name)
    save_calibration(home, key, calibration)
    with closing(connect(home)) as connection:
        add_calibration(connection, key, calibration)
    scales = ", ".join(f"{v:.1f}" for v in calibration.counts_per_n)
    print(f"saved for {key}: {scales} counts per newton")
    return 0


def _capture(sensor, seconds: float, since_unix: float):
    """`seconds` of raw samples acquired from `since_unix` on, or SensorTimeout if the sensor
    goes quiet. What the sensor (or the serial port's buffer) kept while the person was at the
    prompt is read and let go: it was measured before the weight was where they said."""
    from pfsense.sensors.batch import Batch

    needed = round(seconds * sensor.rate_hz)
    batches, samples = [], 0
    while samples < needed:
        batch = sensor.read(READ_TIMEOUT_S)
        if batch is None:
            raise SensorTimeout("the sensor ended before the step was measured")
        batch = batch.acquired_since(since_unix)
        batches.append(batch)
        samples += len(batch)
    return Batch.concat(batches).select(slice(0, needed))
