"""Check a copy of the benchmark the way a maintainer would (`vdbench data check`).

Three things, none of which needs a model:

1. Counts: pairs and labelled differences (a, b, c) per split, domain and action, beside the
   paper's figures (data/viddiffbench_facts.py: PAPER_TOTALS, PAPER_DOMAIN_COUNTS,
   PAPER_SPLIT_COUNTS). A partial copy (the bundled mini benchmark, a copy without some
   domains) is reported as such.
2. Videos: each one is probed (frames.probe) and its frames_trim checked against the frames
   there are. A missing video is reported per domain, with where that domain's videos come
   from; it is not a problem by itself. An unreadable video or a trim outside its video is.
3. retrieval_frames: two readings of the indices, and which one keeps every index inside its
   clip, per domain:
   A. original-rate frame numbers counted from the trim start: 0 .. (original frames the trim
      [start, stop) spans) - 1. This is the reading vdbench uses (scoring/localization.py,
      docs/protocol.md).
   B. indices into the frames sampled at the protocol's per-domain rate
      (data.viddiffbench_facts.PAPER_FPS), step int(clip fps / rate) as in
      frames.spec.select_frames: 0 .. len(clip[::step]) - 1.
   B's range always lies inside A's, so no index fits B but not A: the data can rule B out (an
   index past B's range) or rule A out, never the other way round. An index past A's range is
   a problem. The length of a clip needs its video (the probe's frame count) unless frames_trim
   has an explicit stop; an index whose clip length cannot be known is "undecided".

The result is a DataCheck: plain data, rendered by cli/data_check.py and written as JSON.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vdbench.core.errors import InputError
from vdbench.data.schema import Sample, VideoRef, trim_span
from vdbench.data.viddiffbench_facts import (
    DOMAINS,
    PAPER_DOMAIN_COUNTS,
    PAPER_FPS,
    PAPER_SPLIT_COUNTS,
    PAPER_TOTALS,
    SPLITS,
    VIDEO_SOURCES,
    split_of_action,
)
from vdbench.frames.probe import VideoInfo, VideoProblem, probe_path, trim_problem

READINGS: dict[str, str] = {
    "A": "original-rate frame numbers counted from the trim start (vdbench's reading)",
    "B": "indices into the frames sampled at the protocol's per-domain rate "
         + ", ".join(f"{d} {r:g}" for d, r in PAPER_FPS.items()) + " fps",
}
USED_READING = "A"
_WORKERS = 4  # as frames.probe: opening containers is mostly waiting on the disk


@dataclass
class Counts:
    """Pairs, and their differences labelled a, b or c; `with_frames`: labelled differences
    with retrieval_frames for at least one of the two videos."""

    pairs: int = 0
    a: int = 0
    b: int = 0
    c: int = 0
    with_frames: int = 0

    @property
    def labelled(self) -> int:
        return self.a + self.b + self.c

    def add(self, s: Sample) -> None:
        self.pairs += 1
        for key, label in s.differences_gt.items():
            if label is None:
                continue
            setattr(self, label, getattr(self, label) + 1)
            if any(frames.get(key) for frames in s.retrieval_frames):
                self.with_frames += 1

    def to_json(self) -> dict[str, int]:
        return {**asdict(self), "labelled": self.labelled}


@dataclass
class Tally:
    """Retrieval-frame indices that one reading keeps inside their clip, puts outside it, or
    cannot decide (the clip's length is unknown)."""

    inside: int = 0
    outside: int = 0
    undecided: int = 0

    def count(self, index: int, length: int | None) -> bool:
        """Count one index against a clip of `length` frames; False when it lies outside."""
        if index < 0 or (length is not None and index >= length):
            self.outside += 1
            return False
        if length is None:
            self.undecided += 1
        else:
            self.inside += 1
        return True

    @property
    def verdict(self) -> str:
        if self.outside:
            return "contradicted"
        if self.inside:
            return "consistent"
        return "undecided" if self.undecided else "no indices"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}


@dataclass
class VideoTally:
    """A domain's video references (two per pair): found and usable, missing, unusable."""

    videos: int = 0
    usable: int = 0
    missing: int = 0
    unusable: int = 0
    missing_paths: list[str] = field(default_factory=list)

    def to_json(self, domain: str) -> dict[str, Any]:
        return {**asdict(self), "source": VIDEO_SOURCES.get(domain)}


