"""Command-line options shared by several commands, declared once."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from vdbench.benchmarks.catalog import DEFAULT_BENCHMARK, benchmark_names
from vdbench.core import defaults
from vdbench.data.viddiffbench_facts import DOMAINS, SPLITS
from vdbench.scoring.judge.select import DEFAULT_JUDGE, JUDGE_HELP, spec_of_recorded
from vdbench.scoring.localization import DEFAULT_TOLERANCE_S


class Parser(argparse.ArgumentParser):
    """Usage errors in one line, not the whole usage block above them (subcommands too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def add_source_options(p: argparse.ArgumentParser) -> None:
    """Which benchmark: the data source, the split and where its videos and caches live."""
    p.add_argument("--benchmark", metavar="NAME",
                   help=f"which benchmark: {', '.join(benchmark_names())} (default "
                        f"{DEFAULT_BENCHMARK}; `vdbench benchmarks` lists them)")
    p.add_argument("--data", help=f"{defaults.DATA} (bundled, the default), a hub id, or a "
                                  "local folder")
    p.add_argument("--split", metavar="SPLIT",
                   help=f"a split of the benchmark (VidDiffBench: {', '.join(SPLITS)}) or "
                        f"{defaults.SPLIT}, the default")
    p.add_argument("--data-revision", metavar="REV",
                   help="hub data: a commit, tag or branch to pin (recorded in results.json)")
    p.add_argument("--video-root", type=Path, metavar="DIR",
                   help="where the videos are, if not beside the data (default: the data "
                        "folder)")
    p.add_argument("--cache-dir", type=Path, help="default: $VDBENCH_CACHE or ~/.cache/vdbench")


def add_selection_options(p: argparse.ArgumentParser) -> None:
    """Which samples, in which mode, and where the outputs go."""
    p.add_argument("--mode", metavar="TASK",
                   help="the benchmark's task (VidDiffBench: closed, the default, or open; "
                        "ViDiC-1K: compare)")
    p.add_argument("--domain", help=f"only this domain (VidDiffBench: {', '.join(DOMAINS)}; "
                                    "ViDiC-1K: a source collection)")
    p.add_argument("--action", help="only this action (VidDiffBench: its id, e.g. fitness_0; "
                                    "ViDiC-1K: a pairing kind, e.g. add_person)")
    p.add_argument("--per-action", type=int, metavar="N", help="first N pairs of each action")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N pairs")
    p.add_argument("--seed", type=int, default=defaults.SEED,
                   help="seed of the model's sampling and of random baselines (default 0)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="the run folder (default: a new runs/MODEL_MODE_SPLIT_TIME/)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a finished run in --out (its files are removed first); "
                        "without it such a folder is refused")


def add_scoring_options(p: argparse.ArgumentParser) -> None:
    """How open-mode answers are judged and localization is scored."""
    p.add_argument("--judge", metavar="JUDGE", help=JUDGE_HELP)
    p.add_argument("--protocol", default=defaults.PROTOCOL, choices=["paper", "fast"],
                   help="what models are shown and asked, and how the judge works: paper (the "
                        "reference code's settings, the default) or fast; docs/protocol.md")
    p.add_argument("--prompts", type=Path, metavar="DIR",
                   help="template files that replace vdbench's prompts (docs/protocol.md)")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE_S,
                   help="localization hit tolerance in seconds")
    p.add_argument("--concurrency", type=int, default=defaults.CONCURRENCY, metavar="N",
                   help=f"requests in flight at once (default {defaults.CONCURRENCY})")
    p.add_argument("--base-url", help="endpoint for OpenAI-compatible / provider APIs")


DEFAULTS = {"benchmark": DEFAULT_BENCHMARK, "data": defaults.DATA, "split": defaults.SPLIT,
            "mode": None, "judge": DEFAULT_JUDGE}  # mode None: the benchmark's first task


def resolve_source(args: argparse.Namespace, predictions: Path | None = None) -> None:
    """Fill --benchmark, --data, --split, --mode and --judge: the command line first, then
    the run.json beside a prediction file made by `vdbench eval`, then the defaults.
    `args.defaulted` names the ones that fell to the defaults, for commands that must say
    so."""
    from vdbench.core.runinfo import run_info_beside

    info = run_info_beside(predictions) if predictions is not None else None
    recorded = ({"benchmark": info.benchmark, "data": info.data, "split": info.split,
                 "mode": info.mode, "judge": spec_of_recorded(info.judge)} if info else {})
    args.defaulted = []
    for key, default in DEFAULTS.items():
        if hasattr(args, key) and getattr(args, key) is None:
            if key == "mode" and not recorded and getattr(args, "command", "") == "validate":
                continue  # validate takes the mode from the file's metadata unless given
            if recorded.get(key) is None:
                args.defaulted.append(key)
            setattr(args, key, recorded.get(key) or default)
