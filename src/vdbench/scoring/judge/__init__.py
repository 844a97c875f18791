"""Judges match generated differences to the annotated ones and check their direction."""

from .base import Judge, MatchTask, get_judge

__all__ = ["Judge", "MatchTask", "get_judge"]
