"""Prediction files: the canonical format and the public code's list format, validated strictly.

Canonical: {sample_key: {diff_key: {"prediction": "a"|"b", "description": str,
            "frames": {"a": [int], "b": [int]}}}}; a bare "a"/"b" is accepted as a value.
Public code: a list aligned with the chosen split's sample order, same values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vdbench.core.errors import InputError
from vdbench.core.types import DiffPrediction, Mode
from vdbench.data.schema import Sample

Predictions = dict[str, dict[str, DiffPrediction]]


@dataclass
class LoadedPredictions:
    predictions: dict[str, Any]  # sample_key -> the benchmark's prediction (VidDiffBench:
    # diff key -> DiffPrediction)
    format: str  # "canonical", or the name of another accepted format ("list")
    missing_samples: list[str]  # samples of the split with no entry (scored as wrong)


class JsonObject(dict):
    """A parsed JSON object that remembers the keys it saw twice (json.loads alone keeps the
    last value silently)."""

    duplicates: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> JsonObject:
    obj = JsonObject(pairs)
    obj.duplicates = []
    seen: set[str] = set()
    for k, _ in pairs:
        if k in seen:
            obj.duplicates.append(k)
        seen.add(k)
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(text: str) -> Any:
    """json.loads with every object a JsonObject (see duplicate_keys) and NaN/Infinity
    refused. Raises ValueError (json.JSONDecodeError among them: bad syntax, an integer over
    the int conversion limit) or RecursionError (nested too deeply)."""
    return json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)


def json_error(path: Path | str, exc: BaseException) -> str:
    """The message for a JSON file that loads_strict could not parse."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    if isinstance(exc, RecursionError):
        return f"{path}: invalid JSON: nested too deeply"
    return f"{path}: invalid JSON: {exc}"


_KINDS = ("sample", "difference", "field")


def duplicate_keys(value: Any) -> list[str]:
    """Keys given twice anywhere in parsed predictions (objects from loads_strict), named by
    sample and difference, in file order. An object's keys are sample keys at depth 0,
    difference keys at depth 1, fields below. Iterative: any nesting the parser took is fine."""
    out: list[str] = []
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, where, depth = stack.pop()
        kind = _KINDS[min(depth, 2)]
        children: list[tuple[Any, str, int]] = []
        if isinstance(node, dict):
            for k in getattr(node, "duplicates", []):
                out.append(f"{where or 'top level'}: duplicate {kind} key {k!r}")
            children = [(v, f"{where}, {kind} {k!r}" if where else f"{kind} {k!r}", depth + 1)
                        for k, v in node.items()]
        elif isinstance(node, list) and depth == 0:
            children = [(v, f"[{i}]", 1) for i, v in enumerate(node)]
        stack.extend(reversed(children))
    return out


