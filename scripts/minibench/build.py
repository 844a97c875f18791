"""The samples of the mini benchmark, and main(out_dir), which writes the whole benchmark."""

from __future__ import annotations

import hashlib
import math
import shutil
from pathlib import Path

import numpy as np

from vdbench.data.schema import Difference, Label, Sample, VideoRef, sample_to_row
from vdbench.data.viddiffbench_facts import split_of_action

from . import ballsports, diving, fitness, music, surgery
from .render import first_kept_frame, render
from .spec import FPS, Action, Params
from .write import thumbnail, write_frames, write_mp4, write_parquet, write_readme

SEED = 20250307
ACTIONS = {a.action: a for m in (fitness, ballsports, diving, music, surgery) for a in m.ACTIONS}

# The samples. Roles, one character per difference key of the action:
#   x  labelled a or b (which one is drawn at random); the videos differ in that parameter
#   c  labelled c: both videos use the same value
#   .  annotated but not labelled (gt null); values drawn independently per video
#   -  neither annotated nor labelled (both null); values drawn independently per video
# Options: "hi_fps" renders video b at twice the fps and trims it with step 2;
#          "untrimmed" gives both videos frames_trim [None, None, None].
SAMPLES: list[tuple[str, str, tuple[str, ...]]] = [
    ("fitness_0", "xxxx.-", ()),
    ("fitness_0", "xcxx-.", ("untrimmed",)),
    ("fitness_3", "xxxc.", ()),
    ("fitness_4", "xxcx-", ()),
    ("fitness_6", "xxxx.", ()),
    ("fitness_1", "xxxc.-", ()),
    ("fitness_2", "xxx.-", ()),
    ("ballsports_0", "xxxc-", ()),
    ("ballsports_0", "xcxx.", ("hi_fps",)),
    ("ballsports_1", "xxxx-", ()),
    ("ballsports_2", "xxcx.", ()),
    ("diving_0", "xxxx.-", ()),
    ("diving_0", "xxcx-.", ()),
    ("music_0", "xxxcx-", ()),
    ("music_1", "xxx.-", ()),
    ("surgery_0", "xxxx.-", ()),
    ("surgery_1", "xxc.-", ()),
    ("surgery_2", "xxx.-", ()),
]


def video_params(action: Action, roles: str, labels: list[Label | None],
                 rng: np.random.Generator) -> tuple[Params, Params]:
    """The parameters of videos a and b."""
    p_a: Params = dict(action.base)
    p_b: Params = dict(action.base)
    for diff, role, label in zip(action.diffs, roles, labels):
        if diff.param is None:
            assert role in ".-", f"{action.action}: {diff.name} is not rendered, cannot be labelled"
            continue
        # Only the two endpoint values are used, so counts stay whole and dives end head first.
        ends = (diff.less, diff.more)
        if role == "x":
            p_a[diff.param], p_b[diff.param] = ends[::-1] if label == "a" else ends
        elif role == "c":
            p_a[diff.param] = p_b[diff.param] = ends[int(rng.integers(2))]
        else:
            p_a[diff.param], p_b[diff.param] = (ends[int(rng.integers(2))] for _ in range(2))
    return p_a, p_b


def balanced_labels(rng: np.random.Generator) -> list[list[Label | None]]:
    """a/b for every 'x' role, half a and half b over the whole benchmark, shuffled."""
    n_x = sum(roles.count("x") for _, roles, _ in SAMPLES)
    ab: list[Label] = (["a", "b"] * n_x)[:n_x]
    rng.shuffle(ab)
    it = iter(ab)
    out = []
    for _, roles, _ in SAMPLES:
        out.append([next(it) if r == "x" else "c" if r == "c" else None for r in roles])
    return out


def sample_hash(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1  # int64 > 0


def build_sample(i: int, action: Action, roles: str, labels: list[Label | None],
                 options: tuple[str, ...], rng: np.random.Generator, out: Path) -> Sample:
    """Render and write the two videos of sample i; return its row's content."""
    assert len(roles) == len(action.diffs), f"{action.action}: roles {roles!r}"
    key = f"mini_{i:02d}"
    params = video_params(action, roles, labels, rng)
    retrieval_keys = {str(k): (d.event if label in ("a", "b", "c") else None)
                      for k, (d, label) in enumerate(zip(action.diffs, labels))}
    videos, refs = [], []
    for v, p in zip("ab", params):
        step = 2 if v == "b" and "hi_fps" in options else 1
        fps = FPS[action.domain] * step
        max_pad = int(fps // 2)
        pad = (0, 0) if "untrimmed" in options else (
            int(rng.integers(0, max_pad)), int(rng.integers(0, max_pad)))
        video = render(action, p, fps, step, pad, retrieval_keys)
        rel = f"videos/{action.domain}/{key}_{v}"
        if action.domain == "fitness":
            write_frames(out / rel, video.frames)
        else:
            rel += ".mp4"
            write_mp4(out / rel, video.frames, fps)
        videos.append(video)
        refs.append(VideoRef(path=rel, fps_original=fps, frames_trim=video.trim))

    annotated: dict[str, Difference | None] = {}
    gt: dict[str, Label | None] = {}
    for k, (d, role, label) in enumerate(zip(action.diffs, roles, labels)):
        annotated[str(k)] = None if role == "-" else Difference(
            str(k), d.name, d.description, d.query, d.num_frames)
        gt[str(k)] = label
    n_labelled = sum(label is not None for label in labels)

    split = split_of_action(action.action)
    assert split is not None, action.action
    return Sample(
        sample_key=key,
        videos=(refs[0], refs[1]),
        action=action.action,
        action_name=action.name,
        action_description=action.description,
        source_dataset="vdbench-mini (synthetic)",
        sample_hash=sample_hash(key),
        domain=action.domain,
        split=split,
        n_differences_open_prediction=math.ceil(1.5 * n_labelled),
        differences_annotated=annotated,
        differences_gt=gt,
        retrieval_frames=(videos[0].retrieval, videos[1].retrieval),
        thumbnails=(thumbnail(first_kept_frame(videos[0])), thumbnail(first_kept_frame(videos[1]))),
    )


def main(out: Path) -> int:
    """Write the benchmark into `out` (its data/ and videos/ are replaced)."""
    for sub in ("data", "videos"):
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / "data").mkdir(parents=True)

    rng = np.random.default_rng(SEED)
    labels = balanced_labels(rng)
    rows = []
    for i, ((action_id, roles, options), sample_labels) in enumerate(zip(SAMPLES, labels)):
        sample = build_sample(i, ACTIONS[action_id], roles, sample_labels, options, rng, out)
        rows.append(sample_to_row(sample))
        counts = {x: sample_labels.count(x) for x in ("a", "b", "c")}
        print(f"{sample.sample_key}  {sample.domain:10s} {sample.split:6s} "
              f"{sample.action:12s} {counts}")
    write_parquet(out, rows)
    write_readme(out, rows)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{len(rows)} samples, {size / 1e6:.2f} MB in {out}")
    return 0
