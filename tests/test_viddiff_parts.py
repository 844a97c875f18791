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
from vdbench.core.protocol import FAST, PAPER
from vdbench.data.loader import load_benchmark
from vdbench.frames.types import Clip, Frame
from vdbench.llm.types import GenerationConfig
from vdbench.models.viddiff.config import ViddiffConfig, ViddiffOptions, protocol_settings
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
    parse_refined,
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
    assert (c.refine_retrieval, c.open_protocol) == (False, "standard")


def test_the_protocol_sets_the_defaults_and_a_given_option_wins():
    paper = ViddiffOptions().resolve(protocol_settings(PAPER))
    assert (paper.proposer_model, paper.differencer_model) == ("gpt-4o-mini",
                                                               "openai:gpt-4o-2024-05-13")
    assert (paper.n_retrieval_strings, paper.multiframe_sep_s, paper.refine_retrieval,
            paper.open_protocol) == (5, 0.35, True, "standard")
    assert ViddiffOptions().resolve(protocol_settings(FAST)) == ViddiffConfig()
    given = parse_options(ViddiffOptions, {
        "viddiff.differencer_model": "gpt-4.1", "viddiff.n_retrieval_strings": "2",
        "viddiff.refine_retrieval": "false", "viddiff.open_protocol": "paper",
        "viddiff.localizer": "random"}, "viddiff")
    assert given.given() == {"differencer_model": "gpt-4.1", "n_retrieval_strings": 2,
                             "refine_retrieval": False, "open_protocol": "paper"}
    resolved = given.resolve(protocol_settings(PAPER))
    assert (resolved.differencer_model, resolved.n_retrieval_strings, resolved.refine_retrieval,
            resolved.open_protocol) == ("gpt-4.1", 2, False, "paper")
    assert (resolved.multiframe_sep_s, resolved.localizer) == (0.35, "random")


def test_flat_command_line_keys_are_typed():
    c = parse_options(ViddiffOptions, {"viddiff.localizer": "random",
                                       "viddiff.multiframe_n": "7",
                                       "viddiff.stay_probability": "0.9"}, "viddiff")
    assert (c.localizer, c.multiframe_n, c.stay_probability) == ("random", 7, 0.9)


@pytest.mark.parametrize("extra, message", [
    ({"viddiff.localizer": "gt"}, "localizer: expected one of clip, random, oracle"),
    ({"viddiff.multiframe_n": "three"}, "multiframe_n: expected int"),
    ({"viddiff.max_stages": "0"}, "max_stages: must be at least 1"),
    ({"viddiff.n_retrieval_strings": "0"}, "n_retrieval_strings: must be at least 1"),
    ({"viddiff.open_protocol": "reference"}, "open_protocol: expected one of standard, paper"),
    ({"viddiff.refine_retrieval": "maybe"}, "refine_retrieval: expected true or false"),
    ({"viddiff.stages": "3"}, "viddiff.stages: not an option of viddiff"),
    ({"viddiff.differencer_model": "viddiff"}, "must be a chat model"),
])
def test_bad_options(extra, message):
    with pytest.raises(InputError, match=message):
        parse_options(ViddiffOptions, extra, "viddiff")


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


