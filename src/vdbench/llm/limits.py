"""Per-provider limits on a run's calls: how many are in flight, and how fast they start."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


class RateLimiter:
    """Spaces request starts at least 60/rpm seconds apart."""

    def __init__(self, rpm: float):
        self.interval_s = 60.0 / rpm
        self._next_start = 0.0

    async def wait(self) -> None:
        now = asyncio.get_running_loop().time()
        start = max(now, self._next_start)
        self._next_start = start + self.interval_s
        if start > now:
            await asyncio.sleep(start - now)


@dataclass
class ProviderLimits:
    """What bounds one provider's calls in a run: requests in flight, and their rate."""

    semaphore: asyncio.Semaphore
    rate: RateLimiter | None
