"""Batch jobs as the fake provider servers keep them: each job answers its requests with the
server's reply function once it has been polled `polls` times (never while `hold` is set).

    server.batches.polls = 3                 # jobs finish at their third status check
    server.batches.fail_lines("500", None, "400")  # the next lines processed: 500, ok, 400
    server.batches.expire_next(answered=1)   # the next job expires after answering one line
    server.batches.hold = True               # jobs stay in progress until set back to False
    server.batches.refuse_next("500", "401")  # the next job creations answer these statuses
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeJob:
    id: str
    lines: list[Any]  # the provider's request items, in order
    polls_left: int
    fate: str  # completed, expired or failed
    answered_on_expiry: int = 0
    cancelled: bool = False
    finished: bool = False
    polls: int = 0
    line_faults: list[str | None] = field(default_factory=list)  # decided at the end
    extra: dict[str, Any] = field(default_factory=dict)  # what a server keeps per job


class BatchJobs:
    def __init__(self) -> None:
        self.polls = 1
        self.hold = False
        self.jobs: dict[str, FakeJob] = {}
        self._fates: deque[tuple[str, int]] = deque()
        self._line_faults: deque[str | None] = deque()
        self._refusals: deque[str] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    # --- what tests script -------------------------------------------------------------------

    def fail_lines(self, *kinds: str | None) -> None:
        """The next lines processed get these faults ("400", "429", "500"; None: answered)."""
        with self._lock:
            self._line_faults.extend(kinds)

    def expire_next(self, answered: int = 0) -> None:
        """The next job created expires once it finishes, having answered `answered` lines."""
        with self._lock:
            self._fates.append(("expired", answered))

    def fail_next(self) -> None:
        """The next job created fails (validation) once it finishes: no line is answered."""
        with self._lock:
            self._fates.append(("failed", 0))

    def refuse_next(self, *statuses: str) -> None:
        """The next requests to create a job are answered with these HTTP statuses."""
        with self._lock:
            self._refusals.extend(statuses)

    def take_refusal(self) -> str | None:
        with self._lock:
            return self._refusals.popleft() if self._refusals else None

    def polls_of(self, job_id: str) -> int:
        return self.jobs[job_id].polls

    # --- what servers call -------------------------------------------------------------------

    def create(self, prefix: str, lines: list[Any]) -> FakeJob:
        with self._lock:
            fate, answered = self._fates.popleft() if self._fates else ("completed", 0)
            job = FakeJob(f"{prefix}{next(self._ids)}", lines, self.polls, fate, answered)
            self.jobs[job.id] = job
            return job

    def poll(self, job: FakeJob) -> bool:
        """Count a status check; True once the job has finished (now or before)."""
        with self._lock:
            job.polls += 1
            if job.finished:
                return True
            if job.polls_left > 0:
                job.polls_left -= 1
            if job.cancelled or (job.polls_left == 0 and not self.hold):
                self._finish(job)
            return job.finished

    def cancel(self, job: FakeJob) -> None:
        with self._lock:
            if not job.finished:
                job.cancelled = True

    def answered(self, job: FakeJob) -> list[bool]:
        """Which lines a finished job answered (the others expired, were cancelled, or the
        job failed)."""
        if job.fate == "failed":
            return [False] * len(job.lines)
        if job.cancelled:
            return [False] * len(job.lines)
        if job.fate == "expired":
            return [i < job.answered_on_expiry for i in range(len(job.lines))]
        return [True] * len(job.lines)

    def _finish(self, job: FakeJob) -> None:
        job.finished = True
        job.line_faults = [self._line_faults.popleft() if self._line_faults and answered
                           else None for answered in self.answered(job)]

    def state(self, job: FakeJob) -> str:
        if not job.finished:
            return "in_progress"
        return "cancelled" if job.cancelled else job.fate
