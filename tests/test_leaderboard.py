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
from vdbench.benchmarks.viddiffbench.reported import CLOSED_ACCURACY, OPEN_RECALL
from vdbench.cli.main import main as vdbench_main
from vdbench.data.viddiffbench_facts import HUB_ID
from vdbench.leaderboard.build import build
from vdbench.leaderboard.plot import draw, panels, x_range
from vdbench.leaderboard.publish import write
from vdbench.leaderboard.records import Cell, split_average

ALL = {"easy": 0.7, "medium": 0.6, "hard": 0.5}


def _board(tmp: Path, with_runs: bool = True):
    return build(tmp / "submissions", tmp / "runs" if with_runs else None)


def _table(board, mode: str, *, reported: bool = False, revision: str | None = None):
    return next(t for t in board.tables if t.mode == mode and t.reported == reported
                and (revision is None or t.revision == revision))


def test_paper_rows_are_included_marked_and_kept_apart(tmp_path):
    board = _board(tmp_path)  # nothing recorded: only the papers
    assert [(t.benchmark, t.mode, t.reported) for t in board.tables] == [
        ("viddiffbench", "closed", True), ("viddiffbench", "open", True),
        ("vidic", "compare", True)]
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
    assert vdbench_main(["eval", "--model", "random", "--no-progress", "--seed", "1"]) == 0
    first = snapshot(tmp_path / "runs")
    time.sleep(1.05)  # run folders are named to the second
    assert vdbench_main(["eval", "--model", "random", "--no-progress", "--split", "easy"]) == 0
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(folders) == 2
    assert {k: v for k, v in snapshot(tmp_path / "runs").items() if k in first} == first
    assert run(["leaderboard"]) == 0
    data = json.loads((tmp_path / "leaderboard" / "leaderboard.json").read_text())
    rows = {r["id"]: r for t in data["tables"] for r in t["rows"] if r["source"] == "run"}
    assert set(rows) == {f"run:{f}" for f in folders}
    easy_only = next(r for r in rows.values() if set(r["splits"]) == {"easy"})
    assert easy_only["average"] is None and easy_only["rank"] is None


# --- row identity: one row per configuration -------------------------------------------------


def _rows(board, mode: str = "closed") -> dict[str, object]:
    return {r.id: r for t in board.tables if t.mode == mode and not t.reported for r in t.rows}


def viddiff(localizer: str, calls: int = 3) -> dict:
    """provenance.model of the VidDiff method: its config, and run statistics (stages)."""
    return {"config": {"localizer": localizer, "proposer_model": "gpt-4o-mini"},
            "prompt_hash": "abc123", "stages": {"proposer": {"calls": calls, "cost_usd": 0.01}}}


def test_runs_differing_only_in_seed_are_two_rows_side_by_side(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "s0", results_record(ALL, model="random", seed=0, model_provenance={},
                                         created="2025-01-01T00:00:00"))
    write_run(runs, "s1", results_record(dict(ALL, easy=0.4), model="random", seed=1,
                                         model_provenance={}, created="2025-02-01T00:00:00"))
    board = _board(tmp_path)
    assert board.superseded == []
    rows = _rows(board)
    assert set(rows) == {"run:s0", "run:s1"}
    assert {r.label for r in rows.values()} == {"random (seed 0)", "random (seed 1)"}
    assert rows["run:s0"].config != rows["run:s1"].config
    table = _table(board, "closed")
    assert len(table.rows) == 2 and all(r.rank for r in table.rows)  # both shown, both ranked
    spread = rows["run:s0"].seed_spread
    assert spread == rows["run:s1"].seed_spread and spread["seeds"] == [0, 1]
    assert spread["mean"] == pytest.approx((0.6 + 0.5) / 2)
    write(board, tmp_path / "lb")
    md = (tmp_path / "lb" / "leaderboard.md").read_text()
    assert "random (seed 0)" in md and "random (seed 1)" in md and "2 seeds: mean 55.0" in md
    data = json.loads((tmp_path / "lb" / "leaderboard.json").read_text())
    labels = [r["label"] for t in data["tables"] for r in t["rows"] if r["source"] == "run"]
    assert sorted(labels) == ["random (seed 0)", "random (seed 1)"]


def test_runs_differing_only_in_a_model_option_are_two_rows(tmp_path):
    runs = tmp_path / "runs"
    for i, localizer in enumerate(("clip", "random", "oracle")):
        write_run(runs, localizer, results_record(
            dict(ALL, easy=0.5 + i / 10), model="viddiff", model_provenance=viddiff(localizer),
            created=f"2025-0{i + 1}-01T00:00:00"))
    write_run(runs, "high", results_record(ALL, model="gpt-4o",
                                           model_provenance={"image_detail": "high"}))
    write_run(runs, "low", results_record(ALL, model="gpt-4o",
                                          model_provenance={"image_detail": "low"}))
    board = _board(tmp_path)
    assert board.superseded == []
    labels = {r.id: r.label for r in _rows(board).values()}
    assert labels == {"run:clip": "viddiff (localizer=clip)",
                      "run:random": "viddiff (localizer=random)",
                      "run:oracle": "viddiff (localizer=oracle)",
                      "run:high": "gpt-4o (image_detail=high)",
                      "run:low": "gpt-4o (image_detail=low)"}
    row = _rows(board)["run:random"]
    assert row.options["localizer"] == "random" and row.seed == 0
    assert not any(k.startswith("stages") for k in row.options)  # run statistics, not config
    assert row.seed_spread is None


