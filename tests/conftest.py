"""Shared fixtures: small versions of the shipped scenarios, so the suite stays fast."""

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
