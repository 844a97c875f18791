"""--epochs N: the table and the headline are the mean over the epochs, each epoch recorded."""

import json

import pytest

from vdbench.cli.main import main


def test_epochs_headline_and_table_are_the_mean(tmp_path, cache_dir, capsys):
    out = tmp_path / "run"
    assert main(["eval", "--model", "random", "--epochs", "3", "--no-progress",
                 "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    epochs = results["epochs"]
    assert len(set(epochs["values"])) > 1  # the seeds differ, so the mean is not epoch 0
    assert results["metrics"]["accuracy"] == pytest.approx(epochs["mean"])
    assert results["metrics"]["epochs"] == 3
    per_epoch = [json.loads(line) for name in ("samples.jsonl", "samples_epoch1.jsonl",
                                               "samples_epoch2.jsonl")
                 for line in (out / name).read_text().splitlines()]
    easy_keys = _keys("easy")
    easy = [r["correct"] for r in per_epoch if r["sample_key"] in easy_keys]
    assert results["by_split"]["easy"]["accuracy"] == pytest.approx(sum(easy) / len(easy))
    assert results["by_split"]["easy"]["n_scored"] * 3 == len(easy)  # counts per epoch
    text = capsys.readouterr().out
    assert "mean of 3 epochs" in text
    assert f"{100 * epochs['mean']:.1f}% ± {100 * epochs['sd']:.1f}" in text
    assert "data mini @" in text and "not comparable" in text and "protocol paper" in text


def _keys(split):
    from vdbench.data.loader import Selection, load_benchmark

    return {s.sample_key for s in load_benchmark("mini", Selection(split)).samples}
