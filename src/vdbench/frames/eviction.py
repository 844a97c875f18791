"""The frame cache's size limit: least recently used entries evicted first, each removed so
that no reader ever sees part of one (renamed away in one atomic step, then deleted)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

GB = 10**9
TMP, EVICTED = ".tmp-", ".evicted-"  # entries being written / being deleted
_RESCAN_S = 30.0  # how long a process trusts its own count of the folder's size
_STALE_S = 3600.0  # a temp or evicted folder this old was left by a killed process

log = logging.getLogger("vdbench.frames")


def discard(entry: Path) -> None:
    """Remove a cache entry so that no reader ever sees part of one: renamed away first (one
    atomic step), then deleted."""
    gone = entry.with_name(f"{EVICTED}{entry.name}-{uuid.uuid4().hex}")
    try:
        os.rename(entry, gone)
    except OSError:
        return  # already gone (another process evicted it), or in use where that is refused
    shutil.rmtree(gone, ignore_errors=True)


class Evictor:
    """Keeps a frame cache folder under a size limit, least recently used entries first.

    Entries never change once stored, so each one's size is read once per process (the
    manifest records it) and kept; a scan then costs one stat per entry. A process rescans
    after its own stores take its last count over the limit, and at least every _RESCAN_S
    seconds while it stores, which is how it learns of other processes' stores.
    """

    def __init__(self, root: Path, limit_bytes: int):
        self.root = root
        self.limit = limit_bytes
        self._sizes: dict[str, int] = {}
        self._total: int | None = None  # the folder's size at the last scan, plus our stores
        self._scanned_at = 0.0
        self._lock = threading.Lock()

    def stored(self, key: str, nbytes: int) -> None:
        with self._lock:
            self._sizes[key] = nbytes
            if self._total is not None:
                self._total += nbytes
                if (self._total <= self.limit
                        and time.monotonic() - self._scanned_at < _RESCAN_S):
                    return
            self._evict(keep=key)

    def _evict(self, keep: str) -> None:
        entries = self.scan()
        total = sum(size for _, _, size in entries)
        if total > self.limit:
            for mtime, name, size in sorted(entries):  # oldest first
                if total <= self.limit:
                    break
                if name == keep:
                    continue
                entry = self.root / name
                try:
                    if entry.stat().st_mtime != mtime:
                        continue  # used since the scan: no longer the oldest
                except OSError:
                    total -= size  # gone already
                    continue
                discard(entry)
                self._sizes.pop(name, None)
                total -= size
            if total > self.limit:
                log.info("frame cache %s: %.2f GB after eviction, over its %.2f GB limit "
                         "(the entry just stored is kept)", self.root, total / GB,
                         self.limit / GB)
        self._total, self._scanned_at = total, time.monotonic()

    def scan(self) -> list[tuple[float, str, int]]:
        """(mtime, name, bytes) of every entry; leftovers of killed processes removed."""
        out = []
        now = time.time()
        try:
            listing = list(os.scandir(self.root))
        except OSError:
            return []
        for item in listing:
            try:
                st = item.stat()
                if not item.is_dir():
                    continue
            except OSError:
                continue  # evicted while we looked
            if item.name.startswith((TMP, EVICTED)):
                if now - st.st_mtime > _STALE_S:
                    shutil.rmtree(item.path, ignore_errors=True)
                continue
            if item.name.startswith("."):
                continue
            size = self._sizes.get(item.name)
            if size is None:
                size = entry_size(Path(item.path))
                if size is None:
                    continue  # evicted while we looked
                self._sizes[item.name] = size
            out.append((st.st_mtime, item.name, size))
        return out


def entry_size(entry: Path) -> int | None:
    """Bytes of one entry: its manifest's count (and the manifest), else every file's size."""
    manifest = entry / "manifest.json"
    try:
        text = manifest.read_bytes()
        recorded = json.loads(text).get("bytes")
        if isinstance(recorded, int):
            return recorded + len(text)
    except (OSError, ValueError, AttributeError):
        pass
    try:
        with os.scandir(entry) as files:
            return sum(f.stat().st_size for f in files if f.is_file())
    except OSError:
        return None
