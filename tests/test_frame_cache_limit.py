"""The frame cache's size limit: least recently used entries go first, never the one just
stored; a hit refreshes its entry; eviction by other processes never breaks a reader."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vdbench.core.errors import InputError
from vdbench.data.schema import Sample, VideoRef
from vdbench.frames import prepare as prepare_module
from vdbench.frames.eviction import GB, discard, entry_size
from vdbench.frames.prepare import FramePreparer
from vdbench.frames.spec import FrameSpec
from vdbench.tasks.viddiffbench import viddiffbench_tasks

SPEC = FrameSpec(fps=2)
N_VIDEOS = 6


def make_folder(path: Path, seed: int, n: int = 12) -> Path:
    """An image-folder video (8 fps) whose frames differ from every other seed's."""
    path.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        pixels = rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path / f"{i:06d}.png")
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("videos")
    return [make_folder(root / f"v{i}", i) for i in range(N_VIDEOS)]


def ref(path: Path) -> VideoRef:
    return VideoRef(str(path), 8.0, (None, None, None))


def preparer(cache: Path, limit_bytes: float | None = None) -> FramePreparer:
    """A fresh preparer, as a new process would have (no memory of earlier scans)."""
    return FramePreparer(SPEC, cache, cache_limit_gb=None if limit_bytes is None
                         else limit_bytes / GB)


def entries(cache: Path) -> set[str]:
    return {p.name for p in (cache / "frames").iterdir()}


def stored(cache: Path, videos: list[Path]) -> list[str]:
    """Prepare each video into the cache (no limit); their keys, oldest first by mtime."""
    keys = [preparer(cache).prepare(ref(v), "x", 75).key for v in videos]
    start = time.time() - 1000
    for i, key in enumerate(keys):  # an unambiguous order of use
        os.utime(cache / "frames" / key, (start + 10 * i, start + 10 * i))
    return keys


def size(cache: Path, key: str) -> int:
    value = entry_size(cache / "frames" / key)
    assert value is not None
    return value


def size_of(video: Path, scratch: Path) -> int:
    """What the video's entry will weigh, measured in a scratch cache."""
    return size(scratch, preparer(scratch).prepare(ref(video), "x", 75).key)


def test_the_limit_evicts_the_oldest_first(videos, tmp_path):
    cache = tmp_path / "cache"
    a, b, c = stored(cache, videos[:3])
    limit = size(cache, b) + size(cache, c) + size_of(videos[3], tmp_path / "scratch")
    d = preparer(cache, limit).prepare(ref(videos[3]), "x", 75).key
    assert entries(cache) == {b, c, d}  # A was the least recently used


def test_the_entry_just_stored_is_never_evicted(videos, tmp_path):
    stored(tmp_path, videos[:3])
    kept = preparer(tmp_path, 1).prepare(ref(videos[3]), "x", 75)  # a limit of one byte
    assert entries(tmp_path) == {kept.key}
    again = preparer(tmp_path).prepare(ref(videos[3]), "x", 75)
    assert again.frames == kept.frames


def test_a_hit_refreshes_recency(videos, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    a, b, c = stored(cache, videos[:3])
    before = (cache / "frames" / a).stat().st_mtime

    def no_decoding(path):
        raise AssertionError("a hit never opens the video")

    with monkeypatch.context() as m:
        m.setattr(prepare_module, "open_video", no_decoding)
        preparer(cache).prepare(ref(videos[0]), "x", 75)  # A is used again: now the newest
    assert (cache / "frames" / a).stat().st_mtime > before
    limit = size(cache, a) + size(cache, c) + size_of(videos[3], tmp_path / "scratch")
    d = preparer(cache, limit).prepare(ref(videos[3]), "x", 75).key
    assert entries(cache) == {a, c, d}  # B, not A


def test_eviction_keeps_going_until_under_the_limit(videos, tmp_path):
    keys = stored(tmp_path, videos[:5])
    newest = preparer(tmp_path, size(tmp_path, keys[4]) * 2.5).prepare(
        ref(videos[5]), "x", 75).key
    assert entries(tmp_path) == {keys[4], newest}
    total = sum(size(tmp_path, k) for k in entries(tmp_path))
    assert total <= size(tmp_path, keys[4]) * 2.5


def test_leftovers_of_killed_processes_are_removed(videos, tmp_path):
    (key,) = stored(tmp_path, videos[:1])
    frames = tmp_path / "frames"
    stale, fresh = frames / ".tmp-x-1", frames / ".evicted-y-2"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "000000.jpg").write_bytes(b"x")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    preparer(tmp_path, 10 * GB).prepare(ref(videos[1]), "x", 75)  # a store scans the folder
    assert not stale.exists() and fresh.exists()  # a young one may belong to a live process


def test_a_reader_whose_entry_is_evicted_mid_read_rebuilds_it(videos, tmp_path, monkeypatch):
    first = preparer(tmp_path).prepare(ref(videos[0]), "x", 75)
    entry = tmp_path / "frames" / first.key
    real_json = prepare_module.json

    class EvictedAfterTheManifest:
        """json, but another process evicts the entry right after its manifest is read."""

        dumps = staticmethod(real_json.dumps)

        @staticmethod
        def loads(text):
            value = real_json.loads(text)
            if entry.exists():
                discard(entry)
            return value

    reader = preparer(tmp_path)
    monkeypatch.setattr(prepare_module, "json", EvictedAfterTheManifest)
    clip = reader.prepare(ref(videos[0]), "x", 75)
    monkeypatch.setattr(prepare_module, "json", real_json)
    assert clip.frames == first.frames  # whole, rebuilt from the video
    assert entries(tmp_path) == {first.key}  # and stored again; no .evicted- folder left
    assert preparer(tmp_path).prepare(ref(videos[0]), "x", 75).frames == first.frames


