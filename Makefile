# Two commands: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: install run test demo bench chromium clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py load_demo

# The web server and a task worker (webhook deliveries, plugin runs); Ctrl+C stops both. The
# demo's plugins call the sandbox vendor this server serves on loopback, hence the private
# targets, and the vendor calls the case's hook back at PUBLIC_BASE_URL.
RUN_ENV := DEBUG=true OUTBOUND_ALLOW_PRIVATE_TARGETS=true PUBLIC_BASE_URL=http://$(HOST):$(PORT)
# The worker starts once the server accepts connections (at most 60 s later): started together,
# the demo cases' first plugin runs reached the sandbox vendor before the server listened, were
# refused, and the cases sat still until the retry 10 s later.
SERVER_UP := $(BIN)/python -c "import socket, time; any(socket.socket().connect_ex(('$(HOST)', $(PORT))) == 0 or time.sleep(0.2) for _ in range(300))"
run: demo
	@echo "Serving http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/) with a task worker"
	( $(SERVER_UP); exec env $(RUN_ENV) $(BIN)/python manage.py db_worker --interval 1 --no-reload ) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

CHROMIUM ?= /usr/bin/chromium

# Browser tests drive Debian's Chromium; install it when missing and allowed (root).
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "Browser tests (tests/browser) need Debian's Chromium at $(CHROMIUM): run 'sudo apt-get install chromium'. They will fail until it is installed." >&2; \
	  fi; }

# Throughput comparisons (marker `timing`) run alone after the rest: with the other tests on the
# same two cores their timings would measure the neighbours.
test: install chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m "not timing"
	$(BIN)/python -m pytest -p no:xdist -m timing

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
