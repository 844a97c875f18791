"""The offline judge's word knowledge: morphology, domain terms and the direction lexicon.

It is general knowledge of how the benchmark's five domains describe motion: the domain
terms annotators read by meaning (docs/judging.md), and the scales that differences are
stated on. It was written from the dev half of the gold set and the extra development set
(gold/dev_extra_v1.json), never from the test half. The words, phrases and scales are data,
in FILE (its keys are described in KEYS); this module reads and checks them once, on first
use (`load`), and derives the tables the parser reads.

Direction is read on SCALES: each scale has two ends, each end a list of base words, and
every inflected form of a base word ("high", "higher", "highest", "highly"; "lift",
"lifts", "lifted", "lifting") and, for the words in "negatable", its negative prefix form
("unstable", "uneven", "inconsistent") is generated and placed on the scale. Besides the
adjectives of a scale, a scale has

- nouns that name it ("height", "speed", "splash"): more of the noun is the + end, and
  size words ("a greater height", "the speed is lower") only say how much of it;
- places at its two ends ("locations": fingertips / palm, bridge / fingerboard): "closer to
  the bridge" is the bridge end, "further from the bridge" the other one;
- rewrites of set phrases and domain terms ("rewrites"), applied first, so that "a rip
  entry" reads as "less splash" and "takes more time" as "slower".

Each scale belongs to a family of scales whose ends correspond: straighter goes with
higher, a tighter tuck with closer; two statements worded on different scales of one
family can still be compared, with less confidence than on the same scale. The scales in
"generic_scales" only say how much and are compared last.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

FILE = Path(__file__).with_name("lexicon.json")

# key -> (kind, what it holds); the kinds are checked by _problem
KEYS: dict[str, tuple[str, str]] = {
    "irregular": ("word_map", "inflected forms the stemmer's rules miss -> their base word"),
    "adjectives": ("words", "adjectives whose -er/-est/-ly forms the stemmer folds onto them"),
    "keep": ("words", "words the stemmer leaves as they are"),
    "stop": ("words", "words that carry no property"),
    "generic": ("words", "the performer and the action itself: they tell no property apart"),
    "quality": ("words", "judgements of quality: a statement of only these names no property"),
    "no_direction": ("words", "words of statements that name a property but no direction"),
    "negations": ("words", "words that turn the statement or the next direction word around"),
    "reversers": ("words", "words (by stem) that reverse what follows, besides negations"),
    "intensifiers": ("words", "words that make the next direction word a comparison"),
    "copulas": ("words", "linking verbs, skipped"),
    "rewrites": ("rewrites", "section -> [regex on the lowercased statement, replacement], "
                 "applied in order before anything else"),
    "synonym_groups": ("groups", "stems folded onto the group's first one"),
    "scales": ("scales", "scale -> its family, the family's sign, and base words of each end"),
    "secondary": ("multi_readings", "words that also read on other scales, with less weight"),
    "quality_readings": ("readings", "judgement words that still say which way a statement "
                         "points"),
    "marked": ("words", "the marked (lesser) ends of the scales of size: shorter, lower"),
    "negatable": ("words", "words whose negative prefix forms are the other end of their scale"),
    "negative_prefixes": ("words", "the prefixes of those forms, tried in order"),
    "extra_words": ("readings", "words on no scale of their own, put on the one named"),
    "not_signed": ("words", "words that are not direction words whatever they look like"),
    "scale_nouns": ("readings", "nouns that name a scale: more elevation, less splash"),
    "quantity": ("signs", "size words: with a scale noun they say only how much of it"),
    "locations": ("readings", "places at the two ends of a scale"),
    "location_family": ("word_map", "the scales of places -> their family"),
    "place_prepositions": ("words", "a place word is a place only after one of these"),
    "far": ("words", "words before a place that make it the other end of its scale"),
    "nearness": ("words", "words before a place that say how near, not a distance"),
    "alternatives": ("groups", "the alternatives of one choice (named so by rewrites)"),
    "generic_scales": ("words", "scales that only say how much, compared last"),
    "scale_names": ("word_map", "a plain name for each scale, for the property phrase"),
    "phase_groups": ("groups", "phases of an action, named by the first word"),
}
_ADJECTIVE_DOUBLING = re.compile(r".*[^aeiou][aeiou][bdgmnpt]")


def _is_words(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(w, str) for w in v)


def _is_sign(v: Any) -> bool:
    return type(v) is int and v in (1, -1)


def _is_reading(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 2 and isinstance(v[0], str) and _is_sign(v[1])


def _is_map(v: Any, value_ok: Any) -> bool:
    return isinstance(v, dict) and all(value_ok(x) for x in v.values())


def _is_scale(v: Any) -> bool:
    return (isinstance(v, dict) and set(v) == {"family", "sign", "plus", "minus"}
            and isinstance(v["family"], str) and _is_sign(v["sign"])
            and _is_words(v["plus"]) and _is_words(v["minus"]))


def _problem(kind: str, v: Any) -> str | None:
    """What is wrong with a value of the kind, or None."""
    checks = {
        "words": (_is_words, "a list of words"),
        "groups": (lambda x: isinstance(x, list) and all(_is_words(g) and g for g in x),
                   "a list of non-empty lists of words"),
        "word_map": (lambda x: _is_map(x, lambda y: isinstance(y, str)), "an object of words"),
        "signs": (lambda x: _is_map(x, _is_sign), "an object of 1 or -1"),
        "readings": (lambda x: _is_map(x, _is_reading), "an object of [scale, 1 or -1]"),
        "multi_readings": (lambda x: _is_map(x, lambda y: isinstance(y, list) and all(
            map(_is_reading, y))), "an object of lists of [scale, 1 or -1]"),
        "scales": (lambda x: _is_map(x, _is_scale),
                   "an object of {family, sign: 1 or -1, plus: [words], minus: [words]}"),
        "rewrites": (lambda x: _is_map(x, lambda y: isinstance(y, list) and all(
            _is_words(p) and len(p) == 2 for p in y)),
            "an object of lists of [regex, replacement]"),
    }
    ok, expected = checks[kind]
    if not ok(v):
        return f"expected {expected}"
    if kind == "rewrites":
        for section, pairs in v.items():
            for i, (pattern, _) in enumerate(pairs):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    return f"{section!r} #{i}: the regex {pattern!r} does not compile: {exc}"
    return None


def _problems(raw: Any) -> list[str]:
    if not isinstance(raw, dict):
        return ["the file must hold one JSON object"]
    out = [f"key {k!r} is missing" for k in KEYS if k not in raw]
    out += [f"key {k!r} is not known (known: {', '.join(KEYS)})" for k in raw if k not in KEYS]
    for key, (kind, _) in KEYS.items():
        problem = _problem(kind, raw[key]) if key in raw else None
        if problem:
            out.append(f"key {key!r}: {problem}")
    if out:
        return out
    known = set(raw["scales"]) | set(raw["location_family"])
    used = {k: {r[0] for r in raw[k].values()} for k in
            ("quality_readings", "extra_words", "scale_nouns", "locations")}
    used["secondary"] = {r[0] for rs in raw["secondary"].values() for r in rs}
    used["generic_scales"] = set(raw["generic_scales"])
    out += [f"key {k!r}: unknown scale {s!r}" for k, scales in used.items()
            for s in sorted(scales - known)]
    out += [f"key 'scale_names': scale {s!r} has no name" for s in sorted(known)
            if s not in raw["scale_names"]]
    return out


@dataclass(frozen=True)
class Stemmer:
    """A small, consistent stemmer: the same stem for the forms a statement uses."""

    irregular: Mapping[str, str]
    forms: Mapping[str, str]  # adjectives' -er/-est/-ly forms -> the adjective
    keep: frozenset[str]

    @staticmethod
    def of(irregular: dict[str, str], adjectives: list[str], keep: list[str]) -> Stemmer:
        forms: dict[str, str] = {}
        for a in adjectives:
            cands = {a + "er", a + "est", a + "ly", a + "r", a + "st"}
            if a.endswith("e"):
                cands |= {a + "r", a + "st", a[:-1] + "y" if a.endswith("le") else a + "ly"}
            if a.endswith("y"):
                cands |= {a[:-1] + "ier", a[:-1] + "iest", a[:-1] + "ily"}
            if _ADJECTIVE_DOUBLING.fullmatch(a):
                cands |= {a + a[-1] + "er", a + a[-1] + "est"}
            for c in cands:
                forms.setdefault(c, a)
            forms[a] = a
        forms.pop("lat", None)
        return Stemmer(irregular, forms, frozenset(keep))

    def __call__(self, word: str) -> str:
        w = word.lower()
        if w in self.irregular:
            return self.irregular[w]
        if w in self.forms:
            return self.forms[w]
        if w in self.keep or len(w) <= 3:
            return w
        base = w
        if w.endswith("ies") and len(w) > 4:
            base = w[:-3] + "y"
        elif w.endswith("ied") and len(w) > 4:
            base = w[:-3] + "y"
        elif w.endswith("ing") and len(w) > 5:
            base = w[:-3]
        elif w.endswith("ed") and len(w) > 4:
            base = w[:-2]
        elif w.endswith(("ches", "shes", "sses", "xes", "zes")):
            base = w[:-2]
        elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
            base = w[:-1]
        if base in self.forms:
            return self.forms[base]
        if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "aeiouls":
            base = base[:-1]
        if len(base) >= 4 and base.endswith("e"):
            base = base[:-1]
        return self.forms.get(base, base)


def inflections(word: str) -> set[str]:
    """The inflected forms of a base word (verb, adjective or noun), real or not: only the
    ones a statement uses are ever looked up."""
    w = word
    out = {w, w + "s", w + "es", w + "ed", w + "ing", w + "er", w + "est", w + "ly",
           w + "ness"}
    if w.endswith("e"):
        out |= {w + "d", w + "r", w + "st", w[:-1] + "ing", w[:-1] + "y" if w.endswith("le")
                else w + "ly", w[:-1] + "ily"}
    if w.endswith("y") and len(w) > 2 and w[-2] not in "aeiou":
        out |= {w[:-1] + s for s in ("ies", "ied", "ier", "iest", "ily", "iness")}
    if w.endswith("ic"):
        out.add(w + "ally")
    if not w.endswith(("e", "y", "en")):  # straighten, tighten, lengthen, flatten
        stems = [w + w[-1]] if _ADJECTIVE_DOUBLING.fullmatch(w) else [w]
        out |= {x + s for x in stems for s in ("en", "ens", "ened", "ening")}
    elif w.endswith("e"):  # widen
        out |= {w + s for s in ("n", "ns", "ned", "ning")}
    if _ADJECTIVE_DOUBLING.fullmatch(w) and len(w) <= 5:
        out |= {w + w[-1] + s for s in ("ed", "ing", "er", "est")}
    return out


ScaleEnd = tuple[str, int]  # (scale, the end of it a word names: 1 or -1)


class Family(NamedTuple):
    """The family a scale belongs to, and whether its + end is the family's + end."""

    name: str
    sign: int


