# promlab: `make demo` and `make test` bootstrap .venv from a clean clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FUZZ_SECONDS ?= 60

.PHONY: demo test lint bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/promlab demo

# Slow suites carry the `slow` marker and run with `make bench`, not here.
test: $(STAMP)
	$(BIN)/pytest -m "not slow" -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	@set -e; for script in bench/*.py; do \
		echo "== $$script"; $(BIN)/python $$script; \
	done
	$(BIN)/pytest -m slow -q

fuzz: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,fuzz]'
	@set -e; for target in fuzz/*_fuzz.py; do \
		name=$$(basename $$target _fuzz.py); \
		mkdir -p fuzz-corpus/$$name; \
		if [ -d fuzz/seeds/$$name ]; then cp -n fuzz/seeds/$$name/* fuzz-corpus/$$name/ 2>/dev/null || true; fi; \
		echo "== $$target for $(FUZZ_SECONDS)s"; \
		$(BIN)/python $$target -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 fuzz-corpus/$$name; \
	done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis fuzz-corpus
