"""A leaderboard that cannot mislead: smoke tests labelled and placed after the paper's numbers,
one identity for mini however it was passed, the chance marker on the Average, a readable judge
heading and a 'not comparable' line between tables."""

from board_helpers import results_record, write_run
from vdbench.data.loader import mini_revision
from vdbench.leaderboard.build import build
from vdbench.leaderboard.publish import write

OFFLINE = {"name": "offline-embedding", "version": 5, "backend": "embedding",
           "threshold": -3.5, "rules_hash": "abc", "weights_hash": "def",
           "measured": {"gold": "vdbench held-out v1", "n_cases": 52,
                        "agreement": {"value": 0.826}, "match_precision": {"value": 0.831},
                        "direction_accuracy": {"value": 0.894}, "recall_bias": {"value": -0.049}}}


def _board(tmp_path):
    runs, rev = tmp_path / "runs", mini_revision()
    chance = results_record({"easy": 0.6, "medium": 0.6, "hard": 0.58}, model="random",
                            revision=rev)
    chance["metrics"]["p_vs_chance"] = 0.2  # as a whole no better than chance
    write_run(runs, "named", chance)
    write_run(runs, "folder", results_record({"easy": 0.5, "medium": 0.5, "hard": 0.5},
                                             model="other", dataset="/home/me/mini-copy",
                                             revision=rev))
    write_run(runs, "open", results_record({"easy": 0.3, "medium": 0.3, "hard": 0.3},
                                           mode="open", model="random", judge=OFFLINE,
                                           revision=rev))
    board = build(tmp_path / "none", runs)
    write(board, tmp_path / "lb")
    return board, (tmp_path / "lb" / "leaderboard.md").read_text()


def test_mini_is_one_labelled_table_after_the_papers(tmp_path):
    board, md = _board(tmp_path)
    closed = [t for t in board.tables if t.mode == "closed"]
    assert [t.reported for t in closed] == [True, False]  # the paper's first, then mini
    mini = closed[1]
    assert {r.method for r in mini.rows} == {"random", "other"}  # named and folder: one table
    assert mini.title.startswith("Smoke test, not comparable with the paper: mini @")
    assert "Smoke test: the bundled mini benchmark: synthetic pairs" in md


def test_the_average_carries_the_chance_marker(tmp_path):
    board, md = _board(tmp_path)
    line = next(x for x in md.splitlines() if x.startswith("| 1 | random |"))
    assert line.split(" | ")[2].startswith("59.3\u2020")  # the Average column, marked


def test_judge_heading_is_readable_and_tables_of_other_judges_are_marked(tmp_path):
    board, md = _board(tmp_path)
    opened = [t for t in board.tables if t.mode == "open" and not t.reported]
    assert "judge: offline judge v5 (embedding)" in opened[0].title
    assert "threshold=" not in opened[0].title
    assert "held-out v1 (52 cases): agreement 83%" in opened[0].judge_quality
    open_part = md.split("## Open mode")[1]
    assert "> Not comparable with the table above: a different dataset, judge" in open_part
