"""What a researcher sees at the terminal: progress over both video orders, a readable summary
naming every file written, `vdbench models` one line per model when piped, a titled contact
sheet, and score/validate that read a run's own record instead of repeated flags."""

from __future__ import annotations

import json
import subprocess
import sys

from vdbench.cli.main import main
from vdbench.cli.progress import ProgressBar
from vdbench.frames.contact import contact_sheet
from vdbench.pipeline.config import EvalConfig
from vdbench.pipeline.run import run_eval


def test_the_swap_progress_counts_both_orders(tmp_path):
    bar = ProgressBar(disabled=True)
    results, _ = run_eval(EvalConfig(model="random", swap=True, out=tmp_path / "r",
                                     cache_dir=tmp_path / "c"), bar)
    task = bar.progress.tasks[0]
    assert task.total == task.completed == 2 * results.n_samples


def test_the_summary_is_readable_and_names_every_file(tmp_path, capsys):
    assert main(["eval", "--model", "random", "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "samples: 18 ok" in out and "{'ok'" not in out
    for name in ("metadata.template.json", "outputs.jsonl", "predictions.json",
                 "results.json", "run.json", "samples.jsonl"):
        assert name in out


def test_models_print_one_line_each_when_piped():
    out = subprocess.run([sys.executable, "-m", "vdbench.cli.main", "models"],
                         capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if "replay:PATH" in x)
    assert "replays a prediction file (any format validate accepts)" in line


def test_the_contact_sheet_is_titled(tmp_path):
    from vdbench.data.loader import load_benchmark
    from vdbench.frames.prepare import FramePreparer
    from vdbench.frames.spec import FrameSpec

    bench = load_benchmark("mini")
    clips = FramePreparer(FrameSpec(), tmp_path, bench.video_root).prepare_pair(bench.samples[0])
    plain = contact_sheet(clips)
    titled = contact_sheet(clips, title="mini_00 · squat")
    assert titled.height > plain.height


def test_score_and_validate_read_the_run_record_instead_of_flags(tmp_path, capsys):
    run = tmp_path / "r"
    assert main(["eval", "--model", "random",
                 "--mode", "open", "--judge", "offline", "--split", "easy",
                 "--out", str(run), "--no-progress"]) == 0
    info = json.loads((run / "run.json").read_text())
    assert (info["mode"], info["data"], info["split"], info["protocol"]) == (
        "open", "mini", "easy", "paper")
    capsys.readouterr()
    assert main(["validate", str(run / "predictions.json")]) == 0
    assert main(["score", str(run / "predictions.json"), "--judge", "offline",
                 "--out", str(tmp_path / "s")]) == 0
    rescored = json.loads((tmp_path / "s" / "results.json").read_text())
    assert rescored["mode"] == "open" and rescored["split"] == "easy"
    # a flag on the command line still wins: closed mode refuses open predictions' keys
    assert main(["score", str(run / "predictions.json"), "--mode", "closed",
                 "--out", str(tmp_path / "t")]) == 2
    template = json.loads((run / "metadata.template.json").read_text())
    assert template["mode"] == "open" and template["authors"] == ""
    assert main(["submit", str(run / "predictions.json"), "--name", "unfilled",
                 "--submissions", str(tmp_path / "subs"), "--judge", "offline",
                 "--metadata", str(run / "metadata.template.json")]) == 2  # authors is blank
    filled = tmp_path / "meta.json"
    filled.write_text(json.dumps(dict(template, authors="Test Lab")))
    assert main(["submit", str(run / "predictions.json"), "--name", "filled",
                 "--submissions", str(tmp_path / "subs"), "--judge", "offline",
                 "--metadata", str(filled)]) == 0


def test_epochs_run_each_sample_with_the_next_seeds_and_report_the_spread(tmp_path):
    assert main(["eval", "--model", "random",
                 "--epochs", "3", "--seed", "5", "--out", str(tmp_path / "r"),
                 "--no-progress"]) == 0
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    epochs = results["epochs"]
    assert epochs["seeds"] == [5, 6, 7] and len(epochs["values"]) == 3
    assert len(set(epochs["values"])) > 1  # the coin flips differ by seed
    mean = sum(epochs["values"]) / 3
    assert abs(epochs["mean"] - mean) < 1e-12 and epochs["sd"] > 0
    assert abs(results["metrics"]["accuracy"] - mean) < 1e-12  # the headline is the mean
    for e in (1, 2):
        assert (tmp_path / "r" / f"predictions_epoch{e}.json").exists()
    assert main(["eval", "--model", "random", "--epochs", "0", "--out", str(tmp_path / "z")]) == 2
