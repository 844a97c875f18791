"""What each named protocol (`paper`, `fast`; vdbench.core.protocol, docs/protocol.md) puts
on the wire: `vdbench eval` on the bundled mini benchmark against the local provider servers,
through the real SDKs, and the requests those servers record.

The mini videos are 160x120, the fitness ones folders of 8 fps images, the others mp4s; at
the reference code's LMM rates (fitness 4, ballsports 5, diving 6, music 1, surgery 1 fps,
step int(fps_original / rate)) their trimmed clips give the frame counts in FRAMES_PER_VIDEO.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from servers.base import RecordedRequest
from servers.openai_server import FakeOpenAIServer, media_parts, prompt_text
from vdbench.benchmarks.catalog import get_benchmark
from vdbench.cli.main import main
from vdbench.core.protocol import PROTOCOLS, Protocol
from vdbench.data.loader import load_benchmark
from vdbench.tasks.prompts import PACKAGED_DIR

pytest.importorskip("openai")
av = pytest.importorskip("av")

# Frames per video at the reference's LMM rates, for the mini clips (trims of 32 frames at
# 8 fps, 120 at 30, 75 at 25, 180 at 30): fitness step 2 -> 16; ballsports step 6 -> 20;
# diving step int(25 / 6) = 4 -> ceil(75 / 4) = 19; music and surgery step 30 -> 6.
FRAMES_PER_VIDEO = {"fitness": 16, "ballsports": 20, "diving": 19, "music": 6, "surgery": 6}
MARK = "zqx"  # in every description the fake model proposes, never in the judge's gold cases
DIRECTION_TEXT = "says the opposite of the first"  # tasks/templates/judge_direction.txt
MATCH_TEXT = "List 1:"  # tasks/templates/judge_match.txt


# --- the fake model and judge ------------------------------------------------------------------

def answer(body: dict) -> str:
    """Closed: "a" for every asked key. Open: as many marked differences as allowed. Judge:
    annotated key k matches predicted key k when that one is ours; no pair is opposite."""
    text = prompt_text(body)
    if MATCH_TEXT in text:
        gt = json.loads(re.search(r"^List 1: (.*)$", text, re.MULTILINE).group(1))
        pred = json.loads(re.search(r"^List 2: (.*)$", text, re.MULTILINE).group(1))
        return json.dumps({"matches": [
            {"gt": k, "pred": k if MARK in pred.get(k, "") else None} for k in gt]})
    if DIRECTION_TEXT in text:
        return json.dumps({"results": [0] * len(direction_pairs(body))})
    if cap := re.search(r"at most (\d+) differences", text):
        return json.dumps({str(i): {"description": f"the {MARK} property {i} is larger",
                                    "prediction": "a"} for i in range(int(cap.group(1)))})
    keys = re.findall(r'^\s*"(\d+)":', text, re.MULTILINE)
    return json.dumps({k: "a" for k in keys})


def direction_pairs(body: dict) -> list[tuple[str, str]]:
    return re.findall(r'^\d+\. "(.*)" / "(.*)"$', prompt_text(body), re.MULTILINE)


# --- running `vdbench eval` --------------------------------------------------------------------

@dataclass
class Run:
    rc: int
    out: Path
    requests: list[RecordedRequest]  # what the server received during this run

    @property
    def results(self) -> dict[str, Any]:
        return json.loads((self.out / "results.json").read_text())

    def outputs(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (self.out / "outputs.jsonl").open()]


def run_eval(server: Any, out: Path, model: str, protocol: str, *args: str) -> Run:
    before = len(server.requests)
    rc = main(["eval", "--model", model, "--protocol", protocol, "--data", "mini",
               "--out", str(out), "--no-progress", *args])
    return Run(rc, out, list(server.requests[before:]))


@pytest.fixture(scope="module")
def openai_server(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp, FakeOpenAIServer(reply=answer) as server:
        mp.setenv("OPENAI_BASE_URL", server.base_url)
        mp.setenv("OPENAI_API_KEY", "sk-test-protocols-0123456789")
        mp.setenv("VDBENCH_CACHE", str(tmp_path_factory.mktemp("cache")))
        server.root = tmp_path_factory.mktemp("runs")
        yield server


@pytest.fixture(scope="module")
def paper_closed(openai_server) -> Run:
    """GPT-4o, paper, closed mode, the first pair of each of the 15 mini actions."""
    return run_eval(openai_server, openai_server.root / "paper", "gpt-4o", "paper",
                    "--per-action", "1", "--concurrency", "16")


@pytest.fixture(scope="module")
def fast_closed(openai_server) -> Run:
    return run_eval(openai_server, openai_server.root / "fast", "gpt-4o", "fast",
                    "--per-action", "1", "--concurrency", "16")


def videos_of(body: dict) -> dict[str, list[dict]]:
    """The image parts of a request by video: under fast, by the label they follow ("Video
    a:" / "Video b:"); under paper (the reference's layout: the whole text, then the frames
    of a, then of b, unlabelled), split at the count of a's frames the text states."""
    content = body["messages"][-1]["content"]
    if not any(p["type"] == "text" and re.fullmatch(r"Video [ab]:", p["text"].strip())
               for p in content):
        assert content[0]["type"] == "text"
        assert all(p["type"] == "image_url" for p in content[1:])
        n_a = int(re.search(r"the (\d+) frames of video a", content[0]["text"]).group(1))
        images = [p["image_url"] for p in content[1:]]
        return {"a": images[:n_a], "b": images[n_a:]}
    out: dict[str, list[dict]] = {"a": [], "b": []}
    label = None
    for part in content:
        if part["type"] == "text" and (m := re.fullmatch(r"Video ([ab]):", part["text"].strip())):
            label = m.group(1)
        elif part["type"] == "image_url":
            assert label is not None, "an image before the 'Video a:' label"
            out[label].append(part["image_url"])
    return out


