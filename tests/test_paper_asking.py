"""How `paper` asks and reads (core.protocol.AskingProtocol) against `fast`, and `vdbench prompts
import-reference` on good and unrecognised checkouts (tests/reference_standin.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import make_row
from reference_standin import CONFIG, write_checkout
from servers.chat_requests import tiny_clip
from vdbench.cli.main import main
from vdbench.core.protocol import FAST, PAPER
from vdbench.data.schema import parse_row
from vdbench.llm.types import GenerationConfig, TextPart, VideoPart
from vdbench.models.viddiff.differencer import parse_answer
from vdbench.tasks import closed
from vdbench.tasks import open as open_task
from vdbench.tasks.prompts import PLACEHOLDERS, PromptSet
from vdbench.tasks.reference_prompts import RECORD

CLIPS = (tiny_clip(1, n_frames=3, fps=5.994), tiny_clip(2, n_frames=2, fps=5.994))
# differences_annotated lists "2" before "0": the reference's order, not differences_gt's
REORDERED = parse_row(make_row("r0", differences_annotated=json.dumps({
    "2": {"name": "w", "description": "the stance is wider", "query_string": "q",
          "num_frames": "1"},
    "0": {"name": "d", "description": "the squat is deeper", "query_string": "q",
          "num_frames": "1"},
    "1": {"name": "s", "description": "the squat is faster", "query_string": "q",
          "num_frames": "gt_1"}}),
    differences_gt=json.dumps({"0": "a", "1": "b", "2": "a"})))


def test_paper_sends_the_whole_text_then_a_then_b_unlabelled_and_fast_labels_them():
    for as_video in (False, True):
        paper = closed.build_closed_request(REORDERED, CLIPS, GenerationConfig(),
                                            as_video=as_video, asking=PAPER.asking)
        text = closed.closed_prompt_text(REORDERED, CLIPS, as_video=as_video,
                                         asking=PAPER.asking)
        assert paper.parts == (TextPart(text), VideoPart(CLIPS[0], "a"),
                               VideoPart(CLIPS[1], "b"))
    fast = closed.build_closed_request(REORDERED, CLIPS, GenerationConfig())
    assert [p.text for p in fast.parts if isinstance(p, TextPart)][1:3] == ["Video a:",
                                                                            "Video b:"]


def test_paper_lists_closed_differences_in_annotated_order_and_asks_for_each_description():
    paper = closed.closed_prompt_text(REORDERED, CLIPS, asking=PAPER.asking)
    fast = closed.closed_prompt_text(REORDERED, CLIPS, asking=FAST.asking)
    assert paper.index('"2": "the stance') < paper.index('"0": "the squat')
    assert fast.index('"0": "the squat') < fast.index('"2": "the stance')
    assert '"prediction": "a|b"' in paper and '"prediction"' not in fast


def test_the_reference_fill_values_int_rate_and_qwen_target(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "video_layout.txt").write_text("{n_a}+{n_b} at {fps_int}")
    (folder / "closed.txt").write_text("{action_description} {video_layout} {differences}"
                                       "\n{full_example}")
    prompts = PromptSet.from_dir(folder)
    gpt = closed.closed_prompt_text(REORDERED, CLIPS, prompts, asking=PAPER.asking,
                                    model_id="gpt-4o-2024-08-06")
    qwen = closed.closed_prompt_text(REORDERED, CLIPS, prompts, asking=PAPER.asking,
                                     model_id="Qwen/Qwen2.5-VL-7B-Instruct")
    assert "3+2 at 5 " in gpt  # 5.994 frames per second is printed as the reference's int
    assert gpt.count('"prediction": "a|b"') == 3 and '"..."' not in gpt
    assert qwen.count('"prediction": "..."') == 3


@pytest.mark.parametrize("value", ["A", "(a)", "video a", " a"])
def test_strict_labels_accept_only_a_or_b_and_count_what_tolerance_would_change(value):
    reply = json.dumps({"0": {"description": "x", "prediction": value}, "1": "b"})
    strict = closed.parse_closed_reply(REORDERED, reply, PAPER.asking)
    tolerant = closed.parse_closed_reply(REORDERED, reply, FAST.asking)
    assert {k: p.prediction for k, p in strict.predictions.items()} == {"1": "b"}
    assert strict.status == "partial" and strict.tolerant_changes == 1
    assert tolerant.predictions["0"].prediction == "a" and tolerant.tolerant_changes == 0


def test_strict_reads_the_flat_map_and_per_key_objects_alike():
    reply = json.dumps({"0": "a", "1": {"description": "x", "prediction": "b"}, "2": "a"})
    out = closed.parse_closed_reply(REORDERED, reply, PAPER.asking)
    assert out.status == "ok" and out.tolerant_changes == 0
    assert {k: p.prediction for k, p in out.predictions.items()} == {"0": "a", "1": "b",
                                                                     "2": "a"}


def test_open_first_n_keeps_a_malformed_entry_in_its_place():
    sample = parse_row(make_row("o0", n_differences_open_prediction=2))
    entries = {"0": {"description": "no label"},
               "1": {"description": "the squat is deeper", "prediction": "a"},
               "2": {"description": "the squat is faster", "prediction": "b"}}
    paper = open_task.parse_open_reply(sample, json.dumps(entries), PAPER.asking)
    fast = open_task.parse_open_reply(sample, json.dumps(entries), FAST.asking)
    assert [p.description for p in paper.predictions.values()] == ["the squat is deeper"]
    assert [p.description for p in fast.predictions.values()] == ["the squat is deeper",
                                                                  "the squat is faster"]


def test_the_differencer_answer_is_strict_under_paper():
    assert parse_answer('{"answer_detailed": "x", "answer": "A"}', strict=True) is None
    assert parse_answer('{"answer_detailed": "x", "answer": "A"}') == "a"
    assert parse_answer('{"answer_detailed": "x", "answer": "b"}', strict=True) == "b"


# --- import-reference --------------------------------------------------------------------------

def test_import_reference_writes_every_template_without_importing_the_modules(tmp_path):
    out = tmp_path / "prompts"
    assert main(["prompts", "import-reference", str(write_checkout(tmp_path / "ref")),
                 "--out", str(out)]) == 0
    written = sorted(p.stem for p in out.glob("*.txt"))
    assert written == sorted(set(PLACEHOLDERS) - {"viddiff_differencer_intro",
                                                  "viddiff_differencer_question"})
    assert "not_installed_stack" not in sys.modules
    prompts = PromptSet.from_dir(out)  # the folder is accepted as --prompts
    assert prompts.load("judge_match").text.count("{gt_keys_sorted}") == 2
    # a brace the reference leaves unfilled stays literal
    assert "{unknown_brace}" in prompts.render("judge_direction", pairs="", n=0,
                                               pairs_list="[]")
    # the last assignment counts; the config chooses the differencer's variant 4
    assert "earlier draft" not in prompts.load("judge_match").text
    assert prompts.load("viddiff_differencer_one").text.startswith("[one] Two images")
    record = json.loads((out / RECORD).read_text())
    assert record["templates"]["viddiff_differencer_several"].endswith(
        "lookup_prompts_differencing_multiframe[4]")


@pytest.mark.parametrize("damage, names", [
    (lambda root: (root / "eval_viddiff.py").unlink(), ["eval_viddiff.py",
                                                        "prompt_open_eval_matching"]),
    (lambda root: (root / "lmms/lmm_prompts.py").write_text("prompt_template_open = 'x'\n"),
     ["lmm_prompts.py", "prompt_template_mode_2"]),
    (lambda root: (root / "viddiff_method/configs/config.yaml").write_text(
        CONFIG.replace("  prompt_key: 4", "  prompt_key: 9")),
     ["prompts.py", "lookup_prompts_differencing_1_frame[9]", "config.yaml"]),
    (lambda root: (root / "viddiff_method/configs/config.yaml").write_text(
        CONFIG.replace("  prompt_key_4_linking: 0\n", "")),
     ["config.yaml", "proposer.prompt_key_4_linking"]),
    (lambda root: (root / "lmms/lmm_prompts.py").write_text(
        (root / "lmms/lmm_prompts.py").read_text().replace("{differences_annotated}", "")),
     ["lmm_prompts.py", "prompt_template_mode_2", "{differences}"]),
])
def test_an_unrecognised_checkout_exits_2_naming_file_and_symbol(tmp_path, capsys, damage,
                                                                  names):
    root = write_checkout(tmp_path / "ref")
    damage(root)
    out = tmp_path / "prompts"
    assert main(["prompts", "import-reference", str(root), "--out", str(out)]) == 2
    message = " ".join(capsys.readouterr().err.split())
    assert all(name in message for name in names), message
    assert not out.exists()  # nothing written


def test_import_reference_of_a_missing_folder_exits_2(tmp_path, capsys):
    assert main(["prompts", "import-reference", str(tmp_path / "nope"), "--out",
                 str(tmp_path / "o")]) == 2
    assert "jmhb0/viddiff" in capsys.readouterr().err
    assert not Path(tmp_path / "o").exists()


@pytest.mark.parametrize("loose", [True, False])
def test_the_checkouts_commit_is_recorded_from_a_loose_or_packed_ref(tmp_path, loose):
    root = write_checkout(tmp_path / "ref")
    commit = "0123456789abcdef0123456789abcdef01234567"
    (root / ".git").mkdir()
    (root / ".git/HEAD").write_text("ref: refs/heads/master\n")
    if loose:
        (root / ".git/refs/heads").mkdir(parents=True)
        (root / ".git/refs/heads/master").write_text(commit + "\n")
    else:
        (root / ".git/packed-refs").write_text(f"# pack-refs\n{commit} refs/heads/master\n")
    out = tmp_path / "prompts"
    assert main(["prompts", "import-reference", str(root), "--out", str(out)]) == 0
    assert json.loads((out / RECORD).read_text())["commit"] == commit
