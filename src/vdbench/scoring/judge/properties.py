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
from dataclasses import dataclass
from functools import lru_cache

from vdbench.scoring.judge.lexicon import load

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
        return frozenset(lex.family[r.scale][0] for r in self.readings
                         if r.scale not in lex.generic_scales and not r.quality)

    def signed(self) -> dict[str, tuple[int, float, frozenset[str]]]:
        """Scale -> (sign with negations applied, weight, source stems)."""
        return {r.scale: (r.sign * self.mod, r.weight, r.sources) for r in self.readings}

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


def _parse(text: str) -> Statement:
    lex = load()
    canon = lex.rewrite(text)
    words = _TOKEN.findall(canon)
    stems = [lex.stem(w) for w in words]
    nouns = {i for i, s in enumerate(stems) if s in lex.scale_nouns}
    trailing = bool(stems) and stems[-1] in ("more", "less", "few") or len(stems) > 1 and (
        stems[-2] in ("more", "less") and stems[-1] in ("frequent", "often"))
    # [position, scale, sign, weight, from a judgement word, primary reading]
    found: list[list] = []
    noun_found: list[tuple[int, str, int]] = []
    quantity = 1
    mod = 1
    quality: set[str] = set()
    concepts: set[str] = set()
    content: list[str] = []
    prop: list[str] = []
    alternatives: list[tuple[int, str]] = []
    undirected = False
    compares = False
    boost = -1  # the position up to which an intensifier makes a direction word comparative
    signed_at: set[int] = set()
    pending = False  # a negation waiting for the direction word it negates

    def boost_previous(i: int, flip: bool = False) -> bool:
        if i - 1 not in signed_at:
            return False
        for f in found:
            if f[0] == i - 1:
                f[3] = f[3] * 2 if f[3] < 2 else f[3]
                f[2] = -f[2] if flip else f[2]
        return True

    def add(entry: list, negated: bool) -> None:
        """Record a reading, turned around if a negation covers it."""
        if negated:
            entry[2] = -entry[2]
        found.append(entry)

    negating = False  # inside the run of direction words a negation covers

    for i, (w, s) in enumerate(zip(words, stems)):
        nxt = stems[i + 1] if i + 1 < len(stems) else ""
        plural_next = (i + 1 < len(words) and words[i + 1].endswith("s") and nxt not in lex.ignored
                       and nxt not in lex.signed and nxt not in lex.scale_nouns)
        if w in lex.negations or s in lex.reversers:
            compares = True
            if s in ("less", "few"):
                if nxt not in lex.signed and boost_previous(i, flip=True):  # "bent less"
                    continue
                if _quantity_of_noun(stems, i, nouns):  # "less splash"
                    quantity = -quantity
                    continue
                if nxt in lex.signed:  # "less bent"
                    boost = i + 2
                    pending = not pending
                elif plural_next:
                    found.append([i, "count", -1, 2.0, False, True])  # "fewer somersaults"
                elif not any(x in lex.signed for x in stems[i + 1:i + 3]):
                    found.append([i, "amount", -1, 2.0, False, True])  # "moves less"
                else:
                    pending = not pending
                continue
            pending = not pending
            continue
        negated = pending or negating
        if s in lex.intensifiers and (s in ("more", "much") or nxt in lex.signed
                                      or nxt in lex.locations):
            compares = True
            if s in ("more", "much") and nxt not in lex.signed and boost_previous(i):  # "bent more"
                continue
            if nxt in lex.quality and nxt not in lex.signed:  # "more controlled": a judgement
                boost = i + 2
                continue
            if s == "more" and _quantity_of_noun(stems, i, nouns):
                continue
            if nxt in lex.signed:
                boost = i + 2
                continue
            if s == "more":
                if plural_next:
                    found.append([i, "count", 1, 2.0, False, True])  # "more somersaults"
                elif not any(x in lex.signed for x in stems[i + 1:i + 3]):
                    found.append([i, "amount", 1, 2.0, False, True])  # "the arms swing more"
                continue
            if s == "much":
                continue
        if s in lex.quality and s not in lex.signed:
            quality.add(s)
            if s in lex.quality_readings:
                scale, sign = lex.quality_readings[s]
                comparative = w != s and w.endswith(("er", "ier")) or i <= boost or trailing
                add([i, scale, sign, 2.0 if comparative else 1.0, True, True], negated)
                signed_at.add(i)
                pending = False
            continue
        if s in lex.no_direction:
            undirected = True
            continue
        if w in lex.alternative:
            if pending:  # "not with the laces": the statement as a whole is negated
                mod, pending = -mod, False
            alternatives.append((lex.alternative[w], w))
            concepts.add(f"~alt{lex.alternative[w]}")
            prop.append("choice")
            continue
        if s in lex.locations and _after_preposition(words, i):
            scale, sign = lex.locations[s]
            window = range(max(0, i - 4), i)
            if any(stems[j] in lex.far for j in window):
                sign = -sign
            near = {j for j in window if stems[j] in lex.nearness}
            found[:] = [f for f in found if f[0] not in near]  # "closer to" is not a distance
            comparative = trailing or any(stems[j] in ("more", "less", "far") or (
                words[j].endswith(("er", "ier")) and j in near) for j in window)
            add([i, scale, sign, 2.0 if comparative else 1.0, False, True], negated)
            pending = False
            concepts.add(f"~{lex.family[scale][0]}")
            prop.extend([w, lex.scale_names[scale]])
            continue
        if s in lex.ignored:
            continue
        if (s in lex.quantity and s not in lex.scale_nouns
                and _quantity_of_noun(stems, i, nouns)):
            quantity *= lex.quantity[s]
            compares = True
            continue
        if s in lex.scale_nouns:
            scale, sign = lex.scale_nouns[s]
            noun_found.append((i, scale, -sign if pending else sign))
            pending = False
            concepts.add(f"~{lex.family[scale][0]}")
            prop.append(lex.scale_names[scale] or w)
            continue
        if s in lex.copulas and nxt not in ("at", "on"):
            continue
        word_readings = lex.signed.get(s)
        if word_readings:
            comparative = (w != s and w.endswith(("er", "ier")) or i <= boost or trailing
                           or w.endswith("est"))
            compares = compares or comparative
            base = 2.0 if comparative else 1.0
            for scale, sign, primary in word_readings:
                add([i, scale, sign, base if primary else base * SECONDARY_WEIGHT, False,
                     primary], negated)
            signed_at.add(i)
            negating = negated
            pending = False
            head = word_readings[0][0]
            concepts.add(f"~{lex.family[head][0]}")
            name = lex.scale_names[head]
            if name and name not in prop:
                prop.append(name)
            continue
        negating = False
        folded = lex.synonyms.get(s, s)
        concepts.add(folded)
        content.append(w)
        prop.append(w)

    if pending:  # "no finger rests on the body": nothing to negate but the statement
        mod = -mod
    weight = 2.0 if quantity != 1 or compares or trailing else 1.0
    worded = {f[1] for f in found}
    for i, scale, sign in noun_found:
        if scale not in worded:  # "the pace is slower": the adjective says which way
            found.append([i, scale, sign * quantity, weight, False, True])
    per_scale: dict[str, list] = {}
    for i, scale, sign, wt, from_quality, primary in found:
        entry = per_scale.setdefault(scale, [0.0, 0.0, set(), True, False])
        entry[0] += sign * wt
        entry[1] = max(entry[1], wt)
        entry[2].add(stems[i])
        entry[3] = entry[3] and from_quality
        entry[4] = entry[4] or primary
    readings = tuple(Reading(scale, 1 if total > 0 else -1, best, frozenset(src), q, prim)
                     for scale, (total, best, src, q, prim) in per_scale.items() if total)
    main = max((f for f in found if f[1] not in lex.generic_scales),
               key=lambda f: f[3], default=None)
    magnitude = -1 if main is not None and (words[main[0]] in lex.marked
                                             or stems[main[0]] in lex.marked) else 1
    phases = frozenset(lex.phases[s] for s in stems if s in lex.phases)
    named = any(not r.quality for r in readings) or bool(alternatives)
    vague = (bool(quality) and not named) or (undirected and not compares)
    return Statement(
        text=text, canon=canon, concepts=frozenset(concepts), readings=readings,
        alternatives=tuple(alternatives), mod=mod, magnitude=magnitude, phases=phases,
        quality=frozenset(quality), vague=vague, prop=" ".join(prop) or canon,
        content=tuple(content))


