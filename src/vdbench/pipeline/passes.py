"""The passes of a run over its samples: as given, with the videos swapped (--swap), and
again with the next seeds (--epochs)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from vdbench.core.runfiles import SWAPPED, epoch_suffix
from vdbench.pipeline.config import EvalConfig
from vdbench.scoring.settings import Scored


@dataclass(frozen=True)
class Pass:
    samples: list[Any]
    seed: int
    suffix: str  # of the files this pass writes beside the main ones

    @property
    def swapped(self) -> bool:
        return self.suffix == SWAPPED


def plan_passes(cfg: EvalConfig, samples: list[Any]) -> list[Pass]:
    passes = [Pass(samples, cfg.seed, "")]
    if cfg.swap:
        passes.append(Pass([s.swapped() for s in samples], cfg.seed, SWAPPED))
    passes += [Pass(samples, cfg.seed + e, epoch_suffix(e)) for e in range(1, cfg.epochs)]
    return passes


def epoch_summary(metric: str, passes: list[Pass], scored: list[Scored]) -> dict[str, Any]:
    """The headline metric of each epoch (each a draw with its own seed), their mean and
    standard deviation."""
    values = [s.results["metrics"][metric] for p, s in zip(passes, scored) if not p.swapped]
    seeds = [p.seed for p in passes if not p.swapped]
    known = [v for v in values if v is not None]
    mean = sum(known) / len(known) if known else None
    sd = (statistics.stdev(known) if len(known) > 1 else 0.0) if known else None
    return {"metric": metric, "n": len(values), "seeds": seeds, "values": values,
            "mean": mean, "sd": sd}
