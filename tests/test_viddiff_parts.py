"""The VidDiff method's parts: options, reply validation, segmentation, keyframes, embeddings."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import io
import json
import sys
from itertools import pairwise

import numpy as np
import pytest
from PIL import Image

from vdbench.core.errors import InputError
from vdbench.core.options import parse_options
from vdbench.data.loader import load_benchmark
from vdbench.frames.types import Clip, Frame
from vdbench.llm.types import GenerationConfig
from vdbench.models.viddiff.config import ViddiffConfig
from vdbench.models.viddiff.differencer import parse_answer
from vdbench.models.viddiff.embeddings import (
    CachedEmbedder,
    ClipEmbedder,
    EmbeddingCache,
    OfflineEmbedder,
)
from vdbench.models.viddiff.localizer import Localizer, window
from vdbench.models.viddiff.proposer import (
    Candidate,
    Proposal,
    Stage,
    parse_differences,
    parse_links,
    parse_stages,
    propose,
)
from vdbench.models.viddiff.segment import normalize_rows, segment, viterbi

# --- options ------------------------------------------------------------------------------

def test_defaults_are_the_papers():
    c = ViddiffConfig()
    assert (c.proposer_model, c.differencer_model) == ("gpt-4o-mini", "gpt-4o")
    assert (c.localizer, c.clip_model, c.clip_pretrained) == ("clip", "ViT-bigG-14",
                                                             "laion2b_s39b_b160k")
    assert c.max_stages == 5 and c.multiframe_n == 3


def test_flat_command_line_keys_are_typed():
    c = parse_options(ViddiffConfig, {"viddiff.localizer": "random", "viddiff.multiframe_n": "7",
                                      "viddiff.stay_probability": "0.9"}, "viddiff")
    assert (c.localizer, c.multiframe_n, c.stay_probability) == ("random", 7, 0.9)


@pytest.mark.parametrize("extra, message", [
    ({"viddiff.localizer": "gt"}, "localizer: expected one of clip, random, oracle"),
    ({"viddiff.multiframe_n": "three"}, "multiframe_n: expected int"),
    ({"viddiff.max_stages": "0"}, "max_stages: must be at least 1"),
    ({"viddiff.stages": "3"}, "viddiff.stages: not an option of viddiff"),
    ({"viddiff.differencer_model": "viddiff"}, "must be a chat model"),
])
def test_bad_options(extra, message):
    with pytest.raises(InputError, match=message):
        parse_options(ViddiffConfig, extra, "viddiff")


# --- stage 1 replies ----------------------------------------------------------------------

def test_proposed_differences_are_validated_renumbered_and_capped():
    reply = "Sure!\n```json\n" + json.dumps({"differences": [
        {"name": "speed", "description": "the squat is faster", "num_frames": "gt_1"},
        {"name": "speed", "description": "the knees go further forward", "num_frames": "2"},
        {"name": "nothing"},
        {"description": "the squat is faster"},
        {"name": "depth", "description": "the squat is deeper", "query_string": "bottom",
         "num_frames": "some"},
        {"name": "back", "description": "the back is straighter"},
    ]}) + "\n```"
    found, repairs = parse_differences(reply, n_max=3)
    assert [(d.key, d.name, d.num_frames) for d in found] == [
        ("0", "speed", "gt_1"), ("1", "speed (2)", "gt_1"), ("2", "depth", "1")]
    assert found[0].query_string == "the squat is faster" and found[2].query_string == "bottom"
    assert len(repairs) == 4  # two dropped entries, one num_frames, the cap
    assert parse_differences("no JSON at all", 3) == ([], [])


def test_stages_are_validated_with_a_whole_action_fallback():
    reply = json.dumps({"stages": [
        {"name": "descent", "retrieval_strings": ["A photo of a person bending"]},
        {"name": "Descent", "retrieval_strings": ["dup"]},
        {"name": "bottom", "description": "lowest point", "retrieval_strings": []},
        {"name": "ascent", "retrieval_strings": "A photo of a person rising"},
        {"name": "extra", "retrieval_strings": ["x"]},
    ]})
    stages, repairs = parse_stages(reply, max_stages=3, action="a squat")
    assert [(s.name, s.retrieval_strings) for s in stages] == [
        ("descent", ("A photo of a person bending",)), ("bottom", ("lowest point",)),
        ("ascent", ("A photo of a person rising",))]
    assert len(repairs) == 3
    stages, repairs = parse_stages("[]", max_stages=3, action="a squat")
    assert stages == [Stage("whole action", "a squat", ("a squat",))] and repairs


STAGES3 = [Stage(n, "", (n,)) for n in ("start", "bottom of the squat", "end")]
DIFFS = [Candidate(k, n, d, d, "1") for k, n, d in [
    ("0", "depth", "the squat is deeper"), ("1", "speed", "the squat is faster"),
    ("4", "arms", "the arms are higher")]]


def test_links_repair_misspelt_names_and_drop_unknown_ones():
    reply = json.dumps({"links": {
        "start": ["0", 4],
        "Bottom of the sqaut": ["speed", "the squat is deeper", "hands"],
        "standing up": ["1"],
    }})
    links, repairs = parse_links(reply, STAGES3, DIFFS, unlinked="middle")
    assert links == {"0": (0, 1), "1": (1,), "4": (0,)}
    assert any("'Bottom of the sqaut' read as 'bottom of the squat'" in r for r in repairs)
    assert any("dropped unknown difference 'hands'" in r for r in repairs)
    assert any("dropped links of unknown stage 'standing up'" in r for r in repairs)


@pytest.mark.parametrize("unlinked, expected", [("middle", (1,)), ("all", (0, 1, 2))])
def test_an_unlinked_difference_gets_the_stated_default(unlinked, expected):
    links, repairs = parse_links('{"end": ["0", "1"]}', STAGES3, DIFFS, unlinked)
    assert links == {"0": (2,), "1": (2,), "4": expected}
    assert repairs == [f"difference '4' was not linked; using {unlinked} stage(s)"]


def test_nothing_to_judge_asks_nothing():
    sample = load_benchmark("mini").samples[0]
    no_labels = dataclasses.replace(sample,
                                    differences_gt=dict.fromkeys(sample.differences_gt, "c"))
    no_cap = dataclasses.replace(sample, n_differences_open_prediction=0)

    async def ask(request):
        raise AssertionError("no call expected")

    for s, mode in [(no_labels, "closed"), (no_cap, "open")]:
        proposal = asyncio.run(propose(ask, s, mode, ViddiffConfig(), GenerationConfig()))
        assert proposal.differences == () and proposal.links == {}


@pytest.mark.parametrize("reply, label", [
    ('{"answer": "b"}', "b"), ('```json\n{"answer": "(a)"}\n```', "a"), ("Video b", "b"),
    ('{"answer": "c"}', None), ("I cannot tell", None)])
def test_differencer_answers(reply, label):
    assert parse_answer(reply) == label


# --- stage 2 ------------------------------------------------------------------------------

def test_viterbi_recovers_clear_stages():
    probs = np.zeros((3, 12))
    probs[0, :3] = probs[1, 3:9] = probs[2, 9:] = 1.0
    assert segment(probs, 0.5) == [(0, 3), (3, 9), (9, 12)]


def test_viterbi_is_ordered_and_gives_every_stage_a_frame():
    rng = np.random.default_rng(0)
    for n_stages, n_frames in [(2, 2), (4, 9), (5, 40)]:
        path = viterbi(normalize_rows(rng.random((n_stages, n_frames))), 0.5)
        assert path[0] == 0 and path[-1] == n_stages - 1
        assert all(b - a in (0, 1) for a, b in pairwise(path))
    assert segment(np.ones((4, 2)), 0.5) == [(0, 1), (0, 1), (1, 2), (1, 2)]


@pytest.mark.parametrize("centre, n, step, n_frames, expected", [
    (5, 3, 2, 16, (3, 5, 7)),
    (0, 3, 2, 16, (0, 2, 4)),  # shifted right at the start
    (5, 3, 1, 6, (3, 4, 5)),  # shifted left at the end; 1 fps: still distinct frames
    (2, 3, 4, 6, (0, 2, 4)),  # spacing tightened to fit
    (1, 3, 1, 2, (0, 1)),  # fewer frames than asked
])
def test_multiframe_windows(centre, n, step, n_frames, expected):
    assert window(centre, n, step, n_frames) == expected


def _clip(times: list[float], index0: int, fps_original: float) -> Clip:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    jpeg = buf.getvalue()
    frames = tuple(Frame(index0 + round(t * fps_original), t, jpeg,
                         hashlib.sha256(jpeg).hexdigest()) for t in times)
    return Clip(frames, fps=4.0, source="synthetic", key="k")


def test_oracle_reports_the_annotation_and_shows_the_nearest_sampled_frames():
    sample = next(s for s in load_benchmark("mini").samples if s.sample_key == "mini_08")
    ref_b = sample.videos[1]  # 60 fps, frames_trim step 2
    clips = tuple(_clip([i / 4 for i in range(16)], ref.frames_trim[0], ref.fps_original)
                  for ref in sample.videos)
    diffs = tuple(Candidate(d.key, d.name, d.description, d.query_string, "1")
                  for d in sample.closed_differences())
    proposal = Proposal(diffs, (Stage("all", "", ("x",)),), {d.key: (0,) for d in diffs})
    loc = Localizer(ViddiffConfig(localizer="oracle"), CachedEmbedder(OfflineEmbedder(), None),
                    0).localize(sample, clips, proposal)
    assert ref_b.fps_original == 60 and sample.retrieval_frames[1]["0"] == [0, 42, 84, 126]
    kf = loc.keyframes["0"]["b"]
    assert kf.frames == (0, 42, 84, 126)
    assert kf.positions == (0, 3, 6, 8)  # 0.0, 0.7, 1.4, 2.1 s -> nearest of 0.25 s steps
    assert loc.segments == {}  # every key annotated: no segmentation needed

    # a key without annotation in one video falls back to the clip localizer there only
    partial = dataclasses.replace(sample, retrieval_frames=(
        {**sample.retrieval_frames[0], "2": None}, sample.retrieval_frames[1]))
    loc = Localizer(ViddiffConfig(localizer="oracle"), CachedEmbedder(OfflineEmbedder(), None),
                    0).localize(partial, clips, proposal)
    assert loc.segments == {"a": [(0, 16)]}
    assert loc.keyframes["2"]["a"].positions == (7,)  # the middle of the only stage
    assert loc.keyframes["2"]["b"].frames == tuple(sample.retrieval_frames[1]["2"])


# --- embeddings ---------------------------------------------------------------------------

def test_offline_embeddings_are_deterministic_unit_vectors():
    a, b = OfflineEmbedder(), OfflineEmbedder()
    texts = ["A photo of a person squatting", "A photo of a person standing"]
    assert np.array_equal(a.embed_texts(texts), b.embed_texts(texts))
    clip = load_clip()
    vecs = a.embed_images([f.image for f in clip.frames])
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vecs, b.embed_images([f.image for f in clip.frames]))
    assert len({v.tobytes() for v in vecs}) > 1  # frames that differ embed differently


def load_clip() -> Clip:
    from vdbench.frames import FramePreparer, FrameSpec

    bench = load_benchmark("mini")
    return FramePreparer(FrameSpec(), None, bench.video_root).prepare_pair(bench.samples[0])[0]


def test_embeddings_are_cached_by_content(tmp_path):
    frames = load_clip().frames
    first = CachedEmbedder(OfflineEmbedder(), EmbeddingCache(tmp_path / "e.sqlite"))
    vecs = first.frames(frames)
    texts = first.texts(["A photo of a squat"])
    assert first.stats == {"computed": len(frames) + 1, "cached": 0}
    again = CachedEmbedder(OfflineEmbedder(), EmbeddingCache(tmp_path / "e.sqlite"))
    assert np.array_equal(again.frames(frames), vecs)
    assert np.array_equal(again.texts(["A photo of a squat"]), texts)
    assert again.stats == {"computed": 0, "cached": len(frames) + 1}


class _Tensor:
    """Just enough of a torch tensor for ClipEmbedder's glue code."""

    def __init__(self, array):
        self.array = np.asarray(array, dtype=np.float32)

    def to(self, device):
        return self

    def float(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.array


def _fake_clip_modules(monkeypatch, fail: bool = False) -> list[str]:
    from types import SimpleNamespace

    loads: list[str] = []

    def create(name, pretrained, device):
        if fail:
            raise RuntimeError("no network")
        loads.append(f"{name}/{pretrained}/{device}")
        model = SimpleNamespace(
            eval=lambda: None,
            encode_image=lambda t: _Tensor(t.array.reshape(len(t.array), -1)[:, :6] + 1),
            encode_text=lambda t: _Tensor(t.array))
        return model, None, lambda image: _Tensor(np.asarray(image.resize((2, 2))) / 255)

    def tokenizer(name):
        return lambda texts: _Tensor([[len(t), 1, 0, 0, 0, 2] for t in texts])

    torch = SimpleNamespace(cuda=SimpleNamespace(is_available=lambda: False),
                            no_grad=contextlib.nullcontext,
                            stack=lambda ts: _Tensor(np.stack([t.array for t in ts])))
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "open_clip", SimpleNamespace(
        create_model_and_transforms=create, get_tokenizer=tokenizer))
    return loads


def test_clip_backend_glue_batches_normalises_and_loads_once(monkeypatch):
    loads = _fake_clip_modules(monkeypatch)
    embedder = ClipEmbedder("ViT-B-32", "laion2b_s34b_b79k")
    assert embedder.identity == "open_clip:ViT-B-32:laion2b_s34b_b79k" and loads == []
    frames = load_clip().frames * 3  # 48 frames: two batches of at most 32
    vecs = embedder.embed_images([f.image for f in frames])
    texts = embedder.embed_texts(["A photo of a squat", "A photo"])
    assert vecs.shape == (48, 6) and texts.shape == (2, 6)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert loads == ["ViT-B-32/laion2b_s34b_b79k/cpu"]


def test_clip_backend_load_failure_is_an_input_error(monkeypatch):
    _fake_clip_modules(monkeypatch, fail=True)
    with pytest.raises(InputError, match="viddiff.clip_pretrained to a local checkpoint"):
        ClipEmbedder("ViT-bigG-14", "laion2b_s39b_b160k").embed_texts(["x"])
