"""Localization, vdbench's own metric (the paper publishes none).

For each scored difference whose prediction carries frames and whose annotation has
retrieval_frames for a video: every predicted frame's distance in seconds to the nearest
annotated frame (index / fps_original; both counted from the trim start in original
frames). Per (difference, video): a hit when the closest predicted frame is within the
tolerance, and the mean distance of the predicted frames. Reported overall and per video.
"""

from __future__ import annotations

from typing import Any

from vdbench.data.predictions import Predictions
from vdbench.data.schema import Sample
from vdbench.scoring.closed import ScoredDifference

DEFAULT_TOLERANCE_S = 0.5


def localization_metrics(
    samples: list[Sample], preds: Predictions, rows: list[ScoredDifference],
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> dict[str, Any] | None:
    by_key = {s.sample_key: s for s in samples}
    per_video: dict[str, list[tuple[bool, float]]] = {"a": [], "b": []}
    for r in rows:
        pred = preds.get(r.sample_key, {}).get(r.pred_key or "")
        if pred is None or not pred.frames:
            continue
        sample = by_key[r.sample_key]
        for i, video in enumerate(("a", "b")):
            annotated = sample.retrieval_frames[i].get(r.gt_key)
            predicted = pred.frames.get(video)
            if not annotated or not predicted:
                continue
            fps = sample.videos[i].fps_original
            dists = [min(abs(p - g) for g in annotated) / fps for p in predicted]
            per_video[video].append((min(dists) <= tolerance_s, sum(dists) / len(dists)))
    both = per_video["a"] + per_video["b"]
    if not both:
        return None

    def summary(items: list[tuple[bool, float]]) -> dict[str, Any]:
        n = len(items)
        return {"n": n,
                "hit_rate": sum(h for h, _ in items) / n if n else None,
                "mae_s": sum(e for _, e in items) / n if n else None}

    return {"tolerance_s": tolerance_s, **summary(both),
            "by_video": {v: summary(items) for v, items in per_video.items()}}
