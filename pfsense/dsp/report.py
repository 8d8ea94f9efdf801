"""`pfsense analyze`: a whole recording through the same processing as the live page, a chunk
at a time."""

from dataclasses import replace

import numpy as np

from pfsense.clinical.techniques import Technique, Zone
from pfsense.dsp.features import FeatureConfig
from pfsense.dsp.pipeline import Processed, Processor
from pfsense.dsp.technique import ForceReference, coaching, detect, score
from pfsense.sensors.recording import Recording, RecordingReader


def processor_for(
    recording: Recording | RecordingReader,
    target_band_n: tuple[float, float] | None = None,
    foot_mm: float | None = None,
    zone: Zone | None = None,
) -> Processor:
    """A Processor set up for a recording's layout, rate and calibration."""
    layout = recording.layout
    config = FeatureConfig.with_defaults(recording.rate_hz, layout.is_plate, target_band_n, foot_mm)
    if zone is not None:  # the recording is all on this zone: coverage is judged on it alone
        config = replace(config, asked_zones=(zone,))
    processor = Processor(recording.layout, recording.calibration, recording.rate_hz, config)
    processor.zone = zone
    return processor


def analyze(
    recording: Recording | RecordingReader,
    target_band_n: tuple[float, float] | None = None,
    foot_mm: float | None = None,
    zone: Zone | None = None,
) -> dict:
    """The report `pfsense analyze --json` prints. A RecordingReader is processed a chunk at a
    time as it reads them (memory bounded by the chunk), a Recording in one piece; the numbers
    are the same."""
    processor = processor_for(recording, target_band_n, foot_mm, zone)
    samples = rejected_samples = 0
    for batch in recording:
        samples += len(batch)
        rejected_samples += _rejected(processor.process(batch))
    rejected_samples += _rejected(processor.finish())
    # A band given is the person's own (as a patient's free session uses their rolling band):
    # a still press is judged gentle or firm against its middle.
    reference = (
        ForceReference(bands_n={Technique.ROLLING: target_band_n}) if target_band_n else None
    )
    result = report(processor, samples, rejected_samples, reference=reference)
    # A last line cut short mid-write (a full disk, a power cut) is left out and said.
    return {**result, "cut_short_lines": getattr(recording, "cut_short_lines", 0)}


def _rejected(rows: Processed) -> int:
    return int(np.count_nonzero(np.isnan(rows.force_n)))


def report(
    processor: Processor,
    samples: int,
    rejected_samples: int | None,
    planned: Technique | None = None,
    cadence_per_min: tuple[float, float] | None = None,
    reference: ForceReference | None = None,
) -> dict:
    """Features, technique, score and coaching, with the cleaning counts. With `planned` (a
    routine's segment), the score and coaching are for that technique, against the patient's
    `cadence_per_min` if given; the technique the data looks like is `detected_technique`.
    `reference`: the person's own force, which the technique is recognised against."""
    summary = processor.tracker.summary()
    # A report looks back over the whole: a zone barely worked is missing even if worked last
    # (only the live "now", recent_report, spares the zone under the foot).
    summary["coverage"] = {**summary["coverage"], "zone_now": None, "zones_now": []}
    judged = _judge(summary, planned, cadence_per_min, reference)
    holds = [
        {k: h[k] for k in ("start_s", "duration_s", "mean_force_n", "x_mm", "y_mm")}
        for h in summary["holds"]
    ]
    cleaning = processor.cleaner.stats
    return {
        "duration_s": summary["duration_s"],
        "samples": samples,
        "rejected_samples": rejected_samples,
        "lost_samples": cleaning.lost_samples,
        "rejected_readings": dict(cleaning.rejected),  # a copy: the cleaner keeps counting
        "rezeros": processor.autozero.rezeros if processor.autozero else 0,
        "force_n": summary["force_n"],
        "target_band_n": summary["target_band_n"],
        "time_in_band_fraction": summary["time_in_band_fraction"],
        "time_below_band_fraction": summary["time_below_band_fraction"],
        "time_above_band_fraction": summary["time_above_band_fraction"],
        "loaded_s": summary["loaded_s"],
        "cadence_per_min": summary["cadence_per_min"],
        "rhythm_regularity": summary["rhythm_regularity"],
        "stroke_direction": summary["stroke_direction"],
        "stroke_length_mm": summary["stroke_length_mm"],
        "holds": holds,
        "coverage": summary["coverage"],
        **judged,
    }


