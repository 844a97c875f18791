"""The judge's share of an open-mode dry run: its requests built and counted, none sent.

A dry run has no predictions to judge, so each sample stands in with as many predicted
differences as the protocol asks for, worded like its annotated ones, and every annotated
difference is taken as matched (the most direction checks a run can need)."""

from __future__ import annotations

from vdbench.data.schema import Sample
from vdbench.llm.accounting import DRY_RUN_STAGE
from vdbench.llm.context import CallContext
from vdbench.scoring.judge.base import MatchTask
from vdbench.scoring.judge.llm import JudgeReplyError
from vdbench.scoring.judge.select import get_judge


def _stand_in(sample: Sample) -> MatchTask:
    gt = {k: d.description for k, d in sample.differences_annotated.items()
          if d is not None and k in sample.scored_keys}
    texts = list(gt.values()) or [sample.action_description]
    n = max(1, sample.n_differences_open_prediction)
    pred = {str(i): texts[i % len(texts)] for i in range(n)}
    return MatchTask(sample.sample_key, sample.action_description, gt, pred)


async def estimate_judge(samples: list[Sample], spec: str, ctx: CallContext) -> None:
    """Count the judge's requests in the runtime's dry-run tally, under the stage "judge".
    The offline judge sends nothing, so it adds nothing."""
    if spec == "offline":
        return
    judge = get_judge(spec, ctx)
    settings = ctx.protocol.judge
    token = DRY_RUN_STAGE.set("judge")
    try:
        pairs: list[list[tuple[str, str]]] = []
        for sample in samples:
            task = _stand_in(sample)
            try:
                await judge.match(task)
            except JudgeReplyError:  # a dry run's reply is always "not sent"
                pass
            matched = list(zip(task.gt.values(), task.pred.values(), strict=False))
            pairs.append(matched)
        groups = [[p for ps in pairs for p in ps]] if settings.batch_across_samples else pairs
        for group in groups:
            for i in range(0, len(group), settings.direction_batch):
                try:
                    await judge.opposites(group[i:i + settings.direction_batch])
                except JudgeReplyError:
                    pass
    finally:
        DRY_RUN_STAGE.reset(token)
        await judge.aclose()
