# Everyday commands. `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SCENARIO ?= credit-card-issuer
FUZZ_N ?= 10000

.PHONY: install lint run run-inproc live test test-fast facts bench bench-memory bench-explore bench-explore-kafka bench-checkpoint bench-kafka bench-metrics validate schema docs dashboards up down clean fuzz

install: $(BIN)/socialsim

$(BIN)/socialsim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,lint]'
	touch $@

run: install  ## compare the four strategies on the default scenario over Kafka (embedded broker + one service per arm)
	$(BIN)/socialsim compare $(SCENARIO) --transport kafka --out runs/$(SCENARIO) --force

run-inproc: install  ## the same comparison with the strategies called in-process (same numbers, faster)
	$(BIN)/socialsim compare $(SCENARIO) --out runs/$(SCENARIO)-inproc --force

live: install  ## a paced run serving /metrics on :9100 for Prometheus (Ctrl-C stops)
	$(BIN)/socialsim live $(SCENARIO) --pace 1d=2s --metrics-port 9100

lint: install  ## ruff (lint + format), mypy (strict on contracts, world and strategies), import-linter layers
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Two test processes, a test file each at a time (its module fixtures stay in one process; a
# session fixture is made once per process): most tests wait on the brokers, services and runs
# they start, so two share two cores well.
TEST_WORKERS ?= 2

test: install  ## every tier: unit, integration (real broker, real Prometheus), end to end
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: install  ## the unit tier only (under a minute)
	$(BIN)/pytest tests/unit

facts: install  ## reproduce the published facts with virtual studies on the default world (exit 1 if one fails)
	$(BIN)/socialsim facts --workers 2

bench: install  ## throughput of the in-process comparison beside a bare SimPy loop
	$(BIN)/python bench/throughput.py

bench-memory: install  ## peak memory per added customer (20k -> 100k, 30 days, 2 replications), each size in a fresh process
	$(BIN)/python bench/memory.py

bench-explore: install  ## experiment points per hour with 1 and 2 workers
	$(BIN)/python bench/explore.py

bench-explore-kafka: install  ## the same with 1 and 2 Kafka workers (`socialsim worker`) on the embedded broker
	$(BIN)/python bench/explore.py --kafka

bench-checkpoint: install  ## what daily checkpoints (for --resume) cost a run: none, as compare takes them, every day
	$(BIN)/python bench/checkpoint.py

bench-kafka: install  ## Kafka run beside the in-process run at the default scenario's size, and two runs at once
	$(BIN)/python bench/transport.py

bench-metrics: install  ## run time with and without /metrics served and scraped
	$(BIN)/python bench/metrics_overhead.py

fuzz: install  ## hostile inputs: FUZZ_N mutated and generated configs (and events, where fuzz/events.py exists)
	$(BIN)/python fuzz/configs.py -n $(FUZZ_N)
	if [ -f fuzz/events.py ]; then $(BIN)/python fuzz/events.py; fi

validate: install
	$(BIN)/socialsim validate config/scenarios/*.yaml config/strategies/*.yaml

schema: install
	mkdir -p docs
	$(BIN)/socialsim schema scenario > docs/scenario.schema.json
	$(BIN)/socialsim schema strategy > docs/strategy.schema.json

up:  ## the full stack (Kafka, services, Prometheus, Grafana on http://127.0.0.1:3000, user admin, password in .env)
	@touch .env && chmod 600 .env
	@grep -q '^GRAFANA_ADMIN_PASSWORD=.' .env || { \
	  echo "GRAFANA_ADMIN_PASSWORD=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(24))')" >> .env; \
	  echo "wrote a random GRAFANA_ADMIN_PASSWORD to .env"; }
	@# ./runs is written as your user; as root, as the image's unprivileged user 10001 instead
	@grep -q '^RUNS_UID=' .env || { u=$$(id -u); g=$$(id -g); [ "$$u" != 0 ] || u=10001 g=10001; \
	  printf 'RUNS_UID=%s\nRUNS_GID=%s\n' "$$u" "$$g" >> .env; }
	mkdir -p runs
	@[ "$$(id -u)" != 0 ] || chown "$$(sed -n 's/^RUNS_UID=//p' .env):$$(sed -n 's/^RUNS_GID=//p' .env)" runs
	@# each finished run in ./runs into Prometheus' volume, once (stamps in prometheus-backfill/):
	@# OpenMetrics written here, blocks by the Prometheus image's own promtool
	@for run in runs/*/; do [ -f "$$run/manifest.json" ] || continue; \
	  id=$$(sed -n 's/^ *"run_id": "\(.*\)",$$/\1/p' "$$run/manifest.json"); \
	  [ -n "$$id" ] && [ ! -f "prometheus-backfill/$$id.done" ] || continue; \
	  $(BIN)/socialsim prometheus backfill "$$run" --openmetrics "prometheus-backfill/$$id.om" || exit 1; \
	  docker compose run --rm --no-deps -v "$(CURDIR)/prometheus-backfill:/backfill" --entrypoint promtool \
	    prometheus tsdb create-blocks-from openmetrics "/backfill/$$id.om" /prometheus || exit 1; \
	  rm "prometheus-backfill/$$id.om" && touch "prometheus-backfill/$$id.done"; \
	done
	docker compose up --build

down:
	docker compose down

clean:
	rm -rf $(VENV) runs *.egg-info

docs: install  ## regenerate the service contracts (AsyncAPI + event JSON Schemas)
	$(BIN)/socialsim contracts docs

dashboards: install  ## regenerate dashboards/json and prometheus/rules.yml
	$(BIN)/python -m dashboards
