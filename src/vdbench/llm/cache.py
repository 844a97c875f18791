"""Content-addressed response cache (HELM-style): every provider call goes through it.

One sqlite file in WAL mode. Each reply is committed on its own, so a run killed at any
moment resumes where it stopped, and several processes can share the file. A lookup from the
event loop reads on the loop's own connection: one primary-key read, which in WAL mode never
waits for a writer, costs less than a hop to a worker thread and back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from vdbench.core.cachelock import CacheInUse
from vdbench.core.errors import InputError, RunFailure
from vdbench.core.io import writable_folder
from vdbench.llm.types import ChatReply, ChatRequest, TextPart, Usage

CACHE_FILE = "responses.sqlite"
KEY_VERSION = 1  # bump when the key layout changes, so old entries are never misread
SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    created_at REAL NOT NULL
)"""


def request_key(identity: dict[str, Any], request: ChatRequest) -> str:
    """sha256 of everything that changes the reply: adapter identity, settings, parts in order.

    Frames enter by content hash, so re-encoding the same video hits the cache and any
    change of frames, order, fps or label misses it. Endpoints and keys never enter.
    """
    parts = [
        {"text": p.text} if isinstance(p, TextPart) else
        {"video": p.label, "fps": p.clip.fps, "frames": [f.sha256 for f in p.clip.frames]}
        for p in request.parts
    ]
    payload = {
        "v": KEY_VERSION,
        "adapter": identity,
        "config": dataclasses.asdict(request.config),
        "system": request.system,
        "parts": parts,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


BUSY_TIMEOUT_S = 60.0  # how long a write waits for another process's


def connect_wal(path: Path, schema: str) -> sqlite3.Connection:
    """A sqlite connection in WAL mode with `schema`; its timeout is sqlite's busy timeout,
    so a write waits for another process's instead of failing.

    Switching a new file to WAL takes an exclusive lock that the busy timeout does not wait
    for, so two processes opening a fresh file at once retry the setup.
    """
    writable_folder(path.parent, "cache folder (--cache-dir)")
    try:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                             check_same_thread=False)
        for attempt in range(100):
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a kill
                db.execute(schema)
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 99:
                    raise
                time.sleep(0.05)
        status = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.OperationalError as exc:
        if "readonly" in str(exc) or "unable to open" in str(exc):
            raise InputError(f"{path}: cannot write this cache ({exc}); give a writable "
                             "--cache-dir") from None
        raise _damaged(path, exc) from None
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        raise _damaged(path, exc) from None
    if status != "ok":
        db.close()
        raise _damaged(path, status)
    return db


def _damaged(path: Path, problem: object) -> RunFailure:
    return RunFailure(f"{path}: the cache is damaged ({problem}). Move it aside "
                      f"(mv '{path}' '{path}.damaged') and run again: what is not cached is "
                      "computed or requested again.")



class ResponseCache:
    """Successful replies by request key. `get` reads on the calling thread, on a connection
    of its own; `put` commits in a worker thread (a write may wait for another process's)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._db = connect_wal(path, SCHEMA)
        self._in_use = CacheInUse(path.parent)  # `vdbench cache prune|clear` waits for us
        self._read_lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None  # opened by the first `get`

    def get_now(self, key: str) -> ChatReply | None:
        with self._lock:
            return _reply(self._db.execute(_SELECT, (key,)).fetchone())

    def put_now(self, key: str, model: str, reply: ChatReply) -> None:
        if reply.status != "ok" or reply.text is None:
            raise ValueError("only successful replies are cached")
        try:
            with self._lock:
                self._db.execute(
                    "INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (key, model, reply.text, reply.usage.input_tokens, reply.usage.output_tokens,
                     reply.cost_usd, time.time()),
                )
        except sqlite3.Error as exc:  # a full disk, a lock held past the busy timeout
            raise RunFailure(f"{self.path}: cannot write the response cache ({exc}); check "
                             "the disk and the --cache-dir folder, then run again") from None

    async def get(self, key: str) -> ChatReply | None:
        """The cached reply, read without leaving the event loop (tens of microseconds)."""
        with self._read_lock:
            if self._reader is None:
                self._reader = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                                               check_same_thread=False)
            return _reply(self._reader.execute(_SELECT, (key,)).fetchone())

    async def put(self, key: str, model: str, reply: ChatReply) -> None:
        await asyncio.to_thread(self.put_now, key, model, reply)

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._read_lock:
            if self._reader is not None:
                self._reader.close()
        with self._lock:
            self._db.close()
        self._in_use.close()


def response_summary(path: Path) -> list[tuple[str, int, int]]:
    """(model, entries, bytes of reply text) for each model in a response cache file."""
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=BUSY_TIMEOUT_S) as db:
        return db.execute("SELECT model, COUNT(*), SUM(LENGTH(text)) FROM responses "
                          "GROUP BY model ORDER BY model").fetchall()


def prune_responses(path: Path, *, before: float | None = None,
                    model: str | None = None) -> int:
    """Delete the replies stored before `before` (a Unix time) and/or for `model`; how many
    went. The caller holds the cache folder exclusively (core.cachelock)."""
    if not path.exists():
        return 0
    where: list[str] = []
    args: list[float | str] = []
    if before is not None:
        where.append("created_at < ?")
        args.append(before)
    if model is not None:
        where.append("model = ?")
        args.append(model)
    sql = "DELETE FROM responses" + (" WHERE " + " AND ".join(where) if where else "")
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        gone = db.execute(sql, args).rowcount
        db.execute("VACUUM")  # give the space back
    finally:
        db.close()
    return gone


_SELECT = "SELECT text, input_tokens, output_tokens, cost_usd FROM responses WHERE key = ?"


def _reply(row: tuple[Any, ...] | None) -> ChatReply | None:
    if row is None:
        return None
    text, input_tokens, output_tokens, cost = row
    return ChatReply("ok", text=text, usage=Usage(input_tokens, output_tokens),
                     cost_usd=cost, cached=True)
