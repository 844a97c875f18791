"""`build_view`: read a run folder, prepare the frames each model was shown, write
RUN/view/index.html."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from vdbench.core.config import resolve_cache_dir
from vdbench.core.errors import InputError, MissingExtraError
from vdbench.core.io import write_text_atomic
from vdbench.frames.prepare import FramePreparer, video_fps
from vdbench.viewer.load import RunRecord, SampleRecord, load_run
from vdbench.viewer.render import render_page
from vdbench.viewer.thumbs import (
    DEFAULT_FRAMES_PER_VIDEO,
    DEFAULT_THUMB_PX,
    Strip,
    make_strips,
)

FRAME_WORKERS = 4


def prepare_strips(rec: RunRecord, preparer: FramePreparer, thumb_px: int,
                   max_frames_per_video: int) -> dict[str, tuple[Strip, Strip] | str]:
    """Per sample: both strips, or why the frames could not be prepared (a missing video, no
    PyAV, an undecodable file): one sample's failure never stops the page."""

    def one(s: SampleRecord) -> tuple[Strip, Strip] | str:
        try:
            clips = preparer.prepare_pair(with_frame_rates(s.sample, preparer))
            return make_strips(clips, thumb_px, max_frames_per_video)
        except (InputError, MissingExtraError, OSError, ValueError) as exc:
            return str(exc) or type(exc).__name__

    with ThreadPoolExecutor(FRAME_WORKERS) as pool:
        got = list(pool.map(one, rec.samples))
    return {s.sample.sample_key: g for s, g in zip(rec.samples, got)}


def with_frame_rates(sample: Any, preparer: FramePreparer) -> Any:
    """The sample with each video's fps_original read from its file where the benchmark was
    loaded without probing (ViDiC-1K gives 0 then): the same rate `eval` probed, so the
    frames, their times and their cache keys are the run's. InputError when a video has
    none (an image folder, a header without a rate)."""
    if all(v.fps_original > 0 for v in sample.videos):
        return sample
    videos = []
    for v in sample.videos:
        if v.fps_original <= 0:
            fps = video_fps(preparer.resolve(v))
            if not fps or fps <= 0:
                raise InputError(f"{v.path}: no frame rate to sample it by")
            v = dataclasses.replace(v, fps_original=fps)
        videos.append(v)
    return dataclasses.replace(sample, videos=tuple(videos))


def build_view(run: Path, *, cache_dir: Path | None = None, video_root: Path | None = None,
               thumb_px: int = DEFAULT_THUMB_PX,
               max_frames_per_video: int = DEFAULT_FRAMES_PER_VIDEO) -> Path:
    """Write RUN/view/index.html, one self-contained page of the run, and return its path.

    cache_dir: the frame cache (default: $VDBENCH_CACHE or ~/.cache/vdbench, as `eval` uses);
    video_root: where the videos are, when not where the dataset says."""
    if thumb_px < 16:
        raise InputError(f"--thumb-px must be at least 16, got {thumb_px}")
    if max_frames_per_video < 1:
        raise InputError(f"max_frames_per_video must be at least 1, got {max_frames_per_video}")
    run = Path(run)
    rec = load_run(run, cache_dir=cache_dir, video_root=video_root)
    preparer = FramePreparer(rec.frame_spec, resolve_cache_dir(cache_dir),
                             rec.benchmark.video_root)
    strips = prepare_strips(rec, preparer, thumb_px, max_frames_per_video)
    out = run / "view" / "index.html"
    write_text_atomic(out, render_page(rec, strips))
    return out