def test_a_true_rerun_still_supersedes_and_other_protocols_do_not(tmp_path):
    runs = tmp_path / "runs"
    # the same configuration twice: the run statistics (stages) differ, the config does not
    write_run(runs, "old", results_record(ALL, model="viddiff", model_provenance=viddiff("clip", 3),
                                          protocol="paper", created="2025-01-01T00:00:00"))
    write_run(runs, "new", results_record(dict(ALL, easy=0.9), model="viddiff",
                                          model_provenance=viddiff("clip", 5), protocol="paper",
                                          created="2025-02-01T00:00:00"))
    write_run(runs, "fast", results_record(ALL, model="viddiff", model_provenance=viddiff("clip"),
                                           protocol="fast", created="2024-01-01T00:00:00"))
    write_run(runs, "unrecorded", results_record(ALL, model="viddiff",
                                                 model_provenance=viddiff("clip"),
                                                 created="2024-01-01T00:00:00"))
    board = _board(tmp_path)
    assert board.superseded == ["run:old"]
    labels = {r.id: r.label for r in _rows(board).values()}
    assert labels == {"run:new": "viddiff (protocol=paper)", "run:fast": "viddiff (protocol=fast)",
                      "run:unrecorded": "viddiff (protocol=none)"}
    assert any("1 older run(s)" in n for n in board.notes)


def test_frame_settings_that_follow_the_protocol_are_not_repeated_in_the_label(tmp_path):
    runs = tmp_path / "runs"
    frames = {"paper": {"fps": None, "max_frames": 150}, "fast": {"fps": None, "max_frames": 40}}
    for protocol, spec in frames.items():
        write_run(runs, protocol, results_record(ALL, model="gpt-4o", model_provenance={},
                                                 protocol=protocol, frame_sampling=spec))
    board = _board(tmp_path)
    labels = {r.id: r.label for r in _rows(board).values()}
    assert labels == {"run:paper": "gpt-4o (protocol=paper)", "run:fast": "gpt-4o (protocol=fast)"}
    assert _rows(board)["run:fast"].options["frames.max_frames"] == 40  # kept in the options
    # an override (--fps 2) within one protocol is named
    write_run(runs, "fps2", results_record(ALL, model="gpt-4o", model_provenance={},
                                           protocol="fast",
                                           frame_sampling={"fps": 2.0, "max_frames": 40}))
    labels = {r.id: r.label for r in _rows(_board(tmp_path)).values()}
    assert labels["run:fps2"] == "gpt-4o (frames.fps=2, protocol=fast)"
    assert labels["run:fast"] == "gpt-4o (frames.fps=none, protocol=fast)"


def test_an_option_an_older_record_lacks_is_shown_as_unrecorded(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "a", results_record(ALL, model="gpt-4o", model_provenance={}))
    write_run(runs, "b", results_record(ALL, model="gpt-4o",
                                        model_provenance={"image_detail": "low"}))
    labels = {r.id: r.label for r in _rows(_board(tmp_path)).values()}
    assert labels == {"run:a": "gpt-4o (image_detail=unrecorded)",
                      "run:b": "gpt-4o (image_detail=low)"}


# --- the plot: no axis mixes datasets; legends off the data; axes that fit -------------------


def test_mini_is_never_plotted_on_an_axis_with_the_papers_rows(tmp_path):
    pytest.importorskip("matplotlib")
    runs = tmp_path / "runs"
    # the old bug: a random baseline at 59.8 on mini drawn above Gemini-1.5-Pro (57.7)
    write_run(runs, "random", results_record({"easy": 0.61, "medium": 0.59, "hard": 0.595},
                                             model="random", model_provenance={}))
    write_run(runs, "full", results_record(ALL, model="gpt-4o", dataset=HUB_ID, revision="r9"))
    board = _board(tmp_path)
    shown = panels(board)
    assert all(len({t.dataset for t in p.tables}) == 1 for p in shown)
    assert [p.key for p in shown] == [f"closed:{HUB_ID}", "closed:mini", f"open:{HUB_ID}"]
    full = next(p for p in shown if p.key == f"closed:{HUB_ID}")
    assert {r.source for t in full.tables for r in t.rows} == {"run", "paper"}
    fig = draw(board)
    axes = {ax.get_gid(): ax for ax in fig.axes}
    assert set(axes) == {p.key for p in shown}
    mini_labels = [t.get_text() for t in axes["closed:mini"].texts]
    assert mini_labels == ["random  59.8"]
    full_labels = " ".join(t.get_text() for t in axes[f"closed:{HUB_ID}"].texts)
    assert "Gemini-1.5-Pro" in full_labels and "random" not in full_labels