@dataclass
class DataCheck:
    source: str
    revision: str
    video_root: str
    total: Counts
    by_split: dict[str, Counts]
    by_domain: dict[str, Counts]
    by_action: dict[str, Counts]
    action_splits: dict[str, list[str]]  # action -> the splits its rows name
    videos: dict[str, VideoTally]
    readings: dict[str, dict[str, Tally]]  # domain -> reading -> tally
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def absent_domains(self) -> list[str]:
        return [d for d in _ordered(set(PAPER_DOMAIN_COUNTS), DOMAINS) if d not in self.by_domain]

    @property
    def partial(self) -> bool:
        """Fewer pairs than the paper in some domain (or none at all)."""
        return any(self.by_domain.get(d, Counts()).pairs < paper["pairs"]
                   for d, paper in PAPER_DOMAIN_COUNTS.items())

    def consistent_readings(self, domain: str) -> list[str]:
        return [r for r, t in self.readings.get(domain, {}).items() if t.verdict == "consistent"]

    def overall_readings(self) -> dict[str, Tally]:
        out = {r: Tally() for r in READINGS}
        for tallies in self.readings.values():
            for r, t in tallies.items():
                out[r].inside += t.inside
                out[r].outside += t.outside
                out[r].undecided += t.undecided
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "revision": self.revision,
            "video_root": self.video_root,
            "ok": self.ok,
            "partial": self.partial,
            "absent_domains": self.absent_domains,
            "counts": {
                "total": self.total.to_json(),
                "by_split": {k: c.to_json() for k, c in self.by_split.items()},
                "by_domain": {k: c.to_json() for k, c in self.by_domain.items()},
                "by_action": {k: {**c.to_json(), "split": self.action_splits.get(k, [])}
                              for k, c in self.by_action.items()},
            },
            "paper": {
                "source": "arXiv 2503.07860v1: Table 1 (totals, per domain), Table 8 (per "
                          "split), Table 6 (the split of each action)",
                "totals": PAPER_TOTALS,
                "by_domain": PAPER_DOMAIN_COUNTS,
                "by_split": PAPER_SPLIT_COUNTS,
            },
            "videos": {d: v.to_json(d) for d, v in self.videos.items()},
            "retrieval_frames": {
                "readings": READINGS,
                "used_by_vdbench": USED_READING,
                "by_domain": {d: {r: t.to_json() for r, t in tallies.items()}
                              for d, tallies in self.readings.items()},
                "overall": {r: t.to_json() for r, t in self.overall_readings().items()},
            },
            "problems": self.problems,
            "notes": self.notes,
        }


def _ordered(keys: set[str], first: tuple[str, ...]) -> list[str]:
    return [k for k in first if k in keys] + sorted(keys - set(first))


def _where(s: Sample, ref: VideoRef) -> str:
    """'FILE: row I: sample K' from the loader's origin, else the sample key."""
    if ref.origin:
        return ref.origin.rsplit(": field ", 1)[0]
    return f"sample {s.sample_key!r}"


def _probe_all(paths: list[Path], root: Path | None) -> dict[Path, VideoInfo]:
    if not paths:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(_WORKERS, len(paths)))) as pool:
        return dict(zip(paths, pool.map(lambda p: probe_path(p, root), paths)))


def _clip(ref: VideoRef, n_frames: int | None) -> tuple[int | None, range | None]:
    """Reading A's length (original frames the trim [start, stop) spans) and the clip's frames
    (range(n)[trim]); from the video's frame count when known, else from the trim alone when
    it can tell (an explicit stop), else (None, None)."""
    start, stop, step = ref.frames_trim
    if n_frames is not None:
        return len(range(n_frames)[start:stop]), range(n_frames)[ref.trim]
    span = trim_span(ref.frames_trim)
    if span is None:
        return None, None
    assert stop is not None
    return span, range(0 if start is None else start, stop, step or 1)


def _sampled_length(ref: VideoRef, clip: range | None, domain: str) -> int | None:
    """Reading B's length: the clip's frames kept at the protocol's rate for the domain, with
    the step frames.spec.select_frames uses."""
    rate = PAPER_FPS.get(domain)
    if clip is None or rate is None:
        return None
    clip_fps = ref.fps_original / (ref.frames_trim[2] or 1)
    step = max(1, int(clip_fps / rate + 1e-9))
    return len(clip[::step])


