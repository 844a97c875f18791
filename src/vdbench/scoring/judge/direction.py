"""The offline judge's learned direction decision (docs/judging.md, "The offline judge").

The rules (properties.direction_votes) decide a pair's direction when both statements read
on a common scale, on named alternatives or on scales of one family. When they find only
weak evidence (LEARNED: only a bare "more" or "less" to compare, or nothing but whether one
statement is negated), a logistic model decides instead, over the rule signals
(`rule_features`) and the elementwise products of the all-MiniLM-L6-v2 embeddings of the
two statements and of their direction words (what is left once the property's words are
taken out: "the fingers stay closer to the keys" -> "the stay closer to the"). It was
fitted on all annotated pairs of the development data (train_offline.py); its weights are
in FILE, read on first use. Without the embeddings the rules decide everything.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from vdbench.scoring.judge.properties import Statement, direction_votes

KINDS = ("scale", "family", "amount", "magnitude", "negation")  # direction_votes' kinds
LEARNED = ("amount", "magnitude", "negation")  # decided by the model, not the rules' vote
FILE = Path(__file__).with_name("offline_direction.json")

Embed = Callable[[list[str]], np.ndarray]  # texts -> unit sentence embeddings, one row each


def direction_words(st: Statement) -> str:
    """The words of a statement that are not about its property: its direction words."""
    content = set(st.content)
    return " ".join(w for w in st.canon.split() if w not in content) or "same"


def rule_features(a: Statement, b: Statement) -> np.ndarray:
    kind, vote = direction_votes(a, b)
    return np.array([*(float(kind == k) for k in KINDS), float(np.sign(vote)),
                     float(np.tanh(vote)), a.mod * b.mod, a.mod, b.mod, a.magnitude,
                     b.magnitude, a.magnitude * b.magnitude])


def features(pairs: list[tuple[Statement, Statement]], embed: Embed) -> np.ndarray:
    """One row per (annotated, predicted) pair: rule_features, then the products of the
    embeddings of the statements and of their direction words."""
    if not pairs:
        return np.zeros((0, len(KINDS) + 8 + 2 * 384))
    rules = np.array([rule_features(a, b) for a, b in pairs])
    raw_a, raw_b = embed([a.text for a, _ in pairs]), embed([b.text for _, b in pairs])
    dir_a = embed([direction_words(a) for a, _ in pairs])
    dir_b = embed([direction_words(b) for _, b in pairs])
    return np.hstack([rules, raw_a * raw_b, dir_a * dir_b])


@cache
def weights() -> tuple[np.ndarray, float]:
    data = json.loads(FILE.read_text())
    return np.array(data["weights"], dtype=np.float64), float(data["bias"])


def opposites(pairs: list[tuple[Statement, Statement]], embed: Embed | None,
              model: tuple[np.ndarray, float] | None = None) -> list[bool]:
    """Does each pair's prediction state the reverse of its annotation? The rules' answer,
    or the model's (`model`, default the shipped weights) where the rules find only weak
    evidence and the embeddings are there."""
    out = [direction_votes(a, b) for a, b in pairs]
    flips = [v.vote < 0 for v in out]
    todo = [k for k, v in enumerate(out) if v.kind in LEARNED]
    if embed is None or not todo:
        return flips
    w, bias = model or weights()
    scores = features([pairs[k] for k in todo], embed) @ w + bias
    for k, s in zip(todo, scores):
        flips[k] = bool(s > 0)
    return flips
