"""A freeze views the worlds' arrays instead of copying them (the copy was a run's memory peak), so
it must be saved at its boundary: saved there, it thaws into the worlds as they were; kept past
it, it refuses to be saved or thawed rather than carry a later tick's numbers."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from simulator import checkpoint
from simulator.model import Frozen, Replications
from socialsim.bootstrap import inprocess_transport
from tests.conftest import small

FREEZE_AT = 30  # a tick inside the first simulated day [ticks]


def _run_freezing_at(tick: int) -> tuple[Replications, Frozen, bytes, dict[tuple[int, str], np.ndarray]]:
    """Run a small world, freezing at `tick`: the freeze, its bytes pickled at the boundary, and a
    copy of every arm's trust there."""
    scenario = small(customers=200, days=2)
    taken: dict[str, object] = {}

    def boundary(at: int, day_ended: bool, freeze) -> None:
        if at == tick:
            taken["frozen"] = freeze()
            taken["saved"] = pickle.dumps(taken["frozen"], protocol=pickle.HIGHEST_PROTOCOL)
            taken["trust"] = {key: w.customers.trust.copy() for key, w in lockstep.worlds.items()}
            sinks = {key: None for key in lockstep.worlds}
            thawed = checkpoint.thaw(taken["frozen"].worlds, scenario.world, lockstep.shared, sinks)
            taken["shared_memory"] = [  # a freeze thawed before it was saved copies what it views
                key
                for key, w in lockstep.worlds.items()
                if np.shares_memory(thawed[key].customers.trust, w.customers.trust)
            ]

    lockstep = Replications(scenario, [0], inprocess_transport(), False, boundary=boundary)
    lockstep.run()
    assert taken["shared_memory"] == []
    return lockstep, taken["frozen"], taken["saved"], taken["trust"]  # type: ignore[return-value]


def test_a_freeze_saved_at_its_boundary_thaws_into_the_worlds_as_they_were() -> None:
    lockstep, _, saved, trust = _run_freezing_at(FREEZE_AT)
    frozen: Frozen = pickle.loads(saved)  # noqa: S301 - bytes this test made
    sinks = {key: None for key in lockstep.worlds}
    thawed = checkpoint.thaw(frozen.worlds, lockstep.scenario.world, lockstep.shared, sinks)
    for key, before in trust.items():
        now = lockstep.worlds[key].customers.trust
        assert not np.array_equal(now, before)  # the run went on after the freeze...
        assert np.array_equal(thawed[key].customers.trust, before)  # ...and the freeze did not follow it
        assert not np.shares_memory(thawed[key].customers.trust, now)


def test_a_freeze_kept_past_its_boundary_refuses_to_be_saved_or_thawed() -> None:
    lockstep, frozen, _, _ = _run_freezing_at(FREEZE_AT)
    with pytest.raises(ValueError, match="expired"):
        pickle.dumps(frozen)
    with pytest.raises(ValueError, match="expired"):
        checkpoint.thaw(frozen.worlds, lockstep.scenario.world, lockstep.shared, {})
