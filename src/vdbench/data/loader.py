"""One loader for three sources: the bundled `mini`, a local folder in the hub layout, the hub."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from vdbench.core.errors import InputError
from vdbench.core.suggest import did_you_mean
from vdbench.data.loaded import LoadedBenchmark
from vdbench.data.schema import Sample, outside, parse_row
from vdbench.data.viddiffbench_facts import HUB_ID, SPLITS, VIDEO_SOURCES

MINI_DIR = Path(__file__).parent / "mini"
# What a reader must know about a number scored on mini, wherever it is shown.
MINI_NOTE = ("the bundled mini benchmark: synthetic pairs for smoke tests, not comparable "
             "with the paper's numbers")


Benchmark = LoadedBenchmark  # VidDiffBench's, by its older name


@lru_cache(maxsize=1)
def mini_revision() -> str:
    """The content hash of the bundled mini benchmark, as read_parquet_dir computes it."""
    digest = hashlib.sha256()
    for f in sorted((MINI_DIR / "data").glob("test-*.parquet")):
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def is_mini(dataset: str, revision: str) -> bool:
    """mini by name, or a folder holding exactly mini's data: one dataset, one identity."""
    return dataset == "mini" or revision == mini_revision()


@dataclass(frozen=True)
class Selection:
    split: str = "all"
    domain: str | None = None
    action: str | None = None
    per_action: int | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        for name, value in (("--per-action", self.per_action), ("--limit", self.limit)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise InputError(f"{name}: expected a whole number, got {value!r}")
            if value is not None and value < 1:
                raise InputError(f"{name}: must be at least 1, got {value}")

    def check_split(self, splits: tuple[str, ...]) -> None:
        """--split names one of the benchmark's splits, or all."""
        if self.split not in (*splits, "all"):
            raise InputError(f"--split: {self.split!r} is not a split"
                             f"{did_you_mean(self.split, (*splits, 'all'))}; give "
                             f"{', '.join(splits)} or all")

    def check_names(self, samples: list[Sample], data: str) -> None:
        """A --domain or --action the data does not have is a typo until shown otherwise."""
        for option, name, attr in (("--domain", self.domain, "domain"),
                                   ("--action", self.action, "action")):
            known = sorted({getattr(s, attr) for s in samples})
            if name is not None and name not in known:
                raise InputError(f"{option}: {name!r} is not a{'n' * (attr == 'action')} "
                                 f"{attr} of --data {data}{did_you_mean(name, known)}; "
                                 f"{attr}s: {', '.join(known)}")

    def describe(self) -> str:
        """The selection in words, as the options that made it."""
        parts = [f"--split {self.split}"] + [
            f"--{name.replace('_', '-')} {value}"
            for name, value in (("domain", self.domain), ("action", self.action),
                                ("per_action", self.per_action), ("limit", self.limit))
            if value is not None]
        return " ".join(parts)

    def apply(self, samples: list[Sample]) -> list[Sample]:
        out = [
            s for s in samples
            if (self.split == "all" or s.split == self.split)
            and (self.domain is None or s.domain == self.domain)
            and (self.action is None or s.action == self.action)
        ]
        if self.per_action is not None:
            seen: dict[str, int] = defaultdict(int)
            kept = []
            for s in out:
                if seen[s.action] < self.per_action:
                    kept.append(s)
                    seen[s.action] += 1
            out = kept
        if self.limit is not None:
            out = out[: self.limit]
        return out


def read_parquet_dir(root: Path) -> tuple[list[Sample], str]:
    """Parse every row of `root/data/test-*.parquet`; returns samples and a content hash."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted((root / "data").glob("test-*.parquet"))
    if not files:
        raise InputError(f"{root}: no data/test-*.parquet files (expected the hub's layout)")
    digest = hashlib.sha256()
    samples: list[Sample] = []
    seen: dict[str, str] = {}
    for f in files:
        data = f.read_bytes()
        digest.update(data)
        try:
            # Read without Arrow's thread pools (pq.read_table starts one even with
            # use_threads=False): a pool thread still up at interpreter exit aborts the
            # process now and then ("terminate called without an active exception", 134).
            with pq.ParquetFile(pa.BufferReader(data), pre_buffer=False) as pf:
                rows = pf.read(use_threads=False).to_pylist()
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise InputError(f"{f}: cannot read parquet ({exc})") from None
        for i, row in enumerate(rows):
            s = parse_row(row, source=f"{f}: row {i}")
            if s.sample_key in seen:
                raise InputError(f"{f}: row {i}: duplicate sample_key {s.sample_key!r} "
                                 f"(also in {seen[s.sample_key]})")
            seen[s.sample_key] = f"{f.name}: row {i}"
            samples.append(s)
    return samples, digest.hexdigest()[:16]


def escaping_videos(samples: list[Sample], video_root: Path) -> list[str]:
    """Videos whose path, once symlinks are resolved, leaves the video root: one line each."""
    out = []
    for s in samples:
        for v in s.videos:
            problem = outside(video_root / v.path, video_root)
            if problem:
                out.append(f"{v.where}: {v.path!r} {problem}")
    return out


def missing_videos(samples: list[Sample], video_root: Path) -> dict[str, list[str]]:
    """Sample keys whose videos are absent, with the absent paths."""
    out: dict[str, list[str]] = {}
    for s in samples:
        absent = [v.path for v in s.videos if not v.resolve(video_root).exists()]
        if absent:
            out[s.sample_key] = absent
    return out


def _missing_message(samples: list[Sample], missing: dict[str, list[str]], root: Path) -> str:
    by_domain: dict[str, list[str]] = defaultdict(list)
    for s in samples:
        if s.sample_key in missing:
            by_domain[s.domain].extend(missing[s.sample_key])
    lines = [f"videos missing for {len(missing)} of {len(samples)} samples (looked under {root}):"]
    for domain, paths in sorted(by_domain.items()):
        shown = ", ".join(paths[:3]) + (f", ... ({len(paths)} in all)" if len(paths) > 3 else "")
        lines.append(f"  {domain}: {shown}")
        lines.append(f"    source: {VIDEO_SOURCES.get(domain, 'unknown domain')}")
    lines.append("Download them (see the README), point --video-root at them, "
                 "or pass --skip-missing to evaluate the rest.")
    return "\n".join(lines)


def _looks_like_path(data: str) -> bool:
    """A path, not a hub id: it exists, starts like one, or is not OWNER/NAME."""
    return (Path(data).exists() or data.startswith((".", "/", "~")) or "\\" in data
            or data.count("/") != 1)


def read_local(data: str, revision: str | None, *, mini_dir: Path,
               read: Callable[[Path], tuple[list[Any], str]], mini_rev: Callable[[], str],
               layout: str, hub_example: str) -> tuple[Path, str, list[Any], str] | None:
    """`--data` as a benchmark's bundled mini or a local folder, read by `read` (samples and
    the data's content hash): its root, source name, samples and revision; None for a hub
    id, which the caller fetches. A folder holding exactly mini's data is mini. InputError for
    a path that is no folder, or a revision given for local data."""
    if revision is not None and (data == "mini" or Path(data).is_dir()):
        raise InputError(f"--data-revision: only a hub id has revisions, not --data {data}")
    if data == "mini":
        samples, rev = read(mini_dir)
        return mini_dir, "mini", samples, rev
    if Path(data).is_dir():
        root = Path(data).resolve()
        samples, rev = read(root)
        return root, "mini" if rev == mini_rev() else str(root), samples, rev
    if _looks_like_path(data):
        what = "is a file, not a folder" if Path(data).exists() else "does not exist"
        raise InputError(f"--data {data}: {what} (give 'mini', {layout}, or a hub id like "
                         f"{hub_example})")
    return None


def load_benchmark(
    data: str = "mini",
    selection: Selection | None = None,
    *,
    video_root: str | Path | None = None,
    cache_dir: Path | None = None,
    skip_missing: bool = False,
    check_videos: bool = True,
    revision: str | None = None,
) -> Benchmark:
    """The samples of `data` ("mini", a local folder, or a hub id pinned to `revision`)."""
    selection = selection or Selection()
    selection.check_split(SPLITS)
    local = read_local(data, revision, mini_dir=MINI_DIR, read=read_parquet_dir,
                       mini_rev=mini_revision, layout="a folder in the hub layout",
                       hub_example=HUB_ID)
    if local is not None:
        root, source, samples, revision = local
    else:
        from vdbench.data.hub import fetch_hub

        root, revision = fetch_hub(data, cache_dir=cache_dir, selection=selection,
                                   revision=revision)
        samples, _ = read_parquet_dir(root)
        source = data

    selection.check_names(samples, data)
    samples = selection.apply(samples)
    if not samples:
        raise InputError(f"--data {data}: no samples match {selection.describe()}")
    vroot = Path(video_root).resolve() if video_root else root
    bench = Benchmark(samples, source, revision, vroot)
    if check_videos:
        escaping = escaping_videos(samples, vroot)
        if escaping:  # refused even with --skip-missing: the data is not what it claims
            raise InputError(f"--data {data}: {len(escaping)} video path(s) lead outside "
                             f"{vroot} (a video must lie inside the data folder or "
                             "--video-root)", problems=escaping)
        missing = missing_videos(samples, vroot)
        if missing and not skip_missing:
            raise InputError(_missing_message(samples, missing, vroot))
        bench.samples = [s for s in samples if s.sample_key not in missing]
        bench.skipped_missing = sorted(missing)
        if not bench.samples:
            raise InputError(_missing_message(samples, missing, vroot))
    return bench
