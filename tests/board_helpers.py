"""Shared by the submission and leaderboard tests: the CLI entry, prediction files, records."""

from __future__ import annotations

import json
from pathlib import Path

from vdbench.cli import main as cli_main
from vdbench.core.results import SCHEMA_VERSION
from vdbench.data.loader import load_benchmark

META = {"method": "Always A", "authors": "Test Lab", "mode": "closed", "date": "2025-01-31",
        "link": "https://example.org/always-a", "notes": "answers a everywhere"}


def run(argv: list[str]) -> int:
    """`vdbench ARGV`, in process."""
    return cli_main.main(argv)


def flat(text: str) -> str:
    """Rich wraps long lines at the console width; compare messages with spaces collapsed."""
    return " ".join(text.split())


def mini_samples(split: str = "all"):
    from vdbench.data.loader import Selection

    return load_benchmark("mini", Selection(split), check_videos=False).samples


def closed_predictions(label: str = "a", split: str = "all") -> dict:
    """A valid canonical closed-mode file: `label` for every scored difference."""
    return {s.sample_key: {k: {"prediction": label, "description": ""} for k in s.scored_keys}
            for s in mini_samples(split)}


def open_predictions() -> dict:
    return {s.sample_key: {"0": {"prediction": "a", "description": "the motion is faster"}}
            for s in mini_samples()}


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj, indent=1), encoding="utf-8")
    return path


def snapshot(*folders: Path) -> dict[str, bytes]:
    """Every file under the folders, by path, with its bytes (hidden scratch folders too)."""
    out = {}
    for folder in folders:
        if folder.exists():
            out[str(folder)] = b"<dir>"
            for p in sorted(folder.rglob("*")):
                out[str(p)] = p.read_bytes() if p.is_file() else b"<dir>"
    return out


def results_record(
    accs: dict[str, float], *, mode: str = "closed", model: str = "m", dataset: str = "mini",
    revision: str = "rev1", judge=None, created: str = "2025-01-01T00:00:00+00:00",
    selection: dict | None = None, coverage: float = 1.0, width: float = 0.1,
    seed: int = 0, model_provenance: dict | None = None, protocol: str | dict | None = None,
    frame_sampling: dict | None = None,
) -> dict:
    """A results.json in the layout the pipeline writes (schema_version 1, every required
    key), with chosen per-split values. With model_provenance, provenance.model is recorded as
    `vdbench eval` does: {"name": model, "seed": seed, **model_provenance} (e.g. {"config":
    {"localizer": "random"}} for the VidDiff method, {"image_detail": "low"} for a chat
    model). protocol is provenance.protocol: a name, or the whole block."""
    metric = "accuracy" if mode == "closed" else "recall"
    by_split = {s: {metric: v, "ci95": [max(0.0, v - width), min(1.0, v + width)],
                    "p_vs_chance": 0.01 if mode == "closed" else None, "n_scored": 40}
                for s, v in accs.items()}
    overall = sum(accs.values()) / len(accs)
    metrics = {metric: overall, "ci95": [overall - width / 2, overall + width / 2]}
    if mode == "closed":
        metrics["p_vs_chance"] = 0.01
    else:
        metrics |= {"err_nomatch": 0.3, "err_flippedpred": 0.05}
    out = {
        "schema_version": SCHEMA_VERSION,
        "model": model, "mode": mode, "split": "all" if len(accs) == 3 else next(iter(accs)),
        "n_samples": 18, "n_scored": 40 * len(accs), "coverage": coverage,
        "status_counts": {"ok": 18}, "metrics": metrics,
        "ci95": metrics["ci95"], "by_split": by_split, "by_domain": {}, "by_action": {},
        "provenance": {"vdbench_version": "0.1.0", "dataset": dataset, "revision": revision,
                       "selection": selection or {"split": "all"}, "seed": seed,
                       "created": created},
    }
    if model_provenance is not None:
        out["provenance"]["model"] = {"name": model, "seed": seed, **model_provenance}
    if protocol is not None:
        out["provenance"]["protocol"] = (protocol if isinstance(protocol, dict)
                                         else {"name": protocol})
    if frame_sampling is not None:
        out["provenance"]["frame_sampling"] = frame_sampling
    if judge is not None:
        out["judge"] = judge
    return out


def write_run(runs: Path, name: str, results: dict) -> Path:
    folder = runs / name
    folder.mkdir(parents=True)
    write_json(folder / "results.json", results)
    return folder
