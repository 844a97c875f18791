"""Writing a benchmark to disk: JPEG frame folders, mp4 files, thumbnails, the parquet, README."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from .spec import H, W

PARQUET = "data/test-00000-of-00001.parquet"  # relative to the benchmark folder


def jpeg(img: Image.Image, quality: int = 80) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def thumbnail(img: Image.Image) -> bytes:
    """The hub's vid*_thumbnail: a half-size JPEG."""
    return jpeg(img.resize((W // 2, H // 2), Image.Resampling.BILINEAR), quality=85)


def write_frames(folder: Path, frames: list[Image.Image]) -> None:
    """A folder of JPEG frames 000000.jpg, 000001.jpg, ..."""
    folder.mkdir(parents=True)
    for i, img in enumerate(frames):
        (folder / f"{i:06d}.jpg").write_bytes(jpeg(img))


def write_mp4(path: Path, frames: list[Image.Image], fps: float) -> None:
    """An H.264 mp4 (mpeg4 when this PyAV has no libx264), with the same bytes on every run."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    x264 = "libx264" in av.codecs_available
    with av.open(str(path), "w", format="mp4") as out:
        rate = Fraction(fps).limit_denominator(1001)
        stream = out.add_stream("libx264" if x264 else "mpeg4", rate=rate)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        # Same bytes on every run:
        # - one thread: multi-threaded encoder output is not byte-reproducible;
        # - asm=0: x264's C code, not the SIMD kernels it picks for the CPU. Those round
        #   differently per instruction set, and on AVX-512 CPUs the macroblock-tree rate control
        #   reads heap memory it never initialised, so the bytes changed from run to run.
        # g=30: several keyframes per clip, so readers' seeking gets exercised.
        x264_quality = {"crf": "26", "preset": "medium", "x264-params": "asm=0"}
        quality = x264_quality if x264 else {"qscale": "4"}
        stream.options = {**quality, "threads": "1", "g": "30"}
        for img in frames:
            frame = av.VideoFrame.from_ndarray(np.asarray(img), format="rgb24")
            frame = frame.reformat(format="yuv420p")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


# The hub's parquet schema; the "huggingface" metadata lets `datasets` decode the thumbnails.
_STR = pa.string()
SCHEMA = pa.schema([
    ("sample_key", _STR),
    ("vid0_thumbnail", pa.struct([("bytes", pa.binary()), ("path", _STR)])),
    ("vid1_thumbnail", pa.struct([("bytes", pa.binary()), ("path", _STR)])),
    ("videos", _STR), ("action", _STR), ("action_name", _STR), ("action_description", _STR),
    ("source_dataset", _STR), ("sample_hash", pa.int64()), ("retrieval_frames", _STR),
    ("differences_annotated", _STR), ("differences_gt", _STR), ("domain", _STR), ("split", _STR),
    ("n_differences_open_prediction", pa.int64()),
])
_HF_FEATURES = {
    f.name: {"_type": "Image"} if f.name.endswith("thumbnail")
    else {"dtype": "int64" if f.type == pa.int64() else "string", "_type": "Value"}
    for f in SCHEMA
}
SCHEMA = SCHEMA.with_metadata({"huggingface": json.dumps({"info": {"features": _HF_FEATURES}})})


def write_parquet(out: Path, rows: Sequence[dict]) -> None:
    table = pa.Table.from_pylist(list(rows), schema=SCHEMA)
    pq.write_table(table, out / PARQUET, compression="zstd")


def write_readme(out: Path, rows: Sequence[dict]) -> None:
    (out / "README.md").write_text(
        "# vdbench mini benchmark\n\n"
        "Synthetic, rendered by `scripts/make_mini.py` (do not edit by hand; rerun it).\n"
        "Hub layout: `data/test-00000-of-00001.parquet`, videos under `videos/`, paths relative\n"
        "to this folder. Every difference is a rendered motion parameter, so each a/b label is\n"
        "true of the pixels. retrieval_frames index the trimmed clip at fps_original.\n\n"
        + "".join(f"- {r['sample_key']}: {r['action']} ({r['domain']}, {r['split']})\n"
                  for r in rows)
    )
