"""Stage 2: the keyframes of each video for each difference.

Modes (the paper's localization ablation):
- clip: segment each video into the proposer's stages (CLIP similarity + Viterbi), then take
  the middle frame of the first linked stage for a single-frame difference, or a window of
  `multiframe_n` frames centred on the linked stages for a multi-frame one;
- random: the same frame counts at seeded random places;
- oracle: the annotated retrieval_frames (closed mode); differences without annotation in a
  video fall back to `clip` there.

Reported frames are frame numbers from the trim start at fps_original, the index space of
retrieval_frames; the frames shown to the differencer are the nearest sampled frames.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

import numpy as np

from vdbench.data.schema import Sample
from vdbench.frames.types import Clip
from vdbench.models.viddiff.config import ViddiffConfig
from vdbench.models.viddiff.embeddings import CachedEmbedder
from vdbench.models.viddiff.proposer import Candidate, Proposal
from vdbench.models.viddiff.segment import Segment, normalize_rows, segment, stage_scores

VIDEOS = ("a", "b")


@dataclass(frozen=True)
class Keyframes:
    positions: tuple[int, ...]  # into clip.frames: what the differencer is shown
    frames: tuple[int, ...]  # reported: frame numbers from the trim start at fps_original


@dataclass
class Localization:
    keyframes: dict[str, dict[str, Keyframes]] = field(default_factory=dict)  # key -> a/b
    segments: dict[str, list[Segment]] = field(default_factory=dict)  # a/b, when computed

    def to_json(self) -> dict:
        return {"segments": {v: [list(s) for s in segs] for v, segs in self.segments.items()},
                "frames": {k: {v: list(kf.frames) for v, kf in pair.items()}
                           for k, pair in self.keyframes.items()}}


def window(centre: int, n: int, step: int, n_frames: int) -> tuple[int, ...]:
    """n positions `step` apart around centre, shifted (and tightened) to fit the clip."""
    n = min(n, n_frames)
    step = max(1, min(step, (n_frames - 1) // max(1, n - 1)))
    first = min(max(0, centre - (n // 2) * step), n_frames - 1 - (n - 1) * step)
    return tuple(first + i * step for i in range(n))


def reported(clip: Clip, positions: tuple[int, ...], fps_original: float) -> tuple[int, ...]:
    # Frame.time_s is (index - trim start) / fps_original, so this recovers index - start.
    return tuple(round(clip.frames[p].time_s * fps_original) for p in positions)


def nearest_positions(clip: Clip, frames: list[int], fps_original: float) -> tuple[int, ...]:
    times = np.array([f.time_s for f in clip.frames])
    return tuple(sorted({int(np.argmin(np.abs(times - g / fps_original))) for g in frames}))


class Localizer:
    def __init__(self, config: ViddiffConfig, embedder: CachedEmbedder | None, seed: int):
        if config.localizer != "random" and embedder is None:
            raise ValueError(f"localizer {config.localizer!r} needs an embedder")
        self.config, self.embedder, self.seed = config, embedder, seed

    def localize(self, sample: Sample, clips: tuple[Clip, Clip], proposal: Proposal
                 ) -> Localization:
        out = Localization()
        for v, clip, ref, annotated in zip(VIDEOS, clips, sample.videos,
                                           sample.retrieval_frames, strict=True):
            for diff in proposal.differences:
                gt = annotated.get(diff.key) if self.config.localizer == "oracle" else None
                if gt:
                    kf = Keyframes(nearest_positions(clip, gt, ref.fps_original), tuple(gt))
                else:
                    positions = self._positions(sample, diff, v, clip, proposal, out)
                    kf = Keyframes(positions, reported(clip, positions, ref.fps_original))
                out.keyframes.setdefault(diff.key, {})[v] = kf
        return out

    def _positions(self, sample: Sample, diff: Candidate, video: str, clip: Clip,
                   proposal: Proposal, out: Localization) -> tuple[int, ...]:
        if self.config.localizer == "random":
            return self._random(sample, diff, video, clip)
        if video not in out.segments:  # computed once per video, only when needed
            out.segments[video] = self._segment(clip, proposal)
        return self._from_segments(diff, clip, proposal, out.segments[video])

    def _step(self, clip: Clip) -> int:
        return max(1, round(self.config.multiframe_sep_s * clip.fps))

    def _segment(self, clip: Clip, proposal: Proposal) -> list[Segment]:
        if len(proposal.stages) == 1:
            return [(0, len(clip))]
        assert self.embedder is not None
        frame_vecs = self.embedder.frames(clip.frames)
        text_vecs = [self.embedder.texts(s.retrieval_strings) for s in proposal.stages]
        probs = normalize_rows(stage_scores(frame_vecs, text_vecs))
        return segment(probs, self.config.stay_probability,
                       reference=self.config.viterbi == "reference")

    def _from_segments(self, diff: Candidate, clip: Clip, proposal: Proposal,
                       segments: list[Segment]) -> tuple[int, ...]:
        linked = [segments[i] for i in proposal.links[diff.key]]
        if diff.num_frames == "1":
            start, end = linked[0]
            return ((start + end - 1) // 2,)
        low, high = min(s for s, _ in linked), max(e for _, e in linked)
        return window((low + high - 1) // 2, self.config.multiframe_n, self._step(clip),
                      len(clip))

    def _random(self, sample: Sample, diff: Candidate, video: str, clip: Clip) -> tuple[int, ...]:
        digest = hashlib.sha256(f"{self.seed}|{sample.sample_key}|{diff.key}|{video}".encode())
        centre = random.Random(digest.digest()).randrange(len(clip))
        if diff.num_frames == "1":
            return (centre,)
        return window(centre, self.config.multiframe_n, self._step(clip), len(clip))
