# Skills Passport: `make run` serves the product, `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
HOST   ?= 127.0.0.1
PORT   ?= 8080

# Keys in the home folder are sealed with this passphrase. The default is for the demo
# home only; set your own in the environment for anything real.
SKILLPASS_PASSPHRASE ?= demo-home-passphrase
export SKILLPASS_PASSPHRASE

.PHONY: run test bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/skillpass init
	$(BIN)/skillpass serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_cards.py
	$(BIN)/python bench/bench_api.py

clean:
	rm -rf $(VENV) instance test-output