def recent_report(processor: Processor, reference: ForceReference | None = None) -> dict | None:
    """The live page's "now": technique, score and coaching over the recent window (see
    pfsense.dsp.recent). Coverage builds up over a session, so its part is the session's; so
    is the length of a press still going on (a minute's release outlasts the window)."""
    if processor.recent is None:
        return None
    recent = processor.recent.tracker
    summary = recent.summary()
    summary["coverage"] = processor.tracker.coverage.summary()
    if recent.duration_s and summary["holds"]:
        since_s = summary["holds"][0]["start_s"]
        summary["presses"] = [
            hold
            for hold in processor.tracker.summary_holds()
            if hold["start_s"] + hold["duration_s"] >= since_s
        ]
    judged = _judge(summary, reference=reference)
    keys = ("duration_s", "cadence_per_min", "rhythm_regularity", "time_in_band_fraction")
    return {**{key: summary[key] for key in keys}, **judged}


def _judge(
    summary: dict,
    planned: Technique | None = None,
    cadence_per_min: tuple[float, float] | None = None,
    reference: ForceReference | None = None,
) -> dict:
    """Technique, score and coaching for a feature summary."""
    detection = detect(summary, reference)
    detected = detection.technique
    technique = planned or detected
    judged = {
        "technique": technique.value if technique else None,
        # What the technique was recognised from; for a routine's segment, what was asked.
        "technique_seen": detection.why if planned is None else "the routine's segment",
        "score": score(summary, technique, cadence_per_min),
        "coaching": coaching(summary, technique, cadence_per_min),
    }
    if planned is not None:
        judged["detected_technique"] = detected.value if detected else None
        judged["detected_seen"] = detection.why
    return judged


def format_report(result: dict, source: str) -> str:
    """The readable form of a report."""
    force = result["force_n"]
    band = result["target_band_n"]

    def num(value, unit="", digits=1):
        return "-" if value is None else f"{value:.{digits}f}{unit}"

    def pct(value):
        return "-" if value is None else f"{100 * value:.0f} %"

    sc = result["score"]
    holds = "".join(
        f"\n{'':17}at {h['start_s']:.1f} s for {h['duration_s']:.1f} s, {h['mean_force_n']:.0f} N"
        for h in result["holds"]
    )
    zones = ", ".join(f"{zone} {s:.0f} s" for zone, s in result["coverage"]["zones_s"].items())
    lines = [
        f"{source}: {num(result['duration_s'], ' s')}, {result['samples']} "
        f"sample{'' if result['samples'] == 1 else 's'} "
        f"({result['rejected_samples']} rejected, {result['lost_samples']} lost)",
        f"  technique      {_technique_line(result)}",
        f"  score          {num(sc['total'], '', 0)} / 100  "
        f"(pressure {num(sc['pressure'], '', 0)}, rhythm {num(sc['rhythm'], '', 0)}, "
        f"coverage {num(sc['coverage'], '', 0)})",
        f"  force          mean {num(force['mean'], ' N')}, peak {num(force['peak'], ' N')}, "
        f"p95 {num(force['p95'], ' N')}",
        f"  target band    {band[0]:g}-{band[1]:g} N: in {pct(result['time_in_band_fraction'])}, "
        f"below {pct(result['time_below_band_fraction'])}, "
        f"above {pct(result['time_above_band_fraction'])}",
        f"  rhythm         {num(result['cadence_per_min'], ' cycles/min')}, "
        f"regularity {num(result['rhythm_regularity'], '', 2)}",
        f"  stroke         {result['stroke_direction'] or '-'}, "
        f"{num(result['stroke_length_mm'], ' mm')}",
        f"  holds          {len(result['holds'])}{holds}",
        f"  coverage       {pct(result['coverage']['fraction'])}; {zones}",
        "  coaching       " + "; ".join(result["coaching"]),
    ]
    if result.get("cut_short_lines"):
        lines.append(
            "  note           the last line was cut short mid-write (a full disk?): left out"
        )
    return "\n".join(lines)


def routine_summary(segments: list[dict]) -> dict:
    """A guided session from its segments' reports: each scored against its own target, the
    total weighted by the time each segment was worked."""
    worked = [(s["duration_s"] or 0.0, s) for s in segments]
    scored = [(w, s["score"]["total"]) for w, s in worked if s["score"]["total"] is not None]
    weight = sum(w for w, _ in scored)
    loaded_s = sum(s["loaded_s"] or 0.0 for _, s in worked)
    in_band_s = sum((s["loaded_s"] or 0.0) * (s["time_in_band_fraction"] or 0.0) for _, s in worked)
    return {
        "duration_s": round(sum(w for w, _ in worked), 2),
        "loaded_s": round(loaded_s, 2),
        "time_in_band_fraction": round(in_band_s / loaded_s, 4) if loaded_s else None,
        "technique": None,
        "score": {"total": round(sum(w * v for w, v in scored) / weight, 1) if weight else None},
        "segments": segments,
    }


def _technique_line(result: dict) -> str:
    """`rolling, from 33 strokes a minute along the foot`, or `cannot tell: ...`."""
    if result["technique"] is None:
        return f"cannot tell: {result['technique_seen']}"
    return f"{result['technique']}, from {result['technique_seen']}"
