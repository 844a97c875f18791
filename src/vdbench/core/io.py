"""Atomic file writes: a reader never sees a half-written results or leaderboard file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from vdbench.core.errors import InputError


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes owner-only files; results are meant to be shared
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | Path, obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def write_jsonl_atomic(path: str | Path, rows: list[dict]) -> None:
    write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def writable_folder(folder: Path, role: str, *, create: bool = True) -> None:
    """Check that `folder` can be written (and make it, unless create=False): a file in its
    place, or a folder that cannot be written, is bad input, refused before any work."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise InputError(f"{existing}: the {role} {folder} cannot be made: "
                         f"{existing} is a file, not a folder")
    try:  # try it: permission bits do not bind root, a read-only file system does
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".vdbench-probe-"))
    except OSError as exc:
        raise InputError(f"{folder}: the {role} is not writable ({exc.strerror})") from None
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{folder}: cannot create the {role} ({exc.strerror})") from None
