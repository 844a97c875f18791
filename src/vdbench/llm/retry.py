"""Retry policy: exponential backoff with full jitter, bounded in attempts and total time."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    max_total_s: float = 120.0  # no new attempt starts after this long since the first
    base_delay_s: float = 0.5  # 0.5 s doubling up to 8 s, as the OpenAI and Anthropic SDKs do;
    max_delay_s: float = 8.0  # a longer wait comes from the server's Retry-After
    timeout_s: float = 120.0  # one attempt; videos of 150 frames take a while to upload

    def backoff_s(self, failures: int, rng: random.Random) -> float:
        """Full jitter (AWS architecture blog): uniform over [0, capped exponential)."""
        return rng.uniform(0.0, min(self.max_delay_s, self.base_delay_s * 2 ** (failures - 1)))

    def delay_s(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        jitter = self.backoff_s(failures, rng)
        return jitter if retry_after is None else max(retry_after, jitter)


DEFAULT_POLICY = RetryPolicy()


def parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header: delay in seconds, or an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
