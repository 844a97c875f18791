"""The run folder's layout, in one place: every file a run (`eval`) or a scoring (`score`)
writes, and the suffixes of the extra passes (--swap, --epochs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RESULTS = "results.json"  # the scores (core.results)
RUN = "run.json"  # what the predictions were made for (core.runinfo)
PREDICTIONS = "predictions.json"  # the canonical prediction file
OUTPUTS = "outputs.jsonl"  # one line a sample: status, error, raw reply, cost
SAMPLES = "samples.jsonl"  # one line a scored item
JUDGE = "judge.jsonl"  # one line a judged sample or item
METADATA_TEMPLATE = "metadata.template.json"  # for `submit`: fill in, save beside
SWAPPED = "_swapped"  # --swap: the pass with the videos in the other order


def epoch_suffix(epoch: int) -> str:
    return f"_epoch{epoch}"


@dataclass(frozen=True)
class RunFolder:
    path: Path

    def file(self, name: str, suffix: str = "") -> Path:
        """`name` of the main pass, or of an extra pass (`suffix`: _swapped, _epoch1, ...)."""
        stem, dot, ext = name.partition(".")
        return self.path / f"{stem}{suffix}{dot}{ext}"
