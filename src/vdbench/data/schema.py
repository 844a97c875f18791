"""Typed samples. The hub's JSON-in-string fields are parsed here, once, at load."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

from vdbench.core.errors import InputError
from vdbench.data.viddiffbench_facts import SPLITS

Label = Literal["a", "b", "c"]
LABELS = ("a", "b", "c")


@dataclass(frozen=True)
class VideoRef:
    path: str
    fps_original: float
    # slice(start, stop, step), stop exclusive
    frames_trim: tuple[int | None, int | None, int | None]
    # where the path came from, for messages: "FILE: row I: sample 'K': field 'videos[0].path'"
    origin: str = field(default="", compare=False, repr=False)

    @property
    def trim(self) -> slice:
        return slice(*self.frames_trim)

    @property
    def where(self) -> str:
        return self.origin or f"video {self.path!r}"

    def resolve(self, root: Path | None) -> Path:
        """The video's location. With a root (the data folder, or --video-root when given) the
        path is taken relative to it and must stay inside it once every symlink is resolved:
        InputError otherwise. Without one (a path given on the command line) it is taken as
        it is."""
        if root is None:
            return Path(self.path).expanduser()
        path = root / self.path  # an absolute self.path replaces root here: refused below
        problem = outside(path, root)
        if problem:
            raise InputError(f"{self.where}: {self.path!r} {problem}; a video must lie inside "
                             f"the data folder or --video-root")
        return path


def outside(path: Path, root: Path) -> str | None:
    """None when `path`, with every symlink resolved, lies inside `root` (also resolved);
    otherwise what is wrong, for a message."""
    try:
        real, real_root = path.resolve(), root.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL byte
        return f"cannot be resolved ({exc})"
    if real.is_relative_to(real_root):
        return None
    return f"resolves to {real}, outside {real_root}"


def path_problem(path: str) -> str | None:
    """Why a video path from the data is not a plain relative path inside the data folder."""
    if "\x00" in path:
        return "contains a NUL character"
    if path.startswith("~"):
        return "starts with '~' (paths are relative to the data folder)"
    if (PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute()
            or PureWindowsPath(path).drive or path.startswith("\\")):
        return "is absolute (paths are relative to the data folder)"
    if ".." in PurePosixPath(path.replace("\\", "/")).parts:
        return "contains '..' (paths must stay inside the data folder)"
    return None


@dataclass(frozen=True)
class Difference:
    key: str
    name: str
    description: str
    query_string: str
    num_frames: str  # "1" or "gt_1"


@dataclass(frozen=True)
class Sample:
    sample_key: str
    videos: tuple[VideoRef, VideoRef]
    action: str
    action_name: str
    action_description: str
    source_dataset: str
    sample_hash: int
    domain: str
    split: str
    n_differences_open_prediction: int
    differences_annotated: dict[str, Difference | None]
    differences_gt: dict[str, Label | None]
    retrieval_frames: tuple[dict[str, list[int] | None], dict[str, list[int] | None]]
    thumbnails: tuple[bytes | None, bytes | None] = field(default=(None, None), repr=False)

    @property
    def labelled_keys(self) -> list[str]:
        """Keys with a non-null label (a, b or c): the ground truth of open mode."""
        return [k for k, v in self.differences_gt.items() if v is not None]

    @property
    def scored_keys(self) -> list[str]:
        """Keys with label a or b: the only ones ever scored."""
        return [k for k, v in self.differences_gt.items() if v in ("a", "b")]

    def swapped(self) -> Sample:
        """The same pair with the videos in the other order, so every a/b label flips."""
        flip = {"a": "b", "b": "a"}
        return replace(
            self,
            videos=(self.videos[1], self.videos[0]),
            retrieval_frames=(self.retrieval_frames[1], self.retrieval_frames[0]),
            differences_gt={k: flip.get(v, v) if v else v  # type: ignore[misc]
                            for k, v in self.differences_gt.items()},
            thumbnails=(self.thumbnails[1], self.thumbnails[0]),
        )

    def closed_differences(self, annotated_order: bool = False) -> list[Difference]:
        """The differences a model is asked about in closed mode (label a or b), in the order
        of differences_gt, or of differences_annotated (the reference's order)."""
        keys = self.in_annotated_order(self.scored_keys) if annotated_order else self.scored_keys
        return [d for k in keys if (d := self.differences_annotated.get(k))]

    def in_annotated_order(self, keys: list[str]) -> list[str]:
        """`keys` in the order of differences_annotated, those it lacks last."""
        chosen = set(keys)
        first = [k for k in self.differences_annotated if k in chosen]
        return first + [k for k in keys if k not in set(first)]


class _RowReader:
    """Reads one raw row, raising InputError that names the source, sample and key."""

    def __init__(self, row: dict[str, Any], source: str):
        self.row, self.source = row, source
        self.key = str(row.get("sample_key", "?"))

    def fail(self, field_name: str, why: str) -> InputError:
        return InputError(f"{self.source}: sample {self.key!r}: field {field_name!r}: {why}")

    def get(self, name: str, types: type | tuple[type, ...]):
        if name not in self.row:
            raise self.fail(name, "missing")
        value = self.row[name]
        if not isinstance(value, types) or isinstance(value, bool) and bool not in _tuple(types):
            raise self.fail(name, f"expected {_names(types)}, got {type(value).__name__}")
        return value

    def json_field(self, name: str):
        value = self.row.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value, object_pairs_hook=_unique_keys)
            except _DuplicateKey as exc:
                raise self.fail(name, f"duplicate key {exc.key!r}") from None
            except json.JSONDecodeError as exc:
                raise self.fail(name, f"invalid JSON ({exc.msg} at char {exc.pos})") from None
            except ValueError as exc:  # e.g. an integer over the int conversion limit
                raise self.fail(name, f"invalid JSON ({exc})") from None
            except RecursionError:
                raise self.fail(name, "invalid JSON (nested too deeply)") from None
        if value is None:
            raise self.fail(name, "missing")
        return value  # already parsed (e.g. a row built in code)


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)  # json.loads would keep the last one silently
        out[k] = v
    return out


