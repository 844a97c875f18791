"""The Python API: the CLI's commands as functions, also callable inside a running event loop
(as in a Jupyter notebook)."""

from __future__ import annotations

import asyncio
import json

import pytest

import vdbench
from vdbench.core.errors import InputError
from vdbench.core.results import Results


def test_evaluate_returns_typed_results_and_writes_the_run(tmp_path):
    results = vdbench.evaluate(model="random", split="easy", out=tmp_path / "r", seed=3,
                               cache_dir=tmp_path / "c")
    assert isinstance(results, Results) and results.split == "easy"
    written = json.loads((tmp_path / "r" / "results.json").read_text())
    assert written == results.to_json() and written["provenance"]["seed"] == 3


def test_the_synchronous_calls_work_inside_a_running_event_loop(tmp_path):
    async def notebook_cell():
        asyncio.get_running_loop()  # as in Jupyter: a loop is running
        bench = vdbench.load_benchmark("mini", split="hard", limit=2)
        results = vdbench.evaluate(model="random", out=tmp_path / "r", limit=2,
                                   cache_dir=tmp_path / "c")
        preds = tmp_path / "r" / "predictions.json"
        rescored = vdbench.score(preds, out=tmp_path / "s", limit=2)
        awaited = await vdbench.evaluate_async(model="random", out=tmp_path / "a", limit=2,
                                               cache_dir=tmp_path / "c")
        return bench, results, rescored, awaited

    bench, results, rescored, awaited = asyncio.run(notebook_cell())
    assert len(bench.samples) == 2 and {s.split for s in bench.samples} == {"hard"}
    assert rescored.headline == results.headline == awaited.headline


def test_options_have_the_cli_names_and_unknown_ones_are_refused(tmp_path):
    results = vdbench.evaluate(model="random", out=tmp_path / "r", limit=3, tolerance=1.0,
                               max_frames=20, model_option={}, cache_dir=tmp_path / "c")
    assert results.n_samples == 3
    with pytest.raises(InputError, match="limt: not an option; valid: .*limit"):
        vdbench.evaluate(model="random", limt=3)
    with pytest.raises(InputError, match="mode"):
        vdbench.evaluate(model="random", mode="both")


def test_evaluate_says_where_it_wrote_the_run(tmp_path, cache_dir, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    results = vdbench.evaluate(model="random", split="easy")
    assert results.run_dir is not None and (results.run_dir / "results.json").is_file()
    assert results.run_dir.parent == Path("runs")
    on_disk = json.loads((results.run_dir / "results.json").read_text())
    assert "run_dir" not in on_disk and "run_dir" not in results.to_json()
