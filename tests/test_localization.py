"""Localization, vdbench's own metric: per (difference, video), a hit when the closest
predicted frame lies within the tolerance of an annotated retrieval frame, and the mean
distance in seconds (frame index / fps_original) of the predicted frames."""

from __future__ import annotations

import asyncio
import json

import pytest

from conftest import make_row
from vdbench.benchmarks.viddiffbench.scoring import score_predictions
from vdbench.cli.main import main
from vdbench.core.types import DiffPrediction
from vdbench.data.loader import load_benchmark
from vdbench.data.schema import parse_row
from vdbench.pipeline.config import EvalConfig
from vdbench.scoring.judge.base import Judge
from vdbench.scoring.localization import DEFAULT_TOLERANCE_S, localization_metrics
from vdbench.scoring.open import judge_open

# video a at 30 fps, video b at 8 fps (make_row); keys 0 (a) and 1 (b) are scored, 2 is "c"
RETRIEVAL = [{"0": [3, 40], "1": None, "2": [7]}, {"0": [5], "1": [16], "2": [1]}]
SAMPLE = parse_row(make_row("s0", retrieval_frames=json.dumps(RETRIEVAL)))
assert [v.fps_original for v in SAMPLE.videos] == [30.0, 8.0]


def closed(frames0=None, frames1=None, tolerance=DEFAULT_TOLERANCE_S) -> dict | None:
    preds = {"s0": {"0": DiffPrediction("a", "", frames0), "1": DiffPrediction("b", "", frames1)}}
    scored = asyncio.run(score_predictions([SAMPLE], preds,
                                           EvalConfig(mode="closed", tolerance_s=tolerance).scoring_settings()))
    return scored.results.get("localization")


def test_oracle_frames_hit_every_time_with_zero_error():
    loc = closed({"a": [3, 40], "b": [5]}, {"a": [10], "b": [16]})
    # (0, a), (0, b), (1, b): key 1 has no annotated frames in video a
    assert loc["n"] == 3 and loc["hit_rate"] == 1.0 and loc["mae_s"] == 0.0
    assert loc["by_video"] == {"a": {"n": 1, "hit_rate": 1.0, "mae_s": 0.0},
                               "b": {"n": 2, "hit_rate": 1.0, "mae_s": 0.0}}
    assert loc["tolerance_s"] == DEFAULT_TOLERANCE_S


def test_frames_shifted_past_the_tolerance_miss_with_the_error_in_seconds():
    # (0, a): 100 vs 40 at 30 fps = 2.0 s; (0, b): 17 vs 5 at 8 fps = 1.5 s;
    # (1, b): 22 vs 16 at 8 fps = 0.75 s
    loc = closed({"a": [100], "b": [17]}, {"b": [22]})
    assert loc["n"] == 3 and loc["hit_rate"] == 0.0
    assert loc["mae_s"] == pytest.approx((2.0 + 1.5 + 0.75) / 3)
    assert loc["by_video"]["a"]["mae_s"] == pytest.approx(2.0)
    assert loc["by_video"]["b"]["mae_s"] == pytest.approx((1.5 + 0.75) / 2)


@pytest.mark.parametrize("tolerance, hit_rate", [(0.5, 0.0), (1.0, 1 / 3), (1.5, 2 / 3),
                                                 (2.0, 1.0)])
def test_the_tolerance_decides_the_hits(tolerance, hit_rate):
    loc = closed({"a": [100], "b": [17]}, {"b": [22]}, tolerance=tolerance)
    assert loc["hit_rate"] == pytest.approx(hit_rate) and loc["tolerance_s"] == tolerance
    assert loc["mae_s"] == pytest.approx((2.0 + 1.5 + 0.75) / 3)  # independent of it


def test_hit_is_the_closest_frame_and_error_the_mean_over_predicted_frames():
    # 4 is 1/30 s from 3 (a hit); 100 is 2.0 s from 40
    loc = closed({"a": [100, 4]})
    assert loc["n"] == 1 and loc["hit_rate"] == 1.0
    assert loc["mae_s"] == pytest.approx((2.0 + 1 / 30) / 2)


def test_only_predictions_with_frames_count():
    loc = closed({"b": [5]}, None)  # frames only for video b of key 0, none for key 1
    assert loc["n"] == 1 and loc["by_video"]["a"]["n"] == 0
    assert loc["by_video"]["a"]["hit_rate"] is None
    assert closed(None, None) is None
    assert closed({}, {"a": []}) is None
    preds = {"s0": {"0": DiffPrediction("a", ""), "1": DiffPrediction("b", "")}}
    results = asyncio.run(score_predictions([SAMPLE], preds, EvalConfig(mode="closed").scoring_settings())).results
    assert "localization" not in results


def test_open_mode_uses_the_frames_of_the_matched_prediction():
    class Crossed(Judge):
        name = "crossed"

        async def match(self, task):
            return {"0": "y", "1": "x", "2": None}

        async def opposites(self, pairs):
            return [False] * len(pairs)

        def identity(self):
            return {"name": self.name}

    preds = {"s0": {"x": DiffPrediction("a", "the squat is deeper", {"a": [3], "b": [5]}),
                    "y": DiffPrediction("b", "the squat is faster", {"a": [100], "b": [22]})}}
    rows, _ = asyncio.run(judge_open([SAMPLE], preds, Crossed()))
    loc = localization_metrics([SAMPLE], preds, rows)
    # gt 0 <- y: a 100 vs 40 = 2.0 s, b 22 vs 5 = 2.125 s; gt 1 <- x: b 5 vs 16 = 1.375 s
    assert loc["n"] == 3 and loc["hit_rate"] == 0.0
    assert loc["mae_s"] == pytest.approx((2.0 + 2.125 + 1.375) / 3)


def test_oracle_frames_on_mini_through_score(tmp_path, cache_dir):
    samples = load_benchmark("mini").samples
    preds, expected_n = {}, 0
    for s in samples:
        preds[s.sample_key] = {}
        for k in s.scored_keys:
            frames = {v: s.retrieval_frames[i][k] for i, v in enumerate("ab")
                      if s.retrieval_frames[i].get(k)}
            expected_n += len(frames)
            preds[s.sample_key][k] = {"prediction": s.differences_gt[k], "frames": frames}
    path = tmp_path / "oracle.json"
    path.write_text(json.dumps(preds))
    assert main(["score", str(path), "--tolerance", "0", "--out", str(tmp_path / "o")]) == 0
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    assert results["metrics"]["accuracy"] == 1.0
    loc = results["localization"]
    assert expected_n > 0 and loc["n"] == expected_n
    assert loc["hit_rate"] == 1.0 and loc["mae_s"] == 0.0 and loc["tolerance_s"] == 0.0