class SignedWord(NamedTuple):
    """One scale a direction word reads on."""

    scale: str
    sign: int  # the end of the scale the word names
    primary: bool  # the word's main meaning, not a second one


@dataclass(frozen=True)
class Lexicon:
    """The lexicon as the parser reads it: word sets hold both the words and their stems
    where the parser looks up either."""

    digest: str  # of the data as read (whitespace aside): part of the judge's identity
    stem: Stemmer
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    stop: frozenset[str]  # words that carry no property
    ignored: frozenset[str]  # stop and generic words and their stems
    quality: frozenset[str]
    quality_readings: Mapping[str, ScaleEnd]
    no_direction: frozenset[str]
    negations: frozenset[str]
    reversers: frozenset[str]
    intensifiers: frozenset[str]
    copulas: frozenset[str]
    synonyms: Mapping[str, str]  # stem -> the concept it is folded onto
    signed: Mapping[str, list[SignedWord]]  # stem -> the scales it reads on, main one first
    scale_nouns: Mapping[str, ScaleEnd]
    quantity: Mapping[str, int]
    family: Mapping[str, Family]  # scale -> its family
    generic_scales: frozenset[str]
    scale_names: Mapping[str, str]
    marked: frozenset[str]
    locations: Mapping[str, ScaleEnd]
    place_prepositions: frozenset[str]
    far: frozenset[str]
    nearness: frozenset[str]
    alternative: Mapping[str, int]  # word -> its group in "alternatives"
    phases: Mapping[str, str]  # stem -> the phase it names

    def rewrite(self, text: str) -> str:
        out = text.lower().replace("’", "'").strip().rstrip(".")
        for pattern, repl in self.rewrites:
            out = pattern.sub(repl, out)
        return out.strip()


