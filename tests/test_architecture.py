"""The layout holds: the import-linter contracts, no import cycle anywhere in vdbench, a
catalog that imports nothing until a name is used, plugins through entry points, and the
published results schema in step with the code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest

from vdbench.core.results import schema_text

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_import_linter_contracts_hold():
    proc = subprocess.run([str(BIN / "lint-imports"), "--config", str(ROOT / "pyproject.toml")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "broken" not in proc.stdout.split("Contracts:")[-1].split(",")[0]


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycle_anywhere():
    graph = grimp.build_graph("vdbench")
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_planted_cycle():
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


HEAVY = ("openai", "anthropic", "google.genai", "torch", "sentence_transformers", "open_clip",
         "av", "matplotlib", "huggingface_hub")


def _imported_after(code: str) -> set[str]:
    probe = textwrap.dedent(f"""
        import sys
        {code}
        print("\\n".join(sorted(sys.modules)))
    """)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    return set(out)


def test_catalog_imports_no_sdk_and_no_implementation():
    loaded = _imported_after("from vdbench.catalog import list_models; list_models()")
    assert not [m for m in HEAVY if m in loaded]
    assert not [m for m in loaded if m.startswith(("vdbench.models.", "vdbench.llm.openai_api",
                                                    "vdbench.llm.anthropic_api",
                                                    "vdbench.llm.gemini_api"))
                and m != "vdbench.models.base"]


def test_a_name_imports_its_factory_module_only_when_used(tmp_path):
    loaded = _imported_after(f"""
        from pathlib import Path
        from vdbench.catalog import make_model
        from vdbench.llm.context import CallContext
        from vdbench.llm.runtime import Runtime, RuntimeSettings
        rt = Runtime.open(RuntimeSettings(Path({str(tmp_path)!r})))
        make_model("random", CallContext(rt, Path({str(tmp_path)!r})))
        rt.close()
    """)
    assert "vdbench.models.baselines" in loaded
    assert "vdbench.models.viddiff.model" not in loaded and "openai" not in loaded


def _install_plugin(site: Path) -> None:
    """A tiny distribution on sys.path, as pip would leave it: a module and its dist-info with
    an entry point in the group vdbench.models."""
    (site / "vdbench_echo_plugin.py").write_text(textwrap.dedent('''
        from vdbench.core.types import DiffPrediction, SampleOutput
        from vdbench.models.base import Model

        class AlwaysA(Model):
            needs_frames = False
            name = "always-a"

            async def predict(self, item):
                return SampleOutput(item.sample.sample_key, {
                    d.key: DiffPrediction("a") for d in item.sample.closed_differences()})

        def make(name, ctx, options):
            return AlwaysA()
    '''))
    info = site / "vdbench_echo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vdbench-echo-plugin\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text("[vdbench.models]\nalways-a = vdbench_echo_plugin:make\n")
    (info / "RECORD").write_text("")


def test_entry_point_plugin_is_listed_and_runs(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install_plugin(site)
    env = {**os.environ, "PYTHONPATH": str(site), "VDBENCH_CACHE": str(tmp_path / "cache")}
    models = subprocess.run([str(BIN / "vdbench"), "models"], env=env, capture_output=True,
                            text=True, check=True, cwd=tmp_path)
    assert "always-a" in models.stdout and "vdbench-echo-plugin" in models.stdout
    run = subprocess.run([str(BIN / "vdbench"), "eval", "--model", "always-a", "--no-progress",
                          "--out", str(tmp_path / "run")], env=env, capture_output=True,
                         text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["model"] == "always-a" and results["coverage"] == 1.0
    # every answer is "a", so accuracy is the share of differences labelled a
    rows = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").open()]
    assert results["metrics"]["accuracy"] == pytest.approx(
        sum(r["gt"] == "a" for r in rows) / len(rows))


def test_published_results_schema_is_in_step():
    assert (ROOT / "schemas" / "results.schema.json").read_text() == schema_text(), (
        "regenerate: python -m vdbench.core.results > schemas/results.schema.json")