def test_legends_sit_outside_the_data_and_axes_fit_the_data(tmp_path):
    pytest.importorskip("matplotlib")
    runs = tmp_path / "runs"
    for name, v in (("a", 0.42), ("b", 0.48), ("c", 0.55), ("d", 0.6)):
        write_run(runs, name, results_record({"easy": v, "medium": v, "hard": v}, model=name,
                                             width=0.02))
    write_run(runs, "o", results_record(ALL, mode="open", model="o", judge={"name": "x" * 90}))
    for detail in ("a-rather-long-setting-name", "another-long-setting-value"):  # long labels
        write_run(runs, detail, results_record(ALL, mode="open", model="provider:some-model-id",
                                               judge={"name": "x" * 90},
                                               model_provenance={"image_detail": detail}))
    board = _board(tmp_path)
    fig = draw(board)
    fig.draw_without_rendering()  # runs the layout
    renderer = fig.canvas.get_renderer()
    boxes = [ax.get_window_extent(renderer) for ax in fig.axes]
    page = fig.bbox
    for ax in fig.axes:
        legend = ax.get_legend()
        assert legend is not None
        box = legend.get_window_extent(renderer)
        assert not any(box.overlaps(b) for b in boxes), ax.get_gid()  # off every axes
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1, ax.get_gid()  # not cut off
        assert page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, ax.get_gid()
        for text in ax.texts:  # the row labels stay on the figure too
            box = text.get_window_extent(renderer)
            assert page.x0 <= box.x0 and box.x1 <= page.x1, text.get_text()
    mini = next(ax for ax in fig.axes if ax.get_gid() == "closed:mini")
    lo, hi = mini.get_xlim()
    assert (lo, hi) != (0, 100) and 30 <= lo <= 40 and 60 <= hi <= 70  # values 40 to 62
    assert lo < 50 < hi  # chance stays in view
    assert any(line.get_label() == "chance (50%)" for line in mini.get_lines())


def test_axis_range_fits_and_keeps_chance_in_closed_mode():
    def row(value, ci=None):
        from vdbench.leaderboard.records import Row
        return Row(id="run:x", source="run", method="x", mode="closed", dataset="mini",
                   revision="r", judge=None, splits={}, average=Cell(value, ci))

    assert x_range("closed", [row(0.45, (0.4, 0.5)), row(0.58, (0.52, 0.6))]) == (35, 65)
    assert x_range("closed", [row(0.9, (0.85, 0.95))]) == (45, 100)  # 50 kept in view
    assert x_range("open", [row(0.08), row(0.42)]) == (5, 45)  # no chance line in open mode
    assert x_range("open", [row(0.3)]) == (20, 40)  # at least 20 points wide


# --- links to the runs' viewer pages ----------------------------------------------------------


def test_rows_link_to_their_runs_viewer_page(tmp_path):
    runs = tmp_path / "runs"
    for name in ("viewed", "plain", "odd: name#1"):
        write_run(runs, name, results_record(ALL, model=name))
    for name in ("viewed", "odd: name#1"):
        (runs / name / "view").mkdir()
        (runs / name / "view" / "index.html").write_text("<title>view</title>")
    board = _board(tmp_path)
    out = tmp_path / "leaderboard"
    write(board, out)
    html = (out / "index.html").read_text()
    md = (out / "leaderboard.md").read_text()
    assert 'href="../runs/viewed/view/index.html"' in html
    assert "[run viewed](../runs/viewed/view/index.html)" in md
    assert 'href="../runs/odd%3A%20name%231/view/index.html"' in html  # quoted: no scheme
    assert "runs/plain/view" not in html
    data = json.loads((out / "leaderboard.json").read_text())
    viewers = {r["id"]: r["viewer"] for t in data["tables"] for r in t["rows"]}
    assert viewers["run:viewed"] == "../runs/viewed/view/index.html"
    assert viewers["run:plain"] is None
    assert (out / viewers["run:viewed"]).resolve() == (runs / "viewed/view/index.html").resolve()
    far = tmp_path / "a" / "b" / "c" / "lb"  # a link that climbs this far would spell out paths
    write(_board(tmp_path), far)
    assert "view/index.html" not in (far / "index.html").read_text()


def test_rows_asked_with_different_prompts_are_never_ranked_together(tmp_path):
    from board_helpers import results_record, write_run
    from vdbench.leaderboard.build import build

    runs = tmp_path / "runs"
    for name, prompts in (("ours", {"closed": "aaaa"}), ("theirs", {"closed": "bbbb"}),
                          ("ours2", {"closed": "aaaa"})):
        write_run(runs, name, results_record(
            {"easy": 0.6, "medium": 0.6, "hard": 0.6}, model=name,
            model_provenance={"name": name, "prompt_hash": prompts}))
    write_run(runs, "coin", results_record({"easy": 0.5, "medium": 0.5, "hard": 0.5},
                                           model="random"))
    board = build(None, runs)
    tables = {tuple(sorted(r.method for r in t.rows)) for t in board.tables if not t.reported}
    assert tables == {("ours", "ours2", "random"), ("theirs",)}
