"""The LLM judge of the paper's protocol: one model matches annotated to predicted
differences, a second checks matched pairs for opposite wording. Temperature 0, JSON output,
every call through the shared runtime (so a re-score is served from the cache); a malformed
reply is asked again with the next seed, a bounded number of times."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ...models.base import ModelOptions
from ...models.chat import ChatModel, get_chat_model
from ...models.types import ChatRequest, GenerationConfig, TextPart
from ...tasks.parsing import extract_json_object
from .base import Judge, MatchTask

MATCH_PROMPT = """\
You are matching two lists of differences between two videos of the action "{action}".
List 1 holds the reference differences, list 2 the predicted ones.

List 1: {gt}
List 2: {pred}

Match each difference of list 1 to the difference of list 2 that is about the same visual \
property of the action, or to null when no difference of list 2 is about it. A statement and \
its opposite ("the jump is higher" / "the jump is lower") are about the same property and \
do match. Each key of list 2 may be used at most once.

Answer with JSON only, one entry for every key of list 1 ({gt_keys}):
{{"matches": [{{"gt": "<key of list 1>", "pred": "<key of list 2 or null>"}}, ...]}}
"""

DIRECTION_PROMPT = """\
Each item below is a pair of statements about how an action is performed, which are about \
the same property. For each pair, answer 1 if the second statement says the opposite of the \
first (e.g. "the jump is higher" / "the jump is lower"), else 0.

{pairs}

Answer with JSON only: {{"results": [<0 or 1 for each of the {n} pairs, in order>]}}
"""

def _object(**properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


# Structured output (OpenAI's strict json_schema): a reply that does not fit cannot come back.
MATCH_SCHEMA = _object(matches={"type": "array", "items": _object(
    gt={"type": "string"}, pred={"type": ["string", "null"]})})
DIRECTION_SCHEMA = _object(results={"type": "array", "items": {"type": "integer",
                                                                "enum": [0, 1]}})

MAX_ATTEMPTS = 3
JUDGE_SEED = 0


class JudgeReplyError(RuntimeError):
    pass


class LLMJudge(Judge):
    def __init__(self, match_model: str, direction_model: str, options: ModelOptions):
        role = "--judge (--judge offline needs no key)"
        self.matcher = get_chat_model(match_model, options, role)
        self.director = get_chat_model(direction_model, options, role)
        self.name = f"llm:{self.matcher.adapter.model_id},{self.director.adapter.model_id}"
        # Fixed, not the run's --seed: a score is a property of the predictions.
        self.seed = JUDGE_SEED

    async def _ask(self, model: ChatModel, prompt: str, schema: dict, parse) -> Any:
        last = "no reply"
        for attempt in range(MAX_ATTEMPTS):
            config = GenerationConfig(temperature=0.0, seed=self.seed + attempt, max_tokens=1024,
                                      json_mode=True, response_schema=schema)
            reply = await model.runtime.call(model.adapter,
                                             ChatRequest((TextPart(prompt),), config))
            if reply.status != "ok":
                raise JudgeReplyError(reply.error or "judge call failed")
            try:
                return parse(extract_json_object(reply.text or ""))
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                last = f"{type(exc).__name__}: {exc}"
        raise JudgeReplyError(f"malformed judge reply after {MAX_ATTEMPTS} attempts ({last})")

    async def match(self, task: MatchTask) -> dict[str, str | None]:
        prompt = MATCH_PROMPT.format(action=task.action_description, gt=json.dumps(task.gt),
                                     pred=json.dumps(task.pred), gt_keys=json.dumps(list(task.gt)))

        def parse(obj: Any) -> dict[str, str | None]:
            matches = obj["matches"]
            if isinstance(matches, list):  # [{"gt": k, "pred": v}] is also accepted
                matches = {m["gt"]: m.get("pred") for m in matches}
            if not isinstance(matches, dict):
                raise ValueError("matches is not an object")
            return {str(k): (None if v in (None, "null", "None", "") else str(v))
                    for k, v in matches.items()}

        return await self._ask(self.matcher, prompt, MATCH_SCHEMA, parse)

    async def opposites(self, pairs: list[tuple[str, str]]) -> list[bool]:
        listed = "\n".join(f"{i + 1}. \"{g}\" / \"{p}\"" for i, (g, p) in enumerate(pairs))
        prompt = DIRECTION_PROMPT.format(pairs=listed, n=len(pairs))

        def parse(obj: Any) -> list[bool]:
            results = obj["results"]
            if not isinstance(results, list) or len(results) != len(pairs):
                raise ValueError(f"expected {len(pairs)} results")
            if any(str(x) not in ("0", "1") for x in results):
                raise ValueError("results must be 0 or 1")
            return [str(x) == "1" for x in results]

        return await self._ask(self.director, prompt, DIRECTION_SCHEMA, parse)

    def identity(self) -> dict[str, Any]:
        spec = MATCH_PROMPT + DIRECTION_PROMPT + json.dumps([MATCH_SCHEMA, DIRECTION_SCHEMA])
        prompts = hashlib.sha256(spec.encode()).hexdigest()[:16]
        return {"name": self.name, "match_model": self.matcher.adapter.model_id,
                "direction_model": self.director.adapter.model_id, "temperature": 0.0,
                "seed": self.seed, "prompt_hash": prompts}

    async def aclose(self) -> None:
        await self.matcher.aclose()
        await self.director.aclose()
