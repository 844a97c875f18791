"""A run folder has one writer, and a finished run is replaced only with --overwrite."""

import json
import os

from vdbench.cli.main import main
from vdbench.pipeline.runfolder import claim_run_folder


def _eval(out, *args):
    return main(["eval", "--model", "random", "--no-progress", "--out", str(out), *args])


def test_a_second_writer_is_refused_naming_folder_and_process(tmp_path, cache_dir, capsys):
    out = tmp_path / "run"
    with claim_run_folder(out, overwrite=False):  # another run holds it
        assert _eval(out) == 2
    err = capsys.readouterr().err
    assert str(out) in err and f"pid {os.getpid()}" in err
    assert not (out / "results.json").exists()
    assert _eval(out) == 0  # released: the folder is usable again


def test_a_finished_run_is_never_replaced_without_overwrite(tmp_path, cache_dir, capsys):
    out = tmp_path / "run"
    assert _eval(out, "--seed", "1") == 0
    before = (out / "predictions.json").read_text()
    assert _eval(out, "--seed", "2") == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "predictions.json").read_text() == before


def test_overwrite_removes_the_old_runs_files_and_wrote_lists_only_new_ones(tmp_path, cache_dir,
                                                                           capsys):
    out = tmp_path / "run"
    assert _eval(out, "--mode", "open", "--judge", "offline") == 0
    assert (out / "judge.jsonl").exists()
    (out / "notes.txt").write_text("mine")  # not a run file: left alone, never listed
    capsys.readouterr()
    assert _eval(out, "--overwrite") == 0
    assert not (out / "judge.jsonl").exists()
    assert (out / "notes.txt").read_text() == "mine"
    wrote = next(line for line in capsys.readouterr().out.splitlines() if "wrote" in line)
    assert "judge.jsonl" not in wrote and "notes.txt" not in wrote
    assert "results.json" in wrote
    assert json.loads((out / "results.json").read_text())["mode"] == "closed"