def decode_data_url(url: str) -> tuple[str, Image.Image]:
    head, _, data = url.partition(",")
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    image.load()
    return head, image


def source_size(path: Path) -> tuple[int, int]:
    """A video's frame size read from the file itself: PyAV for an mp4, PIL for a folder."""
    if path.is_dir():
        with Image.open(sorted(path.iterdir())[0]) as image:
            return image.size
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.width, stream.height


def run_samples(run: Run) -> tuple[Any, dict[str, Any]]:
    """The benchmark, and the run's samples by action description (one pair per action)."""
    keys = {o["sample_key"] for o in run.outputs()}
    bench = load_benchmark("mini")
    chosen = [s for s in bench.samples if s.sample_key in keys]
    by_text = {s.action_description: s for s in chosen}
    assert len(by_text) == len(chosen) == len(keys)  # unambiguous
    return bench, by_text


def sample_of(request: RecordedRequest, by_text: dict[str, Any]) -> Any:
    """The sample a request asks about: the prompt quotes its action description."""
    text = prompt_text(request.body)
    (sample,) = [s for d, s in by_text.items() if f'"{d}"' in text]
    return sample


# --- OpenAI ------------------------------------------------------------------------------------

def test_paper_gpt4o_generation_settings_are_the_reference_code_s(paper_closed):
    assert paper_closed.rc == 0
    assert len(paper_closed.requests) == 15
    for request in paper_closed.requests:
        body = request.body
        assert body["model"] == "gpt-4o-2024-08-06"
        assert body["temperature"] == 1
        assert body["response_format"] == {"type": "json_object"}
        assert body["max_completion_tokens"] == 2048
        assert body["seed"] == 0


