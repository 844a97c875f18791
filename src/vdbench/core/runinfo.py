"""run.json: what a run folder's predictions were made for (benchmark, mode, data and its
revision, selection, protocol), so `score`, `validate` and `submit` of that predictions.json
need no repeated flags. A flag given on the command line still wins."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from vdbench.core.errors import InputError
from vdbench.core.io import write_json_atomic

RUN_FILE = "run.json"


@dataclass(frozen=True)
class RunInfo:
    mode: str
    data: str
    data_revision: str
    split: str
    protocol: str
    model: str
    selection: dict[str, Any] = field(default_factory=dict)  # domain, action, limit, ...
    judge: str | None = None  # the --judge spec that scored it (open mode), reused by score
    format: Literal["vdbench-run"] = "vdbench-run"
    version: Literal[1, 2] = 2
    benchmark: str = "viddiffbench"  # version 1 records are VidDiffBench's

    def write(self, folder: Path) -> None:
        write_json_atomic(folder / RUN_FILE, dataclasses.asdict(self))


def run_info_beside(predictions: Path) -> RunInfo | None:
    """The run.json in the folder of a prediction file, if the file came from `eval`."""
    path = Path(predictions).parent / RUN_FILE
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("format") != "vdbench-run":
            raise ValueError("not a vdbench run.json")
        if raw.get("version") not in (1, 2):
            raise ValueError(f"version {raw.get('version')!r} is not 1 or 2")
        return RunInfo(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path}: unreadable run record ({exc}); give --mode and --data "
                         "yourself, or delete it") from None
