"""The job table: every batch job the moment it exists, so a killed run resumes polling it.

`CACHE_DIR/batches.sqlite`, next to the response cache, in WAL mode like it: several
processes may share it. A job's requests are stored by custom_id with their request key
(and position, for providers that answer in request order); a run looking for a key finds
the pending job that holds it instead of submitting it again.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vdbench.llm.batch.types import JobStatus, Phase
from vdbench.llm.cache import connect_wal

BATCH_FILE = "batches.sqlite"
JOBS = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    state TEXT NOT NULL,
    phase TEXT NOT NULL,
    n_requests INTEGER NOT NULL,
    n_succeeded INTEGER,
    n_failed INTEGER,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    note TEXT NOT NULL DEFAULT ''
)"""
MORE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS job_requests (
        job_id TEXT NOT NULL,
        custom_id TEXT NOT NULL,
        request_key TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (job_id, custom_id)
    )""",
    "CREATE INDEX IF NOT EXISTS job_requests_by_key ON job_requests (request_key)",
    "CREATE INDEX IF NOT EXISTS jobs_by_phase ON jobs (phase)",
)


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    provider: str
    model: str
    endpoint: str
    state: str
    phase: Phase
    n_requests: int
    n_succeeded: int | None
    n_failed: int | None
    created_at: float
    updated_at: float
    note: str


COLUMNS = ("job_id, provider, model, endpoint, state, phase, n_requests, n_succeeded, "
           "n_failed, created_at, updated_at, note")


class JobStore:
    """Batch jobs and their requests. Methods are synchronous: call them in a worker thread
    from async code, as the response cache does. path None: in memory (a run without cache)."""

    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()
        if path is None:
            self._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            self._db.execute(JOBS)
        else:
            self._db = connect_wal(path, JOBS)
        for statement in MORE_SCHEMA:
            self._db.execute(statement)

    @classmethod
    def in_folder(cls, cache_dir: Path) -> JobStore:
        return cls(cache_dir / BATCH_FILE)

    def add_job(self, job_id: str, provider: str, model: str, endpoint: str,
                custom_ids_and_keys: Iterable[tuple[str, str]], state: str = "submitted"
                ) -> None:
        rows = [(job_id, cid, key, i) for i, (cid, key) in enumerate(custom_ids_and_keys)]
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    f"INSERT OR REPLACE INTO jobs ({COLUMNS}) VALUES (?, ?, ?, ?, ?, 'pending', "
                    "?, NULL, NULL, ?, ?, '')",
                    (job_id, provider, model, endpoint, state, len(rows), now, now))
                self._db.executemany("INSERT OR REPLACE INTO job_requests VALUES (?, ?, ?, ?)",
                                     rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def update(self, job_id: str, status: JobStatus, phase: Phase | None = None,
               note: str | None = None) -> None:
        """Record a job's state and counts; `phase` only once its results are stored."""
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET state = ?, n_succeeded = COALESCE(?, n_succeeded), "
                "n_failed = COALESCE(?, n_failed), phase = COALESCE(?, phase), "
                "note = COALESCE(?, note), updated_at = ? WHERE job_id = ?",
                (status.state, status.succeeded, status.failed, phase, note, time.time(),
                 job_id))

    def pending_job(self, key: str, provider: str, endpoint: str) -> str | None:
        """The newest pending job at this endpoint that holds a request with this key."""
        with self._lock:
            row = self._db.execute(
                "SELECT j.job_id FROM job_requests r JOIN jobs j ON j.job_id = r.job_id "
                "WHERE r.request_key = ? AND j.phase = 'pending' AND j.provider = ? "
                "AND j.endpoint = ? ORDER BY j.created_at DESC LIMIT 1",
                (key, provider, endpoint)).fetchone()
        return row[0] if row else None

    def lines(self, job_id: str) -> list[tuple[str, str]]:
        """(custom_id, request key) of a job's requests, in the order they were submitted."""
        with self._lock:
            return [(cid, key) for cid, key in self._db.execute(
                "SELECT custom_id, request_key FROM job_requests WHERE job_id = ? "
                "ORDER BY position", (job_id,))]

    def job(self, job_id: str) -> JobRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {COLUMNS} FROM jobs WHERE job_id = ?",
                                   (job_id,)).fetchone()
        return JobRecord(*row) if row else None

    def jobs(self, phase: Phase | None = None) -> list[JobRecord]:
        query = f"SELECT {COLUMNS} FROM jobs"
        args: tuple[str, ...] = ()
        if phase is not None:
            query, args = query + " WHERE phase = ?", (phase,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY created_at", args).fetchall()
        return [JobRecord(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
