"""Shared fixtures: small versions of the shipped scenarios, so the suite stays fast; each test is
marked with its tier (its folder), so `pytest -m "not e2e"` skips the slowest."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from socialsim.configload import SCENARIO_DIR, load_scenario, with_run_options

ROOT = Path(__file__).resolve().parent.parent  # the repository

SMALL = {"customers": 300, "days": 14, "replications": 2}


def small(name: str = "credit-card-issuer", sets: list[str] | None = None, **options):
    return with_run_options(load_scenario(SCENARIO_DIR / f"{name}.yaml", sets or []), **{**SMALL, **options})


def tool(name: str) -> str:
    """Path of an installed command-line tool (Debian's prometheus package brings prometheus and
    promtool); a test needing a missing one skips, and fails in CI, where .ci/run installs it."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: .ci/run installs Debian's prometheus package")
        pytest.skip(f"{name} is not installed (apt-get install -y prometheus)")
    return path


@pytest.fixture
def scenario_path() -> Path:
    return SCENARIO_DIR / "credit-card-issuer.yaml"


TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = item.path.parent.name
        if tier in TIERS:
            item.add_marker(tier)
