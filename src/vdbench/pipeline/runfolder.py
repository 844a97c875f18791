"""One writer per run folder, and no finished run silently replaced.

A run holds an exclusive `flock` on the folder's lock file (released by the kernel when the
process ends, however it ends) with its pid written inside, so a second `eval` or `score`
into the same `--out` is refused naming the process that holds it. A folder that holds a
finished run is replaced only with `--overwrite`, which first removes every file the old run
wrote; a run that ended incomplete is replaced without it, since rerunning the same command
is how an incomplete run is finished."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vdbench.core.errors import InputError

LOCK_FILE = ".vdbench.lock"
RUN_PATTERNS = ("predictions*.json", "outputs*.jsonl", "samples*.jsonl", "judge*.jsonl",
                "results.json", "run.json", "metadata.template.json")


def run_files(folder: Path) -> list[Path]:
    """The files a run writes that are in `folder` now."""
    found = {p for pattern in RUN_PATTERNS for p in folder.glob(pattern) if p.is_file()}
    return sorted(found)


def _finished(folder: Path) -> bool:
    """A results.json that says complete (an unreadable one counts as finished: keep it)."""
    path = folder / "results.json"
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("complete", True) is not False
    except (OSError, ValueError, AttributeError):
        return True


def _holder(lock: Path) -> str:
    try:
        pid = lock.read_text(encoding="utf-8").strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "a process that has not written its pid yet"


@contextmanager
def claim_run_folder(folder: Path, *, overwrite: bool) -> Iterator[None]:
    """Hold `folder` for this run: refuse it when another process holds it or it holds a
    finished run (without `overwrite`); remove the old run's files before writing."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_FILE
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{folder}: in use by another vdbench run ({_holder(lock)}); wait "
                             "for it to finish or choose another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        old = run_files(folder)
        if old and _finished(folder) and not overwrite:
            raise InputError(f"{folder}: holds a finished run ({len(old)} files, results.json "
                             "among them); choose another --out, or pass --overwrite to "
                             "replace it (its files are removed first)")
        for path in old:
            path.unlink(missing_ok=True)
        yield
    finally:
        os.close(fd)  # releases the lock; the lock file stays (unlinking it would race)
