"""The `pfsense` command: serve, record, sensors.

User errors (a bad option, an unreadable recording, a missing sensor) print one line on stderr and
exit with status 2; they never show a traceback.
"""

import argparse
import errno
import json
import math
import os
import signal
import sys
from collections.abc import Sequence
from contextlib import closing

from pfsense import __version__
from pfsense.cli import calibrate as cli_calibrate
from pfsense.cli import patients as cli_store
from pfsense.clinical.foot import FOOT_MM_RANGE
from pfsense.clinical.techniques import Zone
from pfsense.errors import ConfigError, PfsenseError, SensorTimeout
from pfsense.sensors.layout import parse_plate_mm

# The simulator, sensors, web server and signal processing are imported by the commands that use
# them, so that `pfsense analyze` and `--help` start quickly.
FAULT_KNOBS = (
    "spike_rate, saturation_rate, all_ones_rate, desync_rate, drop_rate, "
    "stall_at_s, stall_s, stall_channels"
)
SOLE_ZONE_NAMES = ("heel", "arch", "forefoot")

EXIT_USAGE = 2
EXIT_INCOMPLETE = 1  # the sensor failed part-way; the file holds what came
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what `yes | head` leaves for yes
RECORD_TIMEOUT_S = 1.0
MAX_TARGET_N = 2000.0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own: usage and exit 2, kept to one clear line
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pfsense",
        description="Live feedback on plantar-fascia self-massage from HX711 load cells.",
    )
    parser.add_argument("--version", action="version", version=f"pfsense {__version__}")
    parser.add_argument(
        "--data-dir",
        help="where pfsense keeps its data (default: $PFSENSE_HOME, else your user data directory)",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    sensor_options = _sensor_options_parser()

    serve = commands.add_parser(
        "serve",
        parents=[sensor_options],
        help="serve the live page",
        description="Serve the live feedback page and its API (/, /api/status, /api/stream).",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; 0.0.0.0 lets a phone on your network in)",
    )
    serve.add_argument(
        "--port",
        type=_ranged_int(0, 65535),
        default=8080,
        help="TCP port (default 8080; 0 picks a free one)",
    )
    serve.add_argument(
        "--threads",
        type=_ranged_int(2, 256),
        default=4,
        help="web server threads for pages and the API; live streams need none (default 4)",
    )
    serve.add_argument(
        "--cues",
        default="off",
        help="buttons and lights on the Pi's GPIO: off (default), or pins such as "
        "button=17,led=27,buzzer=22 (BCM; any of them)",
    )
    _feature_options(serve)
    serve.set_defaults(handler=cmd_serve)

    record = commands.add_parser(
        "record",
        parents=[sensor_options],
        help="record raw counts to a CSV file",
        description="Record a sensor's raw counts, with the metadata to replay them, as CSV.",
    )
    record.add_argument(
        "--seconds", type=float, required=True, help="how long to record (sensor time)"
    )
    record.add_argument("-o", "--output", required=True, help="the CSV file to write")
    record.add_argument(
        "--fast", action="store_true", help="do not wait in real time (sim and replay only)"
    )
    record.set_defaults(handler=cmd_record)

    analyze = commands.add_parser(
        "analyze",
        help="analyse a recording: force, rhythm, holds, coverage, technique, score",
        description="Analyse a pfsense recording, or a plain CSV in newtons "
        "(t,force or t,fl,fr,rl,rr).",
    )
    analyze.add_argument("file", help="the recording (CSV)")
    analyze.add_argument(
        "--plate-mm",
        nargs="+",
        metavar="MM",
        help="plate width and length for a plain four-cell CSV",
    )
    _feature_options(analyze)
    analyze.add_argument("--zone", choices=SOLE_ZONE_NAMES, help="single cell: the zone worked")
    analyze.add_argument("--json", action="store_true", help="print one JSON object")
    analyze.set_defaults(handler=cmd_analyze)

    sensors = commands.add_parser(
        "sensors",
        parents=[sensor_options],
        help="list sensors, or diagnose one",
        description="List the sensor drivers, or read one for a while and report on it.",
    )
    sensors.add_argument(
        "--diagnose", action="store_true", help="read the --sensor for --seconds and report"
    )
    sensors.add_argument(
        "--seconds", type=float, default=3.0, help="how long to read when diagnosing (default 3)"
    )
    sensors.set_defaults(handler=cmd_sensors)
    cli_store.add_commands(commands)
    cli_store.add_service_command(commands)
    cli_calibrate.add_command(commands, sensor_options)
    return parser


