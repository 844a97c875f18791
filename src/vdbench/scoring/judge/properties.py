"""A statement about one video, read as the property it is about and the direction it states.

    "the hips drop lower at the bottom"  -> about {hip, bottom}; height -1 (lower)
    "the knees are not bent as much"     -> about {knee}; extension -1 (bent), negated
    "the player gets more elevation"     -> about {}; height +1 (the noun, "more" of it)
    "the bow drifts toward the fingerboard" -> about {bow}; bowpos -1 (the fingerboard end)

`Statement.parse` rewrites set phrases and domain terms ("rewrites" in lexicon.json), stems
the words, and reads the direction words on their scales (lexicon.Lexicon: signed,
scale_nouns, locations, alternative) together with the negations and reversers ("not",
"less", "fewer", "barely") that turn the statement around. What is left once the direction
words are taken out is what the statement is about: its `prop` phrase (the direction words
replaced by the names of their scales, so that "higher" and "lower" read alike) and its
content words.

`opposite(a, b)` compares two statements about the same property: on the scales both use,
then on the alternatives of one choice, then on scales of one family, then on how much;
when the two share nothing to compare, only whether exactly one of them is negated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from vdbench.scoring.judge.lexicon import Lexicon, load

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|\d+")
_LINKS = {"is", "are", "was", "were", "be", "been", "the", "a", "an", "its", "their", "his",
          "her", "much", "even", "far", "slightly", "somewhat", "noticeably", "clearly"}
SECONDARY_WEIGHT = 0.5
FAMILY_WEIGHT = 0.5
SHARED_WORD_WEIGHT = 0.25  # a direction word both statements use is context, not contrast


@dataclass(frozen=True)
class Reading:
    scale: str
    sign: int  # the end of the scale the statement names, before negations
    weight: float  # 2 for a comparison ("higher", "more bent"), 1 otherwise; less if secondary
    sources: frozenset[str] = frozenset()  # the stems it was read from
    quality: bool = False  # read from a judgement word only ("smoother")
    primary: bool = True  # read as a word's main meaning, not a second one


class Signed(NamedTuple):
    """A statement's reading on one scale or family, negations applied."""

    sign: int
    weight: float
    sources: frozenset[str]


class Votes(NamedTuple):
    """What decides a pair's direction (direction.KINDS), and the vote: < 0 is reverse."""

    kind: str
    vote: float


@dataclass(frozen=True)
class Statement:
    text: str
    canon: str  # the statement in plain words (domain terms spelled out)
    concepts: frozenset[str]  # what it is about: folded stems, "~family" for direction words
    readings: tuple[Reading, ...]  # one per scale
    alternatives: tuple[tuple[int, str], ...]  # (ALTERNATIVES group, member)
    mod: int  # -1 when negated an odd number of times with no direction word to negate
    magnitude: int  # -1 when the main direction word is the marked end ("shorter", "less")
    phases: frozenset[str]
    quality: frozenset[str]  # judgement words ("better", "more elegant")
    vague: bool  # names no property: only judgements, or no direction at all
    prop: str  # the property phrase: the statement with its direction words neutralized
    content: tuple[str, ...]  # the words that say what it is about

    @property
    def families(self) -> frozenset[str]:
        lex = load()
        return frozenset(lex.family[r.scale].name for r in self.readings
                         if r.scale not in lex.generic_scales and not r.quality)

    def signed(self) -> dict[str, Signed]:
        """Scale -> its reading with the statement's negations applied."""
        return {r.scale: Signed(r.sign * self.mod, r.weight, r.sources) for r in self.readings}

    @staticmethod
    @lru_cache(maxsize=8192)
    def parse(text: str) -> Statement:
        return _parse(text)


def _after_preposition(words: list[str], i: int) -> bool:
    """Is words[i] the object of a place preposition ("on the finger tips", "nearer its tip")?"""
    lex = load()
    for j in range(i - 1, max(-1, i - 4), -1):
        if words[j] in lex.place_prepositions:
            return True
        if words[j] not in ("the", "its", "their", "his", "her", "a", "finger", "flat",
                            "needle", "tail", "outer", "very"):
            return False
    return False


