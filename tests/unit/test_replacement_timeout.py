"""`--replacement-timeout SECONDS` of compare and live: refused in one line unless finite and > 0,
and handed to the Kafka stack as `replacement_timeout_s`.

The stack is replaced by a recorder here: what the timeout does on a real broker is
tests/e2e/test_recovery.py's; this checks only that the flag reaches it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from socialsim import bootstrap
from socialsim.cli import app
from socialsim.cli.runs import load_request
from socialsim.kafka.transport import REPLACEMENT_TIMEOUT_S


@pytest.mark.parametrize("command", [["compare"], ["live", "--metrics-port", "9100"]])
@pytest.mark.parametrize("value", ["0", "-3", "nan", "inf"])
def test_a_timeout_that_is_not_a_positive_number_of_seconds_is_refused_in_one_line(command, value, tmp_path):
    args = [*command, "restaurant-chain", "--transport", "kafka", "--out", str(tmp_path / "o")]
    done = CliRunner().invoke(app, [*args, "--replacement-timeout", value])
    assert done.exit_code == 2, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("--replacement-timeout") and "> 0" in lines[0], done.output


def test_the_timeout_reaches_the_kafka_stack(monkeypatch, tmp_path):
    seen: dict[str, Any] = {}

    @contextmanager
    def recording_stack(scenario, run, **options) -> Iterator[SimpleNamespace]:
        seen.update(options)
        yield SimpleNamespace(transport="the transport")

    monkeypatch.setattr(bootstrap, "kafka_stack", recording_stack)
    telemetry = bootstrap.Telemetry(CollectorRegistry())
    for given, expected in [({"replacement_timeout_s": 2.5}, 2.5), ({}, REPLACEMENT_TIMEOUT_S)]:
        req = load_request("restaurant-chain", [], "kafka", out=str(tmp_path / "o"), force=True, **given)
        with bootstrap.open_transport(req, "sha", telemetry) as transport:
            assert transport == "the transport"
        assert seen["replacement_timeout_s"] == expected
