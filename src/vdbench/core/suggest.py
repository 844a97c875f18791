"""'Did you mean' for names typed on the command line: close spellings, case and punctuation
aside (gpt4o and GPT-4o both find gpt-4o)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


def _folded(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the nearest choice, or '' when none is near."""
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(_folded(choice), choice)
    folded = _folded(value)
    if folded in by_folded:
        return f" (did you mean {by_folded[folded]}?)"
    close = difflib.get_close_matches(folded, list(by_folded), n=1, cutoff=0.75)
    return f" (did you mean {by_folded[close[0]]}?)" if close else ""