def _tuple(t):
    return t if isinstance(t, tuple) else (t,)


def _names(t) -> str:
    return " or ".join(x.__name__ for x in _tuple(t))


def _thumbnail(value: Any) -> bytes | None:
    if isinstance(value, dict):
        return value.get("bytes")
    return value if isinstance(value, bytes) else None


def parse_row(row: dict[str, Any], source: str = "<row>") -> Sample:
    r = _RowReader(row, source)
    sample_key = r.get("sample_key", str)

    videos_raw = r.json_field("videos")
    if not isinstance(videos_raw, list) or len(videos_raw) != 2:
        raise r.fail("videos", "expected a list of 2 videos")
    videos = tuple(_parse_video(r, i, v) for i, v in enumerate(videos_raw))

    ann_raw = r.json_field("differences_annotated")
    if not isinstance(ann_raw, dict):
        raise r.fail("differences_annotated", "expected an object keyed by difference key")
    annotated = {str(k): _parse_difference(r, str(k), v) for k, v in ann_raw.items()}

    gt_raw = r.json_field("differences_gt")
    if not isinstance(gt_raw, dict):
        raise r.fail("differences_gt", "expected an object keyed by difference key")
    gt: dict[str, Label | None] = {}
    for k, v in gt_raw.items():
        if v is not None and v not in LABELS:
            raise r.fail("differences_gt", f"key {k!r}: label must be a, b, c or null, got {v!r}")
        if str(k) not in annotated:
            raise r.fail("differences_gt", f"key {k!r} has no entry in differences_annotated")
        gt[str(k)] = v
    for k in gt:
        if gt[k] is not None and annotated.get(k) is None:
            raise r.fail("differences_annotated", f"key {k!r} is labelled but has no annotation")

    ret_raw = r.json_field("retrieval_frames")
    if not isinstance(ret_raw, list) or len(ret_raw) != 2 or not all(
        isinstance(d, dict) for d in ret_raw
    ):
        raise r.fail("retrieval_frames", "expected a list of 2 objects")
    retrieval = tuple(_parse_retrieval(r, d) for d in ret_raw)
    for i, (ref, frames) in enumerate(zip(videos, retrieval)):
        _check_retrieval_in_trim(r, i, ref, frames)

    n_open = r.get("n_differences_open_prediction", int)
    if n_open < 0:
        raise r.fail("n_differences_open_prediction", "must be >= 0")
    split = r.get("split", str)
    if split not in SPLITS:
        raise r.fail("split", f"expected one of {', '.join(SPLITS)}, got {split!r}")

    return Sample(
        sample_key=sample_key,
        videos=videos,  # type: ignore[arg-type]
        action=r.get("action", str),
        action_name=r.get("action_name", str),
        action_description=r.get("action_description", str),
        source_dataset=r.get("source_dataset", str),
        sample_hash=r.get("sample_hash", int),
        domain=r.get("domain", str),
        split=split,
        n_differences_open_prediction=n_open,
        differences_annotated=annotated,
        differences_gt=gt,
        retrieval_frames=retrieval,  # type: ignore[arg-type]
        thumbnails=(_thumbnail(row.get("vid0_thumbnail")), _thumbnail(row.get("vid1_thumbnail"))),
    )


