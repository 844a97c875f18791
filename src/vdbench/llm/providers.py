"""From a model name to a provider adapter: a pinned alias (`gpt-4o`) or `provider:MODEL-ID`.
Each provider's module, and so its SDK, is imported only when that provider is used."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

from vdbench.core.errors import InputError
from vdbench.core.lazy import load_target
from vdbench.core.options import parse_options
from vdbench.llm.adapter import ProviderAdapter
from vdbench.llm.aliases import ALIASES
from vdbench.llm.context import CallContext

# provider -> "module:builder"; a builder is (model_id, ctx, options) -> ProviderAdapter and
# declares its typed options by the annotation of its `options` parameter.
BUILDERS: dict[str, str] = {
    "openai": "vdbench.llm.openai_api:openai_adapter",
    "vllm": "vdbench.llm.openai_api:vllm_adapter",
    "anthropic": "vdbench.llm.anthropic_api:anthropic_adapter",
    "gemini": "vdbench.llm.gemini_api:gemini_adapter",
}


def resolve(name: str) -> tuple[str, str] | None:
    """(provider, model id) for an alias or `provider:MODEL-ID`; None if it is neither."""
    for alias in ALIASES:
        if alias.name == name:
            return alias.provider, alias.snapshot
    provider, sep, model_id = name.partition(":")
    if sep and model_id and provider in BUILDERS:
        return provider, model_id
    return None


def options_type(provider: str) -> type:
    return typing.get_type_hints(load_target(BUILDERS[provider]))["options"]


def make_adapter(name: str, ctx: CallContext, options: Mapping[str, Any] | None = None,
                 role: str = "--model") -> ProviderAdapter:
    """The adapter for a chat model name, its `options` checked against the provider's type;
    `role` names the option that asked for it, in errors."""
    resolved = resolve(name)
    if resolved is None:
        known = ", ".join([a.name for a in ALIASES] + [f"{p}:MODEL-ID" for p in BUILDERS])
        raise InputError(f"{role}: {name!r} is not a chat model; known: {known}")
    provider, model_id = resolved
    typed: object = parse_options(options_type(provider), options or {}, name)
    try:
        return load_target(BUILDERS[provider])(model_id, ctx, typed)
    except InputError as exc:
        raise InputError(f"{role} {name}: {exc}") from None
