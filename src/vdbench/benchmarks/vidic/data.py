"""ViDiC-1K's data: its published layout, read strictly, from three sources.

A ViDiC folder holds `checklist/checklist.json`, a list of pairs

    {"index": 0, "video1_path": "data/LongoXC/add_person/104_src.mp4",
     "video2_path": "data/LongoXC/add_person/104_tgt.mp4",
     "structured_analysis": {"Similarities": [ITEM, ...], "Differences": [ITEM, ...]}}

with ITEM = {"class", "question", "correct_answer", ...} (the published file's empty "answer"
and "explanation" are ignored), and the videos at the paths given, relative to the folder.
Sources: "mini" (the synthetic pairs bundled with vdbench), a local folder in that layout,
or a hub id (NJU-LINK/ViDiC-1K), whose snapshot is assumed to use the same layout.

A pair's domain is its source collection, the first folder under data/; its action is the
folder below that, or the domain again where the video lies directly in it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, cast

from vdbench.benchmarks.spec import LoadedBenchmark
from vdbench.benchmarks.vidic.sample import (
    CLASSES,
    KINDS,
    PUBLISHED_KINDS,
    ChecklistItem,
    VidicSample,
)
from vdbench.core.errors import InputError
from vdbench.core.suggest import did_you_mean
from vdbench.data.loader import Selection, escaping_videos, missing_videos, read_local
from vdbench.data.schema import VideoRef, path_problem

HUB_ID = "NJU-LINK/ViDiC-1K"
MINI_DIR = Path(__file__).parent / "mini"
CHECKLIST = PurePosixPath("checklist/checklist.json")  # relative to the data folder
SPLITS = ("all", "test")  # ViDiC-1K has one split, test; "all" is the same thousand pairs
ANSWERS = ("yes", "no")
FPS_UNKNOWN = 0.0  # fps_original of a video not probed (check_videos=False)
_WORKERS = 4  # probing opens containers: mostly waiting on the disk


# --- reading the checklist ---------------------------------------------------------------

class _Entry:
    """One pair of the checklist, read key by key; errors name the file, entry and key."""

    def __init__(self, file: Path, position: int, raw: Any):
        self.where = f"{file}: entry {position}"
        if not isinstance(raw, dict):
            raise InputError(f"{self.where}: expected an object, got {type(raw).__name__}")
        self.raw = raw
        index = raw.get("index")
        if "index" not in raw:
            raise self.fail("index", "missing")
        if isinstance(index, bool) or not isinstance(index, int):
            raise self.fail("index", f"expected a whole number, got {type(index).__name__}")
        if index < 0:
            raise self.fail("index", f"must be >= 0, got {index}")
        self.index = index
        self.where += f" (index {index})"

    def fail(self, key: str, why: str) -> InputError:
        return InputError(f"{self.where}: key {key!r}: {why}")

    def text(self, key: str, value: Any = None, *, present: bool | None = None) -> str:
        if present is None:
            present, value = key in self.raw, self.raw.get(key)
        if not present:
            raise self.fail(key, "missing")
        if not isinstance(value, str) or not value.strip():
            got = type(value).__name__ if not isinstance(value, str) else "an empty string"
            raise self.fail(key, f"expected a non-empty string, got {got}")
        return value


def _video(entry: _Entry, key: str) -> VideoRef:
    path = entry.text(key)
    problem = path_problem(path)
    if problem:
        raise entry.fail(key, f"{path!r} {problem}")
    return VideoRef(path=path, fps_original=FPS_UNKNOWN, frames_trim=(None, None, None),
                    origin=f"{entry.where}: key {key!r}")


def _items(entry: _Entry) -> tuple[ChecklistItem, ...]:
    if "structured_analysis" not in entry.raw:
        raise entry.fail("structured_analysis", "missing")
    analysis = entry.raw["structured_analysis"]
    if not isinstance(analysis, dict):
        raise entry.fail("structured_analysis",
                         f"expected an object, got {type(analysis).__name__}")
    names = list(PUBLISHED_KINDS.values())
    unknown = [k for k in analysis if k not in names]
    if unknown:
        raise entry.fail("structured_analysis",
                         f"unknown list {unknown[0]!r}{did_you_mean(str(unknown[0]), names)}; "
                         f"expected {' and '.join(names)}")
    items: list[ChecklistItem] = []
    for kind in KINDS:
        name = PUBLISHED_KINDS[kind]
        key = f"structured_analysis.{name}"
        if name not in analysis:
            raise entry.fail(key, "missing")
        listed = analysis[name]
        if not isinstance(listed, list):
            raise entry.fail(key, f"expected a list, got {type(listed).__name__}")
        for i, raw in enumerate(listed):
            items.append(_item(entry, f"{key}[{i}]", kind, i, raw))
    return tuple(items)


def _item(entry: _Entry, key: str, kind: Any, i: int, raw: Any) -> ChecklistItem:
    if not isinstance(raw, dict):
        raise entry.fail(key, f"expected an object, got {type(raw).__name__}")
    cls = entry.text(f"{key}.class", raw.get("class"), present="class" in raw)
    if cls not in CLASSES:
        raise entry.fail(f"{key}.class", f"{cls!r} is not a ViDiC class"
                         f"{did_you_mean(cls, CLASSES)}; classes: {', '.join(CLASSES)}")
    question = entry.text(f"{key}.question", raw.get("question"), present="question" in raw)
    answer = raw.get("correct_answer")
    if "correct_answer" not in raw:
        raise entry.fail(f"{key}.correct_answer", "missing")
    if answer not in ANSWERS:
        raise entry.fail(f"{key}.correct_answer",
                         f"expected 'yes' or 'no', got {_short(answer)}")
    return ChecklistItem(kind=kind, index=i, cls=cls, question=question, answer=answer)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _domain_action(entry: _Entry, ref: VideoRef) -> tuple[str, str]:
    folders = PurePosixPath(ref.path.replace("\\", "/")).parts[:-1]
    if folders and folders[0] == "data":
        folders = folders[1:]
    if not folders:
        raise entry.fail("video1_path", f"{ref.path!r} lies in no source folder (expected "
                         "data/<source>/<action>/<file> or data/<source>/<file>)")
    return folders[0], folders[1] if len(folders) > 1 else folders[0]


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:  # json.loads would keep the last one silently
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def parse_checklist(data: bytes, file: Path) -> list[VidicSample]:
    """Every pair of a checklist.json, in file order; InputError naming file, entry and key."""
    try:
        rows = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{file}: invalid JSON ({exc.msg} at line {exc.lineno} "
                         f"column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # a duplicate key, nesting too deep
        raise InputError(f"{file}: invalid JSON ({exc or 'nested too deeply'})") from None
    if not isinstance(rows, list):
        raise InputError(f"{file}: expected a list of pairs, got {type(rows).__name__}")
    samples: list[VidicSample] = []
    seen: dict[int, int] = {}
    for position, raw in enumerate(rows):
        entry = _Entry(file, position, raw)
        if entry.index in seen:
            raise entry.fail("index", f"duplicate index {entry.index} (also entry "
                             f"{seen[entry.index]})")
        seen[entry.index] = position
        videos = (_video(entry, "video1_path"), _video(entry, "video2_path"))
        domain, action = _domain_action(entry, videos[0])
        samples.append(VidicSample(sample_key=str(entry.index), videos=videos, domain=domain,
                                   action=action, checklist=_items(entry)))
    if not samples:
        raise InputError(f"{file}: the checklist holds no pairs")
    return samples


def read_folder(root: Path) -> tuple[list[VidicSample], str]:
    """The pairs of `root/checklist/checklist.json` and the file's content hash."""
    file = root / CHECKLIST
    if not file.is_file():
        raise InputError(f"{root}: no {CHECKLIST} (expected ViDiC-1K's layout: "
                         f"{CHECKLIST} and the videos under data/)")
    data = file.read_bytes()
    return parse_checklist(data, file), hashlib.sha256(data).hexdigest()[:16]


