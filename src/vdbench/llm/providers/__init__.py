"""From a model name to a provider adapter: a pinned alias (`gpt-4o`) or `provider:MODEL-ID`.
Each provider is declared by one record (registry.py); its adapter module, and so its SDK, is
imported only when that provider is used."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vdbench.core.errors import InputError
from vdbench.core.lazy import load_target
from vdbench.core.options import parse_options
from vdbench.llm.providers import registry

if TYPE_CHECKING:  # the runtime (context.py) costs calls through this package's registry
    from vdbench.llm.adapter import ProviderAdapter
    from vdbench.llm.context import CallContext


def resolve(name: str) -> tuple[str, str] | None:
    """(provider, model id) for an alias or `provider:MODEL-ID`; None if it is neither."""
    for alias in registry.aliases():
        if alias.name == name:
            return alias.provider, alias.snapshot
    provider, sep, model_id = name.partition(":")
    if sep and model_id and registry.get(provider) is not None:
        return provider, model_id
    return None


def known_names() -> list[str]:
    """The aliases, then `provider:MODEL-ID` for each provider."""
    return ([a.name for a in registry.aliases()]
            + [f"{p.name}:MODEL-ID" for p in registry.providers()])


def _builder(provider: str) -> Any:
    record = registry.get(provider)
    assert record is not None, provider
    return load_target(record.adapter)


def options_type(provider: str) -> type:
    return typing.get_type_hints(_builder(provider))["options"]


def make_adapter(name: str, ctx: CallContext, options: Mapping[str, Any] | None = None,
                 role: str = "--model") -> ProviderAdapter:
    """The adapter for a chat model name, its `options` checked against the provider's type;
    `role` names the option that asked for it, in errors."""
    resolved = resolve(name)
    if resolved is None:
        raise InputError(f"{role}: {name!r} is not a chat model; known: "
                         f"{', '.join(known_names())}")
    provider, model_id = resolved
    typed: object = parse_options(options_type(provider), options or {}, name)
    try:
        adapter: ProviderAdapter = _builder(provider)(model_id, ctx, typed)
    except InputError as exc:
        raise InputError(f"{role} {name}: {exc}") from None
    return adapter
