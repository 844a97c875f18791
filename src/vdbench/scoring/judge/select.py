"""`--judge SPEC` to a judge: one vocabulary for eval, score, submit and judge-eval; each
judge's module is imported only when chosen."""

from __future__ import annotations

from typing import Any

from vdbench.core.errors import InputError
from vdbench.core.suggest import did_you_mean
from vdbench.llm.context import CallContext
from vdbench.scoring.judge.base import Judge

DEFAULT_JUDGE = "default"
JUDGE_NAMES = ("default", "offline")
JUDGE_HELP = ("open mode: default (the protocol's judge: gpt-4o matches, gpt-4o-mini checks "
              "direction; numbers to compare with the paper), offline (no key or network; "
              "smoke tests only, never comparable), MODEL (one chat model, e.g. vllm:ID), or "
              "MATCH_MODEL,DIRECTION_MODEL. Default: the judge recorded with the run's "
              "predictions, else default")


def check_judge_spec(spec: str) -> None:
    """Refuse a spec that names no judge before any work, listing the judges."""
    if spec in JUDGE_NAMES:
        return
    from vdbench.llm.providers import known_names, registry, resolve

    models = spec.split(",")
    for model in models:
        if len(models) > 2 or resolve(model.strip()) is None:
            names = [*JUDGE_NAMES, *(a.name for a in registry.aliases())]
            raise InputError(
                f"--judge: {spec!r} is not a judge{did_you_mean(model, names)}; give "
                f"{' or '.join(JUDGE_NAMES)}, a chat model ({', '.join(known_names())}), or "
                "MATCH_MODEL,DIRECTION_MODEL")


def get_judge(spec: str, ctx: CallContext) -> Judge:
    """`default`: the protocol's judge models (gpt-4o-2024-08-06 matches, gpt-4o-mini checks
    direction, as in the reference code); `offline`; `MODEL` (both steps on one chat model);
    or `MATCH_MODEL,DIRECTION_MODEL`. The judge's settings (temperature, direction batching)
    come from the run's protocol."""
    check_judge_spec(spec)
    if spec == "offline":
        from vdbench.scoring.judge.offline import OfflineJudge

        return OfflineJudge()
    from vdbench.scoring.judge.llm import LLMJudge

    if spec == "default":
        return LLMJudge(ctx.protocol.judge.match_model, ctx.protocol.judge.direction_model, ctx)
    match_model, _, direction_model = spec.partition(",")
    return LLMJudge(match_model.strip(), (direction_model or match_model).strip(), ctx)


def spec_of_recorded(name: str | None) -> str | None:
    """The --judge spec that remakes a judge recorded by its name in run.json: the spec
    itself (runs since this version), `llm:MATCH,DIRECTION`, or `offline-BACKEND`."""
    if not name:
        return None
    if name.startswith("llm:"):
        return name.removeprefix("llm:")
    if name.startswith("offline"):
        return "offline"
    return name


def judge_heading(identity: Any) -> str | None:
    """A recorded judge as a reader wants it: "offline judge v5 (embedding)", or an LLM
    judge's models; None when there was none. The full identity stays in results.json."""
    if not isinstance(identity, dict) or not identity.get("name"):
        return None if identity in (None, "", {}) else str(identity)
    name = str(identity["name"])
    if name.startswith("offline"):
        backend = identity.get("backend") or name.removeprefix("offline").strip("-") or "?"
        return f"offline judge v{identity.get('version', '?')} ({backend})"
    if identity.get("match_model"):
        return (f"LLM judge: {identity['match_model']} matches, "
                f"{identity.get('direction_model', '?')} checks direction")
    return name


def measured_text(measured: Any) -> str:
    """A judge's measured agreement with human decisions, in one line ("" when unmeasured)."""
    if not isinstance(measured, dict):
        return ""

    def value(key: str) -> float | None:  # {"value": x, ...} or x itself
        figure = measured.get(key)
        v = figure.get("value") if isinstance(figure, dict) else figure
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    agreement, precision, bias = (value("agreement"), value("match_precision"),
                                  value("recall_bias"))
    if agreement is None:
        return ""
    text = (f"agrees with {100 * agreement:.0f}% of human decisions on "
            f"{measured.get('gold', 'the gold set')} "
            f"({measured.get('n_cases', measured.get('n_items', '?'))} cases)")
    if precision is not None:
        text += f", match precision {100 * precision:.0f}%"
    if bias is not None:
        text += f", recall bias {100 * bias:+.1f} pts"
    return text
