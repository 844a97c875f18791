"""Context windows of API models, to warn before a run whose largest request cannot fit.

A request needs its input tokens plus its answer budget (max_tokens) inside the window. Only
models listed here are checked; a served model (vLLM) reports its own window."""

from __future__ import annotations

# Input + output tokens per request, from the providers' model pages.
CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-4o": 128_000, "gpt-4o-mini": 128_000, "gpt-4.1": 1_047_576, "gpt-4.1-mini": 1_047_576,
    "claude-3-5-sonnet": 200_000, "claude-sonnet-4-5": 200_000, "claude-opus-4": 200_000,
    "gemini-1.5-pro": 2_097_152, "gemini-1.5-flash": 1_048_576, "gemini-2.0-flash": 1_048_576,
    "gemini-2.5-pro": 1_048_576, "gemini-2.5-flash": 1_048_576,
}


def context_window(model_id: str) -> int | None:
    """The window of a snapshot id by its family (gpt-4o-2024-08-06 -> gpt-4o); the longest
    matching family wins, so gpt-4o-mini is not read as gpt-4o."""
    families = [f for f in CONTEXT_WINDOWS if model_id == f or model_id.startswith(f + "-")]
    return CONTEXT_WINDOWS[max(families, key=len)] if families else None


def window_warnings(largest_by_model: dict[str, tuple[int, int]]) -> list[str]:
    """One line per model whose largest request and answer budget overflow its window."""
    out = []
    for model_id, (tokens, answer) in sorted(largest_by_model.items()):
        window = context_window(model_id)
        if window is not None and tokens + answer > window:
            out.append(f"{model_id}: the largest request is about {tokens:,} input tokens, "
                       f"which with its {answer:,}-token answer budget exceeds the model's "
                       f"{window:,}-token context window; the provider will refuse it "
                       "(fewer frames: --max-frames or --fps; smaller: --long-side)")
    return out
