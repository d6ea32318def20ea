# werk: make help lists the targets. Every target first makes the virtual environment
# from requirements.txt (pinned) when it is missing or older than the pins.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Kernels started by papermill and nbval otherwise warn about frozen modules (debugpy) in their output.
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.DEFAULT_GOAL := help
.PHONY: help setup book pdf editions translations test test-fast lint bless bench data ledger clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@echo "setting up $(VENV) from requirements.txt (first run takes a minute)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 >/dev/null
	@touch $@

setup: $(STAMP)  ## create .venv from requirements.txt

data: $(STAMP)  ## regenerate the default synthetic twin (data/twin.csv)
	$(BIN)/werk synth --out data/twin.csv

ledger: $(STAMP)  ## print the claims ledger on the default data
	$(BIN)/werk ledger

book: $(STAMP)  ## build the HTML book in English (_build/html) and Dutch (_build/html-nl); DATA=, MAPPING=, EDITION=, LANG_=en|nl to vary
	$(BIN)/werk build $(if $(DATA),--data $(DATA)) $(if $(MAPPING),--mapping $(MAPPING)) $(if $(EDITION),--edition "$(EDITION)") $(if $(LANG_),--lang $(LANG_))

translations: $(STAMP)  ## update locales/nl from the English book (sphinx-intl) and list every entry to translate
	@# The catalogues are extracted from the staged English book, so it is built (or found current) first.
	$(BIN)/werk build --lang en
	$(BIN)/werk translations

pdf: $(STAMP)  ## build the HTML and the PDFs (pdflatex) _build/pdf/book.pdf and book-nl.pdf; DATA=, MAPPING=, EDITION= to vary
	$(BIN)/werk build --pdf $(if $(DATA),--data $(DATA)) $(if $(MAPPING),--mapping $(MAPPING)) $(if $(EDITION),--edition "$(EDITION)")

editions: $(STAMP)  ## build the full book and all seven sector editions (two at a time) into _build/editions/
	$(BIN)/werk build --all-editions $(if $(DATA),--data $(DATA)) $(if $(MAPPING),--mapping $(MAPPING))

# The disclosure audit's decisions (keyed by their inputs and the audit's code), shared by every build and
# nbval run of the suite, as the editions of one build share theirs.
test: export WERK_AUDIT_CACHE := $(CURDIR)/_build/audit
test: $(STAMP)  ## run the whole suite: lint, unit tests, nbval on the notebooks, book and browser tests
	@# Every step runs even when one before it fails, so one CI log shows every failure; the status is kept.
	@# The ledger and the output-check notebooks read the records the other pages keep when the book is
	@# built, so the book is built (or found current) before nbval runs the notebooks.
	@# nbval runs the kernel of this venv (--nbval-current-env), not a user-level "python3" kernelspec. It is
	@# nbval's own command, no project plugin: the figure functions return None, so no cell needs a trailing
	@# ";" to hide a result, which nbval would not honour (it runs cells without history, nbval#194).
	@status=0; \
	$(BIN)/ruff check src tests benchmarks notebooks || status=$$?; \
	$(BIN)/python -m pytest tests || status=$$?; \
	$(BIN)/werk build || status=$$?; \
	$(BIN)/python -m pytest --nbval notebooks --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider || status=$$?; \
	exit $$status

lint: $(STAMP)  ## ruff (pinned in requirements.txt) on the package, the tests, the benchmarks and the notebooks
	$(BIN)/ruff check src tests benchmarks notebooks

test-fast: $(STAMP)  ## unit tests only (no book build, no browser)
	$(BIN)/python -m pytest tests -m "not slow and not browser"

bless: $(STAMP)  ## re-execute the notebooks with default parameters and store their outputs as the nbval reference
	$(BIN)/python -m werk.build.bless $(NB)

bench: $(STAMP)  ## run the build and twin benchmarks; writes benchmarks/results.md
	$(BIN)/python benchmarks/run.py

clean:  ## remove the build tree (keeps .venv)
	rm -rf _build
