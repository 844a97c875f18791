"""The bundled mini benchmark is what scripts/minibench generates: regenerate it into a temporary
folder and compare with the committed one (the parquet byte for byte, every video frame by frame).

When this fails after a deliberate change to the generator, rerun `make mini` and commit the data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "src" / "vdbench" / "data" / "mini"
PARQUET = Path("data") / "test-00000-of-00001.parquet"

av = pytest.importorskip("av")
pytestmark = pytest.mark.skipif(
    "libx264" not in av.codecs_available,
    reason="the committed videos are H.264; without libx264 the generator writes mpeg4",
)

sys.path.insert(0, str(ROOT / "scripts"))
from minibench.build import main as generate  # noqa: E402
from minibench.write import write_mp4  # noqa: E402


def _videos(root: Path) -> list[str]:
    """Relative paths of the videos: mp4 files and folders of frames."""
    return sorted(
        p.relative_to(root).as_posix()
        for domain in (root / "videos").iterdir()
        for p in domain.iterdir()
    )


COMMITTED_VIDEOS = _videos(COMMITTED)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mini")
    assert generate(out) == 0
    return out


def _decode(path: Path) -> list[tuple[int | None, np.ndarray]]:
    """Every frame of an mp4: its pts and its pixels as stored (yuv420p, no colour conversion)."""
    with av.open(str(path)) as container:
        return [(frame.pts, frame.to_ndarray()) for frame in container.decode(video=0)]


def different_frames(a: Path, b: Path) -> list[int]:
    """Indices of the frames whose pixels or timestamps differ between two mp4 files (a missing
    frame counts as different)."""
    fa, fb = _decode(a), _decode(b)
    out = [i for i, (x, y) in enumerate(zip(fa, fb))
           if x[0] != y[0] or not np.array_equal(x[1], y[1])]
    return out + list(range(min(len(fa), len(fb)), max(len(fa), len(fb))))


def test_same_files(regenerated: Path):
    assert _videos(regenerated) == COMMITTED_VIDEOS
    for rel in COMMITTED_VIDEOS:
        if not rel.endswith(".mp4"):
            names = sorted(p.name for p in (regenerated / rel).iterdir())
            assert names == sorted(p.name for p in (COMMITTED / rel).iterdir()), rel


def test_parquet_is_byte_identical(regenerated: Path):
    assert (regenerated / PARQUET).read_bytes() == (COMMITTED / PARQUET).read_bytes()


def test_readme_is_identical(regenerated: Path):
    assert (regenerated / "README.md").read_text() == (COMMITTED / "README.md").read_text()


@pytest.mark.parametrize("rel", COMMITTED_VIDEOS)
def test_video_frames_are_identical(regenerated: Path, rel: str):
    if rel.endswith(".mp4"):
        assert different_frames(regenerated / rel, COMMITTED / rel) == [], rel
    else:  # a folder of JPEG frames
        changed = [f.name for f in sorted((COMMITTED / rel).iterdir())
                   if (regenerated / rel / f.name).read_bytes() != f.read_bytes()]
        assert changed == [], rel


def test_a_changed_frame_is_caught(tmp_path: Path):
    """The mp4 comparison sees a small spot added to one frame."""
    frames = [Image.new("RGB", (160, 120), (40 + 5 * i, 90, 80)) for i in range(12)]
    write_mp4(tmp_path / "a.mp4", frames, 30.0)
    ImageDraw.Draw(frames[7]).rectangle([78, 58, 81, 61], fill=(255, 255, 255))
    write_mp4(tmp_path / "b.mp4", frames, 30.0)
    assert different_frames(tmp_path / "a.mp4", tmp_path / "a.mp4") == []
    assert 7 in different_frames(tmp_path / "a.mp4", tmp_path / "b.mp4")
