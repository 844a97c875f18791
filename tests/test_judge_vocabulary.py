"""One judge vocabulary across eval, score, submit and judge-eval: the same names and default,
the run's recorded judge reused, every judge listed in help and errors."""

import json

import pytest

from vdbench.cli.main import build_parser, main


def _help(command: str) -> str:
    sub = build_parser()._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    return " ".join(sub.format_help().split())


@pytest.mark.parametrize("command", ["eval", "score", "submit", "judge-eval"])
def test_every_command_lists_the_same_judges_and_default(command):
    text = _help(command)
    assert "default (the protocol's judge" in text and "offline (no key" in text
    assert "paper," not in text.split("--judge", 1)[1].split("--", 1)[0]
    action = next(a for a in build_parser()._subparsers._group_actions[0].choices[command]
                  ._actions if a.dest == "judge")
    assert action.default in (None, "default")  # None: filled from run.json, else default


def test_a_misspelt_judge_is_refused_with_offline_suggested(tmp_path, cache_dir, capsys):
    rc = main(["eval", "--model", "random", "--mode", "open", "--judge", "ofline",
               "--out", str(tmp_path / "r"), "--no-progress"])
    assert rc == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "did you mean offline?" in err and "default or offline" in err
    assert main(["judge-eval", "--judge", "ofline"]) == 2


def test_a_missing_key_message_reads_plainly(monkeypatch, tmp_path, cache_dir, capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["eval", "--model", "random", "--mode", "open", "--out", str(tmp_path / "r"),
                 "--no-progress"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--judge gpt-4o:" in err and "OPENAI_API_KEY" in err
    assert "(--judge offline needs no key)" not in err and "--judge offline, which" in err


def test_score_and_submit_reuse_the_runs_recorded_judge(monkeypatch, tmp_path, cache_dir,
                                                        capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # the default judge would need it
    run = tmp_path / "run"
    assert main(["eval", "--model", "random", "--mode", "open", "--judge", "offline",
                 "--out", str(run), "--no-progress"]) == 0
    assert json.loads((run / "run.json").read_text())["judge"] == "offline"
    assert main(["score", str(run / "predictions.json")]) == 0
    scored = json.loads((run / "predictions_scored" / "results.json").read_text())
    assert scored["judge"]["name"].startswith("offline")
    meta = json.loads((run / "metadata.template.json").read_text()) | {"authors": "me"}
    (run / "predictions.meta.json").write_text(json.dumps(meta))
    subs = tmp_path / "subs"
    assert main(["submit", str(run / "predictions.json"), "--name", "r",
                 "--submissions", str(subs)]) == 0
    recorded = json.loads(next(subs.rglob("results.json")).read_text())
    assert recorded["judge"]["name"].startswith("offline")
    assert "scored against the bundled mini" in " ".join(capsys.readouterr().out.split())
