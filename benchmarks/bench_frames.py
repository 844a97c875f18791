"""Frame preparation: the public code's way against vdbench.frames, on a 20 s 1080p 30 fps clip.

baseline: decode the whole clip into a numpy array of full-resolution RGB frames, keep 1 fps,
          encode those frames as full-resolution PNGs (the public code's payload).
ours:     FramePreparer at 1 fps, no cache (decode only what is needed, 512 px JPEGs).

Each approach runs in a fresh child process, so its peak resident memory (VmHWM, which also
counts libav's buffers that tracemalloc cannot see) is its own.

Then a benchmark-sized run (--pairs, 300 by default): the frames of that many pairs, made
from short generated videos (--videos distinct 640x360 2 s clips, generated once into --dir;
each pair trims its videos differently, so no two pairs share a clip), prepared into a fresh
frame cache through vdbench.frames.pool.FramePool with the pipeline's bound on pairs in
flight (--concurrency plus two per worker), three ways, each in a fresh child process:
  one process   one worker thread: one core
  threads       a thread per core, in one process
  processes     a worker process per core (what `vdbench eval` uses from 32 pairs on)
Reported: frames per second, and peak resident memory of the run's process and of its
largest worker (their sum bounds the whole); every way must give the same bytes.

Run: python benchmarks/bench_frames.py [--gop N] [--pairs N] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WIDTH, HEIGHT, FPS, SECONDS = 1920, 1080, 30, 20
TARGET_FPS = 1.0


def make_clip(path: Path, gop: int) -> None:
    """A synthetic clip with texture and motion, so the encoder does real work."""
    import av
    import numpy as np
    from PIL import Image

    # Smooth blobs that scroll, a gradient and a moving box: camera-like, not white noise
    # (noise would make the PNGs, and so the baseline, unrealistically slow).
    rng = np.random.default_rng(0)
    span = WIDTH + 2 * FPS * SECONDS
    blobs = Image.fromarray(rng.integers(0, 96, (HEIGHT // 16, span // 16, 3), dtype=np.uint8))
    texture = np.asarray(blobs.resize((span, HEIGHT), Image.Resampling.BICUBIC))
    gradient = np.linspace(0, 150, WIDTH, dtype=np.uint8)[None, :, None]
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream(codec, rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.gop_size = gop
        if codec == "libx264":
            stream.options = {"preset": "veryfast", "crf": "23", "sc_threshold": "0"}
        for i in range(FPS * SECONDS):
            img = texture[:, 2 * i : 2 * i + WIDTH] + gradient
            x, y = (37 * i) % (WIDTH - 200), (300 + 11 * i) % (HEIGHT - 200)
            img[y : y + 200, x : x + 200] = (255, 200 - i % 200, i % 256)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    tmp.replace(path)


def run_baseline(path: Path) -> tuple[int, dict[str, float]]:
    import av
    import numpy as np
    from PIL import Image

    t0 = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        video = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(stream)])
        step = max(1, int(float(stream.average_rate) / TARGET_FPS))
    t1 = time.perf_counter()
    total = 0
    for frame in video[::step]:
        buf = io.BytesIO()
        Image.fromarray(frame).save(buf, format="PNG")
        total += len(buf.getvalue())
    return total, {"decode_s": t1 - t0, "encode_s": time.perf_counter() - t1}


def run_ours(path: Path) -> tuple[int, dict[str, float]]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # works uninstalled too
    from vdbench.data.schema import VideoRef
    from vdbench.frames import FramePreparer, FrameSpec
    from vdbench.frames.prepare import video_fps

    ref = VideoRef(str(path), video_fps(path) or FPS, (None, None, None))
    clip = FramePreparer(FrameSpec(fps=TARGET_FPS), cache_dir=None).prepare(ref, "any", 75)
    return sum(len(f.image) for f in clip.frames), {"frames": len(clip)}


def peak_rss_mib(pid: int | str = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid != "self":
        return float("nan")
    import resource  # not Linux: ru_maxrss (KiB on Linux, bytes on macOS)

    scale = 1 << 20 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


# --- a benchmark-sized run --------------------------------------------------------------------

PAIR_W, PAIR_H, PAIR_FPS, PAIR_SECONDS = 640, 360, 30, 2
WAYS = {"one process": (False, 1), "threads": (False, None), "processes": (True, None)}


def make_short_clip(path: Path, seed: int) -> None:
    """A short textured clip with a moving box; each seed looks different."""
    import av
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    span = PAIR_W + 4 * PAIR_FPS * PAIR_SECONDS
    blobs = Image.fromarray(rng.integers(0, 160, (PAIR_H // 8, span // 8, 3), dtype=np.uint8))
    texture = np.asarray(blobs.resize((span, PAIR_H), Image.Resampling.BICUBIC))
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream(codec, rate=PAIR_FPS)
        stream.width, stream.height, stream.pix_fmt = PAIR_W, PAIR_H, "yuv420p"
        stream.gop_size = 30
        if codec == "libx264":
            stream.options = {"preset": "veryfast", "crf": "23"}
        for i in range(PAIR_FPS * PAIR_SECONDS):
            img = texture[:, 4 * i: 4 * i + PAIR_W].copy()
            x, y = (17 * i + 29 * seed) % (PAIR_W - 80), (40 + 7 * i) % (PAIR_H - 80)
            img[y: y + 80, x: x + 80] = (255, (37 * seed) % 256, (5 * i) % 256)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(stream.encode())
    tmp.replace(path)


def short_clips(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"clip{i:03d}.mp4" for i in range(n)]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"generating {len(missing)} short clips in {folder} ...", flush=True)
        for p in missing:
            make_short_clip(p, int(p.stem[4:]))
    return paths


def synthetic_pairs(clips: list[Path], n_pairs: int) -> list:
    """n_pairs samples over the clips; a pair's trim start makes each of its clips unique."""
    from vdbench.data.schema import Sample, VideoRef

    per_round = len(clips) // 2
    samples = []
    for i in range(n_pairs):
        start = i // per_round  # a new trim each time the clips come round again
        a, b = clips[(2 * i) % len(clips)], clips[(2 * i + 1) % len(clips)]
        refs = tuple(VideoRef(str(v), float(PAIR_FPS), (start, None, None)) for v in (a, b))
        samples.append(Sample(
            sample_key=f"pair{i:04d}", videos=refs, action="fitness_0", action_name="",  # type: ignore[arg-type]
            action_description="", source_dataset="synthetic", sample_hash=i,
            domain="fitness", split="easy", n_differences_open_prediction=0,
            differences_annotated={}, differences_gt={}, retrieval_frames=({}, {})))
    return samples


