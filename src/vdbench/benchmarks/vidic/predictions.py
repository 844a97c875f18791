"""ViDiC-1K prediction files, read strictly.

Canonical: {"sample_key": {"response": "the comparison text"}, ...} (also inside a submission
envelope {"metadata": ..., "predictions": ...}).
Published: the authors' response file, a JSON list of {"video1_path", "video2_path",
"response", ...} (their judge/judge.py matches it to the checklist by the two paths); a
response given as an object is read as its JSON text, as their judge does."""

from __future__ import annotations

import json
from typing import Any

from vdbench.benchmarks.vidic.sample import VidicSample
from vdbench.core.errors import InputError
from vdbench.data.predictions import LoadedPredictions

Responses = dict[str, str]  # sample_key -> the model's comparison text


def _norm(path: str) -> str:
    p = str(path).replace("\\", "/").strip()
    while p.startswith("./"):
        p = p[2:]
    return p.removeprefix("data/")


def parse_responses(raw: Any, samples: list[VidicSample], *, strict: bool = False,
                    where: str = "predictions") -> LoadedPredictions:
    """Parsed JSON (either format) read against the samples; strict (`vdbench validate`): a
    sample without a response is a problem too, not a wrong answer."""
    if isinstance(raw, list):
        found, problems = _published(raw, samples)
        fmt = "published"
    elif isinstance(raw, dict):
        found, problems = _canonical(raw, samples)
        fmt = "canonical"
    else:
        raise InputError(f"{where}: a ViDiC-1K prediction file is an object "
                         '{"SAMPLE_KEY": {"response": TEXT}} or the published list of '
                         '{"video1_path", "video2_path", "response"}; got '
                         f"{type(raw).__name__}")
    missing = [s.sample_key for s in samples if s.sample_key not in found]
    if strict:
        problems += [f"sample {k!r}: missing" for k in missing]
    if problems:
        raise InputError(f"{where}: {len(problems)} problem(s)", problems=problems)
    return LoadedPredictions(found, fmt, missing)


def _text(value: Any, where: str, problems: list[str]) -> str | None:
    if isinstance(value, dict):  # their judge reads an object as its JSON text
        value = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, str):
        problems.append(f"{where}: 'response' must be text, got {type(value).__name__}")
        return None
    if not value.strip():
        problems.append(f"{where}: 'response' is empty")
        return None
    return value


def _canonical(raw: dict, samples: list[VidicSample]) -> tuple[Responses, list[str]]:
    known = {s.sample_key for s in samples}
    found: Responses = {}
    problems: list[str] = []
    for key, value in raw.items():
        where = f"sample {key!r}"
        if key not in known:
            problems.append(f"{where}: not a sample of the selection")
            continue
        if not isinstance(value, dict) or "response" not in value:
            problems.append(f'{where}: expected {{"response": TEXT}}, got {value!r:.60}')
            continue
        extra = sorted(set(value) - {"response"})
        if extra:
            problems.append(f"{where}: unknown key(s) {extra}; only 'response'")
        text = _text(value["response"], where, problems)
        if text is not None:
            found[key] = text
    return found, problems


def _published(raw: list, samples: list[VidicSample]) -> tuple[Responses, list[str]]:
    by_paths: dict[tuple[str, str], str] = {}
    for s in samples:
        by_paths[(_norm(s.videos[0].path), _norm(s.videos[1].path))] = s.sample_key
    found: Responses = {}
    problems: list[str] = []
    for i, entry in enumerate(raw):
        where = f"entry [{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected an object, got {type(entry).__name__}")
            continue
        lacking = [k for k in ("video1_path", "video2_path", "response") if k not in entry]
        if lacking:
            problems.append(f"{where}: missing {', '.join(lacking)}")
            continue
        pair = (_norm(entry["video1_path"]), _norm(entry["video2_path"]))
        key = by_paths.get(pair)
        if key is None:
            problems.append(f"{where}: no sample of the selection has videos "
                            f"{entry['video1_path']!r}, {entry['video2_path']!r}")
            continue
        where = f"{where} (sample {key!r})"
        if key in found:
            problems.append(f"{where}: the same pair answered twice")
            continue
        text = _text(entry["response"], where, problems)
        if text is not None:
            found[key] = text
    return found, problems


def responses_to_json(responses: Responses) -> dict[str, Any]:
    return {k: {"response": v} for k, v in responses.items()}
