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

WEB    := verifier/web
WEB_BUILT := $(WEB)/dist/app.js

.PHONY: run test bench install clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The phone verifier page: npm packages pinned by package-lock.json, bundled by esbuild.
$(WEB_BUILT): $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/build.mjs $(wildcard $(WEB)/src/*) \
              $(wildcard verifier/i18n/*.json) $(wildcard verifier/data/*.json) $(wildcard schemas/*.json) passport/data/qr-dict-v1.bin \
              passport/data/qr-template-v2.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

# Headless Chromium for the browser tests: Debian's package, installed when missing.
browser:
	@command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends chromium)

# The demo: a national authority (one official) and a training centre, each in its own home
# folder, set up the way a ministry and a centre would, once; then the centre is served.
AUTHORITY_HOME ?= instance-authority
CENTRE_HOME    ?= instance
run: $(STAMP) $(WEB_BUILT)
	@test -e $(AUTHORITY_HOME)/authority.json || SKILLPASS_AUTHORITY_HOME=$(AUTHORITY_HOME) \
		SKILLPASS_PASSPHRASE_OFFICIAL_1="$(SKILLPASS_PASSPHRASE)" \
		$(BIN)/skillpass authority init --officials 1 --threshold 1
	@test -e $(CENTRE_HOME)/issuer.json || SKILLPASS_HOME=$(CENTRE_HOME) $(BIN)/skillpass init --demo
	@test -e $(CENTRE_HOME)/trust-list.json || ( \
		export SKILLPASS_AUTHORITY_HOME=$(AUTHORITY_HOME) SKILLPASS_PASSPHRASE_OFFICIAL_1="$(SKILLPASS_PASSPHRASE)" && \
		$(BIN)/skillpass authority accredit $(CENTRE_HOME)/accreditation-request.jwt && \
		$(BIN)/skillpass authority sign --official official-1 && \
		SKILLPASS_HOME=$(CENTRE_HOME) $(BIN)/skillpass trust install $(AUTHORITY_HOME)/trust-list.json \
			--root $(AUTHORITY_HOME)/root-keys.json )
	SKILLPASS_HOME=$(CENTRE_HOME) $(BIN)/skillpass init
	SKILLPASS_HOME=$(CENTRE_HOME) $(BIN)/skillpass serve --host $(HOST) --port $(PORT)

test: $(STAMP) $(WEB_BUILT) browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_cards.py
	$(BIN)/python bench/bench_api.py
	$(BIN)/python bench/bench_verifier.py
	$(BIN)/python bench/bench_bulk.py
	$(BIN)/python bench/bench_batch.py
	$(BIN)/python bench/bench_store.py
	$(BIN)/python bench/bench_national.py
	$(BIN)/python bench/bench_fuzz.py
	$(BIN)/python bench/bench_pages.py
	$(BIN)/python bench/readme_table.py

clean:
	rm -rf $(VENV) instance instance-authority test-output $(WEB)/node_modules $(WEB)/dist
