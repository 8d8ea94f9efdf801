"""`pfsense patients`, `pfsense export` and `pfsense import`: the store from the terminal, for
scripting. The data directory is owner-only (0700), so the PIN that guards the web page is not
asked here: whoever can run these as that user can read the database file anyway."""

import argparse
import json
import sys
from contextlib import closing, contextmanager
from pathlib import Path

from pfsense.errors import ConfigError, InvalidInput
from pfsense.store import checks

TECHNIQUE_NAMES = (
    "rolling", "deep_tissue", "cross_fiber_friction", "myofascial_release", "trigger_point",
    "calf_release",
)  # fmt: skip


def add_commands(commands) -> None:
    patients = commands.add_parser(
        "patients",
        help="list, add, show, edit targets of, or delete patients",
        description="Patients in the data directory's database.",
    )
    actions = patients.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every patient, a line each")
    listing.add_argument("--json", action="store_true")
    add = actions.add_parser("add", help="add a patient")
    add.add_argument("name", help="a name or pseudonym")
    add.add_argument("--foot-mm", type=float, default=260.0, help="foot length (default 260)")
    add.add_argument("--foot", default="both", help="affected foot: left, right or both")
    add.add_argument("--severity", default="mild", help="mild (2-3 a week) or chronic (daily)")
    add.add_argument("--notes", default="")
    show = actions.add_parser("show", help="a patient's targets, routine, sessions, adherence")
    show.add_argument("id", type=_row_id)
    target = actions.add_parser("target", help="set a patient's target for a technique")
    target.add_argument("id", type=_row_id)
    target.add_argument("technique", choices=TECHNIQUE_NAMES)
    target.add_argument("low_n", type=float, metavar="LOW")
    target.add_argument("high_n", type=float, metavar="HIGH")
    target.add_argument("--cadence", nargs=2, type=float, metavar=("LOW", "HIGH"))
    target.add_argument("--duration-s", type=float, default=60.0)
    delete = actions.add_parser("delete", help="delete a patient and all their sessions")
    delete.add_argument("id", type=_row_id)
    delete.add_argument("--yes", action="store_true", help="really: nothing is kept")
    patients.set_defaults(handler=cmd_patients)

    export = commands.add_parser(
        "export",
        help="export a session (CSV of samples, or JSON report) or a patient's history (CSV)",
        description="Export from the database: `session ID --format csv|json` or `history ID`.",
    )
    export.add_argument("what", choices=("session", "history"))
    export.add_argument("id", type=_row_id, help="the session's or the patient's id")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.set_defaults(handler=cmd_export)

    imported = commands.add_parser(
        "import",
        help="import a recording as an analysed session",
        description="Copy a recording into the data directory and store it as a session.",
    )
    imported.add_argument("file")
    imported.add_argument("--patient", type=_row_id, help="the patient it belongs to")
    imported.add_argument(
        "--plate-mm",
        nargs="+",
        metavar="MM",
        help="plate width and length in mm, for a plain four-cell CSV: 300 400 or 300x400",
    )
    imported.set_defaults(handler=cmd_import)

    therapist = commands.add_parser(
        "therapist",
        help="set or reset the therapist's PIN, at the device",
        description="The therapist's PIN, set here at the device (it asks twice; piped input "
        "gives it as two lines). `reset-pin` replaces a forgotten one and ends every login.",
    )
    pin_actions = therapist.add_subparsers(dest="action", required=True, metavar="ACTION")
    pin_actions.add_parser("set-pin", help="set the first PIN")
    pin_actions.add_parser("reset-pin", help="replace the PIN (a forgotten one too)")
    therapist.set_defaults(handler=cmd_therapist)


def add_service_command(commands) -> None:
    service = commands.add_parser(
        "install-service",
        help="start pfsense at boot on a Raspberry Pi (systemd)",
        description="Write /etc/systemd/system/pfsense.service (run with sudo) and enable it: "
        "pfsense then serves on all interfaces so a phone on the network can open the page, "
        "and restarts if it fails.",
    )
    service.add_argument("--user", help="who runs it (default: the user who ran sudo)")
    service.add_argument("--port", type=int, default=8080)
    service.add_argument("--sensor", default="serial:auto", help="default serial:auto (a Pico)")
    service.add_argument("--layout", default="single", help="single or plate4")
    service.add_argument("--cues", default="off", help="as for serve, e.g. button=17,led=27")
    service.add_argument("--dry-run", action="store_true", help="print the unit, change nothing")
    service.add_argument("--unit-dir", default=None, help=argparse.SUPPRESS)  # for the tests
    service.add_argument("--no-start", action="store_true", help="write it, do not enable it")
    service.set_defaults(handler=cmd_install_service)


def cmd_install_service(args: argparse.Namespace) -> int:
    import getpass
    import os

    from pfsense.cli import install_service as service
    from pfsense.live.cues import CuePins

    CuePins.parse(args.cues)
    user = args.user or os.environ.get("SUDO_USER") or getpass.getuser()
    data_dir = args.data_dir or str(_home_of(user) / ".local/share/pfsense")
    serve_args = ["--sensor", args.sensor, "--layout", args.layout, "--cues", args.cues]
    if args.dry_run:
        print(service.unit_text(user, service.this_pfsense(), data_dir, serve_args, args.port))
        return 0
    unit_dir = Path(args.unit_dir) if args.unit_dir else service.UNIT_DIR
    path = service.install(user, data_dir, serve_args, args.port, unit_dir, not args.no_start)
    print(f"wrote {path}" + ("" if args.no_start else "; enabled and started"))
    return 0