def _feature_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help="target force band in N (default 127 267, from roller studies: Grabow 2018)",
    )
    parser.add_argument("--foot-mm", type=float, help="foot length in mm (default 260)")


def features_arg(args: argparse.Namespace, rate_hz: float, is_plate: bool):
    """FeatureConfig from --target and --foot-mm."""
    from pfsense.dsp.features import FeatureConfig

    band, foot_mm = target_band_arg(args.target), foot_mm_arg(args.foot_mm)
    return FeatureConfig.with_defaults(rate_hz, is_plate, band, foot_mm)


def _sensor_options_parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("sensor")
    group.add_argument("--sensor", default="sim", help="sim or replay:PATH (default sim)")
    group.add_argument(
        "--layout",
        default="single",
        help="single (one cell under a ball) or plate4 (four corner cells)",
    )
    group.add_argument(
        "--plate-mm",
        nargs="+",
        metavar="MM",
        help="plate width and length in mm for plate4: 300 400 or 300x400 (default 300 400)",
    )
    group.add_argument(
        "--rate", type=_int_arg, default=80, help="HX711 samples per second: 10 or 80 (default 80)"
    )
    group.add_argument(
        "--seed", type=_int_arg, default=0, help="the simulator's random seed (default 0)"
    )
    group.add_argument(
        "--free-running",
        action="store_true",
        help="simulator: keep to --script during a guided session instead of doing what it asks",
    )
    group.add_argument(
        "--script", help="simulator script, e.g. 'rolling@arch:60 force=220; rest:10'"
    )
    group.add_argument(
        "--pins",
        help="gpio: DOUT:SCK BCM pins per cell, e.g. 5:6 or 5:6,13:19,20:21,23:24 (the default)",
    )
    group.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"simulator fault knob, repeatable: {FAULT_KNOBS}",
    )
    return options


