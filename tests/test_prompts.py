"""Prompts as data: vdbench's templates load, render and hash; a `--prompts DIR` replaces them
by name, changes what is sent and what is recorded, and is checked before the run."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from conftest import call_context, make_row
from servers.chat_requests import tiny_clip
from servers.openai_server import FakeOpenAIServer, prompt_text
from vdbench.core.errors import InputError
from vdbench.core.protocol import get_protocol
from vdbench.data.loader import Selection
from vdbench.data.schema import parse_row
from vdbench.llm.context import CallContext
from vdbench.llm.types import GenerationConfig, TextPart
from vdbench.scoring.judge.base import MatchTask
from vdbench.tasks import closed
from vdbench.tasks import open as open_task
from vdbench.tasks.prompts import PACKAGED_DIR, PLACEHOLDERS, PromptSet, check_template

SAMPLE = parse_row(make_row("s0", n_differences_open_prediction=4))
CLIPS = (tiny_clip(1, n_frames=3), tiny_clip(2, n_frames=2))


def user_dir(tmp_path: Path, **files: str) -> Path:
    d = tmp_path / "prompts"
    d.mkdir(exist_ok=True)
    for name, text in files.items():
        (d / f"{name}.txt").write_text(text, encoding="utf-8")
    return d


def request_text(request) -> str:
    return "\n".join(p.text for p in request.parts if isinstance(p, TextPart))


# --- the packaged set -------------------------------------------------------------------------

def test_every_declared_template_is_packaged_and_nothing_else():
    assert sorted(p.stem for p in PACKAGED_DIR.glob("*.txt")) == sorted(PLACEHOLDERS)
    assert [p.name for p in PACKAGED_DIR.iterdir() if p.suffix != ".txt"] == []
    prompts = PromptSet.default()
    assert prompts is PromptSet.from_dir(None)  # read once
    for name in PLACEHOLDERS:
        template = prompts.load(name)
        assert template.source == "vdbench" and template.text
        assert check_template(name, template.text) == []
        # ours use every required placeholder and no undeclared one
        assert template.fields <= set(PLACEHOLDERS[name].types())


def test_packaged_templates_render_the_closed_and_open_prompts():
    text = request_text(closed.build_closed_request(SAMPLE, CLIPS, GenerationConfig()))
    assert SAMPLE.action_description in text
    assert "first the 3 frames of video a" in text and "then the 2 frames of video b" in text
    for d in SAMPLE.closed_differences():
        assert json.dumps(d.description) in text
    assert "{" + '"' in text and "{{" not in text  # doubled braces come out single
    text = request_text(open_task.build_open_request(SAMPLE, CLIPS, GenerationConfig()))
    assert "Give at most 4 differences" in text
    assert '{"0": {"description": "...", "prediction": "a|b"}' in text


def test_render_needs_exactly_the_declared_values():
    prompts = PromptSet.default()
    assert prompts.render("viddiff_differencer_intro", action="a squat") == (
        'These frames come from two videos of people performing this action: "a squat".')
    with pytest.raises(TypeError, match="filled with"):
        prompts.render("viddiff_differencer_intro", action="x", extra=1)
    with pytest.raises(KeyError):
        prompts.load("nonexistent")


def test_recorded_prompt_hashes_are_pinned():
    """A changed template changes what models are asked, so its hash is pinned here: the
    closed and open hashes changed once, when their first sentence (the reference's words)
    was rewritten in vdbench's own; the VidDiff method's kept its value from before
    templates were files."""
    prompts = PromptSet.default()
    assert closed.prompt_hash(prompts) == "48a26a0f83bf32ed"
    assert open_task.prompt_hash(prompts) == "75024e3c7d3d7ad6"
    from vdbench.models.viddiff import prompts as viddiff_prompts

    assert viddiff_prompts.prompt_hash(prompts) == "bba78a0f0bb48f48"


# --- hashes -----------------------------------------------------------------------------------

def test_hashes_change_when_a_template_changes(tmp_path):
    ours = PromptSet.default()
    text = ours.load("closed").text.replace("and nothing else", "and nothing more")
    theirs = PromptSet.from_dir(user_dir(tmp_path, closed=text))
    assert theirs.overridden() == ["closed"]
    changed = {n for n in PLACEHOLDERS if theirs.hashes()[n] != ours.hashes()[n]}
    assert changed == {"closed"}
    assert theirs.digest() != ours.digest()
    assert theirs.digest(["open", "video_layout"]) == ours.digest(["open", "video_layout"])
    assert closed.prompt_hash(theirs) != closed.prompt_hash(ours)
    assert open_task.prompt_hash(theirs) == open_task.prompt_hash(ours)
    assert len(theirs.hashes()["closed"]) == 16
    # the same text in a file gives the same hash as ours
    same = PromptSet.from_dir(user_dir(tmp_path, closed=ours.load("closed").text))
    assert same.hashes() == ours.hashes() and same.digest() == ours.digest()


# --- a user's folder: checked when read ------------------------------------------------------

def test_a_missing_placeholder_is_named_with_the_file(tmp_path):
    d = user_dir(tmp_path, closed="Action {action_description}.\n{video_layout}\nAnswer.\n")
    with pytest.raises(InputError) as err:
        PromptSet.from_dir(d)
    message = str(err.value)
    assert str(d / "closed.txt") in message
    assert "missing placeholder(s) {differences}" in message
    assert "takes: required {action_description}, {differences}, {video_layout}" in message


def test_an_unknown_placeholder_is_named_with_the_file(tmp_path):
    d = user_dir(tmp_path, open="{action_description} {video_layout} {n_differences} {colour}"
                                " {n_diffs}")
    with pytest.raises(InputError) as err:
        PromptSet.from_dir(d)
    message = str(err.value)
    assert str(d / "open.txt") in message
    assert "unknown placeholder(s) {colour}, {n_diffs}" in message
    assert "missing" not in message


def test_missing_and_unknown_are_both_reported(tmp_path):
    d = user_dir(tmp_path, judge_direction="Pairs: {pair}")
    with pytest.raises(InputError) as err:
        PromptSet.from_dir(d)
    message = str(err.value)
    assert "missing placeholder(s) {pairs} or {pairs_list}" in message
    assert "unknown placeholder(s) {pair}" in message


def test_an_unknown_file_name_is_refused_naming_the_known_ones(tmp_path):
    d = user_dir(tmp_path, closed_mode="{action_description}")
    (d / ".DS_Store").write_bytes(b"\0")  # hidden files are ignored
    with pytest.raises(InputError) as err:
        PromptSet.from_dir(d)
    message = str(err.value)
    assert str(d / "closed_mode.txt") in message and "not a template name" in message
    assert all(f"{name}.txt" in message for name in PLACEHOLDERS)
    assert ".DS_Store" not in message


@pytest.mark.parametrize("text, problem", [
    ('Answer like {"a": 1}. {action}', "write a literal brace as {{ or }}"),  # undoubled
    ("Answer like {action}}", "not a valid template"),
    ("{action} {}", "plain names"),
    ("{action.upper}", "plain names"),
    ("{action:d}", "cannot be filled"),
])
def test_malformed_templates_are_refused_before_the_run(tmp_path, text, problem):
    d = user_dir(tmp_path, viddiff_differencer_intro=text)
    with pytest.raises(InputError, match=re.escape(problem)):
        PromptSet.from_dir(d)


def test_every_problem_of_a_folder_is_reported_at_once(tmp_path):
    d = user_dir(tmp_path, closed="{action_description}", viddiff_stages="{action}",
                 notes="hello")
    with pytest.raises(InputError) as err:
        PromptSet.from_dir(d)
    assert len(err.value.problems) == 3


def test_optional_placeholders_may_be_left_out_and_format_specs_are_kept(tmp_path):
    d = user_dir(tmp_path, video_layout="{n_a} + {n_b} frames at {fps_a:.1f} fps",
                 closed="{action_description}\n{video_layout}\n{differences}\n@\n{full_example}")
    text = closed.closed_prompt_text(SAMPLE, CLIPS, PromptSet.from_dir(d))
    assert f"3 + 2 frames at {CLIPS[0].fps:.1f} fps" in text
    keys = [d.key for d in SAMPLE.closed_differences()]
    assert json.loads(text.split("\n@\n")[1]) == {
        k: {"description": SAMPLE.differences_annotated[k].description, "prediction": "a|b"}
        for k in keys}


def test_protocol_refuses_a_prompts_path_that_is_not_a_folder(tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        get_protocol("fast", tmp_path / "absent")


# --- where a run's prompt set comes from ------------------------------------------------------

def test_the_judge_reads_the_runs_prompts_and_records_their_hashes(tmp_path, monkeypatch):
    pytest.importorskip("openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-judge")
    from vdbench.scoring.judge.llm import LLMJudge

    d = user_dir(tmp_path, judge_match="MATCH {action}|{gt}|{pred}|{gt_keys}|{pred_keys}|"
                                       "{last_index}",
                 judge_direction="OPPOSITE? {pairs_list}")
    sent: list[str] = []

    def reply(body: dict) -> str:
        text = prompt_text(body)
        sent.append(text)
        if text.startswith("MATCH"):
            return json.dumps({"matches": [{"gt": "0", "pred": "0"}]})
        return json.dumps({"results": [1]})

    base = call_context(tmp_path / "cache")
    with FakeOpenAIServer(reply) as server:
        ctx = CallContext(base.runtime, base.cache_dir, base_url=server.base_url,
                          protocol=get_protocol("fast", d))
        judge = LLMJudge("gpt-4o", "gpt-4o-mini", ctx)
        ours = LLMJudge("gpt-4o", "gpt-4o-mini",
                        CallContext(base.runtime, base.cache_dir, base_url=server.base_url))

        async def ask():
            match = await judge.match(MatchTask("s0", "a squat", {"0": "deeper", "1": "wider"},
                                                {"0": "shallower"}))
            opposite = await judge.opposites([("deeper", "shallower")])
            await judge.aclose()
            await ours.aclose()
            return match, opposite

        assert asyncio.run(ask()) == ({"0": "0"}, [True])
    assert sent == ['MATCH a squat|{"0": "deeper", "1": "wider"}|{"0": "shallower"}|["0", "1"]'
                    '|["0"]|1', "OPPOSITE? [['deeper', 'shallower']]"]
    identity, default = judge.identity(), ours.identity()
    assert identity["prompts"] == PromptSet.from_dir(d).hashes(["judge_match",
                                                                 "judge_direction"])
    assert identity["prompts"] != default["prompts"]
    assert identity["prompt_hash"] != default["prompt_hash"]
    assert default["prompt_hash"] == "02967236c4572b49"  # unchanged by the move to files


def test_a_prompts_folder_changes_what_a_run_sends_and_records(tmp_path, monkeypatch,
                                                               cache_dir):
    pytest.importorskip("openai")
    pytest.importorskip("av")
    from vdbench.pipeline.config import EvalConfig
    from vdbench.pipeline.run import run_eval

    ours = PromptSet.default().load("closed").text
    marker = "Answer as a careful referee."
    d = user_dir(tmp_path, closed=ours.replace("and nothing else, e.g.",
                                               f"and nothing else. {marker} E.g."))

    def answer_all_a(body: dict) -> str:
        keys = re.findall(r'^\s*"(\d+)":', prompt_text(body), re.MULTILINE)
        return json.dumps({k: "a" for k in keys})

    with FakeOpenAIServer(reply=answer_all_a) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-model")
        runs = {}
        for label, folder in (("ours", None), ("theirs", d)):
            cfg = EvalConfig(model="openai:any", selection=Selection("all", limit=2),
                             out=tmp_path / label, protocol_name="fast", prompts_dir=folder)
            before = len(server.requests)
            results, _ = run_eval(cfg)
            runs[label] = (results, [prompt_text(r.body) for r in server.requests[before:]])
    (ours_results, ours_sent), (theirs_results, theirs_sent) = runs["ours"], runs["theirs"]
    assert len(ours_sent) == len(theirs_sent) == 2  # not served from the cache: new text
    assert all(marker in t for t in theirs_sent) and not any(marker in t for t in ours_sent)
    recorded = {k: json.loads((tmp_path / k / "results.json").read_text())["provenance"]
                for k in ("ours", "theirs")}
    mine, users = recorded["ours"]["model"], recorded["theirs"]["model"]
    assert mine["prompts"] == PromptSet.default().hashes(["closed", "video_layout", "open"])
    assert users["prompts"]["closed"] == PromptSet.from_dir(d).hashes()["closed"]
    assert users["prompts"]["closed"] != mine["prompts"]["closed"]
    assert users["prompts"]["video_layout"] == mine["prompts"]["video_layout"]
    assert users["prompt_hash"]["closed"] != mine["prompt_hash"]["closed"]
    assert users["prompt_hash"]["open"] == mine["prompt_hash"]["open"]
    assert ours_results.metrics["accuracy"] == theirs_results.metrics["accuracy"]