def read_json_file(path: Path) -> Any:
    """Parse a JSON file strictly (loads_strict); InputError naming the file when it cannot
    be read or parsed."""
    if path.is_dir():
        inside = path / "predictions.json"
        hint = f": give the prediction file, {inside}" if inside.is_file() else (
            ": give a prediction file, not a folder")
        raise InputError(f"{path}: is a folder{hint}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    try:
        return loads_strict(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(json_error(path, exc)) from None


def load_predictions(
    path: str | Path, samples: list[Any], mode: str = "closed", *, strict: bool = False,
    parse: Callable[..., LoadedPredictions] | None = None,
) -> LoadedPredictions:
    """Read and validate a prediction file against the samples; every problem is listed, a
    key given twice among them (as `vdbench validate` does). `parse`: the benchmark's reader
    of the parsed JSON (VidDiffBench's parse_predictions by default)."""
    raw = embedded_predictions(read_json_file(Path(path)))
    duplicates = duplicate_keys(raw)
    try:
        read: Callable[..., LoadedPredictions] = parse or parse_predictions
        loaded = read(raw, samples, mode, strict=strict, where=str(path))
    except InputError as exc:
        if not duplicates:
            raise
        problems = exc.problems or [str(exc).removeprefix(f"{path}: ")]
        duplicates += problems
    if duplicates:
        raise InputError(f"{path}: {len(duplicates)} problem(s)", problems=duplicates)
    return loaded


def is_envelope(raw: Any) -> bool:
    """A submission with its metadata embedded: {"metadata": ..., "predictions": ...}."""
    return isinstance(raw, dict) and bool({"metadata", "predictions"} & set(raw))


def embedded_predictions(raw: Any) -> Any:
    """The predictions of a well-formed envelope, else `raw` as it is (an ill-formed envelope
    is then reported key by key like any other file)."""
    if is_envelope(raw) and "predictions" in raw and set(raw) <= {"metadata", "predictions"}:
        return raw["predictions"]
    return raw


def parse_predictions(
    raw: Any, samples: list[Sample], mode: Mode = "closed", *, strict: bool = False,
    where: str = "predictions",
) -> LoadedPredictions:
    """Validate parsed predictions (either format) against the samples.

    strict (used by `vdbench validate`): a sample or asked difference with no prediction is an
    error too. Otherwise such gaps are scored as wrong and show in the coverage.
    """
    path = where
    problems: list[str] = []
    by_key = {s.sample_key: s for s in samples}

    if isinstance(raw, list):
        fmt = "list"
        if len(raw) != len(samples):
            raise InputError(
                f"{path}: list format has {len(raw)} entries but the chosen split has "
                f"{len(samples)} samples (entries must follow the split's order)"
            )
        entries = [(s.sample_key, v, f"[{i}] (sample {s.sample_key!r})")
                   for i, (s, v) in enumerate(zip(samples, raw))]
    elif isinstance(raw, dict):
        fmt = "canonical"
        if not raw:
            raise InputError(f"{path}: the file holds an empty object: no predictions")
        entries = [(k, v, f"sample {k!r}") for k, v in raw.items()]
    else:
        raise InputError(
            f"{path}: top level must be an object keyed by sample_key or a list, "
            f"got {type(raw).__name__}"
        )

    out: Predictions = {}
    for key, value, where in entries:
        sample = by_key.get(key)
        if sample is None:
            problems.append(f"{where}: unknown sample key (not in the chosen data and split)")
            continue
        out[key] = _sample_predictions(value, sample, mode, where, problems, strict)

    missing = [s.sample_key for s in samples if s.sample_key not in out]
    if strict:
        problems += [f"sample {k!r}: missing" for k in missing]
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s)", problems=problems)
    return LoadedPredictions(out, fmt, missing)


def _sample_predictions(
    value: Any, sample: Sample, mode: Mode, where: str, problems: list[str], strict: bool
) -> dict[str, DiffPrediction]:
    if not isinstance(value, dict):
        problems.append(f"{where}: expected an object of difference predictions, "
                        f"got {type(value).__name__}")
        return {}
    if not value and (strict or mode == "closed"):
        problems.append(f"{where}: empty object: no predictions for this sample")
    preds: dict[str, DiffPrediction] = {}
    for dkey, dval in value.items():
        loc = f"{where}, difference {dkey!r}"
        if mode == "closed" and dkey not in sample.differences_annotated:
            known = sorted(sample.differences_annotated, key=_natural)
            problems.append(f"{loc}: unknown difference key (this sample has {known})")
            continue
        pred = _one_prediction(dval, mode, loc, problems)
        if pred is not None:
            preds[dkey] = pred
    if strict and mode == "closed":
        for k in sample.scored_keys:
            if k not in value:
                problems.append(f"{where}, difference {k!r}: missing")
    if mode == "open" and len(value) > sample.n_differences_open_prediction:
        problems.append(
            f"{where}: {len(value)} differences, over the cap "
            f"n_differences_open_prediction={sample.n_differences_open_prediction}"
        )
    return preds


def _one_prediction(value: Any, mode: Mode, loc: str, problems: list[str]) -> DiffPrediction | None:
    if isinstance(value, str):
        value = {"prediction": value}
    if not isinstance(value, dict):
        problems.append(f"{loc}: expected \"a\", \"b\" or an object, got {type(value).__name__}")
        return None
    unknown = set(value) - {"prediction", "description", "frames"}
    if unknown:
        problems.append(f"{loc}: unknown field(s) {sorted(unknown)}")
    label = value.get("prediction")
    if label not in ("a", "b"):
        problems.append(f"{loc}: \"prediction\" must be \"a\" or \"b\", got {label!r}")
        return None
    desc = value.get("description", "")
    if not isinstance(desc, str):
        problems.append(f"{loc}: \"description\" must be a string, got {type(desc).__name__}")
        return None
    if mode == "open" and not desc.strip():
        problems.append(f"{loc}: \"description\" is required and non-empty in open mode")
    frames = value.get("frames")
    if frames is not None and not _valid_frames(frames):
        problems.append(f"{loc}: \"frames\" must be {{\"a\": [int, ...], \"b\": [int, ...]}}")
        frames = None
    return DiffPrediction(label, desc, frames)


def _valid_frames(frames: Any) -> bool:
    return (
        isinstance(frames, dict)
        and set(frames) <= {"a", "b"}
        and all(
            isinstance(v, list)
            and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in v)
            for v in frames.values()
        )
    )


def _natural(key: str):
    return (0, int(key)) if key.isdigit() else (1, key)


def predictions_to_json(preds: Predictions) -> dict[str, dict[str, Any]]:
    return {sk: {dk: p.to_json() for dk, p in d.items()} for sk, d in preds.items()}
