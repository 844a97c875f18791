"""What a provider's Batch API backend offers the collector: turn requests into lines,
submit a job, poll it, read its results and cancel it, through the provider's official SDK."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from vdbench.llm.batch.types import JobStatus, Line, LineOutcome
from vdbench.llm.types import ChatRequest

if TYPE_CHECKING:
    from vdbench.llm.adapter import ProviderAdapter


class BatchBackend(ABC):
    """One provider's Batch API. `adapter` is needed to build lines and read results; polling
    and cancelling need only a client (`vdbench batches cancel` has no adapter)."""

    provider: ClassVar[str]
    max_requests: ClassVar[int]  # per job, the provider's limit
    max_bytes: ClassVar[int]  # per job, the provider's limit

    def __init__(self, client: Callable[[], Any], adapter: ProviderAdapter | None = None):
        self._client = client  # the SDK client of the running event loop
        self._adapter = adapter

    @property
    def adapter(self) -> Any:
        if self._adapter is None:
            raise RuntimeError(f"{self.provider} batches: building or reading lines needs an "
                               "adapter")
        return self._adapter

    def client(self) -> Any:
        return self._client()

    @abstractmethod
    def endpoint(self) -> str:
        """The API root the jobs live at (a job id means nothing elsewhere)."""

    @abstractmethod
    async def prepare(self, request: ChatRequest, key: str) -> Line:
        """The request as one line of a job, its custom_id the request key."""

    @abstractmethod
    async def submit(self, lines: Sequence[Line], model: str) -> str:
        """Create a job of these lines; its id."""

    @abstractmethod
    async def poll(self, job_id: str) -> JobStatus: ...

    @abstractmethod
    async def results(self, job_id: str, status: JobStatus, custom_ids: Sequence[str]
                      ) -> dict[str, LineOutcome]:
        """What a finished job answered, by custom_id; requests it did not answer may be absent.
        `custom_ids` are the job's in submission order (some providers answer in order)."""

    @abstractmethod
    async def cancel(self, job_id: str) -> JobStatus: ...

    async def aclose(self) -> None:
        """Close a client the backend made itself (not an adapter's)."""