def test_refined_strings_replace_the_stages_strings_and_fall_back_stage_by_stage():
    stages = [Stage("descent", "going down", ("A photo of a person bending", "A photo")),
              Stage("bottom", "lowest point", ("A photo of deep knees", "A photo")),
              Stage("ascent", "going up", ("A photo of a person rising", "A photo"))]
    reply = json.dumps({"stages": [
        {"name": "Descent", "retrieval_strings": ["A photo of a person bending"]},
        {"name": "bottom", "retrieval_strings": []},
        {"name": "extra", "retrieval_strings": ["x"]},
    ]})
    refined, repairs = parse_refined(reply, stages)
    assert [(s.name, s.description) for s in refined] == [(s.name, s.description)
                                                          for s in stages]
    assert [s.retrieval_strings for s in refined] == [
        ("A photo of a person bending",), stages[1].retrieval_strings,
        stages[2].retrieval_strings]
    assert any("'Descent' read as 'descent'" in r for r in repairs)
    assert any("'bottom' lost every string" in r for r in repairs)
    assert any("'ascent' was left out" in r for r in repairs)
    assert any("dropped a stage" in r and "extra" in r for r in repairs)
    for malformed in ("no JSON", '{"stages": "none"}', "{}"):
        kept, repairs = parse_refined(malformed, stages)
        assert kept == stages and repairs == [
            "refinement: no usable stages in the reply; kept the unrefined retrieval strings"]


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


# --- stage 1: the refinement call, and the proposals keyed by annotated keys -----------------

# a stages reply with a string shared by both stages, and its refinement without it
STAGES_REPLY = json.dumps({"stages": [
    {"name": n, "description": n, "retrieval_strings": [f"A photo of {n}", "A photo"]}
    for n in ("down", "up")]})
REFINE_REPLY = json.dumps({"stages": [{"name": n, "retrieval_strings": [f"A photo of {n}"]}
                                      for n in ("down", "up")]})


def test_propose_refines_through_its_own_asker_alongside_the_links():
    sample = load_benchmark("mini").samples[0]
    asked: list[tuple[str, str]] = []

    def asker(stage):
        async def ask(request):
            text = request.text
            asked.append((stage, text))
            if "tells its own stage apart" in text:
                return REFINE_REPLY
            if "sub-action stages" in text:
                return STAGES_REPLY
            return "{}"
        return ask

    config = ViddiffConfig(refine_retrieval=True, n_retrieval_strings=5)
    proposal = asyncio.run(propose(asker("proposer"), sample, "closed", config,
                                   GenerationConfig(temperature=1.0), None, asker("refiner")))
    assert [s.retrieval_strings for s in proposal.stages] == [("A photo of down",),
                                                              ("A photo of up",)]
    assert proposal.unrefined == (("A photo of down", "A photo"), ("A photo of up", "A photo"))
    refine = [t for stage, t in asked if stage == "refiner"]
    assert len(refine) == 1 and '"retrieval_strings": [\n' in refine[0]
    assert sample.action_description in refine[0]
    assert [stage for stage, _ in asked].count("proposer") == 2  # stages and links
    assert 'at least 5 "retrieval_strings"' in asked[0][1]
    stages = proposal.to_json()["stages"]
    assert stages[0] == {"name": "down", "retrieval_strings": ["A photo of down"],
                         "unrefined_strings": ["A photo of down", "A photo"]}


def test_a_proposal_keyed_by_annotated_keys_keeps_only_the_matched_differences():
    proposal = Proposal(tuple(DIFFS), tuple(STAGES3), {"0": (0,), "1": (1, 2), "4": (2,)})
    keyed = proposal.keyed({"4": "2", "0": "5"})
    assert [(d.key, d.description) for d in keyed.differences] == [
        ("2", "the arms are higher"), ("5", "the squat is deeper")]
    assert keyed.links == {"2": (2,), "5": (0,)} and keyed.stages == proposal.stages
    assert proposal.keyed({}).differences == ()


# --- the matching shared with the judge (tasks.matching) -------------------------------------

