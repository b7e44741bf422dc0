"""A run is a pure function of (config, seed) (docs/architecture.md, Invariants: Determinism)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialsim.cli import app

ARGS = ["--customers", "300", "--days", "10", "--replications", "2"]


def _compare(tmp: Path, name: str, *extra: str) -> bytes:
    out = tmp / name
    result = CliRunner().invoke(app, ["compare", "credit-card-issuer", *ARGS, "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return (out / "summary.json").read_bytes()


def _numbers(summary: bytes) -> dict[str, float]:
    """Every figure of the summary by arm and metric (leaving out the seed the run was given)."""
    s = json.loads(summary)
    return {f"{arm}.{metric}": v["mean"] for arm, ms in s["arms"].items() for metric, v in ms.items()}


@pytest.fixture(scope="module")
def seed_seven(tmp_path_factory) -> bytes:
    """The seed-7 summary both tests compare against (simulated once)."""
    return _compare(tmp_path_factory.mktemp("seven"), "a", "--seed", "7")


def test_same_seed_gives_byte_identical_summary(tmp_path, seed_seven):
    assert _compare(tmp_path, "b", "--seed", "7") == seed_seven


def test_another_seed_gives_different_numbers(tmp_path, seed_seven):
    seven, eight = _numbers(seed_seven), _numbers(_compare(tmp_path, "b", "--seed", "8"))
    assert seven.keys() == eight.keys()
    changed = [k for k in seven if seven[k] != eight[k]]
    assert len(changed) > len(seven) / 2, changed  # most figures move, not just one
