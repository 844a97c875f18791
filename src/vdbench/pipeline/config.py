"""What one run is asked to do, as the CLI (or a caller) states it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from vdbench.benchmarks.catalog import DEFAULT_BENCHMARK, get_benchmark
from vdbench.benchmarks.spec import BenchmarkSpec
from vdbench.core import defaults
from vdbench.core.config import resolve_cache_dir
from vdbench.core.errors import InputError
from vdbench.core.options import describe_options, parse_options
from vdbench.core.protocol import Protocol, get_protocol
from vdbench.data.loader import Selection
from vdbench.frames.spec import FrameSpec
from vdbench.llm.cost import parse_price
from vdbench.llm.retry import DEFAULT_POLICY, RetryPolicy
from vdbench.llm.runtime import RuntimeSettings
from vdbench.scoring.localization import DEFAULT_TOLERANCE_S
from vdbench.scoring.settings import ScoringSettings


@dataclass(frozen=True)
class RetryOptions:
    """Run-wide `--model-option` keys: they shape how every call is retried, whatever the
    model."""

    timeout_s: float = DEFAULT_POLICY.timeout_s
    max_attempts: int = DEFAULT_POLICY.max_attempts
    max_retry_time_s: float = DEFAULT_POLICY.max_total_s

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.max_retry_time_s < 0 or self.max_attempts < 1:
            raise ValueError("timeout_s must be > 0, max_retry_time_s >= 0, max_attempts >= 1")

    def policy(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.max_attempts, max_total_s=self.max_retry_time_s,
                           timeout_s=self.timeout_s)


RUN_OPTION_KEYS = frozenset(f.name for f in fields(RetryOptions))


@dataclass
class EvalConfig:
    model: str = "random"
    data: str = defaults.DATA
    data_revision: str | None = None  # --data-revision: pins hub data to a commit or tag
    selection: Selection = field(default_factory=Selection)
    mode: str | None = None  # --mode: one of the benchmark's tasks; None: its first
    out: Path | None = None
    overwrite: bool = False  # --overwrite: replace a finished run in `out` (its files first)
    out_held: bool = False  # the caller holds `out` already (submit's locked scratch folder)
    seed: int = defaults.SEED
    concurrency: int = defaults.CONCURRENCY
    cache_dir: Path | None = None
    frame_cache_gb: float = defaults.FRAME_CACHE_GB  # --frame-cache-gb: the LRU size limit
    video_root: Path | None = None
    skip_missing: bool = False
    frame_spec: FrameSpec | None = None  # None: the protocol's, with frame_overrides on top
    frame_overrides: dict[str, Any] = field(default_factory=dict)  # --fps, --max-frames, ...
    base_url: str | None = None
    rpm: float | None = None
    max_cost: float | None = None
    dry_run: bool = False
    batch: bool = False  # --batch: requests that miss the cache go as provider batch jobs
    judge: str = defaults.JUDGE
    swap: bool = False
    epochs: int = defaults.EPOCHS  # --epochs N: each sample N times, seeds seed .. seed+N-1
    tolerance_s: float = DEFAULT_TOLERANCE_S
    measure_judge: bool = True  # open mode: the judge's figures on the held-out gold set
    max_failures: str = defaults.MAX_FAILURES  # samples that may fail: "N" or "P%"
    price: str | None = None  # --price INPUT_PER_M,OUTPUT_PER_M for unpriced models
    protocol_name: str = defaults.PROTOCOL  # --protocol: what models are shown and asked
    prompts_dir: Path | None = None  # --prompts DIR: templates that replace vdbench's own
    # --model-option KEY=VALUE: the retry keys are the run's, the rest the model factory's
    model_options: dict[str, Any] = field(default_factory=dict)
    benchmark: str = DEFAULT_BENCHMARK  # --benchmark: which benchmark (benchmarks.catalog)
    protocol: Protocol = field(init=False)

    def __post_init__(self) -> None:
        spec = self.spec  # an unknown --benchmark is refused first
        if self.mode is None:
            self.mode = spec.modes[0]
        if self.mode not in spec.modes:
            raise InputError(f"--mode: {self.mode!r} is not a task of {spec.title}; give "
                             f"{' or '.join(spec.modes)}")
        if self.swap and not spec.supports_swap:
            raise InputError(f"--swap: {spec.title} does not define the swapped order")
        if self.concurrency < 1:
            raise InputError(f"--concurrency: must be at least 1, got {self.concurrency}")
        if not self.frame_cache_gb > 0:
            raise InputError(f"--frame-cache-gb: must be positive, got {self.frame_cache_gb}")
        self.allowed_failures(1)  # checks the form now, not at the end of the run
        if self.epochs < 1:
            raise InputError(f"--epochs: must be at least 1, got {self.epochs}")
        if self.price:
            parse_price(self.price)
        self.protocol = spec.adapt_protocol(get_protocol(self.protocol_name, self.prompts_dir))
        if self.frame_spec is None:
            overrides = dict(self.frame_overrides)
            if overrides.get("fps") is not None:  # one rate for every domain replaces theirs
                overrides["fps_by_domain"] = {}
            self.frame_spec = dataclasses.replace(spec.frame_spec(self.protocol), **overrides)
        if self.max_cost is not None and not self.max_cost >= 0:
            raise InputError(f"--max-cost: expected a non-negative amount, got {self.max_cost}")

    def allowed_failures(self, n_samples: int) -> int:
        text = str(self.max_failures).strip()
        try:
            if text.endswith("%"):
                share = float(text[:-1])
                if not 0 <= share <= 100:
                    raise ValueError
                return int(share / 100 * n_samples)
            count = int(text)
            if count < 0:
                raise ValueError
            return count
        except ValueError:
            raise InputError(f"--max-failures: expected a count N or a share P% (0-100), "
                             f"got {self.max_failures!r}") from None

    @property
    def spec(self) -> BenchmarkSpec:
        return get_benchmark(self.benchmark)

    @property
    def task(self) -> str:
        """The task asked: --mode, or the benchmark's first."""
        assert self.mode is not None  # set in __post_init__
        return self.mode

    def scoring_settings(self) -> ScoringSettings:
        return ScoringSettings(
            mode=self.task, judge=self.judge, concurrency=self.concurrency,
            measure_judge=self.measure_judge, tolerance_s=self.tolerance_s,
            direction_batch=self.protocol.judge.direction_batch,
            batch_across_samples=self.protocol.judge.batch_across_samples,
            annotated_order=self.protocol.asking.order == "annotated")

    @property
    def frames(self) -> FrameSpec:
        """The sampling in force: the protocol's, or frame_spec when one was given."""
        assert self.frame_spec is not None  # set in __post_init__
        return self.frame_spec

    @property
    def factory_options(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_options.items() if k not in RUN_OPTION_KEYS}

    def runtime_settings(self) -> RuntimeSettings:
        retry = parse_options(RetryOptions, {k: v for k, v in self.model_options.items()
                                             if k in RUN_OPTION_KEYS}, "the run")
        return RuntimeSettings(resolve_cache_dir(self.cache_dir).resolve(), self.concurrency,
                               self.rpm, retry.policy(), self.max_cost, self.dry_run,
                               parse_price(self.price) if self.price else None,
                               batch=self.batch)


def run_options_help() -> str:
    return describe_options(RetryOptions)


def default_out_dir(cfg: EvalConfig) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", cfg.model).strip("-")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    prefix = "" if cfg.benchmark == DEFAULT_BENCHMARK else f"{cfg.benchmark}_"
    base = Path("runs") / f"{prefix}{slug}_{cfg.mode}_{cfg.selection.split}_{stamp}"
    out, n = base, 1
    while True:  # created here, so two runs in the same second never share a folder
        try:
            out.mkdir(parents=True)
            return out
        except FileExistsError:
            n += 1
            out = base.with_name(f"{base.name}-{n}")
