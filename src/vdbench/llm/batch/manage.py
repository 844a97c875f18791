"""The job table from outside a run: list the jobs of a cache folder, cancel pending ones."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from vdbench.core.errors import InputError
from vdbench.core.lazy import load_target
from vdbench.llm.batch.collector import backend_class
from vdbench.llm.batch.store import BATCH_FILE, JobRecord, JobStore
from vdbench.llm.batch.types import Phase
from vdbench.llm.errors import summarize
from vdbench.llm.providers import registry


def _key_var(provider: str) -> str:
    """The variable of the provider's API key (its name when it declares none)."""
    record = registry.get(provider)
    return (record.key_env if record is not None else None) or provider


def _client(provider: str, endpoint: str) -> Any:
    """A batch client for a job, made without an adapter (its record's batch_client)."""
    record = registry.get(provider)
    if record is None or record.batch_client is None:
        raise InputError(f"provider {provider} has no batch client to cancel its jobs with")
    return load_target(record.batch_client)(endpoint, os.environ[_key_var(provider)])


def list_jobs(cache_dir: Path, phase: Phase | None = None) -> list[JobRecord]:
    """The jobs recorded in a cache folder, oldest first (none when it has no job table)."""
    if not (cache_dir / BATCH_FILE).exists():
        return []
    store = JobStore.in_folder(cache_dir)
    try:
        return store.jobs(phase)
    finally:
        store.close()


@dataclass(frozen=True)
class Cancelled:
    job: JobRecord
    state: str  # the provider's state after the cancel request, or the error
    ok: bool


async def cancel_jobs(cache_dir: Path, job_ids: Sequence[str] = ()) -> list[Cancelled]:
    """Cancel pending jobs (those named, else all) through their provider's SDK, and mark
    them cancelled in the table. Needs each provider's API key in its usual variable."""
    pending = list_jobs(cache_dir, "pending")
    if job_ids:
        known = {job.job_id for job in list_jobs(cache_dir)}
        if unknown := [j for j in job_ids if j not in known]:
            raise InputError(f"no such batch job in {cache_dir / BATCH_FILE}: "
                             f"{', '.join(unknown)}")
        pending = [job for job in pending if job.job_id in job_ids]
    missing = sorted({_key_var(job.provider) for job in pending
                      if not os.environ.get(_key_var(job.provider))})
    if missing:
        raise InputError(f"cancelling needs the API key: set {', '.join(missing)}")
    if not pending:
        return []
    store = JobStore.in_folder(cache_dir)
    out = []
    try:
        for job in pending:
            client = _client(job.provider, job.endpoint)
            try:
                backend = backend_class(job.provider)(partial(_same, client))
                status = await backend.cancel(job.job_id)
                store.update(job.job_id, status, "cancelled", "cancelled with vdbench batches")
                out.append(Cancelled(job, status.state, True))
            except Exception as exc:  # noqa: BLE001 - report it, go on with the others
                out.append(Cancelled(job, summarize(exc), False))
            finally:
                await _close(client)
    finally:
        store.close()
    return out


def _same(client: Any) -> Any:
    return client


async def _close(client: Any) -> None:
    aio = getattr(client, "aio", None)
    if aio is not None:
        await aio.aclose()
    else:
        await client.close()
