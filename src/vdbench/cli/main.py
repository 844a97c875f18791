"""`vdbench eval | score | validate | submit | leaderboard | view | judge-eval | batches |
data check | compare | frames | models`.

Exit codes: 0 done, 2 bad input, 1 failure."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from vdbench.cli import batches, board, cache_cmd, data_check, judging, prompts_cmd
from vdbench.cli.options import (
    Parser,
    add_scoring_options,
    add_selection_options,
    add_source_options,
    resolve_source,
)
from vdbench.core import defaults
from vdbench.core.errors import InputError, MissingExtraError, RunFailure
from vdbench.viewer import command as viewer

err = Console(stderr=True, soft_wrap=True)


def _add_data_args(p: argparse.ArgumentParser) -> None:
    add_source_options(p)
    add_selection_options(p)
    add_scoring_options(p)


def _frame_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fps", type=float, help="sampling fps for every domain (default: paper's)")
    p.add_argument("--max-frames", type=int,
                   help="cap for both videos together (default: the protocol's, 150)")
    p.add_argument("--long-side", type=int,
                   help="resize bound in pixels (default: the protocol's; fast: 512)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="vdbench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("eval", help="run a model on a split, score it, record it")
    ev.add_argument("--model", required=True,
                    help="what to evaluate: random, gpt-4o, replay:PATH, ... (`vdbench models` "
                         "lists every name)")
    _add_data_args(ev)
    _frame_args(ev)
    ev.add_argument("--skip-missing", action="store_true", help="evaluate samples with videos")
    ev.add_argument("--rpm", type=float, help="requests-per-minute limit")
    ev.add_argument("--max-cost", type=float, metavar="USD",
                    help="stop sending requests once this much is spent (rerun to resume)")
    ev.add_argument("--price", metavar="IN,OUT",
                    help="USD per million input and output tokens, for models without a "
                         "listed price (needed with --max-cost)")
    ev.add_argument("--max-failures", default=defaults.MAX_FAILURES, metavar="N|P%",
                    help="samples that may fail (API, frames, judge) with the run still "
                         "complete; they count as wrong (default 0)")
    ev.add_argument("--batch", action="store_true",
                    help="send requests that miss the cache as Batch API jobs (OpenAI, "
                         "Anthropic, Gemini) at half price; the run waits for them, and a "
                         "rerun resumes them (see `vdbench batches`)")
    ev.add_argument("--dry-run", action="store_true",
                    help="count requests, images and estimated cost; send nothing")
    ev.add_argument("--epochs", type=int, default=defaults.EPOCHS, metavar="N",
                    help="run each sample N times with seeds SEED..SEED+N-1 and report the "
                         "mean and spread (meaningful at temperature > 0, as under paper)")
    ev.add_argument("--swap", action="store_true",
                    help="also run every pair with the videos swapped (position bias)")
    ev.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                    help="adapter/method option, e.g. gemini_input=video, image_detail=high")
    ev.add_argument("--frame-cache-gb", type=float, default=defaults.FRAME_CACHE_GB,
                    metavar="GB",
                    help="size limit of the frame cache (CACHE_DIR/frames), in GB (default "
                         f"{defaults.FRAME_CACHE_GB:g}); past it the least recently used "
                         "clips are deleted")
    ev.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")

    sc = sub.add_parser("score", help="score a prediction file")
    sc.add_argument("predictions", type=Path,
                    help="a prediction file (a run's predictions.json, or a file made elsewhere)")
    _add_data_args(sc)

    va = sub.add_parser("validate", help="check a prediction file strictly")
    va.add_argument("predictions", type=Path, help="the prediction file to check")
    _add_data_args(va)
    board.add_validate_options(va)
    board.add_commands(sub)
    viewer.add_commands(sub)
    judging.add_commands(sub)
    batches.add_commands(sub)
    data_check.add_commands(sub)
    prompts_cmd.add_commands(sub)
    cache_cmd.add_commands(sub)

    fr = sub.add_parser("frames", help="write the frames a model would be shown")
    fr.add_argument("video", nargs="?", help="a video file or a folder of frames")
    fr.add_argument("--sample", help="with --data: a sample_key; writes both videos")
    fr.add_argument("--benchmark", metavar="NAME",
                    help="with --sample: which benchmark; given, the frames are sampled as its "
                         "paper protocol does (default: VidDiffBench, vdbench's frame defaults)")
    fr.add_argument("--data", default=defaults.DATA,
                    help="with --sample: mini (the default), a hub id, or a local folder")
    fr.add_argument("--video-root", type=Path, metavar="DIR",
                    help="where the videos are, if not beside the data")
    fr.add_argument("--fps-original", type=float, default=8.0, help="for a folder of frames")
    fr.add_argument("--cache-dir", type=Path, help="default: $VDBENCH_CACHE or ~/.cache/vdbench")
    fr.add_argument("--out", type=Path, required=True, metavar="DIR",
                    help="folder for the frames and a contact sheet")
    _frame_args(fr)

    sub.add_parser("models", help="list the registered models and what each needs")
    sub.add_parser("benchmarks", help="list the registered benchmarks and their tasks")

    cp = sub.add_parser("compare", help="paired test between two runs on the same samples")
    cp.add_argument("run_a", type=Path, help="a run folder (or its results.json)")
    cp.add_argument("run_b", type=Path, help="another run on the same samples")
    return parser


def _eval_config(args: argparse.Namespace):
    from vdbench.pipeline.options import OPTIONS, eval_config

    return eval_config({k: v for k, v in vars(args).items() if k in OPTIONS})


def _frame_overrides(args: argparse.Namespace) -> dict:
    """--fps, --max-frames and --long-side where given: they change the protocol's sampling."""
    from vdbench.pipeline.options import FRAMES

    return {name: getattr(args, name) for name in FRAMES if getattr(args, name, None) is not None}


