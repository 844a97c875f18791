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


# --- every results.json a test writes conforms to the published schema -----------------------

def pytest_sessionfinish(session, exitstatus):
    """After the suite: validate every results.json under pytest's temporary folders against
    schemas/results.schema.json; a non-conforming one fails the run."""
    import jsonschema

    from vdbench.core.results import SCHEMA_VERSION

    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or exitstatus not in (0, 1):
        return
    base = factory.getbasetemp()
    schema = json.loads((Path(__file__).parents[1] / "schemas" / "results.schema.json")
                        .read_text())
    validator = jsonschema.Draft202012Validator(schema)
    bad, n = [], 0
    for path in base.rglob("results.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # tests write broken files on purpose; the readers' tests cover those
        if not isinstance(record, dict) or record.get("schema_version") != SCHEMA_VERSION:
            continue  # hand-made legacy or broken records, refused by Results.from_json
        n += 1
        errors = [e.message for e in validator.iter_errors(record)]
        if errors:
            bad.append(f"{path}: {errors[0]}")
    session.config.results_schema_checked = n
    _report(session, bad, f"{n} results.json files",
            f"\nresults.json schema: {n} files written by the tests conform")
    _check_records(session, base)


def _report(session, bad: list[str], checked: str, fine: str) -> None:
    """Fail the session on a non-conforming file (the first 20 named), or say all conform."""
    if bad:
        session.exitstatus = 1
        print(f"\n{len(bad)} of {checked} do not conform to their schema:")
        print("\n".join(bad[:20]))
    else:
        print(fine)


RECORD_FILES = ("outputs", "samples", "judge")  # outputs*.jsonl, samples*.jsonl, judge*.jsonl


def _check_records(session, base: Path) -> None:
    """Every outputs*.jsonl, samples*.jsonl and judge*.jsonl a run or scoring wrote under
    pytest's temporary folders conforms to its published schema (schemas/outputs.schema.json,
    schemas/KIND.BENCHMARK.schema.json, the benchmark named by the results.json beside it).
    A folder without a results.json, and a file with a line that is not JSON or carries no
    current record_version (hand-made or legacy), are left to the readers' tests."""
    import jsonschema

    from vdbench.benchmarks.records import OUTPUTS_SCHEMA, schema_name
    from vdbench.core.records import RECORD_VERSION, VERSION_KEY

    schemas_dir = Path(__file__).parents[1] / "schemas"
    validators: dict[str, object] = {}

    def validator(name: str):
        if name not in validators:
            path = schemas_dir / name
            validators[name] = (jsonschema.Draft202012Validator(json.loads(path.read_text()))
                                if path.is_file() else None)
        return validators[name]

    bad, n, lines = [], 0, 0
    for results in base.rglob("results.json"):
        try:
            benchmark = json.loads(results.read_text()).get("benchmark", "viddiffbench")
        except (OSError, ValueError, AttributeError):
            continue
        for kind in RECORD_FILES:
            for path in sorted(results.parent.glob(f"{kind}*.jsonl")):
                try:
                    records = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
                except (OSError, ValueError):
                    continue
                if not all(isinstance(r, dict) and r.get(VERSION_KEY) == RECORD_VERSION
                           for r in records):
                    continue
                check = validator(OUTPUTS_SCHEMA if kind == "outputs"
                                  else schema_name(kind, str(benchmark)))
                if check is None:
                    continue  # a benchmark with no published schema (a test's plugin)
                n += 1
                lines += len(records)
                for i, record in enumerate(records, 1):
                    errors = [e.message for e in check.iter_errors(record)]
                    if errors:
                        bad.append(f"{path}: line {i}: {errors[0]}")
                        break
    session.config.records_schema_checked = n
    _report(session, bad, f"{n} run JSON-lines files",
            f"run records schemas: {n} outputs/samples/judge files ({lines} lines) written "
            "by the tests conform")