def _parse_video(r: _RowReader, i: int, v: Any) -> VideoRef:
    where = f"videos[{i}]"
    if not isinstance(v, dict):
        raise r.fail(where, "expected an object")
    path = v.get("path")
    if not isinstance(path, str) or not path:
        raise r.fail(f"{where}.path", "expected a non-empty string")
    problem = path_problem(path)
    if problem:
        raise r.fail(f"{where}.path", f"{path!r} {problem}")
    fps = v.get("fps_original")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not _positive_finite(fps):
        raise r.fail(f"{where}.fps_original",
                     f"expected a positive finite number, got {_short(fps)}")
    trim = v.get("frames_trim", [None, None, None])
    if not isinstance(trim, list) or not 1 <= len(trim) <= 3 or not all(
        x is None or (isinstance(x, int) and not isinstance(x, bool)) for x in trim
    ):
        raise r.fail(f"{where}.frames_trim", f"expected [start, stop, step] ints, got {trim!r}")
    trim = list(trim) + [None] * (3 - len(trim))
    if trim[2] is not None and trim[2] <= 0:
        raise r.fail(f"{where}.frames_trim", "step must be positive")
    return VideoRef(path=path, fps_original=float(fps), frames_trim=tuple(trim),
                    origin=f"{r.source}: sample {r.key!r}: field '{where}.path'")


def _positive_finite(x: int | float) -> bool:
    try:
        return math.isfinite(x) and x > 0
    except OverflowError:  # an int too large for a float
        return False


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge integer"
    return text if len(text) <= 80 else text[:77] + "..."


def _parse_difference(r: _RowReader, key: str, v: Any) -> Difference | None:
    if v is None:
        return None
    where = f"differences_annotated[{key!r}]"
    if not isinstance(v, dict):
        raise r.fail(where, "expected an object or null")
    desc = v.get("description")
    if not isinstance(desc, str) or not desc.strip():
        raise r.fail(f"{where}.description", "expected a non-empty string")
    return Difference(
        key=key,
        name=str(v.get("name", "")),
        description=desc,
        query_string=str(v.get("query_string", "")),
        num_frames=str(v.get("num_frames", "1")),
    )


def _parse_retrieval(r: _RowReader, d: dict) -> dict[str, list[int] | None]:
    out: dict[str, list[int] | None] = {}
    for k, v in d.items():
        if v is None:
            out[str(k)] = None
        elif isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
            out[str(k)] = list(v)
        else:
            raise r.fail("retrieval_frames", f"key {k!r}: expected a list of frame indices or null")
    return out


def trim_span(frames_trim: tuple[int | None, int | None, int | None]) -> int | None:
    """How many original-rate frames the trim [start, stop) spans, when the trim alone decides
    it (an explicit stop on the same side of the video as the start); None when that needs the
    video's frame count. The step does not count: retrieval_frames number frames at
    fps_original from the trim start (docs/protocol.md), so they run 0 .. span - 1."""
    start, stop, _ = frames_trim
    start = 0 if start is None else start
    if stop is None or (start < 0) != (stop < 0):
        return None
    return max(0, stop - start)


def _check_retrieval_in_trim(r: _RowReader, i: int, ref: VideoRef,
                             frames: dict[str, list[int] | None]) -> None:
    """Refuse retrieval frames that cannot be original-rate frame numbers of the trimmed clip:
    a negative index, or one past the trim's explicit stop (the rest needs the video)."""
    span = trim_span(ref.frames_trim)
    for k, indices in frames.items():
        for x in indices or ():
            if x < 0:
                raise r.fail(f"retrieval_frames[{i}]",
                             f"key {k!r}: frame {x} is negative (frames count from the trim "
                             "start)")
            if span is not None and x >= span:
                raise r.fail(
                    f"retrieval_frames[{i}]",
                    f"key {k!r}: frame {x} lies past the trimmed clip of video {'ab'[i]} "
                    f"(frames_trim {list(ref.frames_trim)} spans {span} frames at "
                    f"fps_original, indices 0..{span - 1}); retrieval_frames count frames at "
                    "fps_original from the trim start")


def sample_to_row(s: Sample) -> dict[str, Any]:
    """The inverse of parse_row: a row in the hub's schema (JSON fields as strings)."""
    return {
        "sample_key": s.sample_key,
        "vid0_thumbnail": {"bytes": s.thumbnails[0], "path": None} if s.thumbnails[0] else None,
        "vid1_thumbnail": {"bytes": s.thumbnails[1], "path": None} if s.thumbnails[1] else None,
        "videos": json.dumps(
            [
                {"path": v.path, "fps_original": v.fps_original, "frames_trim": list(v.frames_trim)}
                for v in s.videos
            ]
        ),
        "action": s.action,
        "action_name": s.action_name,
        "action_description": s.action_description,
        "source_dataset": s.source_dataset,
        "sample_hash": s.sample_hash,
        "retrieval_frames": json.dumps(list(s.retrieval_frames)),
        "differences_annotated": json.dumps(
            {
                k: None if d is None else {
                    "name": d.name, "description": d.description,
                    "query_string": d.query_string, "num_frames": d.num_frames,
                }
                for k, d in s.differences_annotated.items()
            }
        ),
        "differences_gt": json.dumps(s.differences_gt),
        "domain": s.domain,
        "split": s.split,
        "n_differences_open_prediction": s.n_differences_open_prediction,
    }
