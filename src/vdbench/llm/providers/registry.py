"""Every provider vdbench knows: the built-ins, one line each, and those other packages add
through the entry-point group `vdbench.providers` (name = the provider's name, value =
"module:attr" naming its `Provider` record).

A record module imports no SDK, so listing providers imports none; a plugin's record is
imported the first time the registry is asked, its adapter only when a model of it is used."""

from __future__ import annotations

import dataclasses
import functools
import logging
from importlib.metadata import entry_points

from vdbench.core.lazy import load_target
from vdbench.llm.providers.base import Alias, Provider

ENTRY_POINT_GROUP = "vdbench.providers"
BUILTIN: tuple[str, ...] = (
    "vdbench.llm.providers.openai:PROVIDER",
    "vdbench.llm.providers.vllm:PROVIDER",
    "vdbench.llm.providers.anthropic:PROVIDER",
    "vdbench.llm.providers.gemini:PROVIDER",
)

log = logging.getLogger("vdbench.providers")


@functools.cache
def _load() -> dict[str, Provider]:
    found: dict[str, Provider] = {}
    for target in BUILTIN:
        provider: Provider = load_target(target)
        found[provider.name] = provider
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "a plugin"
        try:
            record = ep.load()
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not stop the others
            log.warning("provider plugin %s from %s not loaded: %s", ep.name, dist, exc)
            continue
        if not isinstance(record, Provider) or record.name != ep.name:
            log.warning("provider plugin %s from %s not loaded: %s is not a Provider named %r",
                        ep.name, dist, ep.value, ep.name)
        elif ep.name in found:
            log.warning("provider plugin %s from %s not loaded: the name is taken", ep.name, dist)
        else:
            found[ep.name] = dataclasses.replace(record, plugin=dist)
    return found


def refresh() -> None:
    """Forget the providers found, so that plugins installed since are looked for again."""
    _load.cache_clear()


def providers() -> list[Provider]:
    return list(_load().values())


def get(name: str) -> Provider | None:
    return _load().get(name)


def aliases() -> list[Alias]:
    """Every pinned alias, each naming its provider."""
    return [dataclasses.replace(a, provider=p.name) for p in _load().values() for a in p.aliases]
