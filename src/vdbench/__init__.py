"""vdbench: the evaluation harness for VidDiffBench (Video Action Differencing).

The Python API (`vdbench.api`), imported on first use so that `import vdbench` stays light:

    import vdbench
    results = vdbench.evaluate(model="random", data="mini", split="easy")
    results.headline, results.to_json()["by_split"]
"""

from typing import Any

from vdbench.core.version import __version__

API = ("evaluate", "evaluate_async", "score", "load_benchmark")
__all__ = ["__version__", *API]


def __getattr__(name: str) -> Any:
    if name in API:
        from vdbench import api

        return getattr(api, name)
    raise AttributeError(f"module 'vdbench' has no attribute {name!r}")
