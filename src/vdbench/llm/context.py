"""What a model or judge factory receives from the run that builds it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vdbench.core.protocol import FAST, Protocol
from vdbench.llm.runtime import Runtime


@dataclass(frozen=True)
class CallContext:
    """The run's runtime (its cache connection, limits, budget and tallies) and the run-wide
    settings factories need. The run creates it and closes the runtime; factories only use it."""

    runtime: Runtime
    cache_dir: Path
    seed: int = 0
    base_url: str | None = None
    protocol: Protocol = FAST

    @property
    def dry_run(self) -> bool:
        return self.runtime.dry_run is not None
