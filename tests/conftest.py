import json
import shutil
from pathlib import Path

import pytest

from vdbench.data.loader import MINI_DIR


def make_row(key: str = "s0", **over) -> dict:
    """A valid raw row in the hub schema (JSON fields as strings)."""
    row = {
        "sample_key": key,
        "vid0_thumbnail": None,
        "vid1_thumbnail": None,
        "videos": json.dumps([
            {"path": "videos/x_a.mp4", "fps_original": 30, "frames_trim": [0, 60, 1]},
            {"path": "videos/x_b", "fps_original": 8, "frames_trim": [0, None, None]},
        ]),
        "action": "fitness_0",
        "action_name": "squat",
        "action_description": "a squat",
        "source_dataset": "humman",
        "sample_hash": 123,
        "retrieval_frames": json.dumps([{"0": [3], "1": None}, {"0": [5], "1": None}]),
        "differences_annotated": json.dumps({
            "0": {"name": "depth", "description": "the squat is deeper", "query_string": "q",
                  "num_frames": "1"},
            "1": {"name": "speed", "description": "the squat is faster", "query_string": "q",
                  "num_frames": "gt_1"},
            "2": {"name": "width", "description": "the stance is wider", "query_string": "q",
                  "num_frames": "1"},
            "3": None,
        }),
        "differences_gt": json.dumps({"0": "a", "1": "b", "2": "c", "3": None}),
        "domain": "fitness",
        "split": "easy",
        "n_differences_open_prediction": 5,
    }
    row.update(over)
    return row


def write_parquet(root: Path, rows: list[dict]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (root / "data").mkdir(parents=True, exist_ok=True)
    path = root / "data" / "test-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


@pytest.fixture
def hub_copy(tmp_path: Path) -> Path:
    """The bundled mini benchmark copied to a plain folder in the hub layout."""
    dst = tmp_path / "hubcopy"
    shutil.copytree(MINI_DIR, dst)
    return dst


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("VDBENCH_CACHE", str(d))
    return d


# --- a run's call context, for tests that build models, adapters or judges directly ----------

_OPEN_RUNTIMES: list = []


def call_context(cache_dir: Path, *, seed: int = 0, base_url: str | None = None,
                 dry_run: bool = False, **settings):
    """A CallContext over a fresh Runtime in `cache_dir` (closed after the test), as the
    pipeline makes one per run. `settings` are RuntimeSettings fields (concurrency, policy,
    max_cost_usd, rpm)."""
    from vdbench.llm.context import CallContext
    from vdbench.llm.runtime import Runtime, RuntimeSettings

    runtime = Runtime.open(RuntimeSettings(Path(cache_dir), dry_run=dry_run, **settings))
    _OPEN_RUNTIMES.append(runtime)
    return CallContext(runtime, Path(cache_dir), seed, base_url)


@pytest.fixture(autouse=True)
def _close_runtimes():
    yield
    while _OPEN_RUNTIMES:
        _OPEN_RUNTIMES.pop().close()
