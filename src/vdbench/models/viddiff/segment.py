"""Left-to-right temporal segmentation of one video into the proposer's stages.

Per-frame stage scores (mean frame-text cosine over a stage's retrieval strings, each stage
min-max normalised over the video, as in the public code) are decoded by Viterbi under a
strict order: the first frame is in the first stage, the last in the last, and each step
either stays or moves to the next stage, so every stage gets at least one frame.
"""

from __future__ import annotations

import numpy as np

Segment = tuple[int, int]  # [start, end) positions in the clip's frames
FLOOR = 1e-5  # a normalised score of 0 would be log(0)


def stage_scores(frame_vecs: np.ndarray, stage_text_vecs: list[np.ndarray]) -> np.ndarray:
    """(n_stages, n_frames): each stage's mean cosine similarity with each frame."""
    return np.stack([(texts @ frame_vecs.T).mean(axis=0) for texts in stage_text_vecs])


def normalize_rows(scores: np.ndarray) -> np.ndarray:
    low = scores.min(axis=1, keepdims=True)
    span = scores.max(axis=1, keepdims=True) - low
    return (scores - low) / np.where(span == 0, 1.0, span)


def viterbi(probs: np.ndarray, stay_probability: float, reference: bool = False) -> list[int]:
    """The most likely stage of each frame; probs is (n_stages, n_frames), n_frames >= n_stages.
    `reference`: the reference's rules, a tie advances to the next stage (so the path moves
    as late as possible) and only exact zeros are floored."""
    n_stages, n_frames = probs.shape
    floored = np.where(probs == 0, FLOOR, probs) if reference else np.clip(probs, FLOOR, 1.0)
    emit = -np.log(floored)
    stay, move = -np.log(stay_probability), -np.log(1.0 - stay_probability)
    cost = np.full((n_stages, n_frames), np.inf)
    moved = np.zeros((n_stages, n_frames), dtype=bool)
    cost[0, 0] = emit[0, 0]
    for t in range(1, n_frames):
        from_same = cost[:, t - 1] + stay
        from_prev = np.concatenate(([np.inf], cost[:-1, t - 1] + move))
        moved[:, t] = (from_prev <= from_same) if reference else (from_prev < from_same)
        cost[:, t] = np.minimum(from_same, from_prev) + emit[:, t]
    path = [n_stages - 1]
    for t in range(n_frames - 1, 0, -1):
        path.append(path[-1] - int(moved[path[-1], t]))
    return path[::-1]


def segment(probs: np.ndarray, stay_probability: float, reference: bool = False
            ) -> list[Segment]:
    """One [start, end) segment per stage, in order, covering the clip."""
    n_stages, n_frames = probs.shape
    if n_frames < n_stages:  # too few frames for one each: spread the stages over them
        return [(j * n_frames // n_stages, j * n_frames // n_stages + 1) for j in range(n_stages)]
    path = np.array(viterbi(probs, stay_probability, reference))
    return [(int(np.argmax(path == j)), int(n_frames - np.argmax(path[::-1] == j)))
            for j in range(n_stages)]