def _quantity_of_noun(stems: list[str], i: int, nouns: set[int]) -> bool:
    """Does the size word at i say how much of a scale noun there is: "a greater height",
    "more elevation", "the speed is lower"?"""
    lex = load()
    for j in (i + 1, i + 2):
        if j in nouns:
            return True
        if j < len(stems) and stems[j] not in _LINKS:
            break
    for j in range(i - 1, max(-1, i - 4), -1):
        if j in nouns:
            return True
        if stems[j] not in _LINKS and stems[j] not in lex.copulas:
            break
    return False


@dataclass(slots=True)
class WordReading:
    """One direction word read on one scale, before the readings are summed per scale."""

    position: int  # of the word in the statement
    scale: str
    sign: int  # the end of the scale, turned around by the negations that cover the word
    weight: float  # 2 for a comparison, 1 otherwise; less if secondary
    quality: bool = False  # read from a judgement word ("smoother")
    primary: bool = True  # the word's main meaning, not a second one


@dataclass(frozen=True, slots=True)
class NounReading:
    """A scale noun ("height", "splash"), read only where no direction word reads its scale."""

    position: int
    scale: str
    sign: int


@dataclass(slots=True)
class _ScaleTally:
    total: float = 0.0  # the signed weights summed
    weight: float = 0.0  # the largest weight
    sources: set[str] = field(default_factory=set)
    quality: bool = True  # every reading is from a judgement word
    primary: bool = False  # some reading is a word's main meaning