@lru_cache(maxsize=1)
def mini_revision() -> str:
    """The content hash of the bundled mini's checklist."""
    return hashlib.sha256((MINI_DIR / CHECKLIST).read_bytes()).hexdigest()[:16]


# --- selecting --------------------------------------------------------------------------

def _select(samples: list[VidicSample], selection: Any, data: str) -> list[VidicSample]:
    if selection.split not in SPLITS:
        raise InputError(f"--split: ViDiC-1K has no split {selection.split!r}"
                         f"{did_you_mean(selection.split, SPLITS)}; give all or test "
                         "(its only split: the same pairs)")
    # Selection filters on .split, .domain and .action alike: every pair's split is "test".
    selection = dataclasses.replace(selection, split="all")
    selection.check_names(samples, data)
    chosen = cast(list[VidicSample], selection.apply(cast(Any, samples)))
    if not chosen:
        raise InputError(f"--data {data}: no pairs match {selection.describe()}")
    return chosen


# --- videos ------------------------------------------------------------------------------

def _missing_message(samples: list[VidicSample], missing: dict[str, list[str]],
                     root: Path, hub: bool) -> str:
    by_domain: dict[str, list[str]] = defaultdict(list)
    for s in samples:
        by_domain[s.domain].extend(missing.get(s.sample_key, []))
    lines = [f"videos missing for {len(missing)} of {len(samples)} ViDiC pairs "
             f"(looked under {root}):"]
    for domain, paths in sorted(by_domain.items()):
        if paths:
            shown = ", ".join(paths[:3]) + (f", ... ({len(paths)} in all)"
                                            if len(paths) > 3 else "")
            lines.append(f"  {domain}: {shown}")
    where = ("the hub snapshot does not hold them at the checklist's paths" if hub
             else f"download them from the hub ({HUB_ID}) into the folder's data/")
    lines.append(f"Videos lie at the checklist's paths, relative to the data folder: {where}; "
                 "or point --video-root at them, or pass --skip-missing to evaluate the rest.")
    return "\n".join(lines)