def _vote(a: dict[str, tuple[int, float, frozenset[str]]],
          b: dict[str, tuple[int, float, frozenset[str]]]) -> float:
    total = 0.0
    for k, (sa, wa, src_a) in a.items():
        if k in b:
            sb, wb, src_b = b[k]
            shared = SHARED_WORD_WEIGHT if src_a & src_b else 1.0
            total += wa * wb * sa * sb * shared
    return total


def _families(st: Statement) -> dict[str, tuple[int, float, frozenset[str]]]:
    """Family -> (sign, weight, sources): the statement's readings summed on each family's
    axis."""
    lex = load()
    sums: dict[str, list] = {}
    for r in st.readings:
        if r.scale in lex.generic_scales:
            continue
        family, fsign = lex.family[r.scale]
        entry = sums.setdefault(family, [0.0, 0.0, frozenset()])
        entry[0] += r.sign * fsign * st.mod * r.weight
        entry[1] = max(entry[1], r.weight)
        entry[2] = entry[2] | r.sources
    return {f: (1 if t > 0 else -1, w, src) for f, (t, w, src) in sums.items() if t}


def direction_votes(a: Statement, b: Statement) -> tuple[str, float]:
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
        return "scale", votes
    fa, fb = _families(a), _families(b)
    shared = set(fa) & set(fb)
    if shared:
        votes = FAMILY_WEIGHT * _vote({k: v for k, v in fa.items() if k in shared}, fb)
        if votes:
            return "family", votes
    generic_a = [s * w for k, (s, w, _) in sa.items() if k in lex.generic_scales]
    generic_b = [s * w for k, (s, w, _) in sb.items() if k in lex.generic_scales]
    if generic_a and generic_b and sum(generic_a) * sum(generic_b):
        return "amount", sum(generic_a) * sum(generic_b)
    # one says only "more" or "less", the other names an end: "less bow" / "shorter strokes"
    if generic_a and not generic_b and len(sb) and sum(generic_a):
        return "magnitude", sum(generic_a) * b.magnitude * b.mod
    if generic_b and not generic_a and len(sa) and sum(generic_b):
        return "magnitude", sum(generic_b) * a.magnitude * a.mod
    return "negation", float(a.mod * b.mod)


def opposite(a: Statement, b: Statement) -> bool:
    """Does `b` state the reverse direction of `a`?"""
    return direction_votes(a, b)[1] < 0
