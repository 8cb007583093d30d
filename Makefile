# jidi — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PORT ?= 8000
LABEL_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
# Where the pages, the demo logins and the label's QR code link to: JIDI_BASE_URL if set, else this machine's port.
BASE_URL := $(or $(JIDI_BASE_URL),http://127.0.0.1:$(PORT))

.PHONY: run test lint fuzz lock bench promises totp chromium fonts ocr install i18n-extract i18n-update lint-imports

# requirements.lock: the versions CI tested, so a fresh machine installs the same (`make lock` updates it).
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements.lock -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Serve the embedded default (SQLite, ./var/ key file, SMS outbox) with demo data on http://127.0.0.1:$(PORT) (make run PORT=8080)
run: $(STAMP) fonts ocr
	$(VENV)/bin/jidi migrate
	@echo "== demo logins =="
	@JIDI_BASE_URL="$(BASE_URL)" $(VENV)/bin/jidi demo
	JIDI_BASE_URL="$(BASE_URL)" $(VENV)/bin/jidi serve --host 127.0.0.1 --port $(PORT)

## Everything the tests need (including Debian's chromium), the linters, then the whole suite on SQLite and PostgreSQL
## on every core (make test JOBS=1 for one process; worksteal: an idle process takes tests queued for a busy one)
JOBS ?= auto
test: $(STAMP) chromium fonts ocr lint
	$(PY) -m pytest -n $(JOBS) --dist worksteal $(PYTEST_ARGS)

## ruff, mypy (strict on the privacy core) and the import contracts
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench tools
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## The API fuzzers with many examples per operation (make test sends a few)
FUZZ_EXAMPLES ?= 200
fuzz: $(STAMP)
	JIDI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -n $(JOBS) tests/test_api_fuzz.py tests/test_tracking_fuzz.py $(PYTEST_ARGS)

## Regenerate requirements.lock from pyproject.toml's dependencies (newest versions within their bounds)
lock:
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q pip-tools
	$(VENV)/bin/pip-compile -q --upgrade --extra test --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Chinese fonts: for the pages in a browser on this machine, and embedded (subset) in the waybill label PDF.
fonts:
	@[ -e $(LABEL_FONT) ] || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei; }

# OCR for the address book's "read from a photo" (Tesseract with the Simplified Chinese model); without it, the form
# asks for pasted text instead.
ocr:
	@{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx chi_sim; } || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-chi-sim; }

## Benchmarks: one JSON object per line
bench: $(STAMP)
	$(PY) -m bench

## Which promises of docs/PROMISES.md are covered by at least one passing test
promises: $(STAMP) chromium fonts ocr
	$(PY) tools/promises.py -n $(JOBS)

## A demo staff member's current authenticator code: make totp WHO=support
totp:
	@[ -n "$(WHO)" ] || { echo "usage: make totp WHO=support  (demo staff: support, privacy, admin, courier)" >&2; exit 1; }
	@$(MAKE) -s install
	@$(VENV)/bin/jidi totp '$(WHO)'

i18n-extract: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k NC_:1c,2 -o src/jidi/locale/messages.pot --no-location -w 120 --sort-output src/jidi

i18n-update: i18n-extract
	$(VENV)/bin/pybabel update -i src/jidi/locale/messages.pot -d src/jidi/locale -D messages --no-fuzzy-matching -w 120
