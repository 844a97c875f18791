"""Frames: the sampled, shrunk, JPEG-encoded frames each model is shown, cached on disk."""

from .contact import contact_sheet, export_frames
from .prepare import FramePreparer, prepare_single
from .spec import FrameSpec, Selection, select_frames
from .types import Clip, Frame

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
