"""A progress bar over samples: done/total, failures, cache hits and cost so far."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vdbench.core.types import SampleOutput
from vdbench.pipeline.predict import Observer


class ProgressBar(Observer):
    def __init__(self, disabled: bool = False):
        self.progress = Progress(
            TextColumn("[bold]eval"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[info]}"), disable=disabled,
        )
        self.task = self.progress.add_task("eval", total=None, info="")
        self.failed = self.cached = self.total = 0
        self.started = False
        self.cost = 0.0

    def __enter__(self) -> ProgressBar:
        return self  # drawn from the first pass on: an early error is not printed under a bar

    def __exit__(self, *exc) -> None:
        if self.started:
            self.progress.stop()

    def start(self, total: int) -> None:
        """Called once per pass over the samples (twice with --swap): the totals add up. The
        first call comes after the run's checks (data, videos, model, judge) have passed."""
        if not self.started:
            self.progress.start()
            self.started = True
        self.total += total
        self.progress.update(self.task, total=self.total)

    def batch(self, event: object) -> None:
        describe = getattr(event, "describe", None)
        if callable(describe):
            self.progress.console.log(describe())

    def done(self, out: SampleOutput) -> None:
        self.failed += out.status != "ok"
        self.cached += out.n_cached
        self.cost += out.cost_usd
        failed = f"{self.failed} failed · " if self.failed else ""
        self.progress.update(self.task, advance=1, info=(
            f"{failed}cache hits {self.cached} · ${self.cost:.4f}"))
