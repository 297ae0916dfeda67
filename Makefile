# The two entry points of README.md. Each installs what it needs into .venv/ first.
# PyTorch is pinned: an unpinned `torch` pulls a multi-GB CUDA build where a CPU build will do.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH ?= torch==2.13.0

.PHONY: site test test-quick preview runs-smoke clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

site: $(PY) node_modules/.package-lock.json
	$(PY) -m pip install -q -e .
	$(PY) build.py

test: $(PY) node_modules/.package-lock.json
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[train,test,ray]"
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

# The quick lane, for use while working: every test but the browser tests and the slow ones (training
# beyond a few steps, Ray, a run in a subprocess; the markers are in pyproject.toml). CI runs `test`.
test-quick: $(PY) node_modules/.package-lock.json
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[train,test]"
	$(PY) -m pytest -n 2 -m "not slow and not browser" $(PYTEST_ARGS)

preview: site
	$(PY) build.py --serve

clean:
	rm -rf _site test-artifacts
