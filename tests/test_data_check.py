"""`vdbench data check SRC`: counts beside the paper's, videos and trims, and which reading of
retrieval_frames a copy is consistent with; and the loader's refusal of retrieval frames that
contradict vdbench's reading where the trim alone decides it."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import make_row
from vdbench.cli.data_check import COMMANDS, add_commands
from vdbench.core.errors import InputError
from vdbench.data.loader import MINI_DIR, load_benchmark
from vdbench.data.schema import parse_row, trim_span
from vdbench.data.viddiffbench_facts import (
    PAPER_DOMAIN_COUNTS,
    PAPER_SPLIT_COUNTS,
    PAPER_TOTALS,
    SPLITS,
)
from vdbench.data.viddiffbench_facts import PAPER_FPS as LMM_FPS

PARQUET = "data/test-00000-of-00001.parquet"


def run(capsys, *argv: object) -> tuple[int, str, str, InputError | None]:
    """The command in-process, as main.py runs it: InputError -> exit 2. Returns the exit code,
    stdout and stderr (line breaks removed: rich wraps) and the error."""
    parser = argparse.ArgumentParser(prog="vdbench")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    error = None
    try:
        rc = COMMANDS[args.command](args)
    except InputError as exc:
        rc, error = 2, exc
    out, err = capsys.readouterr()
    return rc, " ".join(out.split()), " ".join(err.split()), error


def mini_rows() -> list[dict]:
    return pq.ParquetFile(MINI_DIR / PARQUET).read().to_pylist()


def write_rows(root: Path, rows: list[dict]) -> Path:
    """Replace the parquet of a copied data folder, keeping the column types."""
    schema = pq.ParquetFile(MINI_DIR / PARQUET).schema_arrow
    path = root / PARQUET
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


def row_of(rows: list[dict], key: str) -> dict:
    return next(r for r in rows if r["sample_key"] == key)


# --- the paper's counts ----------------------------------------------------------------------

def test_paper_counts_add_up_as_the_paper_prints_them():
    assert sum(d["pairs"] for d in PAPER_DOMAIN_COUNTS.values()) == PAPER_TOTALS["pairs"] == 549
    assert (sum(d["differences"] for d in PAPER_DOMAIN_COUNTS.values())
            == PAPER_TOTALS["differences"] == 4469)
    assert sum(d["actions"] for d in PAPER_DOMAIN_COUNTS.values()) == PAPER_TOTALS["actions"]
    assert tuple(PAPER_SPLIT_COUNTS) == SPLITS
    assert sum(s["pairs"] for s in PAPER_SPLIT_COUNTS.values()) == 557  # Table 8's version


# --- the bundled mini benchmark --------------------------------------------------------------

def test_mini_passes_and_reports_counts_beside_the_papers(capsys, tmp_path):
    out_file = tmp_path / "check.json"
    rc, out, err, error = run(capsys, "data", "check", "mini", "--out", out_file)
    assert (rc, error) == (0, None), err
    # the copy's counts and the paper's, side by side
    assert "18 pairs, 69 labelled differences" in out
    assert "partial copy" in out
    for figure in ("549", "4,469", "2,075", "193", "1,466", "557", "167/190/221"):
        assert figure in out
    assert "fitness_5" in out  # an action of the paper's Table 6 the mini copy lacks
    assert "reading A (vdbench's) keeps every decided index inside its clip" in out
    assert "ok:" in out

    report = json.loads(out_file.read_text())
    assert report["ok"] is True and report["partial"] is True
    assert report["absent_domains"] == [] and report["problems"] == []
    assert report["counts"]["total"] == {"pairs": 18, "a": 30, "b": 29, "c": 10,
                                         "with_frames": 69, "labelled": 69}
    assert {k: c["pairs"] for k, c in report["counts"]["by_split"].items()} == {
        "easy": 5, "medium": 8, "hard": 5}
    assert report["paper"]["totals"]["pairs"] == 549
    readings = report["retrieval_frames"]
    assert readings["used_by_vdbench"] == "A"
    for domain, tallies in readings["by_domain"].items():
        # the mini data are original-rate frame numbers: reading B is ruled out everywhere
        assert tallies["A"]["verdict"] == "consistent", domain
        assert tallies["B"]["verdict"] == "contradicted", domain
        assert tallies["A"]["undecided"] == 0
    assert all(v["missing"] == 0 and v["unusable"] == 0 for v in report["videos"].values())


# --- retrieval_frames readings ---------------------------------------------------------------

def test_retrieval_frames_past_the_clip_are_exit_2_naming_the_problem(hub_copy, capsys, tmp_path):
    # mini_01's fitness videos have no explicit trim, so only the video (32 frames) tells the
    # clip's length: the loader accepts the row, the check refuses it
    rows = mini_rows()
    row = row_of(rows, "mini_01")
    retrieval = json.loads(row["retrieval_frames"])
    retrieval[0]["0"] = [4, 12, 20, 40, 44]
    row["retrieval_frames"] = json.dumps(retrieval)
    parquet = write_rows(hub_copy, rows)
    out_file = tmp_path / "check.json"

    rc, out, err, error = run(capsys, "data", "check", hub_copy, "--out", out_file)
    assert rc == 2 and error is not None
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert problem.startswith(f"{parquet}: row 1: sample 'mini_01': retrieval_frames[0]")
    assert "key '0'" in problem and "40, 44" in problem and "reading A" in problem
    assert "valid 0..31" in problem
    assert "reading A (vdbench's) is contradicted: 2 index(es)" in out
    report = json.loads(out_file.read_text())  # written before the error
    assert report["ok"] is False and report["problems"] == error.problems
    fitness = report["retrieval_frames"]["by_domain"]["fitness"]
    assert fitness["A"]["outside"] == 2 and fitness["A"]["verdict"] == "contradicted"


def _subsampled(index: int, video: dict, domain: str) -> int:
    """Where original-rate frame `index` of the clip lands among the frames sampled at the
    protocol's rate (reading B)."""
    trim_step = (video["frames_trim"] + [None, None, None])[2] or 1
    step = max(1, int(video["fps_original"] / trim_step / LMM_FPS[domain] + 1e-9))
    return index // (trim_step * step)


