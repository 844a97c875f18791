"""Read a run folder (docs/results-format.md) into what the viewer shows: the results, and per
sample the benchmark's Sample, its scored rows, the model's predictions and output, and the
judge's log (records.py), with the benchmark's view (kinds.py) picked by results.benchmark.
Only vdbench's own readers parse the files; a file the run does not have (a scored folder has
no outputs.jsonl, a closed run no judge.jsonl) is simply absent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vdbench.benchmarks.catalog import get_benchmark
from vdbench.benchmarks.records import read_run_records
from vdbench.core.errors import InputError
from vdbench.core.results import Results, load_results
from vdbench.data.loader import Selection
from vdbench.frames.spec import FrameSpec
from vdbench.viewer.kinds import view_of
from vdbench.viewer.records import RunRecord, SampleRecord

__all__ = ["RunRecord", "SampleRecord", "frame_spec_of", "load_run",
           "selection_of"]


def frame_spec_of(results: Results) -> tuple[FrameSpec, bool]:
    """The FrameSpec recorded in provenance["frame_sampling"], or the default one when the
    model used no frames (a baseline) or the run was scored from a file."""
    recorded = results.provenance.get("frame_sampling")
    if not isinstance(recorded, dict):
        return _protocol_frames(results), False
    default = FrameSpec()
    try:
        spec = FrameSpec(
            fps=recorded.get("fps"),
            fps_by_domain=dict(recorded.get("fps_by_domain") or {}),
            max_frames=_optional_int(recorded.get("max_frames", default.max_frames)),
            over_cap=recorded.get("over_cap", default.over_cap),
            long_side=_optional_int(recorded.get("long_side", default.long_side)),
            jpeg_quality=int(recorded.get("jpeg_quality", default.jpeg_quality)),
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"results.json: provenance.frame_sampling is unusable ({exc})") from None
    return spec, True


def selection_of(results: Results) -> Selection:
    raw = results.provenance.get("selection") or {}
    if not isinstance(raw, dict):
        raw = {}
    known = {k: raw[k] for k in ("split", "domain", "action", "per_action", "limit") if k in raw}
    known.setdefault("split", results.split)
    return Selection(**known)


def load_run(run: Path, *, cache_dir: Path | None = None,
             video_root: Path | None = None) -> RunRecord:
    run = Path(run)
    if not run.is_dir():
        raise InputError(f"{run}: not a run folder")
    results = load_results(run / "results.json")
    prov = results.provenance
    warnings: list[str] = []
    data = str(prov.get("dataset") or "mini")
    spec = get_benchmark(results.benchmark)
    view = view_of(results.benchmark)
    bench = spec.load(data, selection_of(results), video_root=video_root,
                      cache_dir=cache_dir, check_videos=False, skip_missing=False,
                      revision=None)
    recorded_rev = prov.get("revision")
    if recorded_rev and bench.revision != recorded_rev:
        warnings.append(f"the run was scored on dataset revision {recorded_rev}, but "
                        f"{data} is now at {bench.revision}: samples may differ")

    files = read_run_records(run, results.benchmark)  # each line checked by its type
    if files.samples is None:
        raise InputError(f"{run}: no samples.jsonl (not a run or scored folder)")
    rows = [r.to_json() for r in files.samples]
    outputs = [o.to_json() for o in files.outputs or []]
    judge = [j.to_json() for j in files.judge or []]

    preds_source: str | None = None
    preds: dict[str, Any] = {}
    candidates = [run / "predictions.json"]
    if isinstance(prov.get("predictions_file"), str):
        recorded_file = Path(prov["predictions_file"])
        # `score` writes its folder beside the file: the name next to the run is a fallback
        candidates += [recorded_file, run.parent / recorded_file.name]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        if results.mode == "open" or "predictions_file" in prov:
            warnings.append("the prediction file was not found "
                            f"({', '.join(str(p) for p in candidates)}): "
                            "predicted descriptions and keyframes are not shown")
    else:
        try:
            preds = spec.load_predictions(path, bench.samples, results.mode).predictions
            preds_source = str(path)
        except InputError as exc:
            warnings.append(f"the predictions could not be read: {exc}")

    seen = ({r["sample_key"] for r in rows} | {o["sample_key"] for o in outputs}
            | {j["sample_key"] for j in judge} | set(preds))
    samples = bench.samples
    if prov.get("skipped_missing_videos"):  # run with --skip-missing: keep what was evaluated
        samples = [s for s in samples if s.sample_key in seen]
    known = {s.sample_key for s in samples}
    unknown = sorted(seen - known)
    if unknown:
        warnings.append(f"{len(unknown)} sample(s) of the run are not in the benchmark as "
                        f"loaded: {', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''}")

    records = {s.sample_key: SampleRecord(s) for s in samples}
    for r in rows:
        if (rec := records.get(r["sample_key"])) is not None:
            rec.rows[str(r.get(view.row_key))] = r
    for o in outputs:
        if (rec := records.get(o["sample_key"])) is not None:
            rec.output = o
    for j in judge:
        if (rec := records.get(j["sample_key"])) is not None:
            rec.judge = j
    for key, p in preds.items():
        if (rec := records.get(key)) is not None:
            rec.predictions = p
    frames, recorded = frame_spec_of(results)
    return RunRecord(run, results, bench, list(records.values()), frames, recorded,
                     preds_source, warnings, view)


def _protocol_frames(results: Results) -> FrameSpec:
    """The sampling of the run's protocol (paper when unrecorded): what its model would have
    been shown, not the fast protocol's defaults."""
    from vdbench.benchmarks.catalog import get_benchmark
    from vdbench.core.protocol import get_protocol

    name = (results.provenance.get("protocol") or {}).get("name", "paper")
    spec = get_benchmark(results.benchmark)
    try:
        return spec.frame_spec(spec.adapt_protocol(get_protocol(name)))
    except InputError:  # a protocol this vdbench does not know
        return FrameSpec()


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]
