"""Every benchmark vdbench knows, by name, as "module:attribute" of its spec: nothing is
imported until a name is used. Other packages add benchmarks through the entry-point group
`vdbench.benchmarks` (name = "module:attribute" of a BenchmarkSpec instance or class)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from vdbench.benchmarks.spec import BenchmarkSpec
from vdbench.core.errors import InputError
from vdbench.core.lazy import load_target
from vdbench.core.suggest import did_you_mean

ENTRY_POINT_GROUP = "vdbench.benchmarks"
DEFAULT_BENCHMARK = "viddiffbench"

BUILTIN: dict[str, str] = {
    "viddiffbench": "vdbench.benchmarks.viddiffbench:SPEC",
    "vidic": "vdbench.benchmarks.vidic:SPEC",
}


def registered() -> dict[str, str]:
    """Name -> "module:attribute", built-ins first, then every installed plugin's."""
    found = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def benchmark_names() -> list[str]:
    return list(registered())


@cache
def _load(target: str) -> BenchmarkSpec:
    spec = load_target(target)
    spec = spec() if isinstance(spec, type) else spec
    if not isinstance(spec, BenchmarkSpec):
        raise InputError(f"benchmark {target}: not a BenchmarkSpec")
    return spec


def get_benchmark(name: str | None = None) -> BenchmarkSpec:
    """The spec of benchmark `name` (default: VidDiffBench), its module imported now."""
    name = name or DEFAULT_BENCHMARK
    known = registered()
    if name not in known:
        raise InputError(f"--benchmark: unknown benchmark {name!r}"
                         f"{did_you_mean(name, list(known))}; known: {', '.join(known)}")
    return _load(known[name])