def _frame_spec(args: argparse.Namespace):
    from vdbench.frames.spec import FrameSpec

    return FrameSpec(**_frame_overrides(args))


def cmd_eval(args: argparse.Namespace) -> int:
    from vdbench.cli.progress import ProgressBar
    from vdbench.cli.summary import print_summary
    from vdbench.pipeline.run import run_eval

    cfg = _eval_config(args)
    if cfg.dry_run:
        from vdbench.cli.dryrun import print_dry_run
        from vdbench.pipeline.run import dry_run

        print_dry_run(dry_run(cfg))
        return 0
    with ProgressBar(disabled=args.no_progress) as bar:
        results, out = run_eval(cfg, bar)
    print_summary(results)
    _print_wrote(out)
    return _incomplete_exit(results, out)


def _print_wrote(out: Path) -> None:
    """The run's files: the old run's were removed before this one wrote, so all are new."""
    from vdbench.pipeline.runfolder import run_files

    files = ", ".join(p.name for p in run_files(out))
    Console().print(f"  wrote {out}/: {files}", highlight=False, soft_wrap=True)


def cmd_score(args: argparse.Namespace) -> int:
    from vdbench.cli.summary import print_summary
    from vdbench.pipeline.run import score_file

    results, out = score_file(args.predictions, _eval_config(args))
    print_summary(results)
    _print_wrote(out)
    return _incomplete_exit(results, out)


def _incomplete_exit(results, out: Path) -> int:
    """0 for a complete run; 1, with what failed and how to finish, for an incomplete one."""
    if results.complete:
        return 0
    from vdbench.cli.summary import incomplete_message

    err.print(f"[bold red]failed:[/] {escape(incomplete_message(results, out))}", highlight=False)
    return 1


def cmd_frames(args: argparse.Namespace) -> int:
    from vdbench.frames.contact import export_frames

    spec = _frame_spec(args)
    title = ""
    if args.sample:
        from vdbench.benchmarks.catalog import get_benchmark
        from vdbench.data.loader import Selection
        from vdbench.frames.prepare import FramePreparer

        benchmark = get_benchmark(args.benchmark)
        chosen = "benchmark" not in getattr(args, "defaulted", [])
        if chosen:  # what its paper protocol shows, with --fps etc. on top
            from vdbench.core.protocol import get_protocol

            protocol = benchmark.adapt_protocol(get_protocol(defaults.PROTOCOL))
            spec = dataclasses.replace(benchmark.frame_spec(protocol), **_frame_overrides(args))
        bench = benchmark.load(args.data, Selection(), video_root=args.video_root,
                               cache_dir=args.cache_dir, skip_missing=False,
                               check_videos=chosen, revision=None)
        sample = next((s for s in bench.samples if s.sample_key == args.sample), None)
        if sample is None:
            raise InputError(f"--sample: {args.sample!r} is not a sample of --data {args.data}")
        clips = list(FramePreparer(spec, args.cache_dir, bench.video_root).prepare_pair(sample))
        name = getattr(sample, "action_name", "")
        title = (f"{sample.sample_key} · {name + ' ' if name else ''}"
                 f"({sample.action}, {sample.domain})")
    elif args.video:
        from vdbench.frames.prepare import prepare_single

        if args.fps is None:
            raise InputError("frames VIDEO: --fps is required for a single video")
        clips = [prepare_single(Path(args.video), args.fps, spec, args.cache_dir,
                                folder_fps=args.fps_original)]
        title = str(args.video)
    else:
        raise InputError("frames: give a VIDEO path, or --data SRC --sample KEY")
    paths = export_frames(clips, args.out, title=title)
    Console().print(f"wrote {len(paths)} files to {args.out} "
                    f"({', '.join(f'{len(c)} frames at {c.fps:g} fps' for c in clips)})")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from rich.table import Table

    from vdbench.catalog import list_models

    console = Console()
    if not console.is_terminal:  # piped: one tab-separated line per model, for grep and cut
        for info in list_models():
            print(f"{info.shown}\t{info.description}\t{info.needs or '-'}")
        return 0
    table = Table(title="vdbench models")
    for col in ("name", "description", "needs"):
        table.add_column(col)
    for info in list_models():
        table.add_row(escape(info.shown), escape(info.description), escape(info.needs or "-"))
    console.print(table)
    return 0


def cmd_benchmarks(args: argparse.Namespace) -> int:
    from vdbench.benchmarks.catalog import benchmark_names, get_benchmark

    for name in benchmark_names():
        spec = get_benchmark(name)
        axes = "; ".join(f"--{k} {v}" for k, v in spec.axes.items()) or "-"
        print(f"{name}\t{spec.title}\ttasks: {', '.join(spec.modes)}\tselect: {axes}\t"
              f"{spec.citation}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from vdbench.cli.summary import print_comparison
    from vdbench.pipeline.compare import compare_runs

    print_comparison(compare_runs(args.run_a, args.run_b))
    return 0


COMMANDS = {"eval": cmd_eval, "score": cmd_score, "validate": board.cmd_validate,
            "frames": cmd_frames, "models": cmd_models, "benchmarks": cmd_benchmarks,
            "compare": cmd_compare, **board.COMMANDS,
            **viewer.COMMANDS, **judging.COMMANDS, **batches.COMMANDS, **data_check.COMMANDS,
            **prompts_cmd.COMMANDS, **cache_cmd.COMMANDS}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        resolve_source(args, getattr(args, "predictions", None))
        return COMMANDS[args.command](args)
    except (InputError, MissingExtraError) as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        return 2
    except RunFailure as exc:
        err.print(f"[bold red]failed:[/] {escape(str(exc))}", highlight=False)
        return 1
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
