"""The bundled mini benchmark (made by scripts/make_mini.py): hub schema, coverage, and labels
that are true of the pixels."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

import vdbench
from vdbench.data.schema import Sample, VideoRef, parse_row
from vdbench.data.viddiffbench_facts import DOMAINS, SPLITS, split_of_action

MINI = Path(vdbench.__file__).parent / "data" / "mini"
PARQUET = MINI / "data" / "test-00000-of-00001.parquet"
JSON_FIELDS = ("videos", "retrieval_frames", "differences_annotated", "differences_gt")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return pq.read_table(PARQUET).to_pylist()


@pytest.fixture(scope="module")
def samples(rows) -> list[Sample]:
    return [parse_row(row, source=f"{PARQUET}: row {i}") for i, row in enumerate(rows)]


def _labelled(samples: list[Sample], action: str, name: str) -> list[tuple[Sample, int]]:
    """Samples of `action` whose difference `name` is labelled a or b, with the index (0 or 1)
    of the video the description is more true of."""
    out = []
    for s in samples:
        if s.action != action:
            continue
        key = next(k for k, d in s.differences_annotated.items() if d and d.name == name)
        if s.differences_gt[key] in ("a", "b"):
            out.append((s, "ab".index(s.differences_gt[key])))
    return out


def _assert_retrieval_in_clip(ref: VideoRef, frames: dict, n_frames: int) -> None:
    """Indices count frames of the trimmed clip at fps_original: 0 .. last kept - first kept."""
    clip = range(n_frames)[ref.trim]
    assert len(clip) > 0, ref.path
    indices = [i for idx in frames.values() if idx for i in idx]
    assert all(0 <= i <= clip[-1] - clip[0] for i in indices), ref.path


def _frames_of_folder(ref: VideoRef) -> list[np.ndarray]:
    files = sorted((MINI / ref.path).iterdir())[ref.trim]
    return [np.asarray(Image.open(f).convert("RGB")) for f in files]


def _frames_of_mp4(ref: VideoRef) -> list[np.ndarray]:
    av = pytest.importorskip("av")
    with av.open(str(MINI / ref.path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return frames[ref.trim]


def test_parquet_has_the_hub_schema():
    schema = pq.read_schema(PARQUET)
    thumb = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    assert schema.field("vid0_thumbnail").type == thumb
    assert schema.field("vid1_thumbnail").type == thumb
    for name in (*JSON_FIELDS, "sample_key", "action", "action_name", "action_description",
                 "source_dataset", "domain", "split"):
        assert schema.field(name).type == pa.string(), name
    assert schema.field("sample_hash").type == pa.int64()
    assert schema.field("n_differences_open_prediction").type == pa.int64()


def test_rows_parse_and_cover_domains_and_splits(rows, samples):
    assert 12 <= len(samples) <= 30
    assert len({s.sample_key for s in samples}) == len(samples)
    assert {s.domain for s in samples} == set(DOMAINS)
    assert {s.split for s in samples} == set(SPLITS)
    for row, s in zip(rows, samples):
        assert all(isinstance(row[f], str) for f in JSON_FIELDS)
        assert s.split == split_of_action(s.action), s.sample_key
        assert s.action.rsplit("_", 1)[0] == s.domain, s.sample_key
        for thumb in s.thumbnails:
            assert thumb and Image.open(io.BytesIO(thumb)).size[0] <= 160


def test_labels_annotations_and_open_count(samples):
    labels = [v for s in samples for v in s.differences_gt.values()]
    assert "c" in labels and None in labels
    assert any(d is None for s in samples for d in s.differences_annotated.values())
    n_a, n_b = labels.count("a"), labels.count("b")
    assert abs(n_a - n_b) <= 0.2 * (n_a + n_b)
    for s in samples:
        assert 3 <= len(s.differences_gt) <= 6
        assert all(k.isdigit() for k in s.differences_gt)
        assert s.differences_gt.keys() == s.differences_annotated.keys()
        assert s.n_differences_open_prediction == math.ceil(1.5 * len(s.labelled_keys))
        assert s.scored_keys


def test_retrieval_frames_for_labelled_keys_only(samples):
    for s in samples:
        for ref, frames in zip(s.videos, s.retrieval_frames):
            for k, label in s.differences_gt.items():
                if label is None:
                    assert frames[k] is None
                else:
                    step = ref.frames_trim[2] or 1
                    assert frames[k] and all(i >= 0 and i % step == 0 for i in frames[k])


def test_videos_exist_in_the_hub_layout(samples):
    for s in samples:
        for ref, frames in zip(s.videos, s.retrieval_frames):
            path = MINI / ref.path
            assert not Path(ref.path).is_absolute()
            if s.domain == "fitness":
                assert ref.fps_original == 8
                assert path.is_dir() and any(path.glob("*.jpg"))
                _assert_retrieval_in_clip(ref, frames, len(list(path.glob("*.jpg"))))
            else:
                assert path.is_file() and path.suffix == ".mp4"
    assert any(ref.frames_trim[2] == 2 for s in samples for ref in s.videos)
    assert any(ref.frames_trim == (None, None, None) for s in samples for ref in s.videos)


def test_total_size_under_5_mb():
    assert sum(f.stat().st_size for f in MINI.rglob("*") if f.is_file()) < 5_000_000


def test_deeper_squat_is_lower_in_the_pixels(samples):
    """The head's lowest position over the clip is lower in the video labelled 'deeper'."""
    cases = _labelled(samples, "fitness_0", "squat depth")
    assert cases
    for s, deeper in cases:
        lowest_head = []
        for ref in s.videos:
            tops = []
            for frame in _frames_of_folder(ref):
                body = frame[:110, 68:92].min(axis=2) > 180  # the white figure, centre columns
                tops.append(np.argmax(body.any(axis=1)))  # first row with figure pixels
            lowest_head.append(max(tops))
        assert lowest_head[deeper] > lowest_head[1 - deeper] + 8, (s.sample_key, lowest_head)


def test_higher_dribble_is_higher_in_the_pixels(samples):
    """Decodes the mp4s: the ball's highest point is higher in the video labelled 'higher'."""
    cases = _labelled(samples, "ballsports_0", "dribble height")
    assert cases
    for s, higher in cases:
        highest = []
        for ref in s.videos:
            r, g, b = np.moveaxis(np.stack(_frames_of_mp4(ref)).astype(int), -1, 0)
            ball = (r > 190) & (g > 80) & (g < 160) & (b < 90)  # orange
            highest.append(int(np.argmax(ball.any(axis=(0, 2)))))  # smallest row with ball pixels
        assert highest[higher] < highest[1 - higher] - 10, (s.sample_key, highest)


def test_mp4s_hold_the_trimmed_frames(samples):
    av = pytest.importorskip("av")
    for s in samples:
        for ref, frames in zip(s.videos, s.retrieval_frames):
            if not ref.path.endswith(".mp4"):
                continue
            with av.open(str(MINI / ref.path)) as container:
                stream = container.streams.video[0]
                assert float(stream.average_rate) == ref.fps_original
                n_frames = stream.frames
            _assert_retrieval_in_clip(ref, frames, n_frames)


def test_parquet_rows_round_trip_through_json(rows):
    for row in rows:
        videos = json.loads(row["videos"])
        assert [set(v) for v in videos] == [{"path", "fps_original", "frames_trim"}] * 2
