"""Shared fixtures: small versions of the shipped scenarios and one backfilled run served by one
Prometheus for the whole session, so the suite stays fast; each test is marked with its tier (its
folder), so `pytest -m "not e2e"` skips the slowest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from socialsim.configload import SCENARIO_DIR, load_scenario, with_run_options
from socialsim.kafka.broker import free_port

ROOT = Path(__file__).resolve().parent.parent  # the repository

SMALL = {"customers": 300, "days": 14, "replications": 2}


def small(name: str = "credit-card-issuer", sets: list[str] | None = None, **options):
    return with_run_options(load_scenario(SCENARIO_DIR / f"{name}.yaml", sets or []), **{**SMALL, **options})


def tiny_experiment(folder: Path, points: int) -> Path:
    """The explore tests' experiment, written to `folder`: three arms on common random numbers, one
    uncertain parameter and one lever, a Latin hypercube of `points` points."""
    path = folder / "tiny.yaml"
    spec = {
        "scenario": "restaurant-chain",
        "arms": ["marketing-led", "comms-led", "support-led"],
        "replications": 2,
        "seed": 3,
        "uncertain": {"world.reactions.help_half_life_minutes": {"low": 10, "high": 240}},
        "levers": {"arms.support-led.staff_hours_per_day.support": {"low": 4, "high": 40}},
        "design": {"method": "lhs", "points": points},
        "metrics": ["revenue", "trust", "cost"],
    }
    path.write_text(json.dumps(spec))  # JSON is YAML
    return path


def tool(name: str) -> str:
    """Path of an installed command-line tool (Debian's prometheus package brings prometheus and
    promtool); a test needing a missing one skips, and fails in CI, where .ci/run installs it."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: .ci/run installs Debian's prometheus package")
        pytest.skip(f"{name} is not installed (apt-get install -y prometheus)")
    return path


def socialsim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "socialsim.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@contextmanager
def prometheus_on(storage: Path, rules: Path | None = None, timeout_s: float = 30.0) -> Iterator[str]:
    """Debian's Prometheus serving the TSDB folder `storage` on a free port, until the block ends."""
    port = free_port()
    config = storage.parent / f"{storage.name}-prometheus.yml"
    config.write_text(json.dumps({"rule_files": [str(rules)] if rules else []}))
    proc = subprocess.Popen(
        [
            tool("prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={storage}",
            "--storage.tsdb.retention.time=3650d",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def compare_and_backfill(tmp: Path) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    run = tmp / "run"
    done = socialsim(
        "compare", "credit-card-issuer", "--customers", "300", "--days", "10", "--replications", "2",
        "--out", str(run),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    storage = tmp / "tsdb"
    filled = socialsim("prometheus", "backfill", str(run), "--storage", str(storage))
    assert filled.returncode == 0, filled.stdout + filled.stderr
    return run, storage, filled


@pytest.fixture(scope="session")
def backfilled(tmp_path_factory):
    """One finished run, backfilled and served by one Prometheus for the whole session: the backfill
    tests and the dashboards' check of a backfilled run only read it."""
    run, storage, filled = compare_and_backfill(tmp_path_factory.mktemp("backfill"))
    with prometheus_on(storage) as url:
        yield {"run": run, "prometheus": url, "output": filled.stdout}


@pytest.fixture
def scenario_path() -> Path:
    return SCENARIO_DIR / "credit-card-issuer.yaml"


TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = item.path.parent.name
        if tier in TIERS:
            item.add_marker(tier)
