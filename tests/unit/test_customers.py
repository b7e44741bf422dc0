"""`Customers.react` against the README's reaction table, on a few hand-placed people: each case is
one response with its uniforms chosen just inside or just outside the probability the table gives."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.customers import I_CHATTER, I_COMPLAINT, I_PURCHASE, I_QUESTION, Customers
from simulator.network import build_network
from simulator.population import build_population
from tests.conftest import small

START_TRUST = 0.5  # away from both clips, so every change shows in full
EPS = 1e-6  # a uniform this far inside or outside a probability


@pytest.fixture
def people() -> Customers:
    world = small(customers=20).world
    pop = build_population(world, seed=1, replication=0)
    customers = Customers(world, pop, build_network(world, pop, seed=1, replication=0))
    customers.trust[:] = START_TRUST
    return customers


def _react(
    c: Customers,
    intent: int,
    *,
    delay=0.0,
    answered=True,
    quality=1.0,
    pitched=False,
    tone=1.0,
    offer=False,
    u=0.5,
    u_wom=0.999,
    u_pitch=0.999,
    discount=0.0,
    node=0,
):
    """One response to person `node`."""
    one = lambda v, dtype=float: np.array([v], dtype=dtype)  # noqa: E731
    return c.react(
        one(node, np.int64), one(intent, np.int8), one(quality), one(delay), one(answered, bool),
        one(pitched, bool), one(tone), one(offer, bool), one(u), one(u_wom), one(u_pitch), discount,
    )  # fmt: skip


def test_a_delay_of_one_half_life_halves_the_chance_of_help(people):
    half_life = people.r.help_half_life_minutes
    assert _react(people, I_QUESTION, delay=0.0, u=1 - EPS).helped[0]
    assert _react(people, I_QUESTION, delay=half_life, u=0.5 - EPS, node=1).helped[0]
    assert not _react(people, I_QUESTION, delay=half_life, u=0.5 + EPS, node=2).helped[0]
    assert _react(people, I_QUESTION, delay=2 * half_life, quality=0.8, u=0.2 - EPS, node=3).helped[0]
    assert not _react(people, I_QUESTION, delay=2 * half_life, quality=0.8, u=0.2 + EPS, node=4).helped[0]


def test_an_ignored_complaint_costs_loss_ignored_times_complaint_weight_times_sensitivity(people):
    r = people.r
    after = _react(people, I_COMPLAINT, answered=False, u=0.0).trust_after[0]
    assert after == pytest.approx(START_TRUST - r.trust_loss_ignored * r.complaint_weight * people.service[0])


def test_an_unhelpful_answer_costs_loss_unhelped_and_help_gains_scaled_by_tone(people):
    r = people.r
    unhelped = _react(people, I_QUESTION, u=1 - EPS, quality=0.5).trust_after[0]
    assert unhelped == pytest.approx(START_TRUST - r.trust_loss_unhelped * people.service[0])
    helped = _react(people, I_QUESTION, u=0.0, tone=1.2, node=1).trust_after[0]
    assert helped == pytest.approx(START_TRUST + r.trust_gain_helped * people.service[1] * 1.2)


def test_a_helped_customer_comes_back_more_often_up_to_the_cap(people):
    r = people.r
    _react(people, I_COMPLAINT, u=0.0)
    assert people.comeback[0] == pytest.approx(min(r.comeback_cap, 1 + r.comeback_uplift))
    for _ in range(200):
        _react(people, I_COMPLAINT, u=0.0)
    assert people.comeback[0] == pytest.approx(r.comeback_cap)


def test_purchase_conversion_rises_with_the_chance_of_help(people):
    r = people.r
    half_life = r.help_half_life_minutes
    unanswered, helped = r.purchase_conversion_unanswered, r.purchase_conversion_helped
    p_buy = unanswered + (helped - unanswered) * 0.5  # P(helped) = 0.5 one half-life late
    bought = _react(people, I_PURCHASE, delay=half_life, u=p_buy - EPS, offer=True, discount=0.25)
    assert bought.purchase_dollars[0] == pytest.approx(people.purchase_value[0] * 0.75)
    assert _react(people, I_PURCHASE, delay=half_life, u=p_buy + EPS, node=1).purchase_dollars[0] == 0.0
    assert _react(people, I_PURCHASE, answered=False, u=unanswered - EPS, node=2).purchase_dollars[0] > 0
    assert _react(people, I_PURCHASE, answered=False, u=unanswered + EPS, node=3).purchase_dollars[0] == 0


def test_an_unsolicited_pitch_annoys_tires_and_sometimes_sells(people):
    r = people.r
    pitched = _react(people, I_CHATTER, answered=False, pitched=True, node=1)  # no reply: no other change
    assert pitched.trust_after[0] == pytest.approx(START_TRUST - r.pitch_annoyance)
    assert people.fatigue[1] == 1.0 and people.fatigue[0] == 0.0
    sells = r.pitch_conversion * people.promotion[2]
    assert _react(people, I_CHATTER, pitched=True, u_pitch=sells - EPS, node=2).purchase_dollars[0] > 0
    assert _react(people, I_CHATTER, pitched=True, u_pitch=sells + EPS, node=3).purchase_dollars[0] == 0


def test_helped_customers_advocate_and_neglected_complainers_rant(people):
    r = people.r
    advocacy = r.advocacy_after_help * people.service[0]
    assert advocacy < 1  # below the cap, so the boundary below is the formula's
    assert _react(people, I_QUESTION, u=0.0, u_wom=advocacy - EPS).wom_valence[0] == 1
    assert _react(people, I_QUESTION, u=0.0, u_wom=advocacy + EPS).wom_valence[0] == 0
    rant = r.rant_after_neglect  # only complaints rant
    assert _react(people, I_COMPLAINT, answered=False, u_wom=rant - EPS, node=1).wom_valence[0] == -1
    assert _react(people, I_COMPLAINT, answered=False, u_wom=rant + EPS, node=2).wom_valence[0] == 0
    assert _react(people, I_QUESTION, answered=False, u_wom=0.0, node=3).wom_valence[0] == 0
