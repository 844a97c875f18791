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

.PHONY: install eval test bench lint mini vllm-qwen2-vl vllm-llava-video clean

$(BIN)/vdbench: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all,dev]'
	@touch $@

install: $(BIN)/vdbench

eval: install
	$(BIN)/vdbench eval --model $(MODEL) --split $(SPLIT) --mode $(MODE) --data $(DATA) $(ARGS)

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_frames.py
	$(BIN)/python benchmarks/bench_runtime.py

lint: install
	$(BIN)/ruff check src tests benchmarks scripts

mini: install
	$(BIN)/python scripts/make_mini.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
