"""The record that declares a provider: everything vdbench knows about it, in one place.

A provider's module (vdbench/llm/providers/openai.py, ...; or a plugin's, through the
entry-point group `vdbench.providers`) holds one `Provider`. Its adapter and batch backend are
named as "module:attr" strings, imported only when used, so listing providers imports no SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vdbench.core.protocol import Protocol, by_protocol


@dataclass(frozen=True)
class Price:
    input_per_mtok: float  # USD per million input tokens
    output_per_mtok: float


# (width, height, the adapter's cache_identity()) -> input tokens the provider bills the image at
ImageTokens = Callable[[int, int, Mapping[str, Any]], int]


@dataclass(frozen=True)
class Alias:
    """A short model name pinned to a snapshot, so a result names exactly what was asked."""

    name: str
    snapshot: str  # the model id actually requested
    description: str
    provider: str = ""  # filled by the registry: the provider that declares it


@dataclass(frozen=True)
class Provider:
    name: str  # the prefix: `NAME:MODEL-ID`
    adapter: str  # "module:builder"; (model_id, ctx, options) -> ProviderAdapter, its typed
    # options declared by the annotation of its `options` parameter
    description: str  # what `NAME:MODEL` stands for, in `vdbench models`
    extra: str  # the pip extra that installs its SDK: vdbench[EXTRA]
    key_env: str | None = None  # the environment variable of its API key
    setup: str = ""  # anything else it needs, said after the key
    extra_note: str = ""  # said after the pip install
    aliases: tuple[Alias, ...] = ()
    # USD per million tokens, by model id; a model without a row has no price (None: "unknown")
    prices: Mapping[str, Price] = field(default_factory=dict)
    free: bool = False  # self-hosted: every call costs 0
    # How an image is billed; None: not known, so a dry run's estimate says "unknown"
    image_tokens: ImageTokens | None = None
    # tokens per sampled frame of a video the adapter uploads whole (adapter.sends_video)
    video_frame_tokens: int | None = None
    # models that think before they answer, billed as output at a length not known beforehand
    thinking_models: frozenset[str] = frozenset()
    batch: str | None = None  # "module:BatchBackend subclass"; None: always called live
    batch_client: str | None = None  # "module:client_for(endpoint, api_key)", for cancelling
    # Its settings under each named protocol ("fast" also for a protocol it does not name);
    # the adapter reads them with `settings(ctx.protocol)`.
    protocol: Mapping[str, Any] = field(default_factory=dict)
    plugin: str | None = None  # the distribution that brought it; None: built in

    @property
    def needs(self) -> str:
        """Extra, key and endpoint it needs, as `vdbench models` shows them."""
        install = " ".join(p for p in (f"pip install 'vdbench[{self.extra}]'", self.extra_note)
                           if p)
        rest = " ".join(p for p in (self.key_env or "", self.setup) if p)
        return f"{install}; {rest}" if rest else install

    def settings(self, protocol: Protocol) -> Any:
        """Its settings under the run's protocol (those of "fast" for a protocol not named)."""
        return by_protocol(protocol, self.protocol, self.name)

    def price(self, model_id: str) -> Price | None:
        return Price(0.0, 0.0) if self.free else self.prices.get(model_id)
