"""Frames: the sampled, shrunk, JPEG-encoded frames each model is shown, cached on disk."""

from vdbench.frames.contact import contact_sheet, export_frames
from vdbench.frames.prepare import FramePreparer, prepare_single
from vdbench.frames.spec import FrameSpec, Selection, select_frames
from vdbench.frames.types import Clip, Frame

__all__ = [
    "Clip",
    "Frame",
    "FramePreparer",
    "FrameSpec",
    "Selection",
    "contact_sheet",
    "export_frames",
    "prepare_single",
    "select_frames",
]
