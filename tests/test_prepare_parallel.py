"""FramePool: a run's frames on every core (worker processes) give the same bytes as one
process, share a clip two pairs want at once, report a bad video for its pair, and keep the
pairs in flight bounded whatever the size of the run."""

from __future__ import annotations

import asyncio
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vdbench.core.errors import InputError
from vdbench.data.schema import Sample, VideoRef
from vdbench.frames import prepare as prepare_module
from vdbench.frames.pool import FramePool, workers_can_start
from vdbench.frames.prepare import FramePreparer
from vdbench.frames.spec import FrameSpec
from vdbench.tasks.viddiffbench import viddiffbench_tasks

av = pytest.importorskip("av", reason="PyAV (the 'video' extra) is needed for mp4 tests")


def write_mp4(path: Path, seed: int, n: int = 45) -> Path:
    rng = np.random.default_rng(seed)
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=30)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        stream.gop_size = 10
        base = rng.integers(0, 200, (64, 96, 3), dtype=np.uint8)
        for i in range(n):
            frame = np.roll(base, 2 * i, axis=1)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    return path


def write_folder(path: Path, seed: int, n: int = 16) -> Path:
    path.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(
            path / f"{i:06d}.png")
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A data folder of mp4 videos and image folders."""
    root = tmp_path_factory.mktemp("data")
    for i in range(6):
        write_mp4(root / f"v{i}.mp4", i)
    for i in range(2):
        write_folder(root / f"f{i}", 100 + i)
    (root / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    return root


def pair(key: str, a: str, b: str, trim: int = 0, domain: str = "fitness") -> Sample:
    refs = tuple(VideoRef(name, 30.0 if name.endswith(".mp4") else 8.0, (trim, None, None))
                 for name in (a, b))
    return Sample(sample_key=key, videos=refs, action="fitness_0",  # type: ignore[arg-type]
                  action_name="", action_description="", source_dataset="", sample_hash=0,
                  domain=domain, split="easy", n_differences_open_prediction=0,
                  differences_annotated={}, differences_gt={}, retrieval_frames=({}, {}))


PAIRS = [pair("p0", "v0.mp4", "v1.mp4"), pair("p1", "v2.mp4", "f0"),
         pair("p2", "f1", "v3.mp4", trim=3), pair("p3", "v4.mp4", "v5.mp4", domain="diving"),
         pair("p4", "v0.mp4", "v5.mp4", trim=2)]


def prepare_all(pool: FramePool, samples: list[Sample]) -> list:
    async def main():
        try:
            return await asyncio.gather(*(pool.prepare_pair(s) for s in samples),
                                        return_exceptions=True)
        finally:
            pool.close()

    return asyncio.run(main())


@pytest.mark.parametrize("spec", [FrameSpec(), FrameSpec(long_side=None, image_format="png")],
                         ids=["jpeg", "png"])
@pytest.mark.parametrize("cached", [False, True], ids=["no-cache", "cache"])
def test_worker_processes_give_the_bytes_of_one_process(data, tmp_path, spec, cached):
    one = FramePreparer(spec, tmp_path / "one" if cached else None, data)
    expected = [one.prepare_pair(s) for s in PAIRS]
    pool = FramePool(FramePreparer(spec, tmp_path / "many" if cached else None, data), 2,
                     processes=True)
    assert pool.processes  # pytest's main module is safe to import in a worker
    got = prepare_all(pool, PAIRS)
    assert pool._procs is not None  # the misses were decoded in worker processes
    assert got == expected  # frames (bytes, indices, times), fps, source and key
    if cached:
        many = sorted(p.name for p in (tmp_path / "many" / "frames").iterdir())
        assert many == sorted(p.name for p in (tmp_path / "one" / "frames").iterdir())
        again = FramePool(FramePreparer(spec, tmp_path / "many", data), 2, processes=True)
        assert prepare_all(again, PAIRS) == expected
        assert again._procs is None  # every clip a hit: no worker was started


def test_threads_give_the_same_bytes_and_decode_each_clip_once(data, tmp_path, monkeypatch):
    expected = [FramePreparer(FrameSpec(), None, data).prepare_pair(s) for s in PAIRS]
    opened: list[Path] = []
    real_open = prepare_module.open_video

    def counting_open(path):
        opened.append(path)
        return real_open(path)

    monkeypatch.setattr(prepare_module, "open_video", counting_open)
    same_clip = [pair("q0", "v0.mp4", "v1.mp4"), pair("q1", "v1.mp4", "v0.mp4")]
    # Pairs that want a clip being decoded wait for it; later ones find it in the cache.
    got = prepare_all(FramePool(FramePreparer(FrameSpec(), tmp_path, data), 4,
                                processes=False), PAIRS + same_clip)
    assert got[: len(PAIRS)] == expected
    assert got[-1] == (got[-2][1], got[-2][0]) and got[-2] == expected[0]
    # p4 trims v0 differently, so v0 appears as two clips; every other clip is decoded once
    assert len(opened) == len({(s.videos[0].path, s.videos[0].frames_trim) for s in PAIRS}
                              | {(v.path, v.frames_trim) for s in PAIRS for v in s.videos})


def test_pairs_wanting_a_clip_at_once_share_one_decode(data, monkeypatch):
    decoded: list[str] = []
    pool = FramePool(FramePreparer(FrameSpec(), None, data), 2, processes=False)
    real_build = pool.preparer.build

    def slow_build(path, *rest):
        decoded.append(path.name)
        time.sleep(0.2)  # still decoding when the other pairs look it up
        return real_build(path, *rest)

    monkeypatch.setattr(pool.preparer, "build", slow_build)
    got = prepare_all(pool, [pair("a", "v0.mp4", "v1.mp4"), pair("b", "v1.mp4", "v0.mp4"),
                             pair("c", "v0.mp4", "v1.mp4")])
    assert sorted(decoded) == ["v0.mp4", "v1.mp4"]
    assert got[0] == got[2] == (got[1][1], got[1][0])


def test_a_bad_video_fails_its_pair_only(data):
    samples = [pair("ok", "v0.mp4", "v1.mp4"), pair("bad", "v2.mp4", "broken.mp4"),
               pair("missing", "v3.mp4", "nowhere.mp4")]
    got = prepare_all(FramePool(FramePreparer(FrameSpec(), None, data), 2, processes=True),
                      samples)
    assert isinstance(got[0], tuple)
    assert isinstance(got[1], InputError) and "broken.mp4" in str(got[1])
    assert isinstance(got[2], InputError) and "video not found" in str(got[2])


def test_the_pair_cap_is_checked_on_the_pair(data):
    spec = FrameSpec(fps=30, max_frames=40, over_cap="refuse")
    (got,) = prepare_all(FramePool(FramePreparer(spec, None, data), 2, processes=True),
                         [pair("long", "v0.mp4", "v1.mp4")])
    assert isinstance(got, InputError) and "exceed the pair cap of 40" in str(got)


def test_a_script_without_a_main_guard_gets_threads(tmp_path, monkeypatch):
    script = tmp_path / "run.py"
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    script.write_text("import vdbench\nvdbench.evaluate(model='gpt-4o', data='big')\n")
    assert not workers_can_start()
    assert not FramePool(FramePreparer(FrameSpec()), 4, processes=True).processes
    script.write_text("import vdbench\n\nif __name__ == '__main__':\n    vdbench.evaluate()\n")
    assert workers_can_start()
    del fake_main.__file__  # an interactive session or a notebook
    assert workers_can_start()


def test_pairs_in_flight_stay_bounded_whatever_the_run_size(data, tmp_path):
    from vdbench.core.types import SampleOutput
    from vdbench.models.base import EvalItem, Model
    from vdbench.pipeline.config import EvalConfig
    from vdbench.pipeline.predict import PROCESS_MIN_PAIRS, predict_all

    holding = [0, 0]  # pairs whose clips are prepared and not yet answered; the most seen

    class Slow(Model):
        name = "slow"

        async def predict(self, item: EvalItem) -> SampleOutput:
            assert item.clips is not None
            holding[0] += 1
            holding[1] = max(holding[1], holding[0])
            await asyncio.sleep(0.01)
            holding[0] -= 1
            return SampleOutput(item.sample.sample_key, {})

    names = [f"v{i}.mp4" for i in range(6)] + ["f0", "f1"]
    samples = [pair(f"s{i}", names[i % 8], names[(i + 3) % 8], trim=i // 8)
               for i in range(max(48, PROCESS_MIN_PAIRS))]
    cfg = EvalConfig(cache_dir=tmp_path, concurrency=2)
    task = viddiffbench_tasks()["closed"]
    outs = asyncio.run(predict_all(samples, Slow(), cfg, task, data))
    assert [o.status for o in outs] == ["ok"] * len(samples)
    import os

    window = cfg.concurrency + 2 * (os.cpu_count() or 1)
    assert 1 <= holding[1] <= window < len(samples)
