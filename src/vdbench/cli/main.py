"""`vdbench eval | score | validate | submit | leaderboard | compare | frames | models`.

Exit codes: 0 done, 2 bad input, 1 failure."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..errors import InputError, MissingExtraError, RunFailure
from . import board
from .options import add_scoring_options, add_selection_options, add_source_options

err = Console(stderr=True, soft_wrap=True)


def _add_data_args(p: argparse.ArgumentParser) -> None:
    add_source_options(p)
    add_selection_options(p)
    add_scoring_options(p)


def _frame_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fps", type=float, help="sampling fps for every domain (default: paper's)")
    p.add_argument("--max-frames", type=int, default=150, help="cap for both videos together")
    p.add_argument("--long-side", type=int, default=512, help="resize bound in pixels")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vdbench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("eval", help="run a model on a split, score it, record it")
    ev.add_argument("--model", default="random")
    _add_data_args(ev)
    _frame_args(ev)
    ev.add_argument("--skip-missing", action="store_true", help="evaluate samples with videos")
    ev.add_argument("--rpm", type=float, help="requests-per-minute limit")
    ev.add_argument("--max-cost", type=float, metavar="USD",
                    help="stop sending requests once this much is spent (rerun to resume)")
    ev.add_argument("--dry-run", action="store_true",
                    help="count requests, images and estimated cost; send nothing")
    ev.add_argument("--swap", action="store_true",
                    help="also run every pair with the videos swapped (position bias)")
    ev.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                    help="adapter/method option, e.g. gemini_input=video, image_detail=high")
    ev.add_argument("--no-progress", action="store_true")

    sc = sub.add_parser("score", help="score a prediction file")
    sc.add_argument("predictions", type=Path)
    _add_data_args(sc)

    va = sub.add_parser("validate", help="check a prediction file strictly")
    va.add_argument("predictions", type=Path)
    _add_data_args(va)
    va.set_defaults(mode=None)  # validate takes the mode from the metadata unless given
    board.add_validate_options(va)
    board.add_commands(sub)

    fr = sub.add_parser("frames", help="write the frames a model would be shown")
    fr.add_argument("video", nargs="?", help="a video file or a folder of frames")
    fr.add_argument("--sample", help="with --data: a sample_key; writes both videos")
    fr.add_argument("--data", default="mini")
    fr.add_argument("--video-root", type=Path)
    fr.add_argument("--fps-original", type=float, default=8.0, help="for a folder of frames")
    fr.add_argument("--cache-dir", type=Path)
    fr.add_argument("--out", type=Path, required=True)
    _frame_args(fr)

    sub.add_parser("models", help="list the registered models and what each needs")

    cp = sub.add_parser("compare", help="paired test between two runs on the same samples")
    cp.add_argument("run_a", type=Path)
    cp.add_argument("run_b", type=Path)
    return parser


def _eval_config(args: argparse.Namespace):
    from ..data.loader import Selection
    from ..frames.spec import FrameSpec
    from ..pipeline import EvalConfig

    return EvalConfig(
        model=getattr(args, "model", "random"),
        data=args.data,
        selection=Selection(args.split, args.domain, args.action, args.per_action, args.limit),
        mode=args.mode,
        out=args.out,
        seed=args.seed,
        concurrency=args.concurrency,
        cache_dir=args.cache_dir,
        video_root=args.video_root,
        skip_missing=getattr(args, "skip_missing", False),
        frame_spec=_frame_spec(args) if hasattr(args, "fps") else FrameSpec(),
        base_url=args.base_url,
        rpm=getattr(args, "rpm", None),
        max_cost=getattr(args, "max_cost", None),
        dry_run=getattr(args, "dry_run", False),
        judge=args.judge,
        swap=getattr(args, "swap", False),
        tolerance_s=args.tolerance,
        model_extra=_model_options(getattr(args, "model_option", [])),
    )


def _model_options(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--model-option: expected KEY=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def _frame_spec(args: argparse.Namespace):
    from ..frames.spec import FrameSpec

    return FrameSpec(fps=args.fps, max_frames=args.max_frames, long_side=args.long_side)


def cmd_eval(args: argparse.Namespace) -> int:
    from ..pipeline import run_eval
    from .progress import ProgressBar
    from .summary import print_summary

    cfg = _eval_config(args)
    if cfg.dry_run:
        from ..pipeline import dry_run

        for key, value in dry_run(cfg).items():
            Console().print(f"{key}: {value}")
        return 0
    with ProgressBar(disabled=args.no_progress) as bar:
        results, out = run_eval(cfg, bar)
    print_summary(results)
    Console().print(f"  wrote {out}/results.json, predictions.json, samples.jsonl")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from ..pipeline import score_file
    from .summary import print_summary

    results, out = score_file(args.predictions, _eval_config(args))
    print_summary(results)
    Console().print(f"  wrote {out}/results.json, samples.jsonl")
    return 0


def cmd_frames(args: argparse.Namespace) -> int:
    from ..frames.contact import export_frames

    spec = _frame_spec(args)
    if args.sample:
        from ..data.loader import load_benchmark
        from ..frames.prepare import FramePreparer

        bench = load_benchmark(args.data, video_root=args.video_root, cache_dir=args.cache_dir,
                               check_videos=False)
        sample = next((s for s in bench.samples if s.sample_key == args.sample), None)
        if sample is None:
            raise InputError(f"--sample: {args.sample!r} is not a sample of --data {args.data}")
        clips = list(FramePreparer(spec, args.cache_dir, bench.video_root).prepare_pair(sample))
    elif args.video:
        from ..frames.prepare import prepare_single

        if args.fps is None:
            raise InputError("frames VIDEO: --fps is required for a single video")
        clips = [prepare_single(Path(args.video), args.fps, spec, args.cache_dir,
                                folder_fps=args.fps_original)]
    else:
        raise InputError("frames: give a VIDEO path, or --data SRC --sample KEY")
    paths = export_frames(clips, args.out)
    Console().print(f"wrote {len(paths)} files to {args.out} "
                    f"({', '.join(f'{len(c)} frames at {c.fps:g} fps' for c in clips)})")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from rich.table import Table

    from ..models.base import list_models

    table = Table(title="vdbench models")
    for col in ("name", "description", "needs"):
        table.add_column(col)
    for info in list_models():
        table.add_row(escape(info.name), escape(info.description), escape(info.needs or "-"))
    Console().print(table)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from ..scoring.compare import compare_runs
    from .summary import print_comparison

    print_comparison(compare_runs(args.run_a, args.run_b))
    return 0


COMMANDS = {"eval": cmd_eval, "score": cmd_score, "validate": board.cmd_validate,
            "frames": cmd_frames, "models": cmd_models, "compare": cmd_compare, **board.COMMANDS}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
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
