"""Shared fixtures: small versions of the shipped scenarios, so the suite stays fast; each test is
marked with its tier (its folder), so `pytest -m "not e2e"` skips the slowest."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialsim.configload import SCENARIO_DIR, load_scenario, with_run_options

ROOT = Path(__file__).resolve().parent.parent  # the repository

SMALL = {"customers": 300, "days": 14, "replications": 2}


def small(name: str = "credit-card-issuer", sets: list[str] | None = None, **options):
    return with_run_options(load_scenario(SCENARIO_DIR / f"{name}.yaml", sets or []), **{**SMALL, **options})


@pytest.fixture
def scenario_path() -> Path:
    return SCENARIO_DIR / "credit-card-issuer.yaml"


TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = item.path.parent.name
        if tier in TIERS:
            item.add_marker(tier)