def _ranged_int(low: int, high: int):
    def parse(text: str) -> int:
        value = _int_arg(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range: expected {low} to {high}")
        return value

    return parse


def _int_arg(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def plate_mm_arg(values: list[str] | None) -> tuple[float, float] | None:
    """--plate-mm as two numbers or one WxL."""
    return parse_plate_mm("x".join(values)) if values else None


def target_band_arg(values: list[float] | None) -> tuple[float, float] | None:
    """--target LOW HIGH in newtons, checked."""
    if values is None:
        return None
    low, high = values
    if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or high > MAX_TARGET_N:
        raise ConfigError(f"--target {low:g} {high:g}: expected newtons from 0 to {MAX_TARGET_N:g}")
    if low >= high:
        raise ConfigError(f"--target {low:g} {high:g}: LOW must be below HIGH")
    return low, high


def foot_mm_arg(value: float | None) -> float | None:
    low, high = FOOT_MM_RANGE
    if value is not None and not low <= value <= high:
        raise ConfigError(
            f"--foot-mm {value:g}: expected a foot length from {low:g} to {high:g} mm"
        )
    return value


def sensor_options(args: argparse.Namespace, realtime: bool = True):
    """SensorOptions from the command line, every value checked."""
    from pfsense.sensors import SensorOptions
    from pfsense.sim.faults import parse_fault_knobs
    from pfsense.sim.script import parse_script

    layout = args.layout
    if layout not in ("single", "plate4"):
        raise ConfigError(f"unknown layout {layout!r}: expected 'single' or 'plate4'")
    if args.rate not in (10, 80):
        raise ConfigError(
            f"rate {args.rate} SPS is not an HX711 rate: expected 10 or 80 (the board's RATE pin)"
        )
    channels = ("fl", "fr", "rl", "rr") if layout == "plate4" else ("cell",)
    return SensorOptions(
        layout=layout,
        plate_mm=plate_mm_arg(args.plate_mm),
        rate_hz=args.rate,
        realtime=realtime,
        seed=args.seed,
        script=tuple(parse_script(args.script)) if args.script else None,
        faults=parse_fault_knobs(args.fault, channels),
        gpio_pins=args.pins,
        follow_routine=not args.free_running,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from pfsense.live.service import LiveService
    from pfsense.paths import data_dir
    from pfsense.sensors import open_sensor
    from pfsense.web import create_app
    from pfsense.web.serving import serve_app

    home = data_dir(args.data_dir)
    from pfsense.live.cues import CuePins
    from pfsense.paths import DataDirLock

    lock = DataDirLock(home)
    lock.acquire()  # before the store is opened: a second server must not touch the first's
    _fewer_malloc_arenas()

    # Refuse a bad --target, --foot-mm or --cues before touching the sensor.
    target_band_arg(args.target)
    foot_mm_arg(args.foot_mm)
    CuePins.parse(args.cues)
    sensor = open_sensor(args.sensor, sensor_options(args))
    features = features_arg(args, sensor.rate_hz, sensor.layout.is_plate)
    live = LiveService(
        sensor,
        _calibration_for(sensor, home),
        features=features,
        data_dir=home,
        on_calibrated=_calibration_saver(sensor, home),
    )
    # Reachable from the network: patients' data only for the therapist or a paired browser,
    # and their names left out of the live status that any page on the network is sent.
    private = args.host not in ("127.0.0.1", "localhost", "::1")
    live.loop.hide_names = private
    app = create_app(live, {"PFSENSE_DATA_DIR": str(home), "PFSENSE_PRIVATE": private})
    try:
        server, streams = serve_app(app, live, args.host, args.port, args.threads)
    except (OSError, ValueError) as error:
        sensor.close()
        raise ConfigError(_listen_problem(args.host, args.port, error)) from None
    live.start()
    _stop_on_signals(live)
    port = server.effective_port
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(
        f"pfsense: serving {sensor.name} ({sensor.layout.name}) "
        f"at http://{host}:{port}/  (Ctrl-C stops)",
        flush=True,
    )
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"pfsense: bound to {args.host}: other devices on your network can open this page",
            flush=True,
        )
    _print_setup_code(app, home)
    if private:
        from pfsense.web.pairing import pairing_code

        print(
            f"pfsense: patients' data is for the therapist, or a browser paired with the code "
            f"{pairing_code(app)} (the device's own page shows it too)",
            flush=True,
        )
    cues = _start_cues(live, args.cues)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if cues is not None:
            cues.close()
        live.stop()
        streams.close()
        server.close()
        lock.release()
    return 0


def _fewer_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own heap ("arena") and keeps what it grew to:
    with a worker per request, a large export leaves that much behind in every thread. Two
    arenas bound it (measured: 94 MB after six 25 MB traces, 124 MB with glibc's default)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except OSError:
        pass  # not glibc: nothing to bound


def _print_setup_code(app, home) -> None:
    """Until a therapist PIN is set, the code that setting the first one at /therapist needs:
    it is shown here, on the device, so that nobody else on the network can claim the PIN."""
    from pfsense.store import db, pin
    from pfsense.web.auth import setup_code

    try:
        with closing(db.connect(home)) as connection:
            if pin.pin_is_set(connection):
                return
    except ConfigError as error:  # the page says so too; the live view carries on
        print(f"pfsense: nothing can be saved: {error}", flush=True)
        return
    print(
        f"pfsense: no therapist PIN yet: set one at /therapist with the setup code "
        f"{setup_code(app)} (or here: pfsense therapist set-pin)",
        flush=True,
    )


def _start_cues(live, text: str):
    """The button, LED and buzzer if asked for; without GPIO they are off, said once."""
    from pfsense.live.cues import CuePins, Cues

    if text == "off":
        return None
    cues = Cues(live, CuePins.parse(text))
    if cues.start():
        print(f"pfsense: cues on GPIO: {text}", flush=True)
        return cues
    print("pfsense: cues are off: no usable GPIO on this computer (see the log)", flush=True)
    return None


def _calibration_for(sensor, home):
    """The stored calibration for this kind of sensor, if any; a recording brings its own."""
    from pfsense.calibration.stored import load_calibration, sensor_key

    if sensor.name.startswith("replay:"):
        return sensor.nominal_calibration
    return (
        load_calibration(home, sensor_key(sensor.name, sensor.layout.name))
        or sensor.nominal_calibration
    )


def _calibration_saver(sensor, home):
    """Where a tare on the page is kept: with the stored calibrations, except for a replay,
    whose calibration is the recording's own."""
    from pfsense.calibration.stored import save_calibration, sensor_key
    from pfsense.store.calibrations import add_calibration
    from pfsense.store.db import connect

    if sensor.name.startswith("replay:"):
        return None
    key = sensor_key(sensor.name, sensor.layout.name)

    def save(calibration) -> None:
        save_calibration(home, key, calibration)
        with closing(connect(home)) as connection:
            add_calibration(connection, key, calibration)

    return save


def _listen_problem(host: str, port: int, error: Exception) -> str:
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return f"cannot listen on {host}:{port}: the port is in use; choose another --port"
    reason = error.strerror if isinstance(error, OSError) else "not a valid address"
    return f"cannot listen on {host}:{port}: {reason}; --host must be an address of this computer"


def _stop_on_signals(live) -> None:
    """Ctrl-C and systemd's SIGTERM: end the streams first, so that waitress's own shutdown
    (which waits for its worker threads) is not held up by open Server-Sent-Events responses."""

    def stop(*_args: object) -> None:
        live.stop()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


MAX_RECORD_S = 12 * 3600.0  # far more than a session (minutes); 12 h of plate4 is ~240 MB
MAX_DIAGNOSE_S = 600.0


def _check_seconds(seconds: float, most_s: float) -> None:
    """A duration that ends: positive, finite and at most `most_s` (1e999 would run forever)."""
    if not 0 < seconds <= most_s:
        raise ConfigError(
            f"--seconds {seconds:g}: expected a duration above 0 and at most {most_s:g} s"
        )


def cmd_record(args: argparse.Namespace) -> int:
    from pfsense.sensors.recording import RecordingWriter

    _check_seconds(args.seconds, MAX_RECORD_S)
    from pfsense.paths import data_dir
    from pfsense.sensors import open_sensor

    options = sensor_options(args, realtime=not args.fast)
    with open_sensor(args.sensor, options) as sensor:
        cal = _calibration_for(sensor, data_dir(args.data_dir))
        with RecordingWriter(
            args.output, sensor.layout, sensor.rate_hz, cal, sensor.name
        ) as writer:
            seconds, problem = _record(sensor, writer, args.seconds)
    print(
        f"pfsense: recorded {writer.samples} samples ({seconds:.1f} s) to {args.output}",
        file=sys.stderr,
    )
    if problem:
        print(f"pfsense: error: {problem}; what was recorded is kept", file=sys.stderr)
        return EXIT_INCOMPLETE
    return 0


def _record(sensor, writer, seconds: float) -> tuple[float, str]:
    """Write batches until `seconds` of sensor time are in the file. Returns the seconds written
    and what cut the recording short, if anything. A stall as long as the recording gives up;
    Ctrl-C keeps what was written."""
    start_t_s = None
    t_s = 0.0
    silent_s = 0.0
    try:
        while True:
            try:
                batch = sensor.read(RECORD_TIMEOUT_S)
            except SensorTimeout as error:
                if silent_s == 0.0:
                    print(f"pfsense: warning: {error}", file=sys.stderr)
                silent_s += RECORD_TIMEOUT_S
                if silent_s >= seconds:
                    return t_s, f"no sample for {silent_s:g} s: the sensor is stalled or unplugged"
                continue
            silent_s = 0.0
            if batch is None:
                return t_s, ""
            start_t_s = batch.t_s[0] if start_t_s is None else start_t_s
            keep = batch.t_s < start_t_s + seconds
            writer.write(batch.select(keep))
            t_s = float(batch.t_s[keep][-1] - start_t_s) if keep.any() else t_s
            if not keep.all():
                return t_s, ""
    except KeyboardInterrupt:
        return t_s, "stopped by Ctrl-C"


def cmd_analyze(args: argparse.Namespace) -> int:
    from pfsense.dsp.report import analyze, format_report
    from pfsense.sensors.recording import open_recording

    band, foot_mm = target_band_arg(args.target), foot_mm_arg(args.foot_mm)
    zone = Zone(args.zone) if args.zone else None
    with open_recording(args.file, plate_mm_arg(args.plate_mm)) as recording:
        result = analyze(recording, band, foot_mm, zone)
    print(json.dumps(result) if args.json else format_report(result, args.file))
    return 0


def cmd_sensors(args: argparse.Namespace) -> int:
    from pfsense.sensors import available_sensors, open_sensor

    if args.diagnose:
        _check_seconds(args.seconds, MAX_DIAGNOSE_S)
        from pfsense.sensors.diagnose import diagnose, format_report

        print(format_report(diagnose(open_sensor(args.sensor, sensor_options(args)), args.seconds)))
        return 0
    for kind in available_sensors():
        mark = "yes" if kind.available else "no "
        print(f"{kind.pattern:<13} {mark}  {kind.description} ({kind.detail})")
    print("\nDiagnose one with: pfsense sensors --diagnose --sensor NAME [--seconds N]")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Everything pfsense writes (database, recordings, exports, keys) is for its user alone.
    os.umask(0o077)
    try:
        return args.handler(args)
    except PfsenseError as error:
        print(f"pfsense: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`pfsense analyze ... | head`): end quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
