"""Show what a model is shown: the frames as files, and a contact sheet of thumbnails."""

from __future__ import annotations

import io
import string
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from vdbench.frames.types import Clip

THUMB_HEIGHT = 96
COLUMNS = 10  # thumbnails per line; a long clip wraps onto more lines
PAD = 4
CAPTION = 14  # pixel height of a caption line


def _letter(i: int) -> str:
    return string.ascii_lowercase[i]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (the system's, or matplotlib's copy) where there is one: Pillow's own
    fonts draw spaces too narrow to read ("#30.00s")."""
    candidates = ["DejaVuSans.ttf"]
    try:
        import matplotlib

        candidates.append(str(Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"
                              / "DejaVuSans.ttf"))
    except ImportError:
        pass
    for name in candidates:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def contact_sheet(
    clips: Sequence[Clip], labels: Sequence[str] = ("video a", "video b"), title: str = ""
) -> Image.Image:
    """A title line (the sample and its action), then one block per video, its frames side by
    side as captioned thumbnails (index, time)."""
    thumbs = [
        [Image.open(io.BytesIO(f.image)).convert("RGB") for f in clip.frames] for clip in clips
    ]
    for row in thumbs:
        for t in row:
            t.thumbnail((THUMB_HEIGHT * 4, THUMB_HEIGHT))
    # At least as wide as a caption, so portrait thumbnails' captions do not overlap.
    cell_w = max([THUMB_HEIGHT] + [t.width for row in thumbs for t in row]) + PAD
    cell_h = THUMB_HEIGHT + CAPTION + PAD
    lines = [max(1, -(-len(row) // COLUMNS)) for row in thumbs]
    width = PAD + cell_w * min(COLUMNS, max((len(r) for r in thumbs), default=1))
    height = PAD + sum(CAPTION + n * cell_h for n in lines) + (CAPTION if title else 0)

    sheet = Image.new("RGB", (max(width, 240), height), "white")
    draw = ImageDraw.Draw(sheet)
    font = _font(11)
    y = PAD
    if title:
        draw.text((PAD, y), title, "black", font)
        y += CAPTION
    for v, (clip, row) in enumerate(zip(clips, thumbs, strict=True)):
        label = labels[v] if v < len(labels) else f"video {_letter(v)}"
        draw.text((PAD, y), f"{label}: {len(clip)} frames at {clip.fps:.3g} fps", "black", font)
        y += CAPTION
        for n, (frame, thumb) in enumerate(zip(clip.frames, row, strict=True)):
            x = PAD + (n % COLUMNS) * cell_w
            top = y + (n // COLUMNS) * cell_h
            sheet.paste(thumb, (x, top))
            caption = f"#{frame.index} {frame.time_s:.2f}s"
            draw.text((x, top + THUMB_HEIGHT + 1), caption, "black", font)
        y += lines[v] * cell_h
    return sheet


def export_frames(
    clips: Sequence[Clip], out_dir: Path, labels: Sequence[str] = ("video a", "video b"),
    title: str = "",
) -> list[Path]:
    """Write each clip's JPEGs (a_000012.jpg, b_...) and contact_sheet.png; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for v, clip in enumerate(clips):
        for frame in clip.frames:
            suffix = "png" if frame.mime == "image/png" else "jpg"
            path = out_dir / f"{_letter(v)}_{frame.index:06d}.{suffix}"
            path.write_bytes(frame.image)
            written.append(path)
    sheet_path = out_dir / "contact_sheet.png"
    contact_sheet(clips, labels, title).save(sheet_path)
    written.append(sheet_path)
    return written
