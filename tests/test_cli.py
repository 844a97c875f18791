"""End to end through the command line, as a user runs it."""

import json
import subprocess
import sys

import pytest

from vdbench.cli.main import main
from vdbench.data.loader import load_benchmark


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vdbench.cli.main", *args],
                          capture_output=True, text=True, timeout=300)


def test_eval_random_on_a_local_hub_folder_with_mp4_and_image_folders(hub_copy, tmp_path,
                                                                      cache_dir):
    samples = load_benchmark(str(hub_copy)).samples
    paths = [hub_copy / v.path for s in samples for v in s.videos]
    assert any(p.is_dir() for p in paths) and any(p.suffix == ".mp4" for p in paths)
    out = tmp_path / "run"
    rc = main(["eval", "--model", "random", "--data", str(hub_copy), "--split", "all",
               "--out", str(out), "--no-progress", "--seed", "3"])
    assert rc == 0
    results = json.loads((out / "results.json").read_text())
    for key in ("model", "mode", "split", "n_samples", "n_scored", "coverage", "metrics",
                "by_split", "by_domain", "ci95", "provenance"):
        assert key in results
    assert results["n_samples"] == len(samples) and results["coverage"] == 1.0
    assert results["provenance"]["seed"] == 3
    # the predictions file re-scores to the same accuracy (one scoring path for both)
    rescored = tmp_path / "rescored"
    assert main(["score", str(out / "predictions.json"), "--data", str(hub_copy),
                 "--out", str(rescored)]) == 0
    again = json.loads((rescored / "results.json").read_text())
    assert again["metrics"]["accuracy"] == results["metrics"]["accuracy"]
    # and replays to the same accuracy through the model interface
    replayed = tmp_path / "replayed"
    assert main(["eval", "--model", f"replay:{out / 'predictions.json'}", "--data", str(hub_copy),
                 "--out", str(replayed), "--no-progress"]) == 0
    assert json.loads((replayed / "results.json").read_text())["metrics"] == results["metrics"]


def test_random_is_seeded(tmp_path, cache_dir):
    accs = []
    for seed, name in [(1, "a"), (1, "b"), (2, "c")]:
        assert main(["eval", "--model", "random",
                     "--out", str(tmp_path / name), "--seed", str(seed),
                     "--no-progress"]) == 0
        accs.append((tmp_path / name / "predictions.json").read_text())
    assert accs[0] == accs[1] and accs[0] != accs[2]


def test_video_root_override(hub_copy, tmp_path, cache_dir):
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (hub_copy / "videos").rename(moved / "videos")
    assert main(["eval", "--model", "random", "--data", str(hub_copy), "--out", str(tmp_path / "x"),
                 "--no-progress"]) == 2
    assert main(["eval", "--model", "random", "--data", str(hub_copy), "--video-root", str(moved),
                 "--out", str(tmp_path / "y"), "--no-progress"]) == 0


def test_bad_input_exits_2_with_message_and_keeps_results(tmp_path, cache_dir):
    out = tmp_path / "run"
    assert main(["eval", "--model", "random", "--out", str(out), "--no-progress"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / "bad.json"
    bad.write_text('{"nope": {"0": "a"}}')
    r = run_cli("score", str(bad), "--out", str(out))
    assert r.returncode == 2 and "holds a finished run" in r.stderr
    r = run_cli("score", str(bad), "--out", str(out), "--overwrite")  # bad input first
    assert r.returncode == 2
    assert "bad.json" in r.stderr and "'nope'" in r.stderr and "unknown sample key" in r.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    r = run_cli("validate", str(out / "predictions.json"))
    assert r.returncode == 0 and "valid" in r.stdout
    r = run_cli("eval", "--model", "nosuchmodel", "--out", str(tmp_path / "z"))
    assert r.returncode == 2 and "unknown model 'nosuchmodel'" in r.stderr
    r = run_cli("eval", "--model", "random",
                "--data", str(tmp_path / "missing-dir"), "--out", str(tmp_path / "z"))
    assert r.returncode == 2 and "missing-dir" in r.stderr


def test_summary_table_and_models_listing(tmp_path, cache_dir):
    r = run_cli("eval", "--model", "random", "--out", str(tmp_path / "r"), "--no-progress")
    assert r.returncode == 0, r.stderr
    for word in ("easy", "medium", "hard", "95% CI", "accuracy"):
        assert word in r.stdout
    r = run_cli("models")
    assert r.returncode == 0 and "random" in r.stdout and "replay:PATH" in r.stdout


def test_frames_command_writes_jpegs_and_contact_sheet(tmp_path, cache_dir):
    pytest.importorskip("av")
    sample = load_benchmark("mini").samples[0]
    out = tmp_path / "frames"
    assert main(["frames", "--data", "mini", "--sample", sample.sample_key,
                 "--out", str(out)]) == 0
    assert (out / "contact_sheet.png").exists()
    assert len(list(out.glob("a_*.jpg"))) > 0 and len(list(out.glob("b_*.jpg"))) > 0
    mp4 = next(load_benchmark("mini").video_root / v.path for s in load_benchmark("mini").samples
               for v in s.videos if v.path.endswith(".mp4"))
    out2 = tmp_path / "single"
    assert main(["frames", str(mp4), "--fps", "2", "--out", str(out2)]) == 0
    assert (out2 / "contact_sheet.png").exists() and list(out2.glob("*.jpg"))


def test_bad_model_configuration_mid_run_exits_2_and_cancels_the_rest(tmp_path, monkeypatch,
                                                                        cache_dir):
    from vdbench.core.errors import InputError
    from vdbench.models.baselines import RandomModel

    calls = []

    async def refuse(self, item):
        calls.append(item.sample.sample_key)
        raise InputError(f"model refuses sample {item.sample.sample_key!r}")

    monkeypatch.setattr(RandomModel, "predict", refuse)
    assert main(["eval", "--model", "random",
                 "--out", str(tmp_path / "r"), "--no-progress", "--concurrency", "1"]) == 2
    assert len(calls) == 1  # the other samples were cancelled, not run
    assert not (tmp_path / "r" / "results.json").exists()


def test_concurrency_must_be_positive(tmp_path):
    r = run_cli("eval", "--model", "random", "--concurrency", "0", "--out", str(tmp_path / "r"))
    assert r.returncode == 2 and "--concurrency" in r.stderr


def test_score_never_overwrites_the_run_it_reads(tmp_path, cache_dir):
    out = tmp_path / "run"
    assert main(["eval", "--model", "random", "--out", str(out), "--no-progress"]) == 0
    before = (out / "results.json").read_bytes()
    assert main(["score", str(out / "predictions.json")]) == 0
    assert (out / "results.json").read_bytes() == before
    assert (out / "predictions_scored" / "results.json").exists()
