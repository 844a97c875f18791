"""The judge interface. A judge only proposes; the rules (one-to-one, existing keys) are
enforced by the scorer whatever the judge says."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MatchTask:
    sample_key: str
    action_description: str
    gt: dict[str, str]  # annotated key -> description (every labelled difference)
    pred: dict[str, str]  # predicted key -> description


class Judge(ABC):
    name: str

    @abstractmethod
    async def match(self, task: MatchTask) -> dict[str, str | None]:
        """gt key -> predicted key or None (unvalidated)."""

    @abstractmethod
    async def opposites(self, pairs: list[tuple[str, str]]) -> list[bool]:
        """For (gt description, matched predicted description): is the wording opposite?"""

    @abstractmethod
    def identity(self) -> dict[str, Any]:
        """What makes two judges' scores comparable: models, prompt hashes, settings."""

    async def preflight(self) -> None:  # noqa: B027 - optional hook
        """Before any call: check that the judge's models are there (RunFailure)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        pass
