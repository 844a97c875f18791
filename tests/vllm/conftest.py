"""The real-vLLM tier (`make test-vllm`): vLLM's CPU build serves tiny models of both open
catalog architectures, started through the Makefile's own targets, and vdbench runs against
them. Skipped unless VDBENCH_VLLM_PYTHON names the Python of a venv with vLLM installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tier import MODELS, VLLM_PYTHON, VLLMServer


def pytest_collection_modifyitems(config, items):
    if VLLM_PYTHON:
        return
    skip = pytest.mark.skip(reason="the real-vLLM tier runs under `make test-vllm`")
    for item in items:
        if "tests/vllm" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> Path:
    root = Path(os.environ.get("VDBENCH_VLLM_MODELS") or tmp_path_factory.mktemp("models"))
    subprocess.run([VLLM_PYTHON, str(Path(__file__).with_name("build_models.py")), str(root)],
                   check=True, capture_output=True)
    return root


@pytest.fixture(scope="session")
def servers(tiny_models, tmp_path_factory):
    """Both servers, started together (each takes about a minute to start here)."""
    logs = tmp_path_factory.mktemp("vllm-logs")
    running = {name: VLLMServer(m, tiny_models / m.folder, logs / f"{name}.log").start()
               for name, m in MODELS.items()}
    try:
        for server in running.values():
            server.wait_ready()
        yield running
    finally:
        for server in running.values():
            server.stop()
        for name, server in running.items():
            sys.stderr.write(f"--- {name} server log (tail) ---\n{server.tail(15)}\n")
