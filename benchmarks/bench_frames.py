"""Frame preparation: the public code's way against vdbench.frames, on a 20 s 1080p 30 fps clip.

baseline: decode the whole clip into a numpy array of full-resolution RGB frames, keep 1 fps,
          encode those frames as full-resolution PNGs (the public code's payload).
ours:     FramePreparer at 1 fps, no cache (decode only what is needed, 512 px JPEGs).

Each approach runs in a fresh child process, so its peak resident memory (VmHWM, which also
counts libav's buffers that tracemalloc cannot see) is its own.
Run: python benchmarks/bench_frames.py [--gop N]
"""

from __future__ import annotations

import argparse
import io
import json
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


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource  # not Linux: ru_maxrss (KiB on Linux, bytes on macOS)

    scale = 1 << 20 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


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
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return

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
