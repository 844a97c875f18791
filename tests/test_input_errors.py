"""Bad input of every kind is exit 2 with a message naming the file, the sample and the key:
prediction files (score and validate), data rows, the selection, and video paths that lead
outside the data folder. Driven through the real CLI, in-process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from vdbench.cli.main import main
from vdbench.core.errors import InputError
from vdbench.data.loader import MINI_DIR, Selection, load_benchmark

PARQUET = "data/test-00000-of-00001.parquet"


def run(capsys, *args: str) -> tuple[int, str]:
    """Run the CLI in-process; its exit code and its stderr, with the console's line
    breaks removed (rich wraps long messages)."""
    rc = main([str(a) for a in args])
    err = capsys.readouterr().err
    return rc, " ".join(err.split())


def mini_rows() -> list[dict]:
    return pq.ParquetFile(MINI_DIR / PARQUET).read().to_pylist()


def write_rows(root: Path, rows: list[dict]) -> Path:
    """Replace the parquet of a copied data folder (keeps the column types)."""
    table = pq.ParquetFile(MINI_DIR / PARQUET).schema_arrow
    import pyarrow as pa

    path = root / PARQUET
    pq.write_table(pa.Table.from_pylist(rows, schema=table), path)
    return path


@pytest.fixture
def valid_preds(tmp_path) -> Path:
    samples = load_benchmark("mini", check_videos=False).samples
    path = tmp_path / "preds.json"
    path.write_text(json.dumps({
        s.sample_key: {k: {"prediction": "a", "description": ""} for k in s.scored_keys}
        for s in samples}))
    return path


# --- prediction files ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["score", "validate"])
def test_prediction_file_with_a_5000_digit_integer_is_exit_2(command, tmp_path, capsys):
    path = tmp_path / "big.json"
    path.write_text('{"mini_00": {"0": ' + "7" * 5000 + "}}")
    rc, err = run(capsys, command, path, "--data", "mini", "--out", tmp_path / "out")
    assert rc == 2
    assert str(path) in err and "invalid JSON" in err and "Traceback" not in err


def test_prediction_file_nested_100000_deep_is_exit_2_for_score(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    rc, err = run(capsys, "score", path, "--data", "mini")
    assert rc == 2
    assert str(path) in err and "nested too deeply" in err


def test_prediction_file_nested_100000_deep_is_exit_2_for_validate(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    rc, err = run(capsys, "validate", path, "--data", "mini")
    assert rc == 2 and str(path) in err


def test_score_rejects_nan_in_a_prediction_file_as_validate_does(tmp_path, capsys):
    path = tmp_path / "nan.json"
    path.write_text('{"mini_00": {"0": {"prediction": "a", "description": NaN}}}')
    for command in ("score", "validate"):
        rc, err = run(capsys, command, path, "--data", "mini", "--out", tmp_path / "out")
        assert rc == 2 and str(path) in err and "NaN is not valid JSON" in err


def test_score_rejects_duplicate_keys_exactly_as_validate_does(valid_preds, tmp_path, capsys):
    text = valid_preds.read_text()
    # a duplicate difference key in mini_00, a duplicate field in mini_03's difference,
    # and mini_05 given twice (the second time, with the same predictions)
    preds = json.loads(text)
    text = text.replace('"mini_00": {', '"mini_00": {"0": "b", ', 1)
    key = next(iter(preds["mini_03"]))
    text = text.replace(f'"mini_03": {{"{key}": {{',
                        f'"mini_03": {{"{key}": {{"prediction": "b", ', 1)
    text = text[:-1] + ', "mini_05": ' + json.dumps(preds["mini_05"]) + "}"
    path = tmp_path / "dup.json"
    path.write_text(text)
    expected = ["top level: duplicate sample key 'mini_05'",
                "sample 'mini_00': duplicate difference key '0'",
                f"sample 'mini_03', difference '{key}': duplicate field key 'prediction'"]

    rc_validate, err_validate = run(capsys, "validate", path, "--data", "mini")
    rc_score, err_score = run(capsys, "score", path, "--data", "mini", "--out", tmp_path / "o")
    assert rc_validate == rc_score == 2
    for line in expected:
        assert f"- {line}" in err_validate
        assert f"- {line}" in err_score
    assert f"{path}: 3 problem(s)" in err_score
    assert not (tmp_path / "o").exists()


def test_score_still_reads_a_clean_file(valid_preds, tmp_path, capsys):
    rc, _ = run(capsys, "score", valid_preds, "--data", "mini", "--out", tmp_path / "out")
    assert rc == 0 and (tmp_path / "out" / "results.json").exists()


# --- data rows ------------------------------------------------------------------------------


def _with_video_field(rows: list[dict], i: int, **fields) -> None:
    videos = json.loads(rows[i]["videos"])
    videos[0].update(fields)
    rows[i]["videos"] = json.dumps(videos)  # json.dumps writes NaN / Infinity as such


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_fps_original_is_exit_2_naming_file_row_sample_and_key(
        value, hub_copy, valid_preds, tmp_path, capsys):
    rows = mini_rows()
    _with_video_field(rows, 11, fps_original=value)
    parquet = write_rows(hub_copy, rows)
    for args in (["validate", valid_preds, "--data", hub_copy],
                 ["frames", "--data", hub_copy, "--sample", "mini_11", "--out", tmp_path / "f"]):
        rc, err = run(capsys, *args)
        assert rc == 2, err
        assert f"{parquet}: row 11: sample 'mini_11': field 'videos[0].fps_original'" in err
        assert "positive finite number" in err


def test_huge_integer_fps_original_is_exit_2(hub_copy, valid_preds, capsys):
    rows = mini_rows()
    videos = json.loads(rows[3]["videos"])
    rows[3]["videos"] = json.dumps(videos).replace('"fps_original": 8.0', '"fps_original": 1' +
                                                   "0" * 400, 1)
    write_rows(hub_copy, rows)
    rc, err = run(capsys, "validate", valid_preds, "--data", hub_copy)
    assert rc == 2 and "sample 'mini_03': field 'videos[0].fps_original'" in err


def test_unknown_split_in_the_data_is_exit_2(hub_copy, valid_preds, capsys):
    rows = mini_rows()
    rows[4]["split"] = "extreme"
    parquet = write_rows(hub_copy, rows)
    rc, err = run(capsys, "validate", valid_preds, "--data", hub_copy)
    assert rc == 2
    assert f"{parquet}: row 4: sample 'mini_04': field 'split'" in err and "'extreme'" in err


@pytest.mark.parametrize("field", ["differences_gt", "differences_annotated",
                                   "retrieval_frames", "videos"])
def test_duplicate_keys_inside_json_fields_are_exit_2(field, hub_copy, valid_preds, capsys):
    rows = mini_rows()
    text = rows[7][field]
    first = text.index("{") + 1
    if field == "differences_gt":
        dup = '"0": "b", '
    elif field == "differences_annotated":
        dup = '"0": null, '
    elif field == "retrieval_frames":
        dup = '"0": [1], '
    else:
        dup = '"path": "videos/elsewhere.mp4", '
    rows[7][field] = text[:first] + dup + text[first:]
    json.loads(rows[7][field])  # still valid JSON: plain json.loads keeps the last value
    parquet = write_rows(hub_copy, rows)
    rc, err = run(capsys, "validate", valid_preds, "--data", hub_copy)
    assert rc == 2
    key = "path" if field == "videos" else "0"
    assert f"{parquet}: row 7: sample 'mini_07': field '{field}': duplicate key '{key}'" in err


@pytest.mark.parametrize("args", [["--limit", "-1"], ["--limit", "0"], ["--per-action", "0"],
                                  ["--per-action", "-3"]])
@pytest.mark.parametrize("command", ["validate", "score"])
def test_nonsense_selection_is_exit_2(command, args, valid_preds, tmp_path, capsys):
    rc, err = run(capsys, command, valid_preds, "--data", "mini", *args,
                  "--out", tmp_path / "out")
    assert rc == 2 and args[0] in err and "at least 1" in err


def test_selection_checks_itself():
    with pytest.raises(InputError, match="--limit"):
        Selection(limit=-1)
    with pytest.raises(InputError, match="--per-action"):
        Selection(per_action=0)
    assert Selection(limit=1, per_action=1).limit == 1


# --- video paths ----------------------------------------------------------------------------


@pytest.mark.parametrize("path, why", [
    ("../outside.mp4", "'..'"),
    ("videos/../../outside.mp4", "'..'"),
    ("/etc/passwd", "absolute"),
    ("~/outside.mp4", "'~'"),
])
def test_video_paths_leaving_the_data_folder_are_refused(path, why, hub_copy, valid_preds,
                                                        tmp_path, capsys):
    rows = mini_rows()
    _with_video_field(rows, 12, path=path)
    parquet = write_rows(hub_copy, rows)
    for args in (["validate", valid_preds, "--data", hub_copy],
                 ["frames", "--data", hub_copy, "--sample", "mini_12", "--out", tmp_path / "f"]):
        rc, err = run(capsys, *args)
        assert rc == 2
        assert f"{parquet}: row 12: sample 'mini_12': field 'videos[0].path'" in err
        assert why in err
    assert not (tmp_path / "f").exists()


@pytest.fixture
def outside_video(tmp_path) -> Path:
    """A real video outside the data folder."""
    path = tmp_path / "elsewhere" / "secret.mp4"
    path.parent.mkdir()
    shutil.copyfile(MINI_DIR / "videos/diving/mini_12_a.mp4", path)
    return path


def test_symlinked_video_outside_the_data_folder_is_refused(hub_copy, outside_video,
                                                            tmp_path, capsys):
    link = hub_copy / "videos/diving/mini_12_a.mp4"
    link.unlink()
    link.symlink_to(outside_video)
    rc, err = run(capsys, "frames", "--data", hub_copy, "--sample", "mini_12",
                  "--out", tmp_path / "f")
    assert rc == 2
    assert "sample 'mini_12': field 'videos[0].path'" in err
    assert f"outside {hub_copy.resolve()}" in err and str(outside_video) in err
    assert not (tmp_path / "f").exists()
    with pytest.raises(InputError, match="outside") as info:
        load_benchmark(str(hub_copy))  # the check at load, with the videos checked
    assert any("mini_12" in p for p in info.value.problems)
    with pytest.raises(InputError, match="outside"):  # --skip-missing does not skip it
        load_benchmark(str(hub_copy), skip_missing=True)


def test_symlinked_folder_outside_the_data_folder_is_refused(hub_copy, outside_video,
                                                             tmp_path, capsys):
    shutil.copytree(hub_copy / "videos/diving", outside_video.parent / "diving")
    shutil.rmtree(hub_copy / "videos/diving")
    (hub_copy / "videos/diving").symlink_to(outside_video.parent / "diving")
    rc, err = run(capsys, "frames", "--data", hub_copy, "--sample", "mini_11",
                  "--out", tmp_path / "f")
    assert rc == 2 and "sample 'mini_11'" in err and "outside" in err


def test_symlinked_image_frame_outside_the_data_folder_is_refused(hub_copy, tmp_path, capsys):
    folder = hub_copy / "videos/fitness/mini_02_b"
    frame = sorted(folder.iterdir())[0]
    secret = tmp_path / "secret.jpg"
    shutil.copyfile(frame, secret)
    frame.unlink()
    frame.symlink_to(secret)
    rc, err = run(capsys, "frames", "--data", hub_copy, "--sample", "mini_02",
                  "--out", tmp_path / "f")
    assert rc == 2 and f"image {frame.name}" in err and "outside" in err


def test_symlinks_inside_the_data_folder_are_followed(hub_copy, tmp_path, capsys):
    link = hub_copy / "videos/diving/mini_12_a.mp4"
    moved = hub_copy / "store" / "mini_12_a.mp4"
    moved.parent.mkdir()
    link.rename(moved)
    link.symlink_to(moved)
    rc, err = run(capsys, "frames", "--data", hub_copy, "--sample", "mini_12",
                  "--out", tmp_path / "f")
    assert rc == 0, err
    assert load_benchmark(str(hub_copy)).samples


def test_video_root_bounds_the_videos_when_given(hub_copy, outside_video, tmp_path, capsys):
    root = tmp_path / "video_root"
    shutil.copytree(hub_copy / "videos", root / "videos")
    rc, err = run(capsys, "frames", "--data", hub_copy, "--video-root", root,
                  "--sample", "mini_12", "--out", tmp_path / "ok")
    assert rc == 0, err
    link = root / "videos/diving/mini_12_a.mp4"
    link.unlink()
    link.symlink_to(outside_video)
    rc, err = run(capsys, "frames", "--data", hub_copy, "--video-root", root,
                  "--sample", "mini_12", "--out", tmp_path / "f")
    assert rc == 2 and f"outside {root.resolve()}" in err
    with pytest.raises(InputError, match="outside"):
        load_benchmark(str(hub_copy), video_root=root)
