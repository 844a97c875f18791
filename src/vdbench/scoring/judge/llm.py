"""The LLM judge of the paper's protocol: one model matches annotated to predicted
differences, a second checks matched pairs for opposite wording. Temperature 0, JSON output,
every call through the shared runtime (so a re-score is served from the cache); a malformed
reply is asked again with the next seed, a bounded number of times."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from vdbench.core.errors import InputError
from vdbench.llm.adapter import ProviderAdapter
from vdbench.llm.context import CallContext
from vdbench.llm.providers import make_adapter
from vdbench.llm.types import ChatRequest, GenerationConfig, TextPart
from vdbench.scoring.judge.base import Judge, MatchTask
from vdbench.tasks.matching import (
    MATCH_SCHEMA,
    MATCH_TEMPLATE,
    parse_match_reply,
    render_match_prompt,
)
from vdbench.tasks.parsing import extract_json_object
from vdbench.tasks.prompts import PromptSet, text_hash

# The judge's templates (tasks/templates/NAME.txt, replaced by `--prompts DIR`).
DIRECTION_PROMPT = "judge_direction"
TEMPLATES = (MATCH_TEMPLATE, DIRECTION_PROMPT)


# Structured output (OpenAI's strict json_schema): a reply that does not fit cannot come back.
DIRECTION_SCHEMA = {"type": "object",
                    "properties": {"results": {"type": "array",
                                               "items": {"type": "integer", "enum": [0, 1]}}},
                    "required": ["results"], "additionalProperties": False}

MAX_ATTEMPTS = 3
JUDGE_SEED = 0


class JudgeReplyError(RuntimeError):
    pass


class LLMJudge(Judge):
    def __init__(self, match_model: str, direction_model: str, ctx: CallContext):
        self.runtime = ctx.runtime
        self.prompts = PromptSet.from_dir(ctx.protocol.prompts_dir)
        try:
            self.matcher = make_adapter(match_model, ctx, role="--judge")
            self.director = make_adapter(direction_model, ctx, role="--judge")
        except InputError as exc:
            raise InputError(f"{exc} (or --judge offline, which needs no key: for smoke "
                             "tests only, its numbers are not comparable)") from None
        self.name = f"llm:{self.matcher.model_id},{self.director.model_id}"
        # Fixed, not the run's --seed: a score is a property of the predictions.
        self.seed = JUDGE_SEED
        self.temperature = ctx.protocol.judge.temperature
        self.max_tokens = ctx.protocol.generation.max_tokens

    async def _ask(self, adapter: ProviderAdapter, prompt: str, schema: dict,
                   parse: Callable[[str], Any]) -> Any:
        last = "no reply"
        for attempt in range(MAX_ATTEMPTS):
            config = GenerationConfig(temperature=self.temperature, seed=self.seed + attempt,
                                      max_tokens=self.max_tokens, json_mode=True,
                                      response_schema=schema)
            reply = await self.runtime.call(adapter, ChatRequest((TextPart(prompt),), config))
            if reply.status != "ok":
                raise JudgeReplyError(reply.error or "judge call failed")
            try:
                return parse(reply.text or "")
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                last = f"{type(exc).__name__}: {exc}"
        raise JudgeReplyError(f"malformed judge reply after {MAX_ATTEMPTS} attempts ({last})")

    async def match(self, task: MatchTask) -> dict[str, str | None]:
        prompt = render_match_prompt(self.prompts, task.action_description, task.gt, task.pred)
        return await self._ask(self.matcher, prompt, MATCH_SCHEMA, parse_match_reply)

    async def opposites(self, pairs: list[tuple[str, str]]) -> list[bool]:
        listed = "\n".join(f"{i + 1}. \"{g}\" / \"{p}\"" for i, (g, p) in enumerate(pairs))
        prompt = self.prompts.render(
            DIRECTION_PROMPT, pairs=listed, n=len(pairs),
            # the reference's {statements}: a Python list of [reference, predicted] lists
            pairs_list=str([[g, p] for g, p in pairs]))

        def parse(text: str) -> list[bool]:
            results = (extract_json_object(text) or {})["results"]
            if not isinstance(results, list) or len(results) != len(pairs):
                raise ValueError(f"expected {len(pairs)} results")
            if any(str(x) not in ("0", "1") for x in results):
                raise ValueError("results must be 0 or 1")
            return [str(x) == "1" for x in results]

        return await self._ask(self.director, prompt, DIRECTION_SCHEMA, parse)

    def identity(self) -> dict[str, Any]:
        # The templates and the reply schemas, one hash (its formula predates template files,
        # so judges recorded before and after compare equal); and each template's own.
        texts = "".join(self.prompts.load(name).text for name in TEMPLATES)
        spec = texts + json.dumps([MATCH_SCHEMA, DIRECTION_SCHEMA])
        return {"name": self.name, "match_model": self.matcher.model_id,
                "direction_model": self.director.model_id,
                # one model id can be served by an API and by a self-hosted vLLM
                "match_provider": self.matcher.provider,
                "direction_provider": self.director.provider, "temperature": self.temperature,
                "seed": self.seed, "prompt_hash": text_hash(spec),
                "prompts": self.prompts.hashes(TEMPLATES)}

    async def preflight(self) -> None:
        await self.matcher.preflight()
        await self.director.preflight()

    async def aclose(self) -> None:
        await self.matcher.aclose()
        await self.director.aclose()