def _home_of(user: str) -> Path:
    """The user's home, or where Raspberry Pi OS puts it for a user not on this machine."""
    import pwd

    try:
        return Path(pwd.getpwnam(user).pw_dir)
    except KeyError:
        return Path("/home") / user


def cmd_patients(args: argparse.Namespace) -> int:
    from pfsense.store import patients, targets

    with _store(args) as (connection, home):
        if args.action == "list":
            rows = [p.to_dict() for p in patients.list_patients(connection)]
            _print_rows(rows, args.json, ("id", "name", "severity", "foot_mm", "affected_foot"))
        elif args.action == "add":
            fields = {"name": args.name, "foot_mm": args.foot_mm, "affected_foot": args.foot,
                      "severity": args.severity, "notes": args.notes}  # fmt: skip
            patient = patients.add_patient(connection, patients.checked_patient(fields))
            print(f"patient {patient.id}: {patient.name}")
        elif args.action == "show":
            print(json.dumps(_patient_document(connection, args.id), indent=2))
        elif args.action == "target":
            patients.get_patient(connection, args.id)
            fields = {"technique": args.technique, "band_n": [args.low_n, args.high_n],
                      "cadence_per_min": args.cadence, "duration_s": args.duration_s}  # fmt: skip
            targets.set_target(connection, args.id, targets.checked_target(fields))
            print(f"patient {args.id}: {args.technique} {args.low_n:g}-{args.high_n:g} N")
        elif args.action == "delete":
            if not args.yes:
                raise ConfigError("deleting removes the patient and every session: add --yes")
            removed = patients.delete_patient(connection, args.id, home)
            print(f"patient {args.id} deleted, with {removed} recording(s)")
    return 0


def cmd_therapist(args: argparse.Namespace) -> int:
    from pfsense.store import pin

    with _store(args) as (connection, _home):
        if args.action == "set-pin" and pin.pin_is_set(connection):
            raise ConfigError("a PIN is set already: `pfsense therapist reset-pin` replaces it")
        new_pin = _ask_pin_twice()
        pin.set_pin(connection, new_pin)  # a running server's logins end with the old PIN
        print("therapist PIN set: every login with an older PIN has ended")
    return 0


def _ask_pin_twice() -> str:
    """The new PIN, typed twice without echo (or two lines of piped input)."""
    import getpass

    from pfsense.store import pin

    if sys.stdin.isatty():
        first = getpass.getpass("new PIN (4-12 digits): ")
        second = getpass.getpass("the same PIN again: ")
    else:
        first, second = sys.stdin.readline().strip(), sys.stdin.readline().strip()
    if first != second:
        raise ConfigError("the two PINs differ: nothing was changed")
    try:
        return pin.checked_pin(first)
    except InvalidInput as error:
        raise ConfigError(f"{error}: nothing was changed") from None


def cmd_export(args: argparse.Namespace) -> int:
    from pfsense.store import exports

    with _store(args) as (connection, home):
        if args.what == "history":
            pieces = exports.Pieces([exports.history_csv(connection, args.id)])
        elif args.format == "json":
            report = exports.session_report(connection, home, args.id)
            pieces = exports.Pieces([json.dumps(report, indent=2)])
        else:  # as long as the recording: written a piece at a time
            pieces = exports.session_samples_csv(connection, home, args.id)
    with pieces:  # its spool is closed even if the output cannot be opened
        if args.output:
            try:
                with open(args.output, "w", encoding="utf-8", newline="") as file:
                    file.writelines(pieces)
            except OSError as error:
                raise ConfigError(f"cannot write {args.output}: {error.strerror}") from None
        else:
            sys.stdout.writelines(pieces)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from pfsense.sensors.layout import parse_plate_mm
    from pfsense.store import exports

    plate_mm = parse_plate_mm("x".join(args.plate_mm)) if args.plate_mm else None
    with _store(args) as (connection, home):
        session_id = exports.import_recording(
            connection, home, Path(args.file), args.patient, plate_mm
        )
    print(f"session {session_id}: imported {args.file}")
    return 0


def _patient_document(connection, patient_id: int) -> dict:
    from pfsense.store import patients, routines, sessions, targets

    patient = patients.get_patient(connection, patient_id)
    return {
        "patient": patient.to_dict(),
        "targets": [t.to_dict() for t in targets.targets_for(connection, patient_id).values()],
        "routine": [
            s.to_dict() for s in routines.routine_for(connection, patient_id, patient.severity)
        ],
        "sessions": [
            {"id": s.id, "started_at": s.started_at, "status": s.status, "score": s.score}
            for s in sessions.sessions_of(connection, patient_id)
        ],
    }


def _print_rows(rows: list[dict], as_json: bool, columns: tuple[str, ...]) -> None:
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        print("  ".join(str(row[column]) for column in columns))


@contextmanager
def _store(args: argparse.Namespace):
    """The data directory's database, opened for one command: (connection, data directory)."""
    from pfsense.paths import data_dir
    from pfsense.store.db import connect

    home = data_dir(args.data_dir)
    with closing(connect(home)) as connection:
        yield connection, home


def _row_id(text: str) -> int:
    """An id on the command line: argparse prints the message and exits 2 (no traceback)."""
    try:
        return checks.row_id("id", text)
    except InvalidInput as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("id: ")) from None
