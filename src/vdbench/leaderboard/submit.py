"""`vdbench submit`: validate, score and record a submission under submissions/NAME/.

All files of a submission are written into a hidden scratch folder beside the target and
renamed into place, so a reader (or a crash) never sees half a submission; with replace the
old folder is renamed aside first and removed only once the new one is in place."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data.loader import load_benchmark
from ..errors import InputError
from ..io import write_json_atomic
from ..pipeline import EvalConfig, score_file
from ..predictions import predictions_to_json
from . import DEFAULT_MAX_MB
from .submission import SubmissionMetadata, check_name, validate_submission


@dataclass
class Recorded:
    name: str
    folder: Path
    metadata: SubmissionMetadata
    results: dict[str, Any]


def submit(
    path: str | Path,
    name: str,
    cfg: EvalConfig,
    *,
    submissions_dir: str | Path = "submissions",
    replace: bool = False,
    metadata_path: str | Path | None = None,
    max_mb: float = DEFAULT_MAX_MB,
) -> Recorded:
    """Validate strictly, score through the pipeline, record. cfg gives the data, selection
    and scoring settings; its mode is replaced by the metadata's."""
    check_name(name)
    root = Path(submissions_dir)
    target = root / name
    if target.exists() and not replace:
        raise InputError(f"{target}: a submission named {name!r} is already recorded; "
                         "pass --replace to overwrite it")
    bench = load_benchmark(cfg.data, cfg.selection, video_root=cfg.video_root,
                           cache_dir=cfg.cache_dir, check_videos=False)
    checked = validate_submission(path, bench.samples, None, metadata_path=metadata_path,
                                  require_metadata=True, max_mb=max_mb)
    metadata = checked.metadata
    assert metadata is not None  # require_metadata: a missing one is an InputError above

    made_root = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".new", dir=root))
    try:
        stage.chmod(0o755)  # mkdtemp makes it private; a recorded submission is public
        write_json_atomic(stage / "predictions.json",
                          predictions_to_json(checked.predictions.predictions))
        write_json_atomic(stage / "metadata.json", metadata.to_json())
        scoring = dataclasses.replace(cfg, mode=metadata.mode, out=stage)
        results, _ = score_file(stage / "predictions.json", scoring)
        results = _as_record(results, name, checked.predictions.format)
        write_json_atomic(stage / "results.json", results)
        _swap_in(stage, target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if made_root and not any(root.iterdir()):
            root.rmdir()
        raise
    return Recorded(name, target, metadata, results)


def _as_record(results: dict[str, Any], name: str, fmt: str) -> dict[str, Any]:
    """The recorded results name the submission and hold no path of the submitter's machine
    or of the scratch folder."""
    out = dict(results, model=name, prediction_format=fmt)
    out["provenance"] = dict(results.get("provenance", {}), predictions_file="predictions.json")
    return out


def _swap_in(stage: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, old / target.name)
    try:
        os.replace(stage, target)
    except BaseException:
        if old is not None:
            os.replace(old / target.name, target)
            old.rmdir()
        raise
    if old is not None:
        shutil.rmtree(old)