def check_data(samples: list[Sample], video_root: Path | None, *, source: str = "",
               revision: str = "") -> DataCheck:
    """Count, probe and read every sample of a copy of the benchmark; see the module doc."""
    total = Counts()
    by_split: dict[str, Counts] = {}
    by_domain: dict[str, Counts] = {}
    by_action: dict[str, Counts] = {}
    action_splits: dict[str, set[str]] = {}
    for s in samples:
        total.add(s)
        by_split.setdefault(s.split, Counts()).add(s)
        by_domain.setdefault(s.domain, Counts()).add(s)
        by_action.setdefault(s.action, Counts()).add(s)
        action_splits.setdefault(s.action, set()).add(s.split)

    problems: list[str] = []
    notes: list[str] = []
    root = Path(video_root) if video_root is not None else None

    # where each video is; every path probed once
    located: list[tuple[Sample, int, Path | None]] = []
    for s in samples:
        for i, ref in enumerate(s.videos):
            try:
                located.append((s, i, ref.resolve(root)))
            except InputError as exc:  # a path leading outside the video root
                problems.append(str(exc))
                located.append((s, i, None))
    present = list(dict.fromkeys(p for _, _, p in located if p is not None and p.exists()))
    infos = _probe_all(present, root)

    videos: dict[str, VideoTally] = {}
    readings: dict[str, dict[str, Tally]] = {}
    for s, i, path in located:
        ref = s.videos[i]
        vt = videos.setdefault(s.domain, VideoTally())
        vt.videos += 1
        n_frames: int | None = None
        if path is None:
            vt.unusable += 1
        elif path not in infos:
            vt.missing += 1
            vt.missing_paths.append(ref.path)
        elif infos[path].problem:
            vt.unusable += 1
            problems.append(str(VideoProblem(s.sample_key, str(path), str(infos[path].problem))))
        else:
            vt.usable += 1
            n_frames = infos[path].n_frames
            trim = trim_problem(ref, n_frames)
            if trim:
                problems.append(str(VideoProblem(s.sample_key, str(path), trim)))

        span, clip = _clip(ref, n_frames)
        sampled = _sampled_length(ref, clip, s.domain)
        tallies = readings.setdefault(s.domain, {r: Tally() for r in READINGS})
        for key, indices in s.retrieval_frames[i].items():
            bad = [x for x in indices or () if not tallies["A"].count(x, span)]
            for x in indices or ():
                tallies["B"].count(x, sampled)
            if bad:
                shown = ", ".join(map(str, bad[:5])) + (" ..." if len(bad) > 5 else "")
                video = f" of the video's {n_frames}" if n_frames is not None else ""
                detail = (f"valid 0..{span - 1}: frames_trim {list(ref.frames_trim)} spans "
                          f"{span} frames{video} at fps_original" if span is not None
                          else "an index cannot be negative")
                problems.append(
                    f"{_where(s, ref)}: retrieval_frames[{i}] (video {'ab'[i]}) key {key!r}: "
                    f"frame(s) {shown} outside the clip under reading A ({detail})")

    domains = _ordered(set(by_domain), DOMAINS)
    for d in sorted(set(by_domain) - set(DOMAINS)):
        notes.append(f"domain {d!r} is not one of the paper's ({', '.join(DOMAINS)})")
    for action, splits in sorted(action_splits.items()):
        paper_split = split_of_action(action)
        if paper_split is None:
            notes.append(f"action {action!r} is not in the paper's Table 6")
        elif splits != {paper_split}:
            notes.append(f"action {action!r}: rows name split(s) {sorted(splits)}, the paper's "
                         f"Table 6 puts it in {paper_split!r}")
    _compare_with_paper(by_domain, total, source, notes)
    for d in domains:
        t = readings.get(d, {})
        if t and t["A"].verdict == "consistent" and t["B"].verdict == "consistent":
            notes.append(f"{d}: every index also fits reading B (subsampled frames), so this "
                         "copy cannot tell the readings apart here")

    return DataCheck(
        source=source, revision=revision, video_root=str(video_root) if video_root else "",
        total=total,
        by_split={k: by_split[k] for k in _ordered(set(by_split), SPLITS)},
        by_domain={k: by_domain[k] for k in domains},
        by_action={k: by_action[k] for k in sorted(by_action, key=_action_order)},
        action_splits={k: sorted(v) for k, v in action_splits.items()},
        videos={k: videos[k] for k in _ordered(set(videos), DOMAINS)},
        readings={k: readings[k] for k in _ordered(set(readings), DOMAINS)},
        problems=problems, notes=notes,
    )


def _action_order(action: str) -> tuple[int, str, int, str]:
    domain, _, number = action.rpartition("_")
    rank = DOMAINS.index(domain) if domain in DOMAINS else len(DOMAINS)
    return (rank, domain, int(number) if number.isdigit() else 0, action)


def _compare_with_paper(by_domain: dict[str, Counts], total: Counts, source: str,
                        notes: list[str]) -> None:
    if source == "mini":
        notes.append("the bundled mini benchmark is synthetic and small: its counts are not "
                     "meant to match the paper's")
    absent = [d for d in _ordered(set(PAPER_DOMAIN_COUNTS), DOMAINS) if d not in by_domain]
    if absent:
        notes.append(f"partial copy: no pairs of {', '.join(absent)} (the paper has "
                     + ", ".join(f"{PAPER_DOMAIN_COUNTS[d]['pairs']} {d}" for d in absent) + ")")
    for d in _ordered(set(PAPER_DOMAIN_COUNTS), DOMAINS):
        c, paper = by_domain.get(d), PAPER_DOMAIN_COUNTS[d]
        if c is None or source == "mini":
            continue
        if c.pairs != paper["pairs"] or c.labelled != paper["differences"]:
            notes.append(f"{d}: {c.pairs:,} pairs and {c.labelled:,} labelled differences; "
                         f"the paper's Table 1 has {paper['pairs']:,} and "
                         f"{paper['differences']:,}")
    if not absent and source != "mini" and (total.pairs, total.labelled) != (
            PAPER_TOTALS["pairs"], PAPER_TOTALS["differences"]):
        notes.append(f"in all: {total.pairs:,} pairs and {total.labelled:,} labelled differences; "
                     f"the paper has {PAPER_TOTALS['pairs']:,} and "
                     f"{PAPER_TOTALS['differences']:,}")
