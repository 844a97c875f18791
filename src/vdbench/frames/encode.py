"""Frames as the bytes a model is sent: JPEG at the spec's quality, or lossless PNG."""

from __future__ import annotations

import io

from PIL import Image

from vdbench.frames.spec import FrameSpec


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def encode_frame(image: Image.Image, spec: FrameSpec) -> bytes:
    if spec.image_format == "png":
        buf = io.BytesIO()
        image.save(buf, format="PNG", compress_level=1)  # lossless; level changes size only
        return buf.getvalue()
    return encode_jpeg(image, spec.jpeg_quality)
