"""Videos checked at load (frames/probe.py), against real broken files, and rotation metadata
applied when decoding (frames/video.py)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vdbench.core.errors import InputError
from vdbench.data.loader import MINI_DIR, load_benchmark
from vdbench.data.schema import Sample, VideoRef
from vdbench.frames.probe import VideoProblem, probe_path, probe_videos, verify_videos
from vdbench.frames.spec import FrameSpec

av = pytest.importorskip("av")

N = 30  # frames in every test video
CODEC = "libx264" if "libx264" in av.codecs_available else "mpeg4"


def write_video(path: Path, n: int = N, *, faststart: bool = False, rotation: int | None = None,
                size: tuple[int, int] = (64, 48), pattern=None) -> Path:
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as out:
        stream = out.add_stream(CODEC, rate=10)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for i in range(n):
            frame = pattern
            if frame is None:
                frame = np.full((size[1], size[0], 3), i * 8 % 256, np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    return path


def write_audio_only(path: Path) -> Path:
    """A file with one audio stream and no video (a wav, or the same bytes named .mp4)."""
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16",
                                           layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    return path


def write_folder(path: Path, n: int) -> Path:
    path.mkdir()
    for i in range(n):
        Image.new("RGB", (32, 24), (i * 8, 0, 0)).save(path / f"{i:06d}.jpg")
    return path


def sample(key: str, a: str, b: str, trim_a=(None, None, None), trim_b=(None, None, None)
           ) -> Sample:
    return Sample(
        sample_key=key, videos=(VideoRef(a, 10.0, trim_a), VideoRef(b, 10.0, trim_b)),
        action="fitness_0", action_name="", action_description="", source_dataset="",
        sample_hash=0, domain="fitness", split="easy", n_differences_open_prediction=0,
        differences_annotated={}, differences_gt={}, retrieval_frames=({}, {}),
    )


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    """A video root with one good and one broken video of every kind."""
    root = tmp_path_factory.mktemp("videos")
    write_video(root / "good.mp4")
    write_folder(root / "frames", N)
    write_video(root / "whole.mp4")
    data = (root / "whole.mp4").read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 2])  # the index (moov) is lost
    write_video(root / "whole_faststart.mp4", faststart=True)
    data = (root / "whole_faststart.mp4").read_bytes()
    (root / "truncated_faststart.mp4").write_bytes(data[: len(data) * 2 // 3])  # index intact
    (root / "zero.mp4").write_bytes(b"")
    (root / "garbage.mp4").write_bytes(np.random.default_rng(0).bytes(20_000))
    write_audio_only(root / "audio.wav")
    shutil.copyfile(root / "audio.wav", root / "audio.mp4")
    (root / "empty_folder").mkdir()
    (root / "empty_folder" / "notes.txt").write_text("no frames here")
    return root


def test_good_videos_have_no_problems_and_exact_counts(videos):
    assert probe_path(videos / "good.mp4").n_frames == N
    assert probe_path(videos / "whole_faststart.mp4").n_frames == N
    assert probe_path(videos / "frames").n_frames == N
    ok = sample("ok", "good.mp4", "frames", (0, N, 1), (5, N, 2))
    assert probe_videos([ok], videos) == []
    assert verify_videos([ok], videos) == ([ok], [])


@pytest.mark.parametrize("name, problem", [
    ("truncated.mp4", "unreadable video"),
    ("truncated_faststart.mp4", "truncated"),
    ("zero.mp4", "empty file"),
    ("garbage.mp4", "unreadable video"),
    ("audio.wav", "no video stream"),
    ("audio.mp4", "no video stream"),
    ("empty_folder", "no image frames"),
    ("absent.mp4", "not found"),
])
def test_each_broken_video_is_one_problem_naming_file_and_sample(videos, name, problem):
    s = sample("s1", "good.mp4", name)
    problems = probe_videos([s], videos)
    assert len(problems) == 1
    p = problems[0]
    assert (p.sample_key, p.file) == ("s1", str(videos / name))
    assert problem in p.problem
    assert str(p).startswith(f"{videos / name}: sample 's1': ")


@pytest.mark.parametrize("video", ["good.mp4", "frames"])
@pytest.mark.parametrize("trim, why", [
    ((0, N + 1, 1), "stop lies past the end"),
    ((N, None, None), "start lies past the end"),
    ((N + 40, N + 50, 1), "start lies past the end"),
    ((-N - 1, None, None), "start lies past the end"),
    ((10, 5, 1), "selects none"),
])
def test_a_trim_past_the_end_is_a_problem(videos, video, trim, why):
    problems = probe_videos([sample("s", video, "good.mp4", trim_a=trim)], videos)
    assert [p.sample_key for p in problems] == ["s"] and why in problems[0].problem
    assert f"of the {N} frames" in problems[0].problem


def test_trims_inside_the_frames_pass(videos):
    for trim in [(0, N, 1), (N - 1, None, None), (None, None, 7), (-N, -1, 2), (3, None, 1)]:
        assert probe_videos([sample("s", "good.mp4", "frames", trim, trim)], videos) == []


def test_check_raises_one_error_listing_every_bad_video(videos):
    samples = [sample("ok", "good.mp4", "frames"), sample("b1", "zero.mp4", "garbage.mp4"),
               sample("b2", "good.mp4", "empty_folder"),
               sample("b3", "audio.wav", "good.mp4", trim_b=(0, 99, 1))]
    with pytest.raises(InputError) as info:
        verify_videos(samples, videos)
    message = str(info.value)
    assert "5 unusable video(s) in 3 of 4 samples" in message
    for file, key in [("zero.mp4", "b1"), ("garbage.mp4", "b1"), ("empty_folder", "b2"),
                      ("audio.wav", "b3"), ("good.mp4", "b3")]:
        assert f"{videos / file}: sample '{key}': " in message
    assert "sample 'ok'" not in message


def test_skip_keeps_the_good_samples_and_records_the_skipped(videos):
    samples = [sample("ok", "good.mp4", "frames"), sample("bad", "good.mp4", "truncated.mp4"),
               sample("ok2", "frames", "good.mp4")]
    kept, skipped = verify_videos(samples, videos, skip=True)
    assert [s.sample_key for s in kept] == ["ok", "ok2"]
    assert [(p.sample_key, Path(p.file).name) for p in skipped] == [("bad", "truncated.mp4")]
    assert isinstance(skipped[0], VideoProblem)
    assert skipped[0].to_json() == {"sample_key": "bad", "file": str(videos / "truncated.mp4"),
                                    "problem": skipped[0].problem}


def test_paths_outside_the_video_root_are_problems(videos, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.mp4").symlink_to(videos / "good.mp4")
    problems = probe_videos([sample("s", "link.mp4", "../good.mp4")], root)
    assert len(problems) == 2 and all("outside" in p.problem for p in problems)


class _Counting:
    """An av container that counts the frames decoded through it."""

    decoded = 0

    def __init__(self, container):
        self._c = container

    def __getattr__(self, name):
        return getattr(self._c, name)

    def decode(self, *args, **kwargs):
        for frame in self._c.decode(*args, **kwargs):
            _Counting.decoded += 1
            yield frame


def test_probe_decodes_at_most_one_frame_per_video(videos, monkeypatch, tmp_path):
    long = write_video(tmp_path / "long.mp4", n=300)
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda *a, **k: _Counting(real_open(*a, **k)))
    _Counting.decoded = 0
    assert probe_path(long).n_frames == 300
    assert _Counting.decoded == 1


def test_mini_benchmark_probes_clean_and_fast():
    bench = load_benchmark("mini", check_videos=False)
    probe_videos(bench.samples[:1], bench.video_root)  # import av, warm the disk cache
    start = time.perf_counter()
    assert probe_videos(bench.samples, bench.video_root) == []
    seconds = time.perf_counter() - start
    print(f"probed {2 * len(bench.samples)} mini videos in {seconds * 1000:.0f} ms")
    assert seconds < 5  # about 0.06 s here; generous for a loaded CI machine
    assert MINI_DIR.is_dir()


# --- rotation metadata ----------------------------------------------------------------------

W, H = 64, 32  # coded (sensor) size: landscape


def corner_pattern() -> np.ndarray:
    """Black, with a white block in the top-left corner only: any turn or flip moves it."""
    frame = np.zeros((H, W, 3), np.uint8)
    frame[: H // 2, : W // 4] = 255
    return frame


def bright_corner(image: Image.Image) -> str:
    a = np.asarray(image.convert("L"), dtype=float)
    h, w = a.shape
    corners = {"top-left": a[: h // 4, : w // 4], "top-right": a[: h // 4, -(w // 4):],
               "bottom-left": a[-(h // 4):, : w // 4], "bottom-right": a[-(h // 4):, -(w // 4):]}
    return max(corners, key=lambda k: corners[k].mean())


@pytest.mark.parametrize("rotation, corner", [
    # rotation: the display matrix's counter-clockwise angle, as PyAV writes and reads it; a
    # phone held upright records "rotate=90", which reads back as -90 (turn clockwise)
    (-90, "top-right"),
    (90, "bottom-left"),
    (180, "bottom-right"),
    (None, "top-left"),
])
def test_rotation_metadata_is_applied(rotation, corner, tmp_path):
    from vdbench.frames.sizing import bounded_size
    from vdbench.frames.video import VideoFile

    path = write_video(tmp_path / "phone.mp4", n=5, size=(W, H), rotation=rotation,
                       pattern=corner_pattern())
    with av.open(str(path)) as c:  # the metadata really is in the file
        first = next(c.decode(video=0))
        assert (first.width, first.height) == (W, H)
        assert first.rotation % 360 == (rotation or 0) % 360
    video = VideoFile(path)
    try:
        [(index, image)] = list(video.read([2], lambda w, h: bounded_size(w, h, 512)))
    finally:
        video.close()
    assert index == 2
    assert image.size == ((H, W) if rotation in (90, -90) else (W, H))
    assert bright_corner(image) == corner


def test_prepared_clip_of_a_phone_video_is_upright(tmp_path):
    from vdbench.frames.prepare import FramePreparer

    write_video(tmp_path / "phone.mp4", n=20, size=(W, H), rotation=-90,
                pattern=corner_pattern())
    ref = VideoRef("phone.mp4", 10.0, (None, None, None))
    clip = FramePreparer(FrameSpec(fps=5), video_root=tmp_path).prepare(ref, "fitness", 10)
    import io

    images = [Image.open(io.BytesIO(f.image)) for f in clip.frames]
    assert images and all(im.size == (H, W) for im in images)  # portrait, as filmed
    assert all(bright_corner(im) == "top-right" for im in images)
