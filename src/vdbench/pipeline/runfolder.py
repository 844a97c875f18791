"""One writer per run folder, and no finished run silently replaced.

A run holds an exclusive `flock` on the folder itself (released by the kernel when the
process ends, however it ends) and writes its pid beside it, so a second `eval` or `score`
into the same `--out` is refused naming the process that holds it. A folder that holds a
finished run is replaced only with `--overwrite`, which first removes every file the old run
wrote; a run that ended incomplete is replaced without it, since rerunning the same command
is how an incomplete run is finished."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vdbench.core.errors import InputError

PID_FILE = ".vdbench.pid"  # who holds the folder: informational, the lock is the folder's
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


def _holder(pid_file: Path) -> str:
    try:
        pid = pid_file.read_text(encoding="utf-8").strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "a process that has not written its pid yet"


def no_old_run() -> None:
    """The `clear` of a fresh folder: nothing to remove."""


@contextmanager
def claim_run_folder(folder: Path, *, overwrite: bool,
                     keep: Path | None = None) -> Iterator[Callable[[], None]]:
    """Hold `folder` for this run: refuse it when another process holds it or it holds a
    finished run (without `overwrite`). Yields `clear`, which removes the old run's files
    except `keep` (the prediction file `score` reads, which may lie in the folder it writes);
    the run calls it just before writing, so bad input or a failure leaves the old run be."""
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    pid_file = folder / PID_FILE
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{folder}: in use by another vdbench run ({_holder(pid_file)}); "
                             "wait for it to finish or choose another --out") from None
        pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
        try:
            kept = keep.resolve() if keep is not None else None
            old = [p for p in run_files(folder) if p.resolve() != kept]
            if old and _finished(folder) and not overwrite:
                raise InputError(f"{folder}: holds a finished run ({len(old)} files, "
                                 "results.json among them); choose another --out, or pass "
                                 "--overwrite to replace it (its files are removed first)")

            def clear() -> None:
                for path in old:
                    path.unlink(missing_ok=True)

            yield clear
        finally:
            pid_file.unlink(missing_ok=True)
    except BaseException:
        if made:  # a run refused or failed before writing leaves no empty folder behind
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    finally:
        os.close(fd)  # releases the lock
