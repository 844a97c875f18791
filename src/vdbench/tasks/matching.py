"""Matching annotated to predicted differences by an LLM: the `judge_match` prompt, its reply
schema and parser, and the one-to-one rule. Shared by the open-mode judge (scoring) and by the
VidDiff method's open_protocol=paper, which matches its proposals before differencing, so that
both send the same request for the same differences and read the reply the same way."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from vdbench.tasks.parsing import extract_json_object
from vdbench.tasks.prompts import PromptSet

MATCH_TEMPLATE = "judge_match"


def _object(**properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


# Structured output (OpenAI's strict json_schema): a reply that does not fit cannot come back.
MATCH_SCHEMA = _object(matches={"type": "array", "items": _object(
    gt={"type": "string"}, pred={"type": ["string", "null"]})})


def render_match_prompt(prompts: PromptSet, action: str, gt: Mapping[str, str],
                        pred: Mapping[str, str]) -> str:
    """`gt`, `pred`: key -> description of the annotated (every non-null label) and the
    predicted differences, in their order."""
    return prompts.render(
        MATCH_TEMPLATE, action=action, gt=json.dumps(dict(gt)), pred=json.dumps(dict(pred)),
        gt_keys=json.dumps(list(gt)),
        # the reference's {dict0_keys}, {dict1_keys} (keys in numeric order) and {final}
        gt_keys_sorted=json.dumps(sorted(gt, key=numeric_key)),
        pred_keys=json.dumps(sorted(pred, key=numeric_key)), last_index=len(gt) - 1)


def numeric_key(key: str) -> tuple[int, str]:
    """Sorts difference keys as the reference does, by int ("2" before "10")."""
    return (int(key), key) if key.isdigit() else (1 << 62, key)


def parse_match_reply(text: str) -> dict[str, str | None]:
    """Annotated key -> predicted key or None, unvalidated (see enforce_matching). Accepts
    {"matches": [{"gt": k, "pred": v}, ...]} and {"matches": {k: v}}; "null", "None" and ""
    mean None. Raises ValueError for a reply of another shape."""
    obj = extract_json_object(text or "")
    if obj is None or "matches" not in obj:
        raise ValueError("no JSON object with \"matches\" in the reply")
    matches = obj["matches"]
    if isinstance(matches, list):
        if not all(isinstance(m, dict) and "gt" in m for m in matches):
            raise ValueError("matches: every entry needs a \"gt\" key")
        matches = {m["gt"]: m.get("pred") for m in matches}
    if not isinstance(matches, dict):
        raise ValueError("matches is neither a list nor an object")
    return {str(k): (None if v in (None, "null", "None", "") else str(v))
            for k, v in matches.items()}


def enforce_matching(
    raw: Mapping[str, Any], gt_keys: list[str], pred_keys: list[str]
) -> tuple[dict[str, str | None], list[str]]:
    """A valid one-to-one matching from a judge's reply, and what had to be dropped.

    Keys that do not exist are dropped; when several annotated differences claim the same
    prediction, only the first (in annotation order) keeps it, so recall cannot be inflated.
    """
    raw = {str(k): (None if v is None else str(v)) for k, v in raw.items()}
    out: dict[str, str | None] = dict.fromkeys(gt_keys)
    dropped: list[str] = []
    used: set[str] = set()
    for k, v in raw.items():
        if k not in out:
            dropped.append(f"unknown annotated key {k!r}")
        elif v is not None and v not in pred_keys:
            dropped.append(f"{k!r} -> unknown predicted key {v!r}")
    for k in gt_keys:
        v = raw.get(k)
        if v is None or v not in pred_keys:
            continue
        if v in used:
            dropped.append(f"{k!r} -> {v!r} already matched")
            continue
        used.add(v)
        out[k] = v
    return out, dropped