def _folded(groups: list[list[str]], stem: Stemmer) -> dict[str, str]:
    out: dict[str, str] = {}
    for words in groups:
        for w in words:
            out.setdefault(stem(w), stem(words[0]))
    return out


def _signed(raw: dict[str, Any], stem: Stemmer) -> dict[str, list[SignedWord]]:
    """Stem -> the scales it reads on, from scales, secondary, negatable, extra_words."""
    out: dict[str, list[SignedWord]] = {}

    def put(word: str, scale: str, sign: int, primary: bool) -> None:
        for form in inflections(word):
            readings = out.setdefault(stem(form), [])
            if all(s != scale for s, _, _ in readings):
                readings.append(SignedWord(scale, sign, primary))

    for scale, spec in raw["scales"].items():
        for words, sign in ((spec["plus"], 1), (spec["minus"], -1)):
            for w in words:
                put(w, scale, sign, True)
    for w, (scale, sign) in raw["extra_words"].items():
        put(w, scale, sign, True)
    for w, pairs in raw["secondary"].items():
        for scale, sign in pairs:
            put(w, scale, sign, False)
    for w in raw["negatable"]:
        primary = out.get(stem(w), [])
        for prefix in raw["negative_prefixes"]:
            for form in inflections(w):
                key = stem(prefix + form)
                if key not in out:
                    out[key] = [SignedWord(s, -sign, p) for s, sign, p in primary]
    for w in raw["not_signed"]:
        out.pop(stem(w), None)
    return out


