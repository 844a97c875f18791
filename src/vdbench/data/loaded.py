"""What any benchmark's loader returns: the selected samples of one data source."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class LoadedBenchmark:
    samples: list[Any]  # the benchmark's sample type
    source: str  # "mini", a hub id, or a local folder
    revision: str  # a hub commit, else a hash of the data files
    video_root: Path
    skipped_missing: list[str] = field(default_factory=list)  # samples dropped, --skip-missing
    skipped_bad: list[dict] = field(default_factory=list)  # unusable videos, --skip-missing

    def provenance(self) -> dict:
        out: dict = {"dataset": self.source, "revision": self.revision,
                     "skipped_missing_videos": len(self.skipped_missing)}
        if self.skipped_bad:
            out["skipped_bad_videos"] = self.skipped_bad
        return out