def test_subsampled_indices_fit_both_readings_and_are_reported(hub_copy, capsys, tmp_path):
    """Indices into the subsampled frames never leave reading A's range (B's clip is a part of
    A's), so such a copy passes; the report says it cannot tell the two readings apart."""
    rows = mini_rows()
    for row in rows:
        videos = json.loads(row["videos"])
        retrieval = json.loads(row["retrieval_frames"])
        for video, frames in zip(videos, retrieval):
            for key, indices in frames.items():
                if indices:
                    frames[key] = [_subsampled(i, video, row["domain"]) for i in indices]
        row["retrieval_frames"] = json.dumps(retrieval)
    write_rows(hub_copy, rows)
    out_file = tmp_path / "check.json"

    rc, out, err, error = run(capsys, "data", "check", hub_copy, "--out", out_file)
    assert (rc, error) == (0, None), err
    report = json.loads(out_file.read_text())
    for domain, tallies in report["retrieval_frames"]["by_domain"].items():
        assert tallies["A"]["verdict"] == tallies["B"]["verdict"] == "consistent", domain
    assert "cannot tell the readings apart" in out
    assert "A and B" in out


def test_a_negative_retrieval_frame_is_refused_by_the_loader(hub_copy, capsys):
    rows = mini_rows()
    row = row_of(rows, "mini_01")
    retrieval = json.loads(row["retrieval_frames"])
    retrieval[1]["2"] = [-1]
    row["retrieval_frames"] = json.dumps(retrieval)
    parquet = write_rows(hub_copy, rows)
    rc, _, _, error = run(capsys, "data", "check", hub_copy)
    assert rc == 2
    assert (f"{parquet}: row 1: sample 'mini_01': field 'retrieval_frames[1]': key '2': "
            "frame -1 is negative") in str(error)


# --- trims and videos ------------------------------------------------------------------------

def test_a_trim_outside_its_video_is_exit_2(hub_copy, capsys):
    rows = mini_rows()
    row = row_of(rows, "mini_07")
    videos = json.loads(row["videos"])
    videos[0]["frames_trim"] = [2, 5000, 1]  # the video has a few seconds at 30 fps
    row["videos"] = json.dumps(videos)
    write_rows(hub_copy, rows)
    rc, out, _, error = run(capsys, "data", "check", hub_copy)
    assert rc == 2 and error is not None
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert "mini_07_a.mp4: sample 'mini_07'" in problem
    assert "frames_trim [2, 5000, 1]: stop lies past the end" in problem
    assert "1 problem(s)" in out


def test_an_unreadable_video_is_exit_2(hub_copy, capsys):
    (hub_copy / "videos/diving/mini_11_b.mp4").write_bytes(b"not a video")
    rc, _, _, error = run(capsys, "data", "check", hub_copy)
    assert rc == 2 and error is not None
    assert any("mini_11_b.mp4: sample 'mini_11': unreadable video" in p for p in error.problems)


def test_missing_videos_are_reported_per_domain_with_their_source(hub_copy, capsys, tmp_path):
    shutil.rmtree(hub_copy / "videos/ballsports")
    shutil.rmtree(hub_copy / "videos/fitness/mini_01_a")
    out_file = tmp_path / "check.json"
    rc, out, err, error = run(capsys, "data", "check", hub_copy, "--out", out_file)
    assert (rc, error) == (0, None), err
    assert "Ego-Exo4D" in out and "HuMMan" in out  # where the missing ones come from
    report = json.loads(out_file.read_text())
    assert report["videos"]["ballsports"]["missing"] == 8
    assert report["videos"]["fitness"]["missing"] == 1
    assert report["videos"]["fitness"]["missing_paths"] == ["videos/fitness/mini_01_a"]
    readings = report["retrieval_frames"]["by_domain"]
    # ballsports trims have explicit stops: still decided without the videos
    assert readings["ballsports"]["A"]["undecided"] == 0
    assert readings["ballsports"]["A"]["verdict"] == "consistent"
    # mini_01_a has no trim stop: its indices wait for the video
    assert readings["fitness"]["A"]["undecided"] > 0
    assert "undecided" in out


