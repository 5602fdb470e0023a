# glassgrad: `make demo` sets up and runs the main job; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo tour test bench lint clean seeds

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the main job: `glassgrad train` with no arguments (an MLP on scikit-learn's digits) -> runs/digits-N/
demo: $(STAMP)
	$(VENV)/bin/glassgrad train

tour: $(STAMP)
	$(PY) examples/autograd_tour.py

test: $(STAMP)
	$(PY) -m pytest
	@if [ -d ../shared/seed-examples ]; then \
	  $(PY) ../shared/seed-examples/run.py --backend glassgrad --compare; \
	else echo "../shared/seed-examples not found: the seed examples were not run"; fi

seeds: $(STAMP)
	$(PY) ../shared/seed-examples/run.py --backend glassgrad --compare

bench: $(STAMP)
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(PY) -m ruff check glassgrad tests benchmarks examples

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
