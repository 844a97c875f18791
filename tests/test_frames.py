"""vdbench.frames: frame selection, decoding the right frames, resizing, the on-disk cache."""

from __future__ import annotations

import io
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vdbench.core.errors import InputError
from vdbench.data.schema import Sample, VideoRef
from vdbench.data.viddiffbench_facts import PAPER_FPS
from vdbench.frames import (
    Clip,
    FramePreparer,
    FrameSpec,
    contact_sheet,
    export_frames,
    prepare_single,
    select_frames,
)
from vdbench.frames import prepare as prepare_module
from vdbench.frames.sizing import bounded_size
from vdbench.frames.video import open_video

N_FRAMES = 150  # 5 s at 30 fps


def coded_frame(i: int, width: int = 64, height: int = 48) -> np.ndarray:
    """A frame whose 8 vertical bands spell i in binary, so a decoded frame says which it is."""
    a = np.zeros((height, width, 3), np.uint8)
    for bit in range(8):
        if i >> bit & 1:
            a[:, bit * width // 8 : (bit + 1) * width // 8] = 255
    return a


def frame_number(image: Image.Image) -> int:
    a = np.asarray(image.convert("L"), dtype=float)
    band = a.shape[1] / 8
    return sum(
        1 << bit
        for bit in range(8)
        if a[:, int(bit * band + band / 4) : int((bit + 1) * band - band / 4)].mean() > 127
    )


def jpeg_number(jpeg: bytes) -> int:
    return frame_number(Image.open(io.BytesIO(jpeg)))


@pytest.fixture(scope="module")
def mp4(tmp_path_factory) -> Path:
    av = pytest.importorskip("av", reason="PyAV (the 'video' extra) is needed for mp4 tests")
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.gop_size = 10  # many keyframes, so reading exercises seeking
        if codec == "libx264":
            stream.options = {"bf": "2", "sc_threshold": "0"}  # B-frames: pts != dts
        for i in range(N_FRAMES):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(coded_frame(i), format="rgb24")))
        out.mux(stream.encode())
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("folder") / "frames"
    path.mkdir()
    for i in range(N_FRAMES):
        Image.fromarray(coded_frame(i, 640, 480)).save(path / f"{i:06d}.png")
    (path / "notes.txt").write_text("not a frame")
    return path


def ref(path: Path, fps: float = 30.0, trim=(None, None, None)) -> VideoRef:
    return VideoRef(str(path), fps, trim)


# --- which frames -------------------------------------------------------------------------


def test_paper_step_and_times():
    sel = select_frames(ref(Path("v"), 8.0), 100, 4.0, 75)
    assert sel.indices == tuple(range(0, 100, 2))
    assert sel.times_s[:3] == (0.0, 0.25, 0.5)
    assert sel.fps == 4.0


def test_trim_start_stop_exclusive_and_times_from_clip_start():
    sel = select_frames(ref(Path("v"), 8.0, (10, 50, None)), 100, 4.0, 75)
    assert sel.indices == tuple(range(10, 50, 2))
    assert sel.times_s[0] == 0.0 and sel.times_s[1] == 0.25
    assert select_frames(ref(Path("v"), 1.0, (0, 10, None)), 100, 1.0, 75).indices == tuple(
        range(10)
    )


def test_trim_step_lowers_clip_fps():
    sel = select_frames(ref(Path("v"), 30.0, (0, None, 3)), 300, 5.0, 75)
    assert sel.indices[:3] == (0, 6, 12)  # clip at 10 fps, step 2
    assert sel.fps == 5.0


def test_target_above_clip_rate_keeps_every_frame():
    sel = select_frames(ref(Path("v"), 8.0), 20, 30.0, 75)
    assert sel.indices == tuple(range(20)) and sel.fps == 8.0


def test_float_rate_does_not_floor_below_the_paper_step():
    assert select_frames(ref(Path("v"), 3.0), 100, 0.3, 75).indices[:2] == (0, 10)


def test_cap_thins_evenly():
    sel = select_frames(ref(Path("v"), 30.0), 300, 30.0, 75)
    assert len(sel.indices) == 75 and len(set(sel.indices)) == 75
    assert list(sel.indices) == sorted(sel.indices)
    gaps = {b - a for a, b in zip(sel.indices, sel.indices[1:], strict=False)}
    assert gaps == {4}
    assert sel.fps == pytest.approx(7.5)


def test_empty_trim_is_input_error():
    with pytest.raises(InputError, match="selects no frames"):
        select_frames(ref(Path("v.mp4"), 30.0, (200, 300, None)), 100, 1.0, 75)


