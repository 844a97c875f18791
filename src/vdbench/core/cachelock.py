"""Who is using a cache folder: every run holds a shared `flock` on CACHE_DIR/.in-use for its
whole life (the kernel releases it when the process ends, however it ends), and `vdbench cache
prune|clear` changes the folder only under an exclusive one, which it cannot get while any run
holds the folder."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from vdbench.core.errors import InputError

LOCK_FILE = ".in-use"


class CacheInUse:
    """A run's shared hold on its cache folder; `close()` lets it go."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_SH)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


def exclusive(folder: Path) -> int:
    """An exclusive hold on the cache folder (a descriptor; close it to let go); InputError
    when a running process holds the folder."""
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InputError(f"{folder}: a running vdbench process is using this cache; wait for "
                         "it to finish (nothing was changed)") from None
    return fd
