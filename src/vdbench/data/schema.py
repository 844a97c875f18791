"""Typed samples. The hub's JSON-in-string fields are parsed here, once, at load."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError

Label = Literal["a", "b", "c"]
LABELS = ("a", "b", "c")


@dataclass(frozen=True)
class VideoRef:
    path: str
    fps_original: float
    # slice(start, stop, step), stop exclusive
    frames_trim: tuple[int | None, int | None, int | None]

    @property
    def trim(self) -> slice:
        return slice(*self.frames_trim)

    def resolve(self, root: Path | None) -> Path:
        """The video's location: absolute paths as they are, relative ones under `root`."""
        path = Path(self.path).expanduser()
        return path if path.is_absolute() or root is None else root / path


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

    def closed_differences(self) -> list[Difference]:
        """The differences a model is asked about in closed mode (label a or b)."""
        return [d for k in self.scored_keys if (d := self.differences_annotated.get(k))]


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
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise self.fail(name, f"invalid JSON ({exc.msg} at char {exc.pos})") from None
        if value is None:
            raise self.fail(name, "missing")
        return value  # already parsed (e.g. a row built in code)


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

    n_open = r.get("n_differences_open_prediction", int)
    if n_open < 0:
        raise r.fail("n_differences_open_prediction", "must be >= 0")

    return Sample(
        sample_key=sample_key,
        videos=videos,  # type: ignore[arg-type]
        action=r.get("action", str),
        action_name=r.get("action_name", str),
        action_description=r.get("action_description", str),
        source_dataset=r.get("source_dataset", str),
        sample_hash=r.get("sample_hash", int),
        domain=r.get("domain", str),
        split=r.get("split", str),
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
    fps = v.get("fps_original")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or fps <= 0:
        raise r.fail(f"{where}.fps_original", f"expected a positive number, got {fps!r}")
    trim = v.get("frames_trim", [None, None, None])
    if not isinstance(trim, list) or not 1 <= len(trim) <= 3 or not all(
        x is None or (isinstance(x, int) and not isinstance(x, bool)) for x in trim
    ):
        raise r.fail(f"{where}.frames_trim", f"expected [start, stop, step] ints, got {trim!r}")
    trim = list(trim) + [None] * (3 - len(trim))
    if trim[2] is not None and trim[2] <= 0:
        raise r.fail(f"{where}.frames_trim", "step must be positive")
    return VideoRef(path=path, fps_original=float(fps), frames_trim=tuple(trim))  # type: ignore


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