@dataclass(slots=True)
class _FamilyTally:
    total: float = 0.0
    weight: float = 0.0
    sources: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Reader:
    """The state of one left-to-right reading of a statement's words."""

    lex: Lexicon
    words: list[str]
    stems: list[str]
    nouns: set[int]  # positions of scale nouns
    trailing: bool  # the statement ends in "more", "less", "fewer", "more often"
    found: list[WordReading] = field(default_factory=list)
    noun_found: list[NounReading] = field(default_factory=list)
    quantity: int = 1
    mod: int = 1
    quality: set[str] = field(default_factory=set)
    concepts: set[str] = field(default_factory=set)
    content: list[str] = field(default_factory=list)
    prop: list[str] = field(default_factory=list)
    alternatives: list[tuple[int, str]] = field(default_factory=list)
    undirected: bool = False
    compares: bool = False
    boost: int = -1  # the position up to which an intensifier makes a direction word comparative
    signed_at: set[int] = field(default_factory=set)
    pending: bool = False  # a negation waiting for the direction word it negates
    negating: bool = False  # inside the run of direction words a negation covers

    @classmethod
    def of(cls, canon: str) -> _Reader:
        lex = load()
        words = _TOKEN.findall(canon)
        stems = [lex.stem(w) for w in words]
        nouns = {i for i, s in enumerate(stems) if s in lex.scale_nouns}
        trailing = bool(stems) and stems[-1] in ("more", "less", "few") or len(stems) > 1 and (
            stems[-2] in ("more", "less") and stems[-1] in ("frequent", "often"))
        return cls(lex, words, stems, nouns, trailing)

    def boost_previous(self, i: int, flip: bool = False) -> bool:
        """Make the direction word before i comparative ("bent more"), reversed if `flip`
        ("bent less"); False when the word before i is no direction word."""
        if i - 1 not in self.signed_at:
            return False
        for f in self.found:
            if f.position == i - 1:
                f.weight = f.weight * 2 if f.weight < 2 else f.weight
                f.sign = -f.sign if flip else f.sign
        return True

    def add(self, reading: WordReading, negated: bool) -> None:
        """Record a reading, turned around if a negation covers it."""
        if negated:
            reading.sign = -reading.sign
        self.found.append(reading)

    def read(self, i: int) -> None:
        lex, w, s = self.lex, self.words[i], self.stems[i]
        nxt = self.stems[i + 1] if i + 1 < len(self.stems) else ""
        plural_next = (i + 1 < len(self.words) and self.words[i + 1].endswith("s")
                       and nxt not in lex.ignored and nxt not in lex.signed
                       and nxt not in lex.scale_nouns)
        if w in lex.negations or s in lex.reversers:
            self.compares = True
            self.reverser(i, s, nxt, plural_next)
            return
        negated = self.pending or self.negating
        if (s in lex.intensifiers and (s in ("more", "much") or nxt in lex.signed
                                       or nxt in lex.locations)
                and self.intensifier(i, s, nxt, plural_next)):
            return
        if s in lex.quality and s not in lex.signed:
            self.judgement(i, w, s, negated)
        elif s in lex.no_direction:
            self.undirected = True
        elif w in lex.alternative:
            self.alternative(w)
        elif s in lex.locations and _after_preposition(self.words, i):
            self.location(i, w, s, negated)
        elif s in lex.ignored:
            pass
        elif (s in lex.quantity and s not in lex.scale_nouns
              and _quantity_of_noun(self.stems, i, self.nouns)):
            self.quantity *= lex.quantity[s]
            self.compares = True
        elif s in lex.scale_nouns:
            self.scale_noun(i, w, s)
        elif s in lex.copulas and nxt not in ("at", "on"):
            pass
        elif lex.signed.get(s):
            self.direction_word(i, w, s, negated)
        else:
            self.content_word(w, s)

    def reverser(self, i: int, s: str, nxt: str, plural_next: bool) -> None:
        """A negation ("not") or a reverser ("less", "fewer", "barely")."""
        lex = self.lex
        if s not in ("less", "few"):
            self.pending = not self.pending
        elif nxt not in lex.signed and self.boost_previous(i, flip=True):  # "bent less"
            pass
        elif _quantity_of_noun(self.stems, i, self.nouns):  # "less splash"
            self.quantity = -self.quantity
        elif nxt in lex.signed:  # "less bent"
            self.boost = i + 2
            self.pending = not self.pending
        elif plural_next:
            self.found.append(WordReading(i, "count", -1, 2.0))  # "fewer somersaults"
        elif not any(x in lex.signed for x in self.stems[i + 1:i + 3]):
            self.found.append(WordReading(i, "amount", -1, 2.0))  # "moves less"
        else:
            self.pending = not self.pending

    def intensifier(self, i: int, s: str, nxt: str, plural_next: bool) -> bool:
        """An intensifier ("more", "much", "further") before a direction word or a place;
        False when the word is still to be read as something else."""
        lex = self.lex
        self.compares = True
        if s in ("more", "much") and nxt not in lex.signed and self.boost_previous(i):
            return True  # "bent more"
        if nxt in lex.quality and nxt not in lex.signed:  # "more controlled": a judgement
            self.boost = i + 2
            return True
        if s == "more" and _quantity_of_noun(self.stems, i, self.nouns):
            return True
        if nxt in lex.signed:
            self.boost = i + 2
            return True
        if s == "more":
            if plural_next:
                self.found.append(WordReading(i, "count", 1, 2.0))  # "more somersaults"
            elif not any(x in lex.signed for x in self.stems[i + 1:i + 3]):
                self.found.append(WordReading(i, "amount", 1, 2.0))  # "the arms swing more"
            return True
        return s == "much"

    def comparative(self, i: int, w: str, s: str) -> bool:
        return w != s and w.endswith(("er", "ier")) or i <= self.boost or self.trailing

    def judgement(self, i: int, w: str, s: str, negated: bool) -> None:
        self.quality.add(s)
        if s in self.lex.quality_readings:
            scale, sign = self.lex.quality_readings[s]
            weight = 2.0 if self.comparative(i, w, s) else 1.0
            self.add(WordReading(i, scale, sign, weight, quality=True), negated)
            self.signed_at.add(i)
            self.pending = False

    def alternative(self, w: str) -> None:
        if self.pending:  # "not with the laces": the statement as a whole is negated
            self.mod, self.pending = -self.mod, False
        group = self.lex.alternative[w]
        self.alternatives.append((group, w))
        self.concepts.add(f"~alt{group}")
        self.prop.append("choice")

    def location(self, i: int, w: str, s: str, negated: bool) -> None:
        """A place at one end of a scale ("closer to the bridge")."""
        lex, stems = self.lex, self.stems
        scale, sign = lex.locations[s]
        window = range(max(0, i - 4), i)
        if any(stems[j] in lex.far for j in window):
            sign = -sign
        near = {j for j in window if stems[j] in lex.nearness}
        self.found = [f for f in self.found if f.position not in near]  # "closer to" is no distance
        comparative = self.trailing or any(stems[j] in ("more", "less", "far") or (
            self.words[j].endswith(("er", "ier")) and j in near) for j in window)
        self.add(WordReading(i, scale, sign, 2.0 if comparative else 1.0), negated)
        self.pending = False
        self.concepts.add(f"~{lex.family[scale].name}")
        self.prop.extend([w, lex.scale_names[scale]])

    def scale_noun(self, i: int, w: str, s: str) -> None:
        scale, sign = self.lex.scale_nouns[s]
        self.noun_found.append(NounReading(i, scale, -sign if self.pending else sign))
        self.pending = False
        self.concepts.add(f"~{self.lex.family[scale].name}")
        self.prop.append(self.lex.scale_names[scale] or w)

    def direction_word(self, i: int, w: str, s: str, negated: bool) -> None:
        lex = self.lex
        comparative = self.comparative(i, w, s) or w.endswith("est")
        self.compares = self.compares or comparative
        base = 2.0 if comparative else 1.0
        word_readings = lex.signed[s]
        for scale, sign, primary in word_readings:
            weight = base if primary else base * SECONDARY_WEIGHT
            self.add(WordReading(i, scale, sign, weight, primary=primary), negated)
        self.signed_at.add(i)
        self.negating = negated
        self.pending = False
        head = word_readings[0].scale
        self.concepts.add(f"~{lex.family[head].name}")
        name = lex.scale_names[head]
        if name and name not in self.prop:
            self.prop.append(name)

    def content_word(self, w: str, s: str) -> None:
        self.negating = False
        self.concepts.add(self.lex.synonyms.get(s, s))
        self.content.append(w)
        self.prop.append(w)

    def finish(self) -> None:
        """Negate the statement for a negation left over, and read the scale nouns no
        direction word reads ("the pace is slower": the adjective says which way)."""
        if self.pending:  # "no finger rests on the body": nothing to negate but the statement
            self.mod = -self.mod
        weight = 2.0 if self.quantity != 1 or self.compares or self.trailing else 1.0
        worded = {f.scale for f in self.found}
        for noun in self.noun_found:
            if noun.scale not in worded:
                self.found.append(WordReading(noun.position, noun.scale,
                                              noun.sign * self.quantity, weight))

    def readings(self) -> tuple[Reading, ...]:
        """The word readings summed per scale; a scale whose readings cancel out is none."""
        per_scale: dict[str, _ScaleTally] = {}
        for f in self.found:
            tally = per_scale.setdefault(f.scale, _ScaleTally())
            tally.total += f.sign * f.weight
            tally.weight = max(tally.weight, f.weight)
            tally.sources.add(self.stems[f.position])
            tally.quality = tally.quality and f.quality
            tally.primary = tally.primary or f.primary
        return tuple(Reading(scale, 1 if t.total > 0 else -1, t.weight, frozenset(t.sources),
                             t.quality, t.primary)
                     for scale, t in per_scale.items() if t.total)

    def magnitude(self) -> int:
        """-1 when the weightiest specific direction word is the marked end ("shorter")."""
        lex = self.lex
        main = max((f for f in self.found if f.scale not in lex.generic_scales),
                   key=lambda f: f.weight, default=None)
        marked = main is not None and (self.words[main.position] in lex.marked
                                       or self.stems[main.position] in lex.marked)
        return -1 if marked else 1


