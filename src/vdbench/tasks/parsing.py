"""Tolerant extraction of JSON and a/b labels from model replies."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_LABEL = re.compile(r"^\(?\s*(?:video\s*)?['\"(]?\s*([ab])\s*['\")]?\s*\)?\.?$", re.IGNORECASE)
# `"3": "b"` or `3: video a` or `- 3 -> (a)` in prose, used when no JSON object parses.
_LINE_PAIR = re.compile(
    r"""["']?(\d+)["']?\s*(?::|=|->|—|-)\s*["'(]?(?:video\s*)?([ab])\b["')]?""", re.IGNORECASE
)


def _loads_lenient(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(_TRAILING_COMMA.sub(r"\1", text))


def _balanced_objects(text: str):
    """Yield every top-level {...} substring, respecting strings, outermost first."""
    depth, start, in_str, esc = 0, -1, False, False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                yield text[start : i + 1]


def extract_json_object(text: str) -> dict | None:
    """The largest JSON object in a reply: fenced blocks first, then any {...} in prose."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)]
    candidates += sorted(_balanced_objects(text), key=len, reverse=True)
    for cand in candidates:
        cand = cand.strip()
        try:
            obj = _loads_lenient(cand)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(obj, dict):
            return obj
    return None


def extract_json_list(text: str) -> list | None:
    """A JSON array that is the whole reply or a fenced block of it."""
    for cand in [m.group(1) for m in _FENCE.finditer(text)] + [text]:
        cand = cand.strip()
        if not cand.startswith("["):
            continue
        try:
            obj = _loads_lenient(cand)
        except ValueError:
            continue
        if isinstance(obj, list):
            return obj
    return None


def normalize_label(value: Any) -> str | None:
    """'a', 'A', 'video a', '(b)', {"prediction": "b"} -> 'a'/'b'; anything else -> None."""
    if isinstance(value, dict):
        value = value.get("prediction", value.get("answer"))
    if not isinstance(value, str):
        return None
    m = _LABEL.match(value.strip())
    return m.group(1).lower() if m else None


def label_pairs_in_prose(text: str) -> dict[str, str]:
    return {k: v.lower() for k, v in _LINE_PAIR.findall(text)}


def strict_label(value: Any) -> str | None:
    """The reference's reading: a value, or its "prediction", that is exactly "a" or "b"."""
    if isinstance(value, dict):
        value = value.get("prediction")
    return value if value in ("a", "b") else None