def test_spec_rates_and_provenance():
    spec = FrameSpec()
    assert spec.target_fps("music") == PAPER_FPS["music"]
    assert FrameSpec(fps=2).target_fps("music") == 2.0
    over = FrameSpec(fps=2, fps_by_domain={"surgery": 3})
    assert over.target_fps("surgery") == 3.0 and over.target_fps("diving") == 2.0
    d = json.loads(json.dumps(over.to_dict()))
    assert d["target_fps"]["surgery"] == 3.0 and d["max_frames"] == 150
    with pytest.raises(InputError, match="domain"):
        spec.target_fps("cooking")
    with pytest.raises(InputError, match="fps"):
        FrameSpec(fps=0)
    hash(over)  # usable as a dict key despite the dict field


# --- reading frames ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "wanted",
    [[0], [149], [5, 6, 7], [9, 10, 19, 20], [3, 47, 48, 120, 121, 149], list(range(0, 150, 30))],
)
def test_mp4_returns_exactly_the_wanted_frames(mp4, wanted):
    video = open_video(mp4)
    try:
        got = [(i, frame_number(im)) for i, im in video.read(wanted + [400], lambda w, h: bounded_size(w, h, 512))]
    finally:
        video.close()
    assert got == [(i, i) for i in wanted]


def test_mp4_random_access_patterns(mp4):
    rng = np.random.default_rng(1)
    for _ in range(40):
        wanted = sorted(rng.choice(N_FRAMES, size=int(rng.integers(1, 25)), replace=False).tolist())
        video = open_video(mp4)
        try:
            got = [(i, frame_number(im)) for i, im in video.read(wanted, lambda w, h: bounded_size(w, h, 512))]
        finally:
            video.close()
        assert got == [(i, i) for i in wanted]


def test_mp4_frame_count_and_rate_without_decoding(mp4):
    video = open_video(mp4)
    try:
        assert video.n_frames == N_FRAMES and video.fps == 30.0
    finally:
        video.close()


def test_resize_bounds():
    assert bounded_size(640, 480, 100) == (100, 75)
    assert bounded_size(480, 640, 100) == (75, 100)
    assert bounded_size(64, 48, 512) == (64, 48)  # never enlarged


def test_frames_are_shrunk_never_enlarged(mp4, folder):
    small = FramePreparer(FrameSpec(fps=1, long_side=100)).prepare(ref(folder), "x", 10)
    assert Image.open(io.BytesIO(small.frames[0].image)).size == (100, 75)
    same = FramePreparer(FrameSpec(fps=1)).prepare(ref(mp4), "x", 10)
    assert Image.open(io.BytesIO(same.frames[0].image)).size == (64, 48)


def test_mp4_and_folder_agree(mp4, folder):
    preparer = FramePreparer(FrameSpec(fps_by_domain={"x": 4}, long_side=64))
    for trim in [(None, None, None), (7, 100, None), (3, 140, 2)]:
        a = preparer.prepare(ref(mp4, 30.0, trim), "x", 20)
        b = preparer.prepare(ref(folder, 30.0, trim), "x", 20)
        assert [f.index for f in a.frames] == [f.index for f in b.frames]
        assert [f.time_s for f in a.frames] == [f.time_s for f in b.frames]
        assert a.fps == b.fps
        assert [jpeg_number(f.image) for f in a.frames] == [f.index for f in a.frames]
        assert [jpeg_number(f.image) for f in b.frames] == [f.index for f in b.frames]


def test_clip_frames_and_hashes(mp4):
    import hashlib

    clip = FramePreparer(FrameSpec(fps=6)).prepare(ref(mp4), "x", 75)
    assert [f.index for f in clip.frames] == list(range(0, N_FRAMES, 5))
    assert clip.fps == 6.0 and clip.source == str(mp4) and len(clip.key) == 64
    for f in clip.frames:
        assert f.image[:2] == b"\xff\xd8" and f.sha256 == hashlib.sha256(f.image).hexdigest()


def test_missing_and_unreadable_videos_are_input_errors(tmp_path):
    preparer = FramePreparer(FrameSpec(), video_root=tmp_path)
    with pytest.raises(InputError, match=r"missing\.mp4.*FineDiving"):
        preparer.prepare(ref(Path("missing.mp4")), "diving", 75)
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 100)
    pytest.importorskip("av")
    with pytest.raises(InputError, match=r"junk\.mp4"):
        preparer.prepare(ref(Path("junk.mp4")), "diving", 75)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no image frames"):
        preparer.prepare(ref(Path("empty")), "fitness", 75)


def test_relative_paths_resolve_against_video_root(folder):
    preparer = FramePreparer(FrameSpec(fps=1), video_root=folder.parent)
    clip = preparer.prepare(ref(Path(folder.name)), "x", 75)
    assert clip.source == str(folder)


def test_pair_splits_the_cap(mp4, folder):
    sample = Sample(
        sample_key="s",
        videos=(ref(mp4), ref(folder)),
        action="fitness_0",
        action_name="",
        action_description="",
        source_dataset="",
        sample_hash=0,
        domain="fitness",
        split="easy",
        n_differences_open_prediction=0,
        differences_annotated={},
        differences_gt={},
        retrieval_frames=({}, {}),
    )
    a, b = FramePreparer(FrameSpec(max_frames=10)).prepare_pair(sample)
    assert len(a) == len(b) == 5