def test_the_matching_prompt_reply_and_one_to_one_rule():
    from vdbench.tasks.matching import enforce_matching, parse_match_reply, render_match_prompt
    from vdbench.tasks.prompts import PromptSet

    text = render_match_prompt(PromptSet.default(), "a squat", {"0": "deeper", "2": "faster"},
                               {"0": "DEEPER", "1": "slower"})
    assert 'List 1: {"0": "deeper", "2": "faster"}' in text and '["0", "2"]' in text
    assert parse_match_reply('{"matches": [{"gt": "0", "pred": "1"}, {"gt": 2, "pred": null}]}'
                             ) == {"0": "1", "2": None}
    assert parse_match_reply('```json\n{"matches": {"0": "None", "2": "0"}}\n```') == {
        "0": None, "2": "0"}
    for bad in ("no", '{"answer": 1}', '{"matches": 3}', '{"matches": [{"pred": "1"}]}'):
        with pytest.raises(ValueError):
            parse_match_reply(bad)
    matching, dropped = enforce_matching({"0": "1", "2": "1", "7": "0", "3": "9"},
                                         ["0", "2", "3"], ["0", "1"])
    assert matching == {"0": "1", "2": None, "3": None}
    assert dropped == ["unknown annotated key '7'", "'3' -> unknown predicted key '9'",
                       "'2' -> '1' already matched"]


# --- the reference's repairs under paper (ViddiffProtocol) -------------------------------------

def test_paper_takes_the_references_repairs_and_fast_keeps_vdbenchs():
    paper = ViddiffOptions().resolve(protocol_settings(PAPER))
    fast = ViddiffOptions().resolve(protocol_settings(FAST))
    assert (paper.keep_all_stages, paper.nearest_difference_names, paper.viterbi) == (
        True, True, "reference")
    assert (fast.keep_all_stages, fast.nearest_difference_names, fast.viterbi) == (
        False, False, "vdbench")


def test_every_stage_is_kept_when_no_limit_is_given():
    reply = json.dumps({"stages": [{"name": f"s{i}", "retrieval_strings": ["x"]}
                                   for i in range(7)]})
    assert len(parse_stages(reply, max_stages=None, action="a")[0]) == 7
    assert len(parse_stages(reply, max_stages=5, action="a")[0]) == 5


def test_a_far_difference_name_is_read_as_the_nearest_only_under_the_references_rule():
    reply = json.dumps({"start": ["hands"], "end": ["0"]})
    strict, repairs = parse_links(reply, STAGES3, DIFFS, "middle")
    nearest, near_repairs = parse_links(reply, STAGES3, DIFFS, "middle",
                                        nearest_difference=True)
    assert any("dropped unknown difference 'hands'" in r for r in repairs)
    assert 0 in [s for k, stages in nearest.items() for s in stages if k != "0"]
    assert any("'hands' read as key" in r for r in near_repairs)


def test_viterbi_ties_stay_under_vdbench_and_advance_under_the_reference():
    flat = np.ones((2, 4))  # every path costs the same
    assert viterbi(flat, 0.5) == [0, 1, 1, 1]  # moves as early as possible
    assert viterbi(flat, 0.5, reference=True) == [0, 0, 0, 1]  # as late as possible
    # the reference floors only exact zeros: 3e-6 beats 1e-9, where flooring both at 1e-5
    # would tie them and its tie rule would then move late, [0, 0, 0, 1]
    probs = np.array([[1.0, 1e-9, 1e-9, 0.0], [0.0, 3e-6, 3e-6, 1.0]])
    assert viterbi(probs, 0.5, reference=True) == [0, 1, 1, 1]


def test_reference_linking_comes_after_the_refinement_and_shows_the_refined_stages():
    sample = load_benchmark("mini").samples[0]
    asked: list[str] = []

    async def ask(request):
        asked.append(request.text)
        if "tells its own stage apart" in request.text:
            return REFINE_REPLY
        return STAGES_REPLY if "sub-action stages" in request.text else "{}"

    config = ViddiffOptions().resolve(protocol_settings(PAPER))
    asyncio.run(propose(ask, sample, "closed", config, GenerationConfig(), None))
    refine, links = asked[1], asked[2]  # in this order, one after the other
    assert "tells its own stage apart" in refine and "list of difference keys" in links
    assert '"A photo of down"' in links and '"A photo",' not in links  # the refined strings
    assert '    "0": {' in links and '"query_string": "bottom of the squat"' in links
