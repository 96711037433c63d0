# Two commands on a fresh machine: `make run` and `make test` (see README).
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
FLASK   := $(BIN)/flask --app app
HOST    ?= 127.0.0.1
PORT    ?= 5000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup setup-dev db chromium postgres bench lint clean

# Runtime packages for `make run`; tests, lint and benchmarks add requirements-dev.txt.
$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed

setup-dev: $(BIN)/.installed-dev

db: setup
	$(FLASK) init-db
	@if [ -f instance/first-admin.txt ]; then echo "--- Đăng nhập lần đầu (instance/first-admin.txt):"; cat instance/first-admin.txt; fi

# Web server (gunicorn) and the one scheduler process, side by side; Ctrl-C (or a TERM
# to make) stops both.
run: db
	@echo "Phục vụ tại http://$(HOST):$(PORT)"
	@trap 'trap - TERM; kill 0' INT TERM EXIT; \
	$(FLASK) scheduler & \
	$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) --access-logfile - app:app & \
	wait

# Debian's chromium drives the browser tests (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# PostgreSQL at 127.0.0.1:5432 (database `test`) is on every developer and CI machine.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start && sleep 2; }

test: setup-dev chromium postgres
	$(BIN)/pytest

lint: setup-dev
	$(BIN)/ruff check .

bench: setup-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
