"""Running the pipeline's coroutines from synchronous code."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to the end from synchronous code, also from inside a running event loop
    (a Jupyter cell), where it runs on a worker thread with a loop of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vdbench") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()  # type: ignore[arg-type]