def _probe_fps(path: Path) -> float | str:
    """The average frame rate the container declares, or why there is none."""
    from vdbench.frames.prepare import video_fps

    try:
        fps = video_fps(path)
    except InputError as exc:
        return str(exc).removeprefix(f"{path}: ")
    if fps is None:
        return "a folder of images, not a video file"
    return fps if fps > 0 else "no frame rate"


def _with_fps(samples: list[VidicSample], root: Path, skip: bool,
              data: str) -> tuple[list[VidicSample], list[dict]]:
    """Each video's fps_original from its container header; the unusable ones listed in one
    InputError, or (skip) their pairs dropped and recorded."""
    paths = list(dict.fromkeys(v.resolve(root) for s in samples for v in s.videos))
    with ThreadPoolExecutor(max_workers=max(1, min(_WORKERS, len(paths)))) as pool:
        probed = dict(zip(paths, pool.map(_probe_fps, paths)))
    kept: list[VidicSample] = []
    bad: list[dict] = []
    for s in samples:
        refs = []
        for v in s.videos:
            found = probed[v.resolve(root)]
            if isinstance(found, str):
                bad.append({"sample_key": s.sample_key, "file": str(v.resolve(root)),
                            "problem": found})
            else:
                refs.append(dataclasses.replace(v, fps_original=found))
        if len(refs) == 2:
            kept.append(dataclasses.replace(s, videos=(refs[0], refs[1])))
    if bad and not skip:
        raise InputError(
            f"--data {data}: {len(bad)} unusable video(s) in "
            f"{len({b['sample_key'] for b in bad})} of {len(samples)} pairs (video root {root}); "
            "fix or remove them, or pass --skip-missing",
            problems=[f"{b['file']}: sample {b['sample_key']!r}: {b['problem']}" for b in bad])
    return kept, bad


# --- sources -----------------------------------------------------------------------------

def load_vidic(
    data: str = "mini",
    selection: Any = None,
    *,
    video_root: str | Path | None = None,
    cache_dir: Path | None = None,
    skip_missing: bool = False,
    check_videos: bool = True,
    revision: str | None = None,
) -> LoadedBenchmark:
    """The pairs of `data` ("mini", a folder in ViDiC-1K's layout, or a hub id pinned to
    `revision`) that `selection` (a vdbench.data.loader.Selection) picks. check_videos: refuse
    paths leading outside the video root, list missing videos (or skip their pairs) and read
    each video's frame rate from its header; without it fps_original is FPS_UNKNOWN."""
    selection = selection if selection is not None else Selection()
    local = read_local(data, revision, mini_dir=MINI_DIR, read=read_folder,
                       mini_rev=mini_revision,
                       layout=f"a folder in ViDiC-1K's layout ({CHECKLIST} and data/)",
                       hub_example=HUB_ID)
    hub = local is None
    if local is not None:
        root, source, samples, revision = local
    else:
        from vdbench.benchmarks.vidic.hub import fetch_checklist

        root, revision = fetch_checklist(data, cache_dir=cache_dir, revision=revision)
        samples, _ = read_folder(root)
        source = data

    samples = _select(samples, selection, data)
    vroot = Path(video_root).resolve() if video_root else root
    bench = LoadedBenchmark(samples, source, revision, vroot)
    if not check_videos:
        return bench
    if hub and not video_root:
        from vdbench.benchmarks.vidic.hub import fetch_videos

        fetch_videos(data, root, revision, [v.path for s in samples for v in s.videos])
    escaping = escaping_videos(cast(Any, samples), vroot)
    if escaping:  # refused even with --skip-missing: the data is not what it claims
        raise InputError(f"--data {data}: {len(escaping)} video path(s) lead outside {vroot} "
                         "(a video must lie inside the data folder or --video-root)",
                         problems=escaping)
    missing = missing_videos(cast(Any, samples), vroot)
    if missing and (not skip_missing or len(missing) == len(samples)):
        raise InputError(_missing_message(samples, missing, vroot, hub and not video_root))
    present = [s for s in samples if s.sample_key not in missing]
    bench.skipped_missing = sorted(missing, key=int)
    bench.samples, bench.skipped_bad = _with_fps(present, vroot, skip_missing, data)
    if not bench.samples:
        raise InputError(f"--data {data}: none of the {len(samples)} selected pairs has two "
                         "usable videos")
    return bench
