"""What scoring is told by the run, as one typed value: the benchmark's scorer reads this,
never the run's whole configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vdbench.core import defaults
from vdbench.scoring.localization import DEFAULT_TOLERANCE_S


@dataclass(frozen=True)
class ScoringSettings:
    mode: str
    judge: str = "default"  # --judge SPEC, for the tasks a judge scores
    concurrency: int = defaults.CONCURRENCY
    measure_judge: bool = True  # the judge's figures on its held-out gold set
    tolerance_s: float = DEFAULT_TOLERANCE_S  # localization: seconds from an annotated frame
    # VidDiffBench's open-mode judge protocol (core.protocol.JudgeProtocol, asking order)
    direction_batch: int = 0
    batch_across_samples: bool = False
    annotated_order: bool = False


@dataclass
class Scored:
    """One scoring of one set of predictions: the scoring part of results.json, one row per
    scored item (samples.jsonl), and what the judge decided (judge.jsonl), if one did."""

    results: dict[str, Any]
    rows: list[dict[str, Any]]
    judge_log: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