# --- the cache ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mp4", "folder"])
def test_cache_hit_never_opens_the_video(kind, request, tmp_path, monkeypatch):
    source: Path = request.getfixturevalue(kind)
    moved = tmp_path / f"elsewhere{source.suffix}"
    (shutil.copytree if source.is_dir() else shutil.copy)(source, moved)
    preparer = FramePreparer(FrameSpec(fps=2), cache_dir=tmp_path / "cache")
    first = preparer.prepare(ref(moved), "x", 75)
    entries = list((tmp_path / "cache" / "frames").iterdir())
    assert [e.name for e in entries] == [first.key]  # no temp dirs left behind

    renamed = moved.rename(tmp_path / f"renamed{source.suffix}")  # same content, new path

    def fail(path):
        raise AssertionError(f"video opened on a cache hit: {path}")

    monkeypatch.setattr(prepare_module, "open_video", fail)
    again = FramePreparer(FrameSpec(fps=2), cache_dir=tmp_path / "cache").prepare(
        ref(renamed), "x", 75
    )
    assert again.key == first.key and again.frames == first.frames and again.fps == first.fps
    assert again.source == str(renamed)


def test_cache_key_follows_what_matters(mp4, folder):
    def key(spec: FrameSpec | None = None, r: VideoRef | None = None, cap: int = 75) -> str:
        return FramePreparer(spec or FrameSpec(fps=2)).prepare(r or ref(mp4), "x", cap).key

    base = key()
    assert key() == base
    assert key(spec=FrameSpec(fps=2, max_frames=20)) == base  # pair cap is passed as cap
    assert (
        len(
            {
                base,
                key(spec=FrameSpec(fps=3)),
                key(spec=FrameSpec(fps=2, long_side=32)),
                key(spec=FrameSpec(fps=2, jpeg_quality=50)),
                key(r=ref(mp4, 30.0, (5, None, None))),
                key(r=ref(mp4, 25.0)),
                key(cap=5),
                key(r=ref(folder)),
            }
        )
        == 8
    )


def test_damaged_cache_entry_is_rebuilt(folder, tmp_path):
    preparer = FramePreparer(FrameSpec(fps=3), cache_dir=tmp_path)
    clip = preparer.prepare(ref(folder), "x", 75)
    entry = tmp_path / "frames" / clip.key
    (entry / f"{clip.frames[0].index:06d}.jpg").write_bytes(b"garbage")
    assert preparer.prepare(ref(folder), "x", 75).frames == clip.frames
    assert (entry / f"{clip.frames[0].index:06d}.jpg").read_bytes() == clip.frames[0].image


def test_concurrent_writers_and_threads(folder, tmp_path, monkeypatch):
    opened = []
    real_open = prepare_module.open_video

    def counting_open(path):
        opened.append(path)
        return real_open(path)

    monkeypatch.setattr(prepare_module, "open_video", counting_open)
    preparer = FramePreparer(FrameSpec(fps=3), cache_dir=tmp_path)
    results: list[Clip] = []
    threads = [
        threading.Thread(target=lambda: results.append(preparer.prepare(ref(folder), "x", 75)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(opened) == 1 and all(r == results[0] for r in results)
    # A second writer of the same entry (another process) loses the race quietly.
    other = FramePreparer(FrameSpec(fps=3), cache_dir=tmp_path)
    other._store(results[0])
    assert [p.name for p in (tmp_path / "frames").iterdir()] == [results[0].key]


# --- single videos, contact sheets -------------------------------------------------------


def test_prepare_single_reads_the_rate(mp4, folder, tmp_path):
    clip = prepare_single(mp4, fps=2, cache_dir=tmp_path)
    assert [f.index for f in clip.frames][:3] == [0, 15, 30]  # fps_original 30 from the file
    clip = prepare_single(folder, fps=2)
    assert [f.index for f in clip.frames][:3] == [0, 4, 8]  # folders assume 8 fps
    with pytest.raises(InputError, match="nowhere"):
        prepare_single(tmp_path / "nowhere.mp4", fps=2)


def test_export_frames_and_contact_sheet(mp4, folder, tmp_path):
    preparer = FramePreparer(FrameSpec(fps=2))
    clips = [preparer.prepare(ref(mp4), "x", 75), preparer.prepare(ref(folder), "x", 75)]
    written = export_frames(clips, tmp_path / "out")
    names = {p.name for p in written}
    assert "a_000000.jpg" in names and "b_000015.jpg" in names and "contact_sheet.png" in names
    assert len(written) == len(clips[0]) + len(clips[1]) + 1
    assert (tmp_path / "out" / "a_000015.jpg").read_bytes() == clips[0].frames[1].image
    sheet = contact_sheet(clips)
    assert sheet.size == Image.open(tmp_path / "out" / "contact_sheet.png").size
    assert sheet.width > 96 * 5 and sheet.height > 2 * 96
