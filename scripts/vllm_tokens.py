"""Prompt tokens per request for the open models (qwen2-vl-7b, llava-video-7b) under each
protocol, per domain, at the resolutions and clip lengths the README's cost section assumes
(scripts/cost_table.py DOMAINS): the frames' tokens by each model's own rule, which the real
vLLM server reproduces exactly (tests/vllm), for the longest pair of each domain. Prints a
Markdown table for docs/serving.md.

    .venv/bin/python scripts/vllm_tokens.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cost_table import DOMAINS, LENGTH_FACTORS  # noqa: E402

from vdbench.core.protocol import PROTOCOLS  # noqa: E402
from vdbench.frames.sizing import PixelBudget, shown_size  # noqa: E402
from vdbench.llm.vision_tokens import LlavaOnevisionTokens, Qwen2VLTokens  # noqa: E402

WINDOW = 32_768  # the Makefile targets' --max-model-len
TEXT = 600  # about what the closed prompt's text takes, with a pair's differences
# What a current vLLM's Qwen2-VL video processor allows a frame when it is sent as decoded
# (transformers' default longest_edge): the requests before vdbench applied the budget.
SERVER_DEFAULT = PixelBudget(602_112, 100_352, 28)


def frames_per_video(fps_original: float, seconds: float, target: float,
                     cap: int | None) -> int:
    step = max(1, int(fps_original / target + 1e-9))
    n = math.ceil(round(seconds * fps_original) / step)
    return min(n, cap) if cap is not None else n


def rows() -> list[str]:
    out = ["| model | protocol | domain | clip | frames a video | frame size sent | "
           "prompt tokens (frames + ~text) | of the 32,768 window | without the budget |",
           "|---|---|---|---|---:|---|---:|---:|---:|"]
    for model, rule in (("qwen2-vl-7b", Qwen2VLTokens()),
                        ("llava-video-7b", LlavaOnevisionTokens())):
        for name in ("paper", "fast"):
            frames = PROTOCOLS[name].frames
            cap = None if frames.over_cap == "refuse" else frames.pair_cap // 2
            for d in DOMAINS:
                seconds = d.seconds * max(LENGTH_FACTORS)
                n = frames_per_video(d.fps_original, seconds, frames.fps_by_domain[d.name], cap)
                size = shown_size(d.width, d.height, frames.long_side, rule.pixels)
                tokens = 2 * rule.video(n, *size) + TEXT
                before = "-"
                if isinstance(rule, Qwen2VLTokens):
                    raw = SERVER_DEFAULT.fit(*shown_size(d.width, d.height, frames.long_side,
                                                         None))
                    before = f"{2 * math.ceil(n / 2) * (raw[0] // 28) * (raw[1] // 28) + TEXT:,}"
                sent = f"{size[0]}x{size[1]}" if rule.pixels is not None else (
                    f"{size[0]}x{size[1]} (resized to 384x384 by the model)")
                out.append(f"| `{model}` | {name} | {d.name} | {d.width}x{d.height}, "
                           f"{seconds:g} s | {n} | {sent} | {tokens:,} | "
                           f"{tokens / WINDOW:.0%} | {before} |")
    return out


if __name__ == "__main__":
    print("\n".join(rows()))