def run_pairs(way: str, clip_dir: Path, n_clips: int, n_pairs: int, workers: int,
              concurrency: int) -> dict:
    """One way of preparing every pair's frames into a fresh cache, the pipeline's way."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from vdbench.frames import FrameSpec
    from vdbench.frames.pool import FramePool
    from vdbench.frames.prepare import FramePreparer

    processes, way_workers = WAYS[way]
    samples = synthetic_pairs(short_clips(clip_dir, n_clips), n_pairs)
    digest = hashlib.sha256()
    n_frames = 0
    worker_peak = 0.0

    async def main() -> None:
        nonlocal n_frames, worker_peak
        with tempfile.TemporaryDirectory() as cache:
            preparer = FramePreparer(FrameSpec(), Path(cache))
            pool = FramePool(preparer, way_workers or workers, processes=processes)
            window = asyncio.Semaphore(concurrency + 2 * pool.workers)  # as predict_all
            results: list = [None] * len(samples)

            async def one(i: int) -> None:
                async with window:
                    a, b = await pool.prepare_pair(samples[i])
                    results[i] = [(f.index, f.sha256) for f in a.frames + b.frames]

            try:
                await asyncio.gather(*(one(i) for i in range(len(samples))))
                procs = getattr(pool._procs, "_processes", None) or {}  # the workers, if any
                worker_peak = max((peak_rss_mib(pid) for pid in procs), default=0.0)
            finally:
                pool.close()
            for frames in results:
                n_frames += len(frames)
                digest.update(json.dumps(frames).encode())

    t0 = time.perf_counter()
    asyncio.run(main())
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "frames": n_frames, "fps": n_frames / wall,
            "peak_mib": peak_rss_mib(), "worker_peak_mib": worker_peak,
            "digest": digest.hexdigest()}


def benchmark_pairs(args: argparse.Namespace) -> None:
    workers = args.workers or os.cpu_count() or 1
    clip_dir = args.dir / f"pairs_{PAIR_W}x{PAIR_H}_{PAIR_SECONDS}s_{args.videos}"
    short_clips(clip_dir, args.videos)  # generated here, once, not inside a timed child
    print(f"\n{args.pairs} pairs from {args.videos} generated {PAIR_W}x{PAIR_H} {PAIR_SECONDS} s "
          f"clips (fitness rate, 512 px JPEG), {workers} workers on {os.cpu_count()} CPUs, "
          f"at most {args.concurrency} + 2 per worker pairs in flight; fresh frame cache each")
    rows = {}
    for way in WAYS:
        out = subprocess.run(
            [sys.executable, __file__, "--pairs-child", way, str(clip_dir), str(args.videos),
             str(args.pairs), str(workers), str(args.concurrency)],
            check=True, capture_output=True, text=True)
        rows[way] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{'':14}{'wall s':>8}{'frames/s':>10}{'peak MiB':>10}{'+ worker MiB':>14}")
    for way, r in rows.items():
        worker = f"{r['worker_peak_mib']:.0f}" if r["worker_peak_mib"] else "-"
        print(f"{way:14}{r['wall_s']:8.1f}{r['fps']:10.0f}{r['peak_mib']:10.0f}{worker:>14}")
    base = rows["one process"]["fps"]
    print("speed-up over one process: " + ", ".join(
        f"{way} {r['fps'] / base:.2f}x" for way, r in rows.items() if way != "one process"))
    same = len({r["digest"] for r in rows.values()}) == 1
    print(f"identical frames every way: {same} ({rows['processes']['frames']} frames)")


def child(approach: str, path: Path) -> None:
    run = {"baseline": run_baseline, "ours": run_ours}[approach]
    t0 = time.perf_counter()
    payload, detail = run(path)
    wall = time.perf_counter() - t0
    result = {"wall_s": wall, "peak_mib": peak_rss_mib(), "payload_bytes": payload, **detail}
    print(json.dumps(result))


def measure(approach: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", approach, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gop", type=int, default=250, help="keyframe interval of the test clip")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "vdbench-bench")
    ap.add_argument("--child", nargs=2, metavar=("APPROACH", "VIDEO"), help=argparse.SUPPRESS)
    ap.add_argument("--pairs", type=int, default=300, help="pairs of the run (0: skip it)")
    ap.add_argument("--videos", type=int, default=40, help="distinct generated clips")
    ap.add_argument("--workers", type=int, default=None, help="default: every CPU")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--pairs-only", action="store_true", help="skip the single-clip comparison")
    ap.add_argument("--pairs-child", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    if args.pairs_child:
        way, clip_dir, *numbers = args.pairs_child
        n_clips, n_pairs, workers, concurrency = map(int, numbers)
        print(json.dumps(run_pairs(way, Path(clip_dir), n_clips, n_pairs, workers,
                                   concurrency)))
        return
    if not args.pairs_only:
        single_clip(args)
    if args.pairs:
        benchmark_pairs(args)


def single_clip(args: argparse.Namespace) -> None:

    clip = args.dir / f"clip_{HEIGHT}p{FPS}_{SECONDS}s_gop{args.gop}.mp4"
    if not clip.exists():
        args.dir.mkdir(parents=True, exist_ok=True)
        print(f"generating {clip} ...", flush=True)
        make_clip(clip, args.gop)
    print(f"clip: {clip} ({clip.stat().st_size / 1e6:.1f} MB), sampling at {TARGET_FPS:g} fps")

    base, ours = measure("baseline", clip), measure("ours", clip)
    print(f"{'':10}{'wall s':>10}{'peak MiB':>12}{'payload MB':>12}")
    for name, r in (("baseline", base), ("ours", ours)):
        print(f"{name:10}{r['wall_s']:10.2f}{r['peak_mib']:12.0f}{r['payload_bytes'] / 1e6:12.2f}")
    ratios = [base[k] / ours[k] for k in ("wall_s", "peak_mib", "payload_bytes")]
    print(
        f"{'ratio':10}" + "".join(f"{r:{w}.1f}x" for r, w in zip(ratios, (9, 11, 11), strict=True))
    )
    print(
        f"baseline: decode into memory {base['decode_s']:.2f} s, "
        f"PNG encode {base['encode_s']:.2f} s; ours: {ours['frames']} frames"
    )


if __name__ == "__main__":
    main()
