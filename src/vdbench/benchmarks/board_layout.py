"""What a benchmark's section of the leaderboard shows besides its headline metric: which
metrics of the whole selection and which breakdown's groups become columns, with their
titles, and the section's own notes. A spec carries its layout (`BenchmarkSpec.board`);
VidDiffBench's tables (splits, their average, open-mode errors) are drawn by the
leaderboard's view as they always were, and a benchmark without a layout gets every metric
its results hold as a column."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Entries of a results' `metrics` that are not columns of their own: the headline's interval
# and test, counts, and the open-mode error shares VidDiffBench shows in its own way.
NOT_COLUMNS = ("ci95", "p_vs_chance", "split_average", "err_judge")


@dataclass(frozen=True)
class Layout:
    headline_title: str  # the ranked column
    metrics: tuple[tuple[str, str], ...] = ()  # (key in results.metrics, column title)
    breakdown: str | None = None  # a key of results.breakdowns whose groups are columns
    groups: tuple[tuple[str, str], ...] = ()  # (group, column title), in this order
    notes: tuple[str, ...] = ()  # shown under the section's heading
    generic: bool = False  # no layout: every numeric metric is a column
    chance_text: str = "chance level:"  # before the table's chance level (spec.chance)

    def metric_keys(self, metrics: Mapping[str, Any], headline: str) -> list[str]:
        if not self.generic:
            return [k for k, _ in self.metrics]
        return sorted(k for k, v in metrics.items()
                      if k != headline and k not in NOT_COLUMNS and not k.startswith("n_")
                      and isinstance(v, (int, float)) and not isinstance(v, bool))

    def group_keys(self, groups: Mapping[str, Any]) -> list[str]:
        """The layout's groups in its order, then any other group the record has."""
        named = [k for k, _ in self.groups]
        return named + sorted(k for k in groups if k not in named)

    def title(self, key: str) -> str:
        for k, title in (*self.metrics, *self.groups):
            if k == key:
                return title
        return key.replace("_", " ").capitalize()


GENERIC = Layout(headline_title="Headline", generic=True)