def _build(raw: dict[str, Any], digest: str) -> Lexicon:
    stem = Stemmer.of(raw["irregular"], raw["adjectives"], raw["keep"])

    def stems(key: str) -> frozenset[str]:
        return frozenset(stem(w) for w in raw[key])

    def by_stem(key: str) -> dict[str, Any]:
        return {stem(w): tuple(v) if isinstance(v, list) else v for w, v in raw[key].items()}

    family = {scale: Family(s["family"], s["sign"]) for scale, s in raw["scales"].items()}
    family.update({scale: Family(fam, 1) for scale, fam in raw["location_family"].items()})
    return Lexicon(
        digest=digest, stem=stem,
        rewrites=tuple((re.compile(p), r) for pairs in raw["rewrites"].values()
                       for p, r in pairs),
        stop=frozenset(raw["stop"]),
        ignored=frozenset(raw["stop"]) | stems("stop") | frozenset(raw["generic"])
        | stems("generic"),
        quality=frozenset(raw["quality"]) | stems("quality"),
        quality_readings=by_stem("quality_readings"), no_direction=stems("no_direction"),
        negations=frozenset(raw["negations"]), reversers=stems("reversers"),
        intensifiers=stems("intensifiers"), copulas=frozenset(raw["copulas"]),
        synonyms=_folded(raw["synonym_groups"], stem), signed=_signed(raw, stem),
        scale_nouns=by_stem("scale_nouns"), quantity=by_stem("quantity"), family=family,
        generic_scales=frozenset(raw["generic_scales"]), scale_names=raw["scale_names"],
        marked=frozenset(raw["marked"]) | stems("marked"), locations=by_stem("locations"),
        place_prepositions=frozenset(raw["place_prepositions"]), far=stems("far"),
        nearness=stems("nearness"),
        alternative={w: k for k, group in enumerate(raw["alternatives"]) for w in group},
        phases=_folded(raw["phase_groups"], stem))


@cache
def read(path: Path) -> Lexicon:
    """The lexicon in a data file, checked: a broken file is a RuntimeError that names the
    file and the key."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"cannot read the offline judge's lexicon {path}: {exc}") from exc
    problems = _problems(raw)
    if problems:
        raise RuntimeError(f"the offline judge's lexicon {path} is broken:\n"
                           + "\n".join(f"  - {p}" for p in problems))
    canonical = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    return _build(raw, hashlib.sha256(canonical.encode()).hexdigest())


def load() -> Lexicon:
    """The shipped lexicon (FILE), read on first use."""
    return read(FILE)


def stem(word: str) -> str:
    return load().stem(word)


def rewrite(text: str) -> str:
    """The statement in plain words: lowercased, set phrases and domain terms rewritten."""
    return load().rewrite(text)
