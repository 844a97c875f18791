"""ViDiC-1K's checklist judge: for one checklist item, given only the model's comparison text
and the item's question, is the answer "yes" or "no"?

As the authors' judge (judge/judge.py of NJU-LINK/ViDiC-1K): one request per item, the item's
checklist (difference or similarity) named in the system prompt, a JSON reply
{"answer", "explanation"}, default judge model gpt-5-mini. vdbench's own: the wording of the
prompt (templates/vidic_judge*.txt), every call through the run's runtime (cache, budget,
--batch), a fixed seed, structured output, and a malformed reply asked again a bounded number
of times, after which the item is a judge error (a failure, never a score)."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

from vdbench.benchmarks.vidic.prompts import JUDGE, JUDGE_SYSTEM, vidic_prompts
from vdbench.benchmarks.vidic.sample import ChecklistItem
from vdbench.core.errors import InputError
from vdbench.llm.context import CallContext
from vdbench.llm.providers import make_adapter
from vdbench.llm.types import ChatRequest, GenerationConfig, TextPart
from vdbench.tasks.parsing import extract_json_object
from vdbench.tasks.prompts import text_hash

DEFAULT_JUDGE_MODEL = "gpt-5-mini"  # judge/judge.py: MODEL_NAME = "gpt-5-mini"
JUDGE_SEED = 0  # fixed, not the run's --seed: a score is a property of the predictions
MAX_ATTEMPTS = 3
# A reasoning judge spends part of its budget thinking; theirs sets no limit at all.
JUDGE_MAX_TOKENS = 8192
ANSWER_SCHEMA = {"type": "object",
                 "properties": {"answer": {"type": "string", "enum": ["yes", "no"]},
                                "explanation": {"type": "string"}},
                 "required": ["answer", "explanation"], "additionalProperties": False}
JUDGE_NAMES = ("default", "offline")


class JudgeReplyError(RuntimeError):
    pass


@dataclass(frozen=True)
class Decision:
    answer: Literal["yes", "no"]
    explanation: str = ""


class ChecklistJudge(ABC):
    name: str

    @abstractmethod
    async def decide(self, text: str, item: ChecklistItem) -> Decision:
        """The answer to `item.question` read from the model's comparison `text` alone (the
        item's correct answer is never shown to the judge). Raises on failure."""

    @abstractmethod
    def identity(self) -> dict[str, Any]:
        """What makes two judges' scores comparable: model, prompt hash, settings."""

    async def preflight(self) -> None:  # noqa: B027 - optional hook
        pass

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        pass


def parse_decision(text: str) -> Decision:
    """A reply read as {"answer": yes|no, "explanation": ...}; ValueError otherwise. A JSON
    object anywhere in the text (a ```json block included) is accepted; its answer must be
    yes or no, in any case, with no other words."""
    obj = extract_json_object(text)
    if obj is None:
        raise ValueError("no JSON object in the reply")
    answer = str(obj.get("answer", "")).strip().strip(".").lower()
    if answer not in ("yes", "no"):
        raise ValueError(f"answer must be yes or no, got {obj.get('answer')!r}")
    return Decision(answer, str(obj.get("explanation", "")))  # type: ignore[arg-type]


