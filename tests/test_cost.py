"""Dry-run estimates priced as the providers bill: Gemini's uploaded videos per sampled frame,
Claude's 100-image cap and downscaling, --batch at batch prices, thinking left out and said so."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest

from conftest import call_context
from servers.chat_requests import tiny_clip, two_video_request
from vdbench.cli.main import main
from vdbench.core.protocol import PROTOCOLS
from vdbench.llm.cost import BATCH_DISCOUNT, estimate_request
from vdbench.llm.providers.anthropic import MAX_IMAGE_TOKENS as ANTHROPIC_MAX_IMAGE_TOKENS
from vdbench.llm.providers.anthropic import PROVIDER as ANTHROPIC
from vdbench.llm.providers.gemini import PROVIDER as GEMINI
from vdbench.llm.providers.gemini import VIDEO_TOKENS_PER_FRAME as GEMINI_VIDEO_TOKENS_PER_FRAME
from vdbench.llm.types import ChatRequest, TextPart


def text_tokens(request: ChatRequest) -> int:
    chars = len(request.system or "") + sum(len(p.text) for p in request.parts
                                            if isinstance(p, TextPart))
    return math.ceil(chars / 4)


def paper_context(tmp_path, **settings):
    ctx = call_context(tmp_path / "ctx", dry_run=True, **settings)
    return dataclasses.replace(ctx, protocol=PROTOCOLS["paper"])


# --- Gemini: an uploaded video is billed per sampled frame, whatever its resolution ----------

def test_gemini_video_is_billed_per_sampled_frame_whatever_the_resolution(tmp_path):
    pytest.importorskip("google.genai")
    pytest.importorskip("av")
    from vdbench.llm.gemini_api import GeminiAdapter, GeminiOptions, gemini_adapter

    # the paper protocol uploads each clip as an mp4 playing at 1 fps, sampled at 1 fps
    adapter = gemini_adapter("gemini-2.5-pro", paper_context(tmp_path), GeminiOptions())
    assert adapter.cache_identity()["input"] == "video"
    assert adapter.cache_identity()["video_fps"] == 1.0
    estimates = {}
    for size in ((32, 24), (1920, 1080)):
        request = two_video_request(tiny_clip(1, n_frames=7, fps=4.0, size=size),
                                    tiny_clip(2, n_frames=5, fps=4.0, size=size))
        estimates[size] = estimate_request(adapter, request)
        # 7 frames playing at 1 fps last 7 s, sampled at 1 fps: 7 frames; and 5 for video b
        duration_s, fps = 7 / 1.0 + 5 / 1.0, 1.0
        assert estimates[size].n_images == duration_s * fps == 12
        assert estimates[size].input_tokens == (
            duration_s * fps * GEMINI_VIDEO_TOKENS_PER_FRAME + text_tokens(request))
    assert estimates[(32, 24)] == estimates[(1920, 1080)]

    # played at the clip's own rate (4 fps) the clip is 1.75 s long, sampled at 4 fps: 7 frames
    own_rate = GeminiAdapter("gemini-2.5-pro", paper_context(tmp_path), "video")
    request = two_video_request(tiny_clip(1, n_frames=7, fps=4.0),
                                tiny_clip(2, n_frames=7, fps=4.0))
    assert estimate_request(own_rate, request).input_tokens == (
        2 * (7 / 4.0) * 4.0 * GEMINI_VIDEO_TOKENS_PER_FRAME + text_tokens(request))

    # sent as frames instead, a 1080p frame is an image of 3 x 2 tiles of 768 px
    frames = GeminiAdapter("gemini-2.5-pro", paper_context(tmp_path), "frames")
    request = two_video_request(tiny_clip(1, n_frames=7, size=(1920, 1080)),
                                tiny_clip(2, n_frames=5, size=(1920, 1080)))
    assert estimate_request(frames, request).input_tokens == (
        12 * 258 * 6 + text_tokens(request))


# --- Claude: at most 100 images a request, each scaled down to ~1,600 tokens ------------------

def test_claude_request_of_150_frames_is_estimated_at_the_100_images_it_sends(tmp_path):
    pytest.importorskip("anthropic")
    from vdbench.llm.anthropic_api import AnthropicOptions, anthropic_adapter, content_blocks

    adapter = anthropic_adapter("claude-sonnet-4-5-20250929", paper_context(tmp_path),
                                AnthropicOptions())
    request = two_video_request(tiny_clip(1, n_frames=90, size=(1920, 1080)),
                                tiny_clip(2, n_frames=60, size=(1920, 1080)))
    estimate = estimate_request(adapter, request)
    sent = [b for b in content_blocks(request, adapter.limits) if b["type"] == "image"]
    assert estimate.n_images == len(sent) == 100
    # 1920x1080 is sent at 1568x882 (1,844 tokens), which Claude scales down to ~1,600 tokens
    assert estimate.input_tokens == 100 * ANTHROPIC_MAX_IMAGE_TOKENS + text_tokens(request)
    price = ANTHROPIC.prices["claude-sonnet-4-5-20250929"]
    assert estimate.cost_usd == pytest.approx(
        (estimate.input_tokens * price.input_per_mtok + 200 * price.output_per_mtok) / 1e6)

    # under the cap every frame goes, at width x height / 750 tokens once within 1568 px
    small = two_video_request(tiny_clip(3, n_frames=4, size=(1280, 720)),
                              tiny_clip(4, n_frames=4, size=(1280, 720)))
    estimate = estimate_request(adapter, small)
    assert estimate.n_images == 8
    assert estimate.input_tokens == 8 * math.ceil(1280 * 720 / 750) + text_tokens(small)


# --- --dry-run --batch prints the batch price ------------------------------------------------

def _dry_run(tmp_path, capsys, name: str, *extra: str) -> dict[str, str]:
    assert main(["eval", "--model", "gpt-4o", "--dry-run", "--split", "all", "--no-progress",
                 "--out", str(tmp_path / name), *extra]) == 0
    out = capsys.readouterr().out
    lines = {m.group(1): m.group(2).strip()
             for m in re.finditer(r"^  ([\w ]+): (.*)$", out, re.M)}
    total = re.match(r"([\d,]+) requests, [\d,]+ images, ([\d,]+) input tokens, "
                     r"\$([\d.,]+) estimated", lines["total"])
    assert total, lines["total"]
    return {"requests_to_send": total.group(1), "estimated_input_tokens": total.group(2),
            "estimated_cost_usd": total.group(3).replace(",", ""),
            "pricing": lines["pricing"],
            **({"estimated_cost_usd_live": lines["at the live price"].lstrip("$")}
               if "at the live price" in lines else {}),
            **({"thinking": lines["thinking"]} if "thinking" in lines else {})}


def test_dry_run_batch_reports_half_the_live_cost(tmp_path, monkeypatch, cache_dir, capsys):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    live = _dry_run(tmp_path, capsys, "live")
    batch = _dry_run(tmp_path, capsys, "batch", "--batch")
    assert live["requests_to_send"] == batch["requests_to_send"] != "0"
    assert live["estimated_input_tokens"] == batch["estimated_input_tokens"]
    live_usd, batch_usd = float(live["estimated_cost_usd"]), float(batch["estimated_cost_usd"])
    assert live_usd > 0
    assert batch_usd == pytest.approx(live_usd * BATCH_DISCOUNT, abs=1e-4)
    assert batch_usd == pytest.approx(live_usd / 2, abs=1e-4)
    assert live["pricing"] == "live"
    assert batch["pricing"].startswith("batch (") and "50% of the live price" in batch["pricing"]
    assert float(batch["estimated_cost_usd_live"]) == pytest.approx(live_usd, abs=1e-4)
    assert "thinking" not in live  # gpt-4o does not think
    assert not (tmp_path / "live").exists() and not (tmp_path / "batch").exists()


# --- thinking: left out of the estimate, and the summary says so -----------------------------

def test_dry_run_of_a_thinking_model_says_thinking_is_not_included(tmp_path):
    pytest.importorskip("google.genai")
    import asyncio

    from vdbench.llm.gemini_api import GeminiAdapter

    ctx = paper_context(tmp_path, batch=True)
    adapter = GeminiAdapter("gemini-2.5-pro", ctx, "frames")
    request = two_video_request(tiny_clip(1), tiny_clip(2))
    for _ in range(3):
        reply = asyncio.run(ctx.runtime.call(adapter, request))
        assert reply.error == "DryRun: request not sent"
    tally = ctx.runtime.dry_run
    assert tally.thinking_requests == {"gemini-2.5-pro": 3}
    # each 1,000 thinking tokens a request: 3 x 1,000 output tokens, at the batch price
    price = GEMINI.prices["gemini-2.5-pro"]
    assert tally.thinking_usd_per_1k == pytest.approx(
        3 * 1000 * price.output_per_mtok / 1e6 * BATCH_DISCOUNT)
    assert tally.batch_requests == 3
    assert tally.cost_usd == pytest.approx(tally.live_cost_usd * BATCH_DISCOUNT)
