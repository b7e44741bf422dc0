"""Property: loading any config either succeeds or raises ConfigError with short single lines,
within a time bound, and never fails any other way. The CI tier of `fuzz/configs.py` (which tries
10,000 attempts): a few hundred generated documents, mutations of the shipped files, damaged text
and hostile --set values."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.configs import HOSTILE_TEXTS, HOSTILE_VALUES, bad_lines, node_paths
from socialsim.configerrors import ConfigError
from socialsim.configload import SCENARIO_DIR, STRATEGY_DIR, load_scenario, load_strategy
from socialsim.contracts.scenario import ScenarioFile
from socialsim.contracts.strategy import Strategy

# Longest one load may take, accepted or refused [s]; loading a shipped scenario takes ~0.1 s.
LOAD_BOUND_S = 5.0
FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

SHIPPED = sorted(SCENARIO_DIR.glob("*.yaml")) + sorted(STRATEGY_DIR.glob("*.yaml"))
KEYS = sorted(set(ScenarioFile.model_fields) | set(Strategy.model_fields))

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from([v for v in HOSTILE_VALUES if not isinstance(v, list | dict)])
)
values = st.recursive(
    scalars,
    lambda kids: st.lists(kids, max_size=5) | st.dictionaries(st.text(max_size=12), kids, max_size=5),
    max_leaves=40,
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """scenarios/ and strategies/ side by side (as shipped), rewritten by each example."""
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def _restore(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(SCENARIO_DIR, folder / "scenarios")
    shutil.copytree(STRATEGY_DIR, folder / "strategies")


def loads_or_refuses(load: Callable[[], Any]) -> None:
    started = time.perf_counter()
    try:
        load()
    except ConfigError as exc:
        assert exc.lines and not bad_lines(exc.lines), exc.lines
    assert time.perf_counter() - started < LOAD_BOUND_S


def _copy_of(folder: Path, shipped: Path) -> Path:
    return folder / shipped.parent.name / shipped.name


def _scenario_of(folder: Path, target: Path) -> Path:
    """The scenario to load: the target itself, or one that uses the (strategy) target."""
    return target if target.parent.name == "scenarios" else folder / "scenarios" / "credit-card-issuer.yaml"


@FUZZ
@given(doc=st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=12), values, max_size=8))
def test_generated_documents(folder, doc):
    _restore(folder)
    for target in (folder / "scenarios" / "generated.yaml", folder / "strategies" / "comms-led.yaml"):
        target.write_text(yaml.safe_dump(doc))
    loads_or_refuses(lambda: load_strategy(folder / "strategies" / "comms-led.yaml"))
    loads_or_refuses(lambda: load_scenario(folder / "scenarios" / "generated.yaml"))
    loads_or_refuses(lambda: load_scenario(folder / "scenarios" / "credit-card-issuer.yaml"))


@FUZZ
@given(data=st.data())
def test_mutated_shipped_files(folder, data):
    _restore(folder)
    target = _copy_of(folder, data.draw(st.sampled_from(SHIPPED)))
    doc = yaml.safe_load(target.read_text())
    path = data.draw(st.sampled_from(list(node_paths(doc))))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = data.draw(st.sampled_from(HOSTILE_VALUES) | values)
    target.write_text(yaml.safe_dump(doc))
    loads_or_refuses(lambda: load_scenario(_scenario_of(folder, target)))


@FUZZ
@given(data=st.data())
def test_damaged_text(folder, data):
    _restore(folder)
    target = _copy_of(folder, data.draw(st.sampled_from(SHIPPED)))
    text = target.read_bytes()
    at = data.draw(st.integers(0, len(text)))
    insert = data.draw(st.binary(min_size=1, max_size=8) | st.sampled_from(HOSTILE_TEXTS).map(str.encode))
    target.write_bytes(text[:at] + insert + text[at:])
    loads_or_refuses(lambda: load_scenario(_scenario_of(folder, target)))


@FUZZ
@given(
    path=st.sampled_from(
        ["seed", "world.horizon.days", "arms.comms-led.pitch_rate", "arms.comms-led.priorities.segment.x", ""]
    ),
    value=st.text(max_size=40) | st.sampled_from(HOSTILE_TEXTS),
)
def test_hostile_set_values(path, value):
    loads_or_refuses(lambda: load_scenario(SCENARIO_DIR / "credit-card-issuer.yaml", [f"{path}={value}"]))