def _parse(text: str) -> Statement:
    lex = load()
    canon = lex.rewrite(text)
    r = _Reader.of(canon)
    for i in range(len(r.words)):
        r.read(i)
    r.finish()
    readings = r.readings()
    phases = frozenset(lex.phases[s] for s in r.stems if s in lex.phases)
    named = any(not x.quality for x in readings) or bool(r.alternatives)
    vague = (bool(r.quality) and not named) or (r.undirected and not r.compares)
    return Statement(
        text=text, canon=canon, concepts=frozenset(r.concepts), readings=readings,
        alternatives=tuple(r.alternatives), mod=r.mod, magnitude=r.magnitude(), phases=phases,
        quality=frozenset(r.quality), vague=vague, prop=" ".join(r.prop) or canon,
        content=tuple(r.content))


def _vote(a: dict[str, Signed], b: dict[str, Signed]) -> float:
    total = 0.0
    for k, x in a.items():
        if k in b:
            y = b[k]
            shared = SHARED_WORD_WEIGHT if x.sources & y.sources else 1.0
            total += x.weight * y.weight * x.sign * y.sign * shared
    return total


def _families(st: Statement) -> dict[str, Signed]:
    """Family -> the statement's readings summed on the family's axis."""
    lex = load()
    sums: dict[str, _FamilyTally] = {}
    for r in st.readings:
        if r.scale in lex.generic_scales:
            continue
        family = lex.family[r.scale]
        tally = sums.setdefault(family.name, _FamilyTally())
        tally.total += r.sign * family.sign * st.mod * r.weight
        tally.weight = max(tally.weight, r.weight)
        tally.sources = tally.sources | r.sources
    return {f: Signed(1 if t.total > 0 else -1, t.weight, t.sources)
            for f, t in sums.items() if t.total}