class LLMChecklistJudge(ChecklistJudge):
    def __init__(self, model: str, ctx: CallContext):
        self.runtime = ctx.runtime
        self.prompts = vidic_prompts(ctx.protocol.prompts_dir)
        try:
            self.adapter = make_adapter(model, ctx, role="--judge")
        except InputError as exc:
            raise InputError(f"{exc} (or --judge offline, which needs no key: for smoke "
                             "tests only, its numbers are not comparable)") from None
        self.name = f"llm:{self.adapter.model_id}"
        self.seed = JUDGE_SEED
        self.temperature = ctx.protocol.judge.temperature
        self.max_tokens = JUDGE_MAX_TOKENS

    def request(self, text: str, item: ChecklistItem, attempt: int = 0) -> ChatRequest:
        prompt = self.prompts.render(JUDGE, description=text, question=item.question)
        config = GenerationConfig(temperature=self.temperature, seed=self.seed + attempt,
                                  max_tokens=self.max_tokens, json_mode=True,
                                  response_schema=ANSWER_SCHEMA)
        return ChatRequest((TextPart(prompt),), config,
                           system=self.prompts.render(JUDGE_SYSTEM, kind=item.kind))

    async def decide(self, text: str, item: ChecklistItem) -> Decision:
        last = "no reply"
        for attempt in range(MAX_ATTEMPTS):
            reply = await self.runtime.call(self.adapter, self.request(text, item, attempt))
            if reply.status != "ok":
                raise JudgeReplyError(reply.error or "judge call failed")
            try:
                return parse_decision(reply.text or "")
            except ValueError as exc:
                last = str(exc)
        raise JudgeReplyError(f"malformed judge reply after {MAX_ATTEMPTS} attempts ({last})")

    def identity(self) -> dict[str, Any]:
        names = (JUDGE, JUDGE_SYSTEM)
        spec = "".join(self.prompts.load(n).text for n in names) + json.dumps(ANSWER_SCHEMA)
        return {"name": self.name, "model": self.adapter.model_id,
                "provider": self.adapter.provider, "temperature": self.temperature,
                "seed": self.seed, "max_tokens": self.max_tokens,
                "max_attempts": MAX_ATTEMPTS, "per_item": True,
                "prompt_hash": text_hash(spec), "prompts": self.prompts.hashes(names)}

    async def preflight(self) -> None:
        await self.adapter.preflight()

    async def aclose(self) -> None:
        await self.adapter.aclose()


# --- the offline answerer: smoke tests only ------------------------------------------------

_WORD = re.compile(r"[a-z]+")
STOP = frozenset("""a an the of in on at to and or is are was were be been does do did it its
this that these those there their than with while whereas for from by as video videos both
same different differ difference differs compared contrast whether any one two first second
which who what where when how has have had not no yes true only also into over under shown
shows showing show feature features featuring featured appear appears present depicted
is it true while""".split())


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in _WORD.findall(text.lower()) if w not in STOP and len(w) > 2}


def _difference_part(text: str) -> str:
    """The text's statements of difference: its "Differences:" paragraphs and sentences
    naming Video A or Video B, or contrast words (the similarities are left out)."""
    keep = []
    for line in re.split(r"(?<=[.!?])\s+|\n+", text):
        low = line.lower()
        if low.lstrip().startswith("similarit"):
            continue
        if ("video a" in low or "video b" in low or "differ" in low or "whereas" in low
                or "while" in low or "instead" in low or "unlike" in low):
            keep.append(line)
    return " ".join(keep)


class OfflineChecklistJudge(ChecklistJudge):
    """Lexical overlap between the question and the text's statements of difference: "yes"
    when at least THRESHOLD of the question's content words appear there, else "no" (the
    same unless the text says otherwise). No key, no network; smoke tests only: its
    agreement with human decisions is measured (docs/vidic.md) and too low for scores."""

    name = "offline-lexical"
    THRESHOLD = 0.5
    VERSION = 1

    async def decide(self, text: str, item: ChecklistItem) -> Decision:
        asked = _words(item.question)
        said = _words(_difference_part(text))
        share = len(asked & said) / len(asked) if asked else 0.0
        answer: Literal["yes", "no"] = "yes" if share >= self.THRESHOLD else "no"
        return Decision(answer, f"{share:.2f} of the question's words in the text's "
                                "statements of difference")

    def identity(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.VERSION, "threshold": self.THRESHOLD,
                "comparable": False}


def make_checklist_judge(spec: str, ctx: CallContext) -> ChecklistJudge:
    """`default`: the protocol's judge model (gpt-5-mini, as the authors'); `offline`; or any
    chat model (`gpt-4o`, `vllm:MODEL-ID`)."""
    if spec == "offline":
        return OfflineChecklistJudge()
    if "," in spec:
        raise InputError(f"--judge {spec}: ViDiC-1K's judge is one model, not two")
    model = ctx.protocol.judge.match_model if spec == "default" else spec
    return LLMChecklistJudge(model, ctx)
