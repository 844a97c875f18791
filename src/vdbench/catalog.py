"""Every model name vdbench knows, mapped to the "module:factory" that builds it.

Nothing is imported until a name is used (as lm-evaluation-harness's MODEL_MAPPING), so
listing models imports no SDK. A factory is `(name, ctx, options) -> Model`: it receives the
full name, the run's CallContext and the raw `--model-option` values, which it checks against
its own options type. Other packages add models through the entry-point group
`vdbench.models` (name = "module:factory"; a name ending in ":" takes `name:ARG`). Chat
models come from the provider registry (vdbench.llm.providers): each provider's aliases and
`provider:MODEL`, plugin providers (group `vdbench.providers`) included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from vdbench.core.errors import InputError
from vdbench.core.lazy import load_target
from vdbench.core.suggest import did_you_mean
from vdbench.llm.context import CallContext
from vdbench.llm.providers import registry
from vdbench.models.base import Model

ENTRY_POINT_GROUP = "vdbench.models"
CHAT = "vdbench.models.chat:chat_model"
VIDDIFF_NEEDS = ("pip install 'vdbench[openai,clip]'; OPENAI_API_KEY (or OPENAI_BASE_URL); "
                 "the clip extra is not needed with viddiff.embedder=offline or "
                 "viddiff.localizer=random")


@dataclass(frozen=True)
class Entry:
    name: str  # exact name, or a prefix ending in ":" that takes the rest as its argument
    target: str  # "module:factory"
    description: str
    needs: str = ""
    argument: str = "MODEL"  # what a prefix takes, as `vdbench models` shows it

    @property
    def shown(self) -> str:
        return f"{self.name}{self.argument}" if self.name.endswith(":") else self.name

    def matches(self, name: str) -> bool:
        if self.name.endswith(":"):
            return name.startswith(self.name) and len(name) > len(self.name)
        return name == self.name


BUILTIN: tuple[Entry, ...] = (
    Entry("random", "vdbench.models.baselines:random_model",
          "uniform random a/b per difference, seeded by --seed"),
    Entry("replay:", "vdbench.models.baselines:replay_model",
          "replays a prediction file (any format validate accepts)", argument="PATH"),
    Entry("viddiff", "vdbench.models.viddiff.model:viddiff_model",
          "the VidDiff method: LLM proposer, CLIP frame localizer, VLM differencer",
          VIDDIFF_NEEDS),
)


def _chat_models() -> list[Entry]:
    """Each provider's aliases, then `provider:MODEL` (vdbench.llm.providers.registry)."""
    found = []
    for provider in registry.providers():
        found += [Entry(a.name, CHAT, a.description, provider.needs) for a in provider.aliases]
    for provider in registry.providers():
        origin = f" (from the package {provider.plugin})" if provider.plugin else ""
        found.append(Entry(f"{provider.name}:", CHAT, provider.description + origin,
                           provider.needs))
    return found


def _plugins() -> list[Entry]:
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "a plugin"
        found.append(Entry(ep.name, ep.value, f"from the package {dist}"))
    return found


def list_models() -> list[Entry]:
    return [*BUILTIN, *_chat_models(), *_plugins()]


def find(name: str) -> Entry:
    entries = list_models()
    for entry in entries:  # exact names before prefixes, so an alias wins over `openai:`
        if not entry.name.endswith(":") and entry.matches(name):
            return entry
    for entry in entries:
        if entry.matches(name):
            return entry
    hint = did_you_mean(name, [e.name for e in entries if not e.name.endswith(":")])
    raise InputError(f"--model: unknown model {name!r}{hint}; known: "
                     f"{', '.join(e.shown for e in entries)} (see `vdbench models`)")


def make_model(name: str, ctx: CallContext, options: Mapping[str, Any] | None = None) -> Model:
    """Build the model `name` for a run; its module is imported here, not before."""
    return load_target(find(name).target)(name, ctx, dict(options or {}))
