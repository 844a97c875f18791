"""`vdbench eval --dry-run` as a reader wants it: which data was priced, a table of requests,
images, tokens and cost per stage (the judge's included in open mode), and a warning for any
request that cannot fit its model's context window."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vdbench.data.loader import MINI_NOTE, is_mini
from vdbench.llm.windows import window_warnings


def _usd(value: float | str) -> str:
    return value if isinstance(value, str) else f"${value:,.4f}"


def _data_line(report: dict[str, Any]) -> str:
    data = f"{report['data']} @ {report['revision']}, {report['samples']} pairs"
    if is_mini(report["data"], report["revision"]):
        return (f"data priced: {data}: {MINI_NOTE}; pass --data jmhb/VidDiffBench for the "
                "benchmark's cost")
    return f"data priced: {data}"


def print_dry_run(report: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    title = f"dry run: {report['model']} · {report['mode']} · protocol {report['protocol']}"
    if report["mode"] == "open":
        title += f" · judge {report['judge']}"
    table = Table(title=escape(title))
    for col in ("stage", "models"):
        table.add_column(col)
    for col in ("requests", "images", "input tokens", "est. cost"):
        table.add_column(col, justify="right")
    for stage, t in report["stages"].items():
        cost = "unknown" if t.unpriced else _usd(t.cost_usd)
        table.add_row(stage, escape(", ".join(sorted(t.models))), f"{t.requests:,}",
                      f"{t.images:,}", f"{t.input_tokens:,}", cost)
    total = _usd(report["estimated_cost_usd"])
    table.add_row("total", "", f"{report['requests_to_send']:,}", f"{report['images']:,}",
                  f"{report['estimated_input_tokens']:,}",
                  "unknown" if total.startswith("unknown") else total, style="bold")
    console.print(table)
    notes = [_data_line(report),
             f"total: {report['requests_to_send']:,} requests, {report['images']:,} images, "
             f"{report['estimated_input_tokens']:,} input tokens, "
             f"{_usd(report['estimated_cost_usd'])} estimated",
             f"cached: {report['cached']:,} requests answered from the cache (not counted)",
             f"pricing: {report['pricing']}" if "pricing" in report else ""]
    if "estimated_cost_usd_live" in report:
        notes.append(f"at the live price: {_usd(report['estimated_cost_usd_live'])}")
    if report["mode"] == "open" and report["judge"] == "offline":
        notes.append("judge: offline, no requests")
    elif report["mode"] == "open":
        notes.append("judge: estimated with stand-in predictions as long as the annotated "
                     "differences, every annotated difference matched")
    if "thinking" in report:
        notes.append(f"thinking: {report['thinking']}")
    if report["largest_request_input_tokens"]:
        notes.append(f"largest request: {report['largest_request_input_tokens']:,} input tokens")
    for line in filter(None, notes):
        console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    for warning in window_warnings(report["largest_by_model"]):
        console.print(f"  [bold yellow]warning:[/] {escape(warning)}", highlight=False,
                      soft_wrap=True)