def direction_votes(a: Statement, b: Statement) -> Votes:
    """What decides whether `b` states the reverse of `a`, and the vote (< 0: reverse)."""
    lex = load()
    sa, sb = a.signed(), b.signed()
    specific = {k: v for k, v in sa.items() if k not in lex.generic_scales}
    votes = _vote(specific, sb)
    alt_a, alt_b = dict(a.alternatives), dict(b.alternatives)
    for group, member in alt_a.items():
        if group in alt_b:
            votes += 4.0 * a.mod * b.mod * (1 if alt_b[group] == member else -1)
    if votes:
        return Votes("scale", votes)
    fa, fb = _families(a), _families(b)
    shared = set(fa) & set(fb)
    if shared:
        votes = FAMILY_WEIGHT * _vote({k: v for k, v in fa.items() if k in shared}, fb)
        if votes:
            return Votes("family", votes)
    generic_a = [v.sign * v.weight for k, v in sa.items() if k in lex.generic_scales]
    generic_b = [v.sign * v.weight for k, v in sb.items() if k in lex.generic_scales]
    if generic_a and generic_b and sum(generic_a) * sum(generic_b):
        return Votes("amount", sum(generic_a) * sum(generic_b))
    # one says only "more" or "less", the other names an end: "less bow" / "shorter strokes"
    if generic_a and not generic_b and len(sb) and sum(generic_a):
        return Votes("magnitude", sum(generic_a) * b.magnitude * b.mod)
    if generic_b and not generic_a and len(sa) and sum(generic_b):
        return Votes("magnitude", sum(generic_b) * a.magnitude * a.mod)
    return Votes("negation", float(a.mod * b.mod))


def opposite(a: Statement, b: Statement) -> bool:
    """Does `b` state the reverse direction of `a`?"""
    return direction_votes(a, b).vote < 0
