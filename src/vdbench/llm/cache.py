"""Content-addressed response cache (HELM-style): every provider call goes through it.

One sqlite file in WAL mode, which several processes can share. The event loop never waits
on the file: a lookup is one primary-key read on a connection of its own (a WAL reader never
waits for a writer), and a reply is handed to a writer thread that commits whatever has
arrived in one transaction, within milliseconds, so a run killed at any moment resumes where
it stopped (a SIGKILL loses at most the replies of those last milliseconds; closing the cache,
as every run does, even on Ctrl-C, commits everything). Until it is committed a reply is
served from memory, so a lookup never misses a reply this process already has.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import json
import logging
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from vdbench.core.errors import InputError, RunFailure
from vdbench.core.io import writable_folder
from vdbench.llm.types import ChatReply, ChatRequest, TextPart, Usage

log = logging.getLogger("vdbench.cache")

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
_Row = tuple[str, str, str, int, int, float, float]  # one row of `responses`


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


def connect_wal(path: Path, schema: str) -> sqlite3.Connection:
    """A sqlite connection in WAL mode with `schema`; its timeout is sqlite's busy timeout,
    so a write waits for another process's instead of failing.

    Switching a new file to WAL takes an exclusive lock that the busy timeout does not wait
    for, so two processes opening a fresh file at once retry the setup.
    """
    writable_folder(path.parent, "cache folder (--cache-dir)")
    try:
        db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
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


_OPEN_CACHES: weakref.WeakSet[ResponseCache] = weakref.WeakSet()


@atexit.register
def _flush_open_caches() -> None:
    """A cache a program forgot to close still commits what it was given."""
    for cache in list(_OPEN_CACHES):
        try:
            cache.close()
        except Exception as exc:  # noqa: BLE001 - at exit nothing can be done but say so
            log.warning("%s: %s", cache.path, exc)


class ResponseCache:
    """Successful replies by request key.

    `get_now` / `put_now` read and commit at once (from any thread). The async `get` / `put`
    are what the runtime uses: `get` reads on the calling thread (one indexed lookup on a
    connection only it uses), `put` queues the reply for the writer thread and returns."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()  # _db: the synchronous API and the writer thread
        self._db = connect_wal(path, SCHEMA)
        self._read_lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None  # opened on the first async get
        # Replies queued for the writer and not yet committed, by key (served by get).
        self._pending: dict[str, _Row] = {}
        self._pending_lock = threading.Condition(threading.Lock())
        self._writer: threading.Thread | None = None
        self._write_error: BaseException | None = None
        self._closed = False
        _OPEN_CACHES.add(self)

    def get_now(self, key: str) -> ChatReply | None:
        if (queued := self._queued(key)) is not None:
            return queued
        with self._lock:
            row = self._db.execute(
                "SELECT text, input_tokens, output_tokens, cost_usd FROM responses WHERE key = ?",
                (key,),
            ).fetchone()
        return None if row is None else _reply(row)

    def put_now(self, key: str, model: str, reply: ChatReply) -> None:
        row = _row(key, model, reply)
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    async def get(self, key: str) -> ChatReply | None:
        """The cached reply, read without leaving the event loop: a primary-key lookup takes
        tens of microseconds, far less than a hop to a worker thread and back."""
        if (queued := self._queued(key)) is not None:
            return queued
        with self._read_lock:
            if self._reader is None:
                self._reader = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                                               check_same_thread=False)
            row = self._reader.execute(
                "SELECT text, input_tokens, output_tokens, cost_usd FROM responses WHERE key = ?",
                (key,),
            ).fetchone()
        return None if row is None else _reply(row)

    async def put(self, key: str, model: str, reply: ChatReply) -> None:
        """Queue the reply for the writer thread; a failure to write an earlier one stops
        the run here (RunFailure) rather than going unnoticed."""
        row = _row(key, model, reply)
        self._raise_write_error()
        with self._pending_lock:
            if self._closed:
                raise RunFailure(f"{self.path}: the response cache is closed")
            self._pending.setdefault(key, row)
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, daemon=True,
                                                name=f"vdbench-cache-writer:{self.path.name}")
                self._writer.start()
            self._pending_lock.notify()

    def flush(self) -> None:
        """Wait until every queued reply is committed (RunFailure if writing failed)."""
        with self._pending_lock:
            while self._pending and self._write_error is None and self._writer is not None:
                self._pending_lock.wait(0.1)
        self._raise_write_error()

    def __len__(self) -> int:
        self.flush()
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._pending_lock:
            already, self._closed = self._closed, True
            self._pending_lock.notify_all()
        writer = self._writer
        if writer is not None and writer is not threading.current_thread():
            writer.join()
        _OPEN_CACHES.discard(self)
        # The writer has committed everything queued, or stopped at a failure (raised below).
        with self._read_lock:
            if self._reader is not None:
                self._reader.close()
        with self._lock:
            self._db.close()
        if not already:
            self._raise_write_error()

    # --- the writer thread ---------------------------------------------------------------------

    def _queued(self, key: str) -> ChatReply | None:
        with self._pending_lock:
            row = self._pending.get(key)
        return None if row is None else _reply((row[2], row[3], row[4], row[5]))

    def _write_loop(self) -> None:
        while True:
            with self._pending_lock:
                while not self._pending and not self._closed:
                    self._pending_lock.wait()
                if not self._pending:  # closed, and everything committed
                    return
                batch = dict(self._pending)
            try:
                self._commit(list(batch.values()))
            except Exception as exc:  # noqa: BLE001 - reported by the next put, flush or close
                log.error("%s: cannot write the response cache: %s", self.path, exc)
                with self._pending_lock:
                    self._write_error = exc
                    self._pending_lock.notify_all()
                return
            with self._pending_lock:
                for key, row in batch.items():
                    if self._pending.get(key) is row:
                        del self._pending[key]
                self._pending_lock.notify_all()

    def _commit(self, rows: list[_Row]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # waits (busy timeout) for other writers
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _raise_write_error(self) -> None:
        if (exc := self._write_error) is not None:
            raise RunFailure(f"{self.path}: cannot write the response cache ({exc}); "
                             "check the disk and the --cache-dir folder") from exc


def _row(key: str, model: str, reply: ChatReply) -> _Row:
    if reply.status != "ok" or reply.text is None:
        raise ValueError("only successful replies are cached")
    return (key, model, reply.text, reply.usage.input_tokens, reply.usage.output_tokens,
            reply.cost_usd, time.time())


def _reply(row: tuple[Any, ...]) -> ChatReply:
    text, input_tokens, output_tokens, cost = row
    return ChatReply("ok", text=text, usage=Usage(input_tokens, output_tokens),
                     cost_usd=cost, cached=True)
