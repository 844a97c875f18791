"""Messages a newcomer meets: one-line usage errors, 'did you mean', paths that do not exist,
help text on every option, no progress bar before the run's checks pass."""

import subprocess
import sys

import pytest

from vdbench.cli.main import build_parser, main


def _err(capsys) -> str:
    return " ".join(capsys.readouterr().err.split())


def test_model_is_required_on_the_command_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["eval", "--no-progress"])
    assert exc.value.code == 2
    err = _err(capsys)
    assert "required: --model" in err and "usage:" not in err


@pytest.mark.parametrize("args, expected", [
    (["--split", "esy"], "did you mean easy?"),
    (["--domain", "fitnes"], "did you mean fitness?); domains: ballsports, diving, fitness"),
    (["--action", "fitnes_0"], "did you mean fitness_0?"),
    (["--model", "gpt4o"], "did you mean gpt-4o?"),
    (["--model", "GPT-4o"], "did you mean gpt-4o?"),
])
def test_misspelt_names_get_a_suggestion(args, expected, tmp_path, cache_dir, capsys):
    argv = ["eval", "--model", "random", "--no-progress", "--out", str(tmp_path / "r"), *args]
    assert main(argv) == 2
    err = _err(capsys)
    assert expected in err and "Selection(" not in err and "usage:" not in err


def test_data_that_is_no_folder_says_so(tmp_path, capsys):
    assert main(["eval", "--model", "random", "--data", "./nope", "--no-progress"]) == 2
    assert "./nope: does not exist" in _err(capsys)
    a_file = tmp_path / "f.txt"
    a_file.write_text("x")
    assert main(["eval", "--model", "random", "--data", str(a_file), "--no-progress"]) == 2
    assert "is a file, not a folder" in _err(capsys)


def test_score_of_a_run_folder_names_the_file_to_give(tmp_path, cache_dir, capsys):
    run = tmp_path / "run"
    assert main(["eval", "--model", "random", "--no-progress", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["score", str(run)]) == 2
    err = _err(capsys)
    assert "is a folder" in err and str(run / "predictions.json") in err and "Errno" not in err


@pytest.mark.parametrize("command", ["eval", "score", "validate", "submit", "leaderboard",
                                     "frames", "judge-eval", "compare"])
def test_every_option_has_help(command):
    sub = build_parser()._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    bare = [a.option_strings or [a.dest] for a in sub._actions if not a.help]
    assert bare == []


def test_no_progress_bar_before_the_checks_pass(tmp_path, cache_dir):
    r = subprocess.run([sys.executable, "-m", "vdbench.cli.main", "eval", "--model", "nosuch",
                        "--out", str(tmp_path / "r")], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown model" in r.stderr
    assert "━" not in r.stdout + r.stderr and "0/?" not in r.stdout + r.stderr


def test_judge_eval_table_is_whole_when_piped_and_names_each_recall(tmp_path, capsys):
    pytest.importorskip("torch")
    assert main(["judge-eval", "--judge", "offline", "--split", "dev",
                 "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\u2026" not in out  # no header or cell cut short at 80 columns
    assert "match recall %" in out and "benchmark recall under the judge" in out
