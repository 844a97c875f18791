"""The leaderboard rebuild: grouping, ranking, the paper's rows, determinism, recorded runs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from board_helpers import (
    META,
    closed_predictions,
    flat,
    results_record,
    run,
    snapshot,
    write_json,
    write_run,
)
from vdbench.cli.main import main as vdbench_main
from vdbench.leaderboard.build import build, write
from vdbench.leaderboard.records import Cell, split_average
from vdbench.leaderboard.reported import CLOSED_ACCURACY, OPEN_RECALL

ALL = {"easy": 0.7, "medium": 0.6, "hard": 0.5}


def _board(tmp: Path, with_runs: bool = True):
    return build(tmp / "submissions", tmp / "runs" if with_runs else None)


def _table(board, mode: str, *, reported: bool = False, revision: str | None = None):
    return next(t for t in board.tables if t.mode == mode and t.reported == reported
                and (revision is None or t.revision == revision))


def test_paper_rows_are_included_marked_and_kept_apart(tmp_path):
    board = _board(tmp_path)  # nothing recorded: only the paper
    assert [(t.mode, t.reported) for t in board.tables] == [("closed", True), ("open", True)]
    closed = {r.method: r for r in _table(board, "closed", reported=True).rows}
    assert set(closed) == set(CLOSED_ACCURACY)
    gpt = closed["GPT-4o"]
    assert gpt.source == "paper" and gpt.rank is None
    assert [round(100 * gpt.splits[s].value, 1) for s in ("easy", "medium", "hard")] == [
        58.3, 53.2, 48.9]
    assert round(100 * gpt.average.value, 1) == 53.5
    open_rows = _table(board, "open", reported=True).rows
    assert {r.method for r in open_rows} == set(OPEN_RECALL)
    assert open_rows[0].method == "VidDiff method"  # sorted by average, 42.1 first
    assert all(r.judge and "gpt-4o-2024-08-06" in r.judge for r in open_rows)


def test_rows_with_other_revisions_or_judges_get_their_own_ranked_tables(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "a", results_record(ALL, model="a", revision="r1"))
    write_run(runs, "b", results_record({"easy": 0.9, "medium": 0.9, "hard": 0.9}, model="b",
                                        revision="r2"))
    write_run(runs, "c", results_record(dict(ALL, easy=0.8), model="c", revision="r1"))
    judge_x = {"name": "offline-lexical", "threshold": 0.4}
    judge_y = {"name": "llm", "match_model": "gpt-4o-2024-08-06"}
    write_run(runs, "o1", results_record(ALL, mode="open", model="o1", judge=judge_x))
    write_run(runs, "o2", results_record(ALL, mode="open", model="o2", judge=judge_y))
    board = _board(tmp_path)
    r1 = _table(board, "closed", revision="r1")
    assert [(r.method, r.rank) for r in r1.rows] == [("c", 1), ("a", 2)]
    r2 = _table(board, "closed", revision="r2")
    assert [(r.method, r.rank) for r in r2.rows] == [("b", 1)]  # best, but not ranked above c
    opens = [t for t in board.tables if t.mode == "open" and not t.reported]
    assert len(opens) == 2 and {t.judge for t in opens} == {
        "offline-lexical (threshold=0.4)", "llm (match_model=gpt-4o-2024-08-06)"}
    assert all(len(t.rows) == 1 and t.rows[0].rank == 1 for t in opens)
    assert opens[0].rows[0].errors == {"err_flippedpred": 0.05, "err_nomatch": 0.3}
    write(board, tmp_path / "lb")
    md = (tmp_path / "lb" / "leaderboard.md").read_text()
    assert md.count("not comparable across tables") == 2  # closed and open both warn
    html = (tmp_path / "lb" / "index.html").read_text()
    assert html.count('class="caveat"') == 2


def test_one_split_runs_subsets_and_ties(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "full", results_record(ALL, model="full"))
    write_run(runs, "twin", results_record(ALL, model="twin"))
    write_run(runs, "easy-only", results_record({"easy": 0.95}, model="easy-only"))
    write_run(runs, "limited", results_record({"easy": 0.9, "medium": 0.9, "hard": 0.9},
                                              model="limited",
                                              selection={"split": "all", "limit": 5}))
    rows = {r.method: r for r in _table(_board(tmp_path), "closed").rows}
    assert set(rows["easy-only"].splits) == {"easy"} and rows["easy-only"].average is None
    assert rows["easy-only"].rank is None
    assert rows["limited"].subset == "limit=5" and rows["limited"].rank is None
    assert rows["limited"].average is not None  # shown, but not ranked: a subset
    assert rows["full"].rank == rows["twin"].rank == 1  # equal averages share a rank


def test_average_and_its_interval():
    splits = {"easy": Cell(0.6, (0.5, 0.7)), "medium": Cell(0.5, (0.4, 0.6)),
              "hard": Cell(0.4, (0.3, 0.5))}
    avg = split_average(splits)
    assert avg.value == pytest.approx(0.5)
    # three independent errors of the same size: the mean's half-width is 1/sqrt(3) of one
    assert avg.ci95 == pytest.approx((0.5 - 0.1 / 3 ** 0.5, 0.5 + 0.1 / 3 ** 0.5))
    assert split_average({"easy": Cell(0.6), "medium": Cell(0.5)}) is None
    assert split_average({**splits, "hard": Cell(0.4)}).ci95 is None


def test_newest_run_of_a_configuration_is_kept(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "old", results_record(ALL, model="gpt-4o", created="2025-01-01T00:00:00"))
    write_run(runs, "new", results_record(dict(ALL, easy=0.2), model="gpt-4o",
                                          created="2025-02-01T00:00:00"))
    write_run(runs, "easy", results_record({"easy": 0.3}, model="gpt-4o",
                                           selection={"split": "easy"},
                                           created="2024-01-01T00:00:00"))
    board = _board(tmp_path)
    ids = {r.id for t in board.tables for r in t.rows}
    assert {"run:new", "run:easy"} <= ids and "run:old" not in ids
    assert board.superseded == ["run:old"]
    assert any("1 older run(s)" in n for n in board.notes)


def test_unreadable_records_are_skipped_with_a_reason(tmp_path, capsys):
    runs = tmp_path / "runs"
    (runs / "broken").mkdir(parents=True)
    (runs / "broken" / "results.json").write_text("{not json")
    (runs / "empty").mkdir()
    write_run(runs, "weird", {"mode": "closed", "by_split": {}, "provenance": {}})
    write_run(runs, ".hidden", {"mode": "nonsense"})
    write_run(runs, "ok", results_record(ALL))
    assert run(["leaderboard", "--runs", str(runs), "--submissions", str(tmp_path / "none"),
                "--out", str(tmp_path / "lb")]) == 0
    err = flat(capsys.readouterr().err)
    for rid in ("run:broken", "run:empty", "run:weird"):
        assert f"skipped {rid}" in err
    assert "hidden" not in err
    data = json.loads((tmp_path / "lb" / "leaderboard.json").read_text())
    assert [s["record"] for s in data["skipped"]] == ["run:broken", "run:empty", "run:weird"]
    assert data["records"] == {"runs": 1, "submissions": 0}


def test_rebuild_is_byte_identical_and_holds_no_local_paths(tmp_path, cache_dir):
    pytest.importorskip("matplotlib")
    subs, runs = tmp_path / "submissions", tmp_path / "runs"
    preds = write_json(tmp_path / "p.json", closed_predictions("a"))
    write_json(tmp_path / "p.meta.json", META)
    assert run(["submit", str(preds), "--name", "always-a", "--submissions", str(subs)]) == 0
    local = results_record(ALL, model=f"replay:{tmp_path}/x/predictions.json",
                           dataset=str(tmp_path / "hubcopy"))
    local["provenance"]["predictions_file"] = str(tmp_path / "p.json")
    local["provenance"]["model"] = {"name": "replay", "file": str(tmp_path / "x" / "p.json")}
    write_run(runs, "local", local)
    write_run(runs, "open", results_record(ALL, mode="open", judge={"name": "offline"}))
    outs = [tmp_path / "lb1", tmp_path / "lb2"]
    for out in outs:
        assert run(["leaderboard", "--runs", str(runs), "--submissions", str(subs),
                    "--out", str(out)]) == 0
    first, second = (snapshot(o) for o in outs)
    assert sorted(Path(p).name for p in first) == [
        "index.html", "lb1", "leaderboard.json", "leaderboard.md", "plot.png"]
    assert list(first.values()) == list(second.values())
    assert (outs[0] / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("index.html", "leaderboard.json", "leaderboard.md"):
        text = (outs[0] / name).read_text()
        assert str(tmp_path) not in text and "/tmp" not in text, name
    data = json.loads((outs[0] / "leaderboard.json").read_text())
    local_row = next(r for t in data["tables"] for r in t["rows"] if r["id"] == "run:local")
    assert local_row["dataset"] == "local folder"
    assert local_row["method"] == "replay:x/predictions.json"
    assert local_row["provenance"]["model"] == {"name": "replay", "file": "x/p.json"}


def test_without_matplotlib_the_page_says_so_and_drops_a_stale_plot(tmp_path, monkeypatch,
                                                                     capsys):
    out = tmp_path / "lb"
    out.mkdir()
    (out / "plot.png").write_bytes(b"stale")
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # imports fail as if not installed
    assert run(["leaderboard", "--runs", str(tmp_path / "r"), "--submissions",
                str(tmp_path / "s"), "--out", str(out)]) == 0
    assert "plot not drawn" in capsys.readouterr().err
    assert not (out / "plot.png").exists()
    assert "Plot not drawn: matplotlib is not installed" in (out / "index.html").read_text()
    assert "plot.png" not in (out / "leaderboard.md").read_text()


def test_out_folder_must_not_be_a_records_folder(tmp_path, capsys):
    runs = tmp_path / "runs"
    runs.mkdir()
    assert run(["leaderboard", "--runs", str(runs), "--out", str(runs)]) == 2
    assert "must not be a folder of records" in capsys.readouterr().err


def test_make_eval_runs_are_recorded_side_by_side_and_shown(tmp_path, cache_dir, monkeypatch):
    """`make eval` runs `vdbench eval` with no --out: each run gets its own runs/ folder."""
    monkeypatch.chdir(tmp_path)
    assert vdbench_main(["eval", "--no-progress", "--seed", "1"]) == 0
    first = snapshot(tmp_path / "runs")
    time.sleep(1.05)  # run folders are named to the second
    assert vdbench_main(["eval", "--no-progress", "--split", "easy"]) == 0
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(folders) == 2
    assert {k: v for k, v in snapshot(tmp_path / "runs").items() if k in first} == first
    assert run(["leaderboard"]) == 0
    data = json.loads((tmp_path / "leaderboard" / "leaderboard.json").read_text())
    rows = {r["id"]: r for t in data["tables"] for r in t["rows"] if r["source"] == "run"}
    assert set(rows) == {f"run:{f}" for f in folders}
    easy_only = next(r for r in rows.values() if set(r["splits"]) == {"easy"})
    assert easy_only["average"] is None and easy_only["rank"] is None
