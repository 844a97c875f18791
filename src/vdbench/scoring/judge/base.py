"""The judge interface. A judge only proposes; the rules (one-to-one, existing keys) are
enforced by the scorer whatever the judge says."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from ...models.base import ModelOptions


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

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        pass


def get_judge(spec: str, options: ModelOptions) -> Judge:
    """`offline`, `paper` (gpt-4o-2024-08-06 matching, gpt-4o-mini direction, as published),
    or any model name the registry knows (both steps on that model)."""
    if spec == "offline":
        from .offline import OfflineJudge

        return OfflineJudge()
    from .llm import LLMJudge

    if spec in ("paper", "default"):
        return LLMJudge("gpt-4o", "gpt-4o-mini", options)
    match_model, _, direction_model = spec.partition(",")
    return LLMJudge(match_model, direction_model or match_model, options)
