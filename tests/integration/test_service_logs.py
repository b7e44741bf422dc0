"""A resumed Kafka run writes its services' logs into the killed run's folder: it appends to them,
after a line naming the resume, so why the killed run's services died stays readable, and the
new services' failures are told apart from the old ones. Real `socialsim service` processes
(stopped before they reach a broker: none is needed to open a log)."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialsim.kafka.broker import free_port
from socialsim.kafka.stack import LOG_MARK, Services, last_error

pytestmark = pytest.mark.integration

STRATEGY = "support-led"
KILLED = "2026-11-26 10:00:00,000 ERROR socialsim.kafka.service: dropping run r: the killed run's failure\n"


def test_a_resume_appends_to_the_killed_runs_service_logs_after_a_line_naming_it(tmp_path: Path):
    log = tmp_path / f"{STRATEGY}.log"
    log.write_text(KILLED)
    services = Services(tmp_path)
    try:
        services.start([STRATEGY], f"127.0.0.1:{free_port()}", "r-resume-abc123")
    finally:
        services.stop(0.0)
    lines = log.read_text().splitlines()
    assert lines[:1] == [KILLED.strip()], "the killed run's lines are gone"
    assert lines[1].startswith(LOG_MARK) and "resume r-resume-abc123 of run r" in lines[1], lines[:2]
    assert last_error(log) is None or "killed run's failure" not in last_error(log)