EVICTER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from vdbench.data.schema import VideoRef
    from vdbench.frames.eviction import GB
    from vdbench.frames.prepare import FramePreparer
    from vdbench.frames.spec import FrameSpec

    cache, stop_at = Path(sys.argv[1]), float(sys.argv[2])
    videos = [Path(p) for p in sys.argv[3:]]
    # A limit of one byte: every store evicts every other entry, the readers' included.
    writer = FramePreparer(FrameSpec(fps=2), cache, cache_limit_gb=1 / GB)
    n = 0
    while time.time() < stop_at:
        for v in videos:
            writer.prepare(VideoRef(str(v), 8.0, (None, None, None)), "x", 75)
            n += 1
    print(n)
""")


def test_concurrent_writers_and_evicters_never_break_a_reader(videos, tmp_path):
    expected = {v: FramePreparer(SPEC).prepare(ref(v), "x", 75) for v in videos}
    stop_at = time.time() + 4
    evicters = [subprocess.Popen([sys.executable, "-c", EVICTER, str(tmp_path), str(stop_at),
                                  *map(str, videos[i::2])],
                                 stdout=subprocess.PIPE, text=True) for i in range(2)]
    reads = 0
    reader = preparer(tmp_path, 1)  # the reader evicts too, when it rebuilds
    built = []
    real_build = reader._build
    reader._build = lambda *a: built.append(a) or real_build(*a)  # type: ignore[method-assign]
    while time.time() < stop_at:
        for v in videos:
            clip = reader.prepare(ref(v), "x", 75)
            assert clip.frames == expected[v].frames and clip.fps == expected[v].fps
            reads += 1
    stores = [int(e.communicate(timeout=60)[0]) for e in evicters]
    assert [e.returncode for e in evicters] == [0, 0]
    assert reads > len(videos) and all(n > 0 for n in stores)
    assert 0 < len(built) < reads  # it both found entries and found them evicted
    frames = tmp_path / "frames"
    left = [p for p in frames.iterdir() if not p.name.startswith(".")]
    for entry in left:  # whatever remains is whole
        manifest = json.loads((entry / "manifest.json").read_text())
        assert all((entry / f["file"]).is_file() for f in manifest["frames"])


def test_the_cli_flag_reaches_the_preparer(monkeypatch, tmp_path):
    from vdbench.cli.main import _eval_config, build_parser
    from vdbench.pipeline.config import EvalConfig

    parser = build_parser()
    eval_help = next(a for a in parser._subparsers._group_actions[0].choices["eval"]._actions
                     if "--frame-cache-gb" in a.option_strings)
    assert eval_help.default == 20.0 and "default 20" in eval_help.help
    args = parser.parse_args(["eval", "--model", "random", "--frame-cache-gb", "0.5"])
    from vdbench.cli.options import resolve_source

    resolve_source(args)
    assert _eval_config(args).frame_cache_gb == 0.5
    assert EvalConfig().frame_cache_gb == prepare_module.DEFAULT_FRAME_CACHE_GB
    with pytest.raises(InputError, match="--frame-cache-gb"):
        EvalConfig(frame_cache_gb=0)


def test_a_run_keeps_the_frame_cache_under_its_limit(videos, tmp_path):
    import asyncio

    from vdbench.core.types import SampleOutput
    from vdbench.models.base import EvalItem, Model
    from vdbench.pipeline.config import EvalConfig
    from vdbench.pipeline.predict import predict_all

    class Looks(Model):
        name = "looks"

        async def predict(self, item: EvalItem) -> SampleOutput:
            assert item.clips is not None
            return SampleOutput(item.sample.sample_key, {})

    def inside(video: Path) -> VideoRef:  # relative to the data folder, as in a dataset
        return VideoRef(video.name, 8.0, (None, None, None))

    pairs = [Sample(sample_key=f"s{i}", videos=(inside(videos[i]), inside(videos[i + 1])),
                    action="fitness_0", action_name="", action_description="",
                    source_dataset="", sample_hash=i, domain="fitness", split="easy",
                    n_differences_open_prediction=0, differences_annotated={},
                    differences_gt={}, retrieval_frames=({}, {}))
             for i in range(N_VIDEOS - 1)]
    one = FramePreparer(FrameSpec()).prepare(ref(videos[0]), "fitness", 75)
    limit = 2.5 * (sum(len(f.image) for f in one.frames) + 2048)  # about two entries
    cfg = EvalConfig(cache_dir=tmp_path, frame_cache_gb=limit / GB, concurrency=1)
    task = viddiffbench_tasks()["closed"]
    outs = asyncio.run(predict_all(pairs, Looks(), cfg, task, videos[0].parent))
    assert [(o.status, o.error) for o in outs] == [("ok", None)] * len(pairs)
    kept = entries(tmp_path)
    assert 1 <= len(kept) <= 3 and sum(size(tmp_path, k) for k in kept) <= limit * 1.2
