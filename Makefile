# Everyday commands. `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SCENARIO ?= credit-card-issuer

.PHONY: install run run-kafka test bench validate schema docs up down clean

install: $(BIN)/socialsim

$(BIN)/socialsim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: install  ## compare the four strategies on the default scenario
	$(BIN)/socialsim compare $(SCENARIO) --out runs/$(SCENARIO)

test: install
	$(BIN)/pytest

bench: install  ## throughput of the in-process comparison beside a bare SimPy loop
	$(BIN)/python bench/throughput.py

validate: install
	$(BIN)/socialsim validate config/scenarios/*.yaml config/strategies/*.yaml

schema: install
	mkdir -p docs
	$(BIN)/socialsim schema scenario > docs/scenario.schema.json
	$(BIN)/socialsim schema strategy > docs/strategy.schema.json

up:
	docker compose up --build

down:
	docker compose down

clean:
	rm -rf $(VENV) runs *.egg-info

run-kafka: install  ## the same comparison over Kafka: embedded broker + one service process per arm
	$(BIN)/socialsim compare $(SCENARIO) --transport kafka --out runs/$(SCENARIO)-kafka

docs: install  ## regenerate the service contracts (AsyncAPI + event JSON Schemas)
	$(BIN)/python -m services.asyncapi docs