def test_a_partial_copy_is_reported_not_an_error(hub_copy, capsys, tmp_path):
    rows = [r for r in mini_rows() if r["domain"] in ("fitness", "surgery")]
    write_rows(hub_copy, rows)
    for domain in ("ballsports", "diving", "music"):
        shutil.rmtree(hub_copy / "videos" / domain)
    out_file = tmp_path / "check.json"
    rc, out, err, error = run(capsys, "data", "check", hub_copy, "--out", out_file)
    assert (rc, error) == (0, None), err
    assert "absent domains: ballsports, diving, music" in out
    assert "partial copy: no pairs of ballsports, diving, music" in out
    report = json.loads(out_file.read_text())
    assert report["partial"] is True
    assert report["absent_domains"] == ["ballsports", "diving", "music"]
    assert set(report["counts"]["by_domain"]) == {"fitness", "surgery"}
    assert report["counts"]["total"]["pairs"] == 10


def test_a_split_that_disagrees_with_table_6_is_noted(hub_copy, capsys):
    rows = mini_rows()
    row_of(rows, "mini_13")["split"] = "easy"  # music_0 is hard in the paper's Table 6
    write_rows(hub_copy, rows)
    rc, out, _, error = run(capsys, "data", "check", hub_copy)
    assert (rc, error) == (0, None)
    assert ("action 'music_0': rows name split(s) ['easy'], the paper's Table 6 puts it in "
            "'hard'") in out
    assert "easy (Table 6: hard)" in out  # in the per-action table


# --- the loader's refusal --------------------------------------------------------------------

def _row(trim: list, frames: list[int]) -> dict:
    videos = [{"path": "videos/x_a.mp4", "fps_original": 30, "frames_trim": trim},
              {"path": "videos/x_b", "fps_original": 8, "frames_trim": [0, None, None]}]
    return make_row("s9", videos=json.dumps(videos),
                    retrieval_frames=json.dumps([{"0": frames, "1": None}, {"0": [5]}]))


@pytest.mark.parametrize(("trim", "frames"), [
    ([0, 60, 1], [0, 59]), ([10, 70, 2], [59]), ([None, 60], [59]), ([-30, -10, 1], [19]),
    ([10, None, None], [5000]), ([-30, None, None], [5000]), ([-30, 50, 1], [5000]),
])
def test_the_loader_accepts_frames_inside_or_undecidable(trim, frames):
    s = parse_row(_row(trim, frames), source="f.parquet: row 0")
    assert s.retrieval_frames[0]["0"] == frames


@pytest.mark.parametrize(("trim", "frames", "why"), [
    ([0, 60, 1], [3, 60], "frame 60 lies past the trimmed clip of video a"),
    ([10, 70, 2], [60], "frames_trim [10, 70, 2] spans 60 frames at fps_original, "
                        "indices 0..59"),
    ([-30, -10, 1], [20], "spans 20 frames"),
    ([0, 60, 1], [-2], "frame -2 is negative"),
    ([0, None, None], [-1], "frame -1 is negative"),
])
def test_the_loader_refuses_frames_that_contradict_reading_a(trim, frames, why):
    with pytest.raises(InputError) as info:
        parse_row(_row(trim, frames), source="f.parquet: row 3")
    message = str(info.value)
    assert message.startswith("f.parquet: row 3: sample 's9': field 'retrieval_frames[0]': "
                              "key '0': ")
    assert why in message


def test_trim_span():
    assert trim_span((0, 60, 1)) == 60
    assert trim_span((None, 60, None)) == 60
    assert trim_span((10, 70, 2)) == 60
    assert trim_span((-30, -10, None)) == 20
    assert trim_span((50, 40, None)) == 0
    assert trim_span((0, None, None)) is None
    assert trim_span((-30, 40, None)) is None


def test_a_data_folder_with_frames_past_the_trim_is_refused_on_load(hub_copy):
    rows = mini_rows()
    row = row_of(rows, "mini_07")  # video a: frames_trim [2, 122, 1], 120 frames
    retrieval = json.loads(row["retrieval_frames"])
    retrieval[0]["1"] = [21, 120]
    row["retrieval_frames"] = json.dumps(retrieval)
    parquet = write_rows(hub_copy, rows)
    with pytest.raises(InputError) as info:
        load_benchmark(str(hub_copy), check_videos=False)
    assert str(info.value).startswith(
        f"{parquet}: row 7: sample 'mini_07': field 'retrieval_frames[0]': key '1': frame 120 "
        "lies past the trimmed clip of video a (frames_trim [2, 122, 1] spans 120 frames")
