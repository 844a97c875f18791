"""The held-out gold set: packaged, apart from the development gold, and the source of the
figures every open-mode run records."""

import asyncio

import pytest

from vdbench.scoring.judge.evaluate import HELDOUT_NAME, measured_quality
from vdbench.scoring.judge.gold import HELDOUT_PATH, HELDOUT_PATHS, development_cases, load_gold


def test_the_heldout_set_is_packaged_and_shares_nothing_with_the_development_gold():
    cases = load_gold(HELDOUT_PATH)
    assert sum(c.decisions for c in cases) >= 300
    assert {c.domain for c in cases} == {"fitness", "ballsports", "diving", "music", "surgery"}
    assert HELDOUT_PATH == HELDOUT_PATHS["b"]  # set a became development data
    assert not {c.id for c in cases} & {c.id for c in development_cases()}


def test_runs_record_the_heldout_figure_of_the_frozen_offline_judge():
    pytest.importorskip("torch")  # the embedding backend the figure was measured with
    from vdbench.scoring.judge.offline import OfflineJudge

    measured = asyncio.run(measured_quality(OfflineJudge()))
    assert measured["gold"] == HELDOUT_NAME and measured["n_cases"] == len(load_gold(HELDOUT_PATH))
    # docs/judging.md, "Held-out measurement": a changed judge must be measured and documented
    assert measured["agreement"]["value"] == pytest.approx(0.7469, abs=0.0005)
    assert measured["match_precision"]["value"] == pytest.approx(0.7713, abs=0.0005)
    assert measured["recall_bias"]["value"] == pytest.approx(-0.1667, abs=0.0005)