def test_paper_gpt4o_frames_are_full_resolution_png_at_high_detail(paper_closed):
    bench, by_text = run_samples(paper_closed)
    for request in paper_closed.requests:
        sample = sample_of(request, by_text)
        sizes = {label: source_size(ref.resolve(bench.video_root))
                 for label, ref in zip("ab", sample.videos)}
        for label, images in videos_of(request.body).items():
            assert {image["detail"] for image in images} == {"high"}
            assert all(i["url"].startswith("data:image/png;base64,") for i in images), (
                sample.sample_key)
            for image in images[:: max(1, len(images) // 3)]:  # decode a few of each video
                _, decoded = decode_data_url(image["url"])
                assert decoded.format == "PNG"
                assert decoded.size == sizes[label]  # not resized
    assert paper_closed.results["provenance"]["frame_sampling"]["format"] == "png"


def test_paper_gpt4o_frames_per_video_at_the_per_domain_rates(paper_closed):
    _, by_text = run_samples(paper_closed)
    seen = set()
    for request in paper_closed.requests:
        sample = sample_of(request, by_text)
        expected = FRAMES_PER_VIDEO[sample.domain]
        counts = {label: len(images) for label, images in videos_of(request.body).items()}
        assert counts == {"a": expected, "b": expected}, sample.sample_key
        assert len(media_parts(request.body)) == 2 * expected <= 150  # the pair cap
        seen.add(sample.domain)
    assert seen == set(FRAMES_PER_VIDEO)
    sampling = paper_closed.results["provenance"]["frame_sampling"]
    assert (sampling["max_frames"], sampling["over_cap"]) == (150, "refuse")
    assert sampling["long_side"] is None


def test_paper_refuses_a_pair_over_the_cap_rather_than_thinning(openai_server, capsys):
    """A ballsports pair has 20 + 20 frames at 5 fps: over a cap of 10 the sample fails
    (frame_error), nothing is sent for it, and the run is incomplete (exit 1)."""
    run = run_eval(openai_server, openai_server.root / "cap", "gpt-4o", "paper",
                   "--domain", "ballsports", "--limit", "1", "--max-frames", "10")
    assert run.rc == 1
    assert run.requests == []
    (output,) = run.outputs()
    assert output["status"] == "frame_error"
    assert "exceed the pair cap of 10" in output["error"]
    assert "20 + 20 frames" in output["error"]
    assert "exceed the pair cap of 10" in capsys.readouterr().err
    assert run.results["complete"] is False


def test_fast_gpt4o_is_small_jpeg_at_low_detail_and_temperature_0(fast_closed):
    assert fast_closed.rc == 0
    assert len(fast_closed.requests) == 15
    _, by_text = run_samples(fast_closed)
    for request in fast_closed.requests:
        body = request.body
        assert body["temperature"] == 0
        assert "response_format" not in body  # the fast protocol asks for no JSON mode
        assert body["max_completion_tokens"] == 2048
        sample = sample_of(request, by_text)
        for images in videos_of(body).values():
            # under the cap of 150, nothing is thinned: the same counts as paper
            assert len(images) == FRAMES_PER_VIDEO[sample.domain]
            assert {image["detail"] for image in images} == {"low"}
            head, decoded = decode_data_url(images[0]["url"])
            assert head == "data:image/jpeg;base64" and decoded.format == "JPEG"
            assert max(decoded.size) <= 512
    sampling = fast_closed.results["provenance"]["frame_sampling"]
    assert (sampling["max_frames"], sampling["over_cap"], sampling["long_side"],
            sampling["format"]) == (150, "thin_each", 512, "jpeg")


def test_fast_thins_each_video_to_half_the_cap(openai_server):
    run = run_eval(openai_server, openai_server.root / "thin", "gpt-4o", "fast",
                   "--domain", "ballsports", "--limit", "1", "--max-frames", "10")
    assert run.rc == 0
    (request,) = run.requests
    assert {k: len(v) for k, v in videos_of(request.body).items()} == {"a": 5, "b": 5}


# --- prompts and provenance --------------------------------------------------------------------

def test_prompt_hash_is_the_same_under_both_protocols_and_follows_prompts_dir(
        openai_server, paper_closed, fast_closed, tmp_path):
    paper = paper_closed.results["provenance"]["model"]["prompt_hash"]
    assert fast_closed.results["provenance"]["model"]["prompt_hash"] == paper
    assert set(paper) == {"closed", "open"}
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    closed = (PACKAGED_DIR / "closed.txt").read_text()
    (prompts / "closed.txt").write_text(closed + "Answer carefully.\n")
    run = run_eval(openai_server, openai_server.root / "prompts", "gpt-4o", "paper",
                   "--limit", "1", "--prompts", str(prompts))
    assert run.rc == 0
    assert "Answer carefully." in prompt_text(run.requests[0].body)
    changed = run.results["provenance"]["model"]["prompt_hash"]
    assert changed["closed"] != paper["closed"] and changed["open"] == paper["open"]
    assert run.results["provenance"]["protocol"]["prompts_dir"] == str(prompts)


def _field_paths(cls: type, prefix: str = "") -> set[str]:
    out = set()
    """Every setting of a protocol dataclass, nested ones as "frames.pair_cap"."""
    out = set()
    for f in dataclasses.fields(cls):
        path = f"{prefix}{f.name}"
        out.add(path)
        factory = f.default_factory
        if isinstance(factory, type) and dataclasses.is_dataclass(factory):
            out |= _field_paths(factory, path + ".")
    return out


def _json_paths(obj: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in obj.items():
        out.add(f"{prefix}{k}")
        if isinstance(v, dict) and k != "fps_by_domain":
            out |= _json_paths(v, f"{prefix}{k}.")
    return out


@pytest.mark.parametrize("name", ["paper", "fast"])
def test_results_record_the_protocol_with_every_setting(name, paper_closed, fast_closed):
    run = {"paper": paper_closed, "fast": fast_closed}[name]
    recorded = run.results["provenance"]["protocol"]
    assert recorded["name"] == name
    adapted = get_benchmark("viddiffbench").adapt_protocol(PROTOCOLS[name])
    assert recorded == json.loads(json.dumps(adapted.to_json()))
    assert _json_paths(recorded) == _field_paths(Protocol)
    assert recorded["frames"]["fps_by_domain"] == {
        "fitness": 4, "ballsports": 5, "diving": 6, "music": 1, "surgery": 1}


# --- Anthropic ---------------------------------------------------------------------------------

def _jpeg_tables(quality: int) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 30)).save(out, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).quantization


def test_anthropic_paper_reencodes_jpeg_at_quality_75_at_temperature_1(
        monkeypatch, cache_dir, tmp_path):
    pytest.importorskip("anthropic")
    from servers.anthropic_server import FakeAnthropicServer, image_blocks

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-protocols")
    sent = {}
    with FakeAnthropicServer(reply=lambda body: '{"0": "a"}') as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        for name in ("paper", "fast"):
            run = run_eval(server, tmp_path / name, "claude-3-5-sonnet", name, "--limit", "1")
            assert run.rc == 0
            (request,) = run.requests
            sent[name] = request.body
    paper, fast = sent["paper"], sent["fast"]
    assert paper["model"] == "claude-3-5-sonnet-20241022"
    assert (paper["temperature"], fast["temperature"]) == (1, 0)
    assert paper["max_tokens"] == 2048
    images = {name: [base64.b64decode(b["source"]["data"]) for b in image_blocks(body)]
              for name, body in sent.items()}
    assert len(images["paper"]) == len(images["fast"]) == 2 * FRAMES_PER_VIDEO["fitness"]
    q75 = _jpeg_tables(75)
    for data in images["paper"]:
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and image.size == (160, 120)
            assert image.quantization == q75
    with Image.open(io.BytesIO(images["fast"][0])) as image:
        assert image.format == "JPEG" and image.quantization != q75
    assert images["paper"][0] != images["fast"][0]


# --- Gemini ------------------------------------------------------------------------------------

def test_gemini_paper_uploads_mp4s_played_at_1_fps_and_fast_sends_inline_frames(
        monkeypatch, cache_dir, tmp_path):
    pytest.importorskip("google.genai")
    from servers.gemini_server import FakeGeminiServer

    monkeypatch.setenv("GEMINI_API_KEY", "AIzaTEST-protocols-0123456789")
    n = FRAMES_PER_VIDEO["fitness"]  # --limit 1: mini_00, a fitness pair
    with FakeGeminiServer(reply=lambda body: '{"0": "a"}', processing_polls=0) as server:
        monkeypatch.setenv("GEMINI_BASE_URL", server.base_url)
        paper = run_eval(server, tmp_path / "paper", "gemini-1.5-pro", "paper", "--limit", "1")
        assert paper.rc == 0
        uploads = server.uploads()
        (generate,) = server.generate_requests()
        fast = run_eval(server, tmp_path / "fast", "gemini-1.5-pro", "fast", "--limit", "1")
        assert fast.rc == 0
        assert len(server.uploads()) == len(uploads)  # fast uploads nothing
        fast_generate = server.generate_requests()[-1]

    assert generate.path.endswith("/models/gemini-1.5-pro-002:generateContent")
    assert len(uploads) == 2
    for upload in uploads:
        assert upload.meta["mimeType"] == "video/mp4"
        with av.open(io.BytesIO(upload.data)) as container:
            stream = container.streams.video[0]
            assert stream.average_rate == 1  # each sampled frame lasts one second
            assert sum(1 for _ in container.decode(stream)) == n
    parts = [p for content in generate.body["contents"] for p in content["parts"]]
    videos = [p for p in parts if "text" not in p]
    assert len(videos) == 2
    for part in videos:
        assert "fileData" in part or "file_data" in part
        assert part.get("videoMetadata", part.get("video_metadata")) == {"fps": 1.0}
    # as the reference: no generation settings are sent, Gemini's own defaults apply
    assert "temperature" not in (generate.body.get("generationConfig") or {})
    # videos are described as videos, as the reference describes them; frames as frames
    prompt = " ".join(p["text"] for p in parts if "text" in p)
    assert "video a first, then video b" in prompt and "frames" not in prompt
    fast_prompt = " ".join(p["text"] for content in fast_generate.body["contents"]
                           for p in content["parts"] if "text" in p)
    assert f"the {n} frames of video a" in fast_prompt
    recorded = json.loads((tmp_path / "paper" / "results.json").read_text())
    assert "video_layout_video" in recorded["provenance"]["model"]["prompts"]

    fast_parts = [p for content in fast_generate.body["contents"] for p in content["parts"]]
    inline = [p for p in fast_parts if "text" not in p]
    assert len(inline) == 2 * n
    assert all("inlineData" in p or "inline_data" in p for p in inline)
    assert fast_generate.body["generationConfig"]["temperature"] == 0


# --- the judge ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["paper", "fast"])
def test_judge_direction_checks_batched_across_samples_under_paper_only(name, openai_server):
    run = run_eval(openai_server, openai_server.root / f"open-{name}", "gpt-4o", name,
                   "--mode", "open", "--split", "easy", "--judge", "default",
                   "--concurrency", "16")
    assert run.rc == 0
    temperature = PROTOCOLS[name].judge.temperature
    assert temperature == {"paper": 1.0, "fast": 0.0}[name]
    matching = [r for r in run.requests if MATCH_TEXT in prompt_text(r.body)]
    # the run's own matching calls (the gold cases' predictions never carry MARK)
    ours = [r for r in matching if MARK in prompt_text(r.body)]
    samples = [s for s in load_benchmark("mini").samples if s.split == "easy"]
    assert len(ours) == len(samples)
    direction = [r for r in run.requests if DIRECTION_TEXT in prompt_text(r.body)]
    assert direction and all(MARK in prompt_text(r.body) for r in direction)
    for request in ours:
        assert request.body["model"] == "gpt-4o-2024-08-06"
        assert request.body["temperature"] == temperature
    for request in direction:
        assert request.body["model"] == "gpt-4o-mini-2024-07-18"
        assert request.body["temperature"] == temperature
        assert 1 <= len(direction_pairs(request.body)) <= 6
    # every annotated key k (label a, b or c) matches our prediction k when there is one
    per_sample = [sum(1 for k in s.labelled_keys if int(k) < s.n_differences_open_prediction)
                  for s in samples]
    assert sum(len(direction_pairs(r.body)) for r in direction) == sum(per_sample)
    if name == "paper":  # the reference flattens the pairs of all samples, 6 a call
        assert len(direction) == math.ceil(sum(per_sample) / 6)
    else:  # one sample's pairs per call
        assert len(direction) == sum(math.ceil(n / 6) for n in per_sample if n)
    judge = run.results["judge"]
    assert judge["batch_across_samples"] is (name == "paper")
    assert judge["direction_batch"] == 6 and judge["temperature"] == temperature
