"""The real-vLLM tier (`make test-vllm`): vLLM's CPU build serves tiny models of both open
catalog architectures, started through the Makefile's own targets on 127.0.0.1, and vdbench
runs against them. Its tests are skipped unless VDBENCH_VLLM_PYTHON names the Python of a venv
with vLLM installed (the Makefile sets it)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VLLM_PYTHON = os.environ.get("VDBENCH_VLLM_PYTHON")
# Test-server settings on top of the Makefile's flags: a small CPU memory reservation; one
# request at a time, each prompt prefilled whole (vLLM's CPU sampler crashes on a seeded
# request whose prompt is prefilled in chunks: "CPU Generator does not use offset"); and short
# gibberish answers, so that random weights do not write 2,048 tokens a request.
TEST_SERVER_EXTRA = ("--gpu-memory-utilization 0.08 --max-num-seqs 1 "
                     "--max-num-batched-tokens 32768 --no-enable-chunked-prefill "
                     "--override-generation-config '{\"max_new_tokens\": 24}'")
STARTUP_S = 420


@dataclass(frozen=True)
class TinyModel:
    target: str  # the Makefile target that serves it
    path_var: str  # the make variable naming the weights
    served_name: str  # the name vdbench asks for
    catalog_name: str
    folder: str  # what tests/vllm/build_models.py writes


MODELS = {
    "qwen": TinyModel("vllm-qwen2-vl", "QWEN2_VL", "Qwen/Qwen2-VL-7B-Instruct",
                      "qwen2-vl-7b", "qwen2-vl"),
    "llava": TinyModel("vllm-llava-video", "LLAVA_VIDEO_HF", "lmms-lab/LLaVA-Video-7B-Qwen2",
                       "llava-video-7b", "llava-onevision"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VLLMServer:
    """One `make vllm-...` server on 127.0.0.1, started and stopped as a process group."""

    def __init__(self, model: TinyModel, weights: Path, log: Path):
        self.model, self.weights, self.log = model, weights, log
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> VLLMServer:
        serve = f"{VLLM_PYTHON} -m vllm.entrypoints.openai.api_server --model"
        cmd = ["make", "-s", "--no-print-directory", self.model.target,
               f"VLLM_SERVE={serve}", f"{self.model.path_var}={self.weights}",
               f"VLLM_PORT={self.port}", "VLLM_HOST=127.0.0.1",
               f"VLLM_EXTRA={TEST_SERVER_EXTRA}"]
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        return self

    def wait_ready(self) -> VLLMServer:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"vLLM exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=5) as r:
                    if json.load(r)["data"]:
                        return self
            except OSError:
                time.sleep(2)
        raise RuntimeError(f"vLLM did not start in {STARTUP_S} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL)  # a crash, not a shutdown
        self.proc.wait(timeout=60)
        deadline = time.monotonic() + 60  # the engine's child processes go with the group
        while time.monotonic() < deadline and self.answers():
            time.sleep(1)

    def answers(self) -> bool:
        try:
            urllib.request.urlopen(f"{self.base_url}/models", timeout=2).close()
            return True
        except OSError:
            return False

    def prompt_tokens_total(self) -> float:
        """vLLM's own count of the prompt tokens it has processed (its Prometheus metrics)."""
        with urllib.request.urlopen(self.base_url.removesuffix("/v1") + "/metrics") as r:
            text = r.read().decode()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("vllm:prompt_tokens_total"))

    def requests_total(self) -> float:
        with urllib.request.urlopen(self.base_url.removesuffix("/v1") + "/metrics") as r:
            text = r.read().decode()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("vllm:request_success_total"))

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


needs_vllm = pytest.mark.skipif(not VLLM_PYTHON,
                                reason="the real-vLLM tier runs under `make test-vllm`")


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
