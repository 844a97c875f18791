"""One run's session: the runtime (cache connection, limits, budget, tallies) is created when
the run starts, handed to the model and judge factories, and closed when the run ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from vdbench.catalog import make_model
from vdbench.core.config import resolve_cache_dir
from vdbench.core.errors import InputError
from vdbench.llm.context import CallContext
from vdbench.llm.runtime import Runtime
from vdbench.models.base import Model
from vdbench.pipeline.config import EvalConfig, run_options_help


@contextmanager
def run_session(cfg: EvalConfig) -> Iterator[CallContext]:
    runtime = Runtime.open(cfg.runtime_settings())
    try:
        yield CallContext(runtime, resolve_cache_dir(cfg.cache_dir).resolve(), cfg.seed,
                          cfg.base_url, cfg.protocol)
    finally:
        runtime.close()


def build_model(cfg: EvalConfig, ctx: CallContext) -> Model:
    try:
        return make_model(cfg.model, ctx, cfg.factory_options)
    except InputError as exc:
        if "--model-option" in str(exc):  # the run's own keys are valid for every model
            raise InputError(f"{exc}; for every model: {run_options_help()}") from None
        raise
