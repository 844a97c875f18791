"""Checks that fail when they should: `compare` sees a planted effect and no effect at all in
a run against itself, and the frame cache notices a change in only the last part of a video."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from vdbench.data.loader import load_benchmark
from vdbench.frames.prepare import prepare_single
from vdbench.frames.spec import FrameSpec
from vdbench.frames.store import content_fingerprint
from vdbench.pipeline.compare import compare_runs
from vdbench.pipeline.config import EvalConfig
from vdbench.pipeline.run import run_eval, score_file


@pytest.fixture(scope="module")
def oracle_and_random(tmp_path_factory) -> tuple[Path, Path]:
    """A run that answers every difference right, and a coin-flip run, on the mini benchmark."""
    root = tmp_path_factory.mktemp("runs")
    samples = load_benchmark("mini", check_videos=False).samples
    truth = {s.sample_key: {k: {"prediction": s.differences_gt[k], "description": ""}
                            for k in s.scored_keys} for s in samples}
    (root / "oracle.json").write_text(json.dumps(truth))
    cache = root / "cache"
    score_file(root / "oracle.json", EvalConfig(out=root / "oracle", cache_dir=cache))
    run_eval(EvalConfig(model="random", out=root / "random", cache_dir=cache))
    return root / "oracle", root / "random"


def test_compare_of_a_run_with_itself_finds_nothing(oracle_and_random):
    _, coin = oracle_and_random
    c = compare_runs(coin, coin)
    assert c["difference"] == 0.0
    assert c["p_paired_bootstrap"] == 1.0
    assert c["mcnemar"]["p_exact"] == 1.0


def test_compare_finds_a_planted_large_effect(oracle_and_random):
    oracle, coin = oracle_and_random
    c = compare_runs(oracle, coin)
    assert c["a"]["accuracy"] == 1.0 and c["b"]["accuracy"] < 0.75
    assert c["difference"] > 0.25 and c["ci95"][0] > 0
    assert c["p_paired_bootstrap"] < 0.05
    assert c["mcnemar"]["p_exact"] < 0.05


def _noise_video(path: Path, n_frames: int = 40, size: int = 320) -> None:
    """An mp4 well over 2 MiB (noise does not compress), its index at the front (faststart),
    so the last bytes of the file are the last frame's data."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=8)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "0"}
        for _ in range(n_frames):
            image = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode())


def test_a_change_in_the_last_part_of_a_video_misses_the_frame_cache(tmp_path):
    video = tmp_path / "noise.mp4"
    _noise_video(video)
    size = video.stat().st_size
    assert size > 3 * 2**20  # the fingerprint reads the head and the tail, not the middle
    spec, cache = FrameSpec(long_side=64), tmp_path / "cache"
    first = prepare_single(video, 8, spec, cache)
    assert prepare_single(video, 8, spec, cache).key == first.key  # a hit

    data = bytearray(video.read_bytes())
    data[-200:-100] = bytes(255 - b for b in data[-200:-100])  # inside the last frame
    before = content_fingerprint(video)
    video.write_bytes(bytes(data))
    assert video.stat().st_size == size
    assert content_fingerprint(video) != before
    assert prepare_single(video, 8, spec, cache).key != first.key


def test_a_change_in_the_last_image_of_a_folder_misses_the_frame_cache(tmp_path):
    from PIL import Image

    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(6):
        Image.new("RGB", (32, 32), (40 * i, 0, 0)).save(folder / f"{i:03d}.bmp")
    before = content_fingerprint(folder)
    last = folder / "005.bmp"
    size = last.stat().st_size
    Image.new("RGB", (32, 32), (0, 200, 0)).save(last)  # BMP: same size, other pixels
    assert last.stat().st_size == size
    assert content_fingerprint(folder) != before
