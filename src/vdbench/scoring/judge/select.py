"""`--judge SPEC` to a judge; each judge's module is imported only when chosen."""

from __future__ import annotations

from vdbench.llm.context import CallContext
from vdbench.scoring.judge.base import Judge


def get_judge(spec: str, ctx: CallContext) -> Judge:
    """`default`: the protocol's judge models (gpt-4o-2024-08-06 matches, gpt-4o-mini checks
    direction, as in the reference code); `offline`; `MODEL` (both steps on one chat model);
    or `MATCH_MODEL,DIRECTION_MODEL`. The judge's settings (temperature, direction batching)
    come from the run's protocol."""
    if spec == "offline":
        from vdbench.scoring.judge.offline import OfflineJudge

        return OfflineJudge()
    from vdbench.scoring.judge.llm import LLMJudge

    if spec == "default":
        return LLMJudge(ctx.protocol.judge.match_model, ctx.protocol.judge.direction_model, ctx)
    match_model, _, direction_model = spec.partition(",")
    return LLMJudge(match_model, direction_model or match_model, ctx)
