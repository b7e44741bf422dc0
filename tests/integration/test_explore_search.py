"""breakeven and optimize on a tiny world.

Break-even: cost is linear in staff hours, so support-led's cost catches up with marketing-led's
at one staff level inside a wide enough range; the found value must sit where fresh runs just
below and just above it disagree on the winner. Optimize: the same experiment gives the same trials."""

from pathlib import Path

import yaml

from socialsim.explore.breakeven import breakeven, paired
from socialsim.explore.experiment import RunOptions, load_experiment
from socialsim.explore.fixed import evaluate, only_arms
from socialsim.explore.optimize import optimize

LEVER = "arms.support-led.staff_hours_per_day.support"


def _experiment(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    spec = {
        "scenario": "restaurant-chain",
        "arms": ["marketing-led", "support-led"],
        "replications": 2,
        "seed": 5,
        "uncertain": {"world.reactions.help_half_life_minutes": {"low": 20, "high": 60}},
        "levers": {LEVER: {"low": 4, "high": 80}},
        "design": {"method": "lhs", "points": 4},
        "metrics": ["cost", "trust"],
    }
    path.write_text(yaml.safe_dump(spec))
    return path


def test_breakeven_sits_where_the_winner_flips(tmp_path: Path) -> None:
    exp = load_experiment(_experiment(tmp_path), RunOptions(customers=300, days=10))
    body = breakeven(exp, exp.lookup(LEVER), "cost", "support-led", "marketing-led", grid=5)
    root = body["breakeven"]
    assert root is not None and 4 < root < 80, body["sentence"]
    step = 0.02 * (80 - 4)
    pair = only_arms(exp, ["support-led", "marketing-led"])
    below = paired(evaluate(pair, {LEVER: root - step}), "cost", "support-led", "marketing-led").mean()
    above = paired(evaluate(pair, {LEVER: root + step}), "cost", "support-led", "marketing-led").mean()
    assert below < 0 < above  # support-led is cheaper below the break-even, dearer above
    assert body["sentence"].startswith("marketing-led beats support-led on cost when")
    assert body["ci95"][0] <= root <= body["ci95"][1]


def test_optimize_is_deterministic(tmp_path: Path) -> None:
    exp = load_experiment(_experiment(tmp_path), RunOptions(customers=300, days=10))
    first, body1 = optimize(exp, ["trust", "cost"], "support-led", 4)
    second, body2 = optimize(exp, ["trust", "cost"], "support-led", 4)
    assert first.equals(second) and body1 == body2
    assert len(first) == 4 and body1["pareto_front"]
    for found in body1["pareto_front"]:
        lo, hi = found["objectives"]["trust"]["ci95"]
        assert lo <= found["objectives"]["trust"]["mean"] <= hi
