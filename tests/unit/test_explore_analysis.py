"""Win share, regret and rules on hand-made results tables (no simulation), and bad experiment
files refused with one line naming the file and the field."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from socialsim.cli import app
from socialsim.configerrors import ConfigError
from socialsim.explore import analysis
from socialsim.explore.experiment import EXPERIMENT_DIR, load_experiment
from socialsim.explore.rules import evaluate, rules

ARMS = ["a", "b", "c"]


def _results(means: dict[str, list[float]], x: list[float], metric: str = "revenue") -> pd.DataFrame:
    """Two replications per point, +-1 around the given mean, so the mean over replications is exact."""
    rows = []
    for p, xv in enumerate(x):
        for arm in ARMS:
            for rep, noise in enumerate((-1.0, 1.0)):
                rows.append(
                    {"point": p, "arm": arm, "replication": rep, "x": xv, metric: means[arm][p] + noise}
                )
    return pd.DataFrame(rows)


def test_win_share_sums_to_one_and_splits_ties() -> None:
    # point 0: a wins; point 1: b wins; point 2: a and b tie; point 3: c wins
    res = _results({"a": [10, 1, 5, 0], "b": [0, 9, 5, 0], "c": [0, 0, 0, 7]}, [0.1, 0.2, 0.3, 0.4])
    shares = analysis.win_share(analysis.point_means(res, "revenue", ARMS), "revenue")
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares == pytest.approx({"a": 1.5 / 4, "b": 1.5 / 4, "c": 1 / 4})


def test_regret_is_paired_nonnegative_and_respects_direction() -> None:
    means = {"a": [10, 1, 5, 0], "b": [0, 9, 5, 0], "c": [0, 0, 0, 7]}
    res = _results(means, [0.1, 0.2, 0.3, 0.4])
    higher = analysis.regret(analysis.point_means(res, "revenue", ARMS), "revenue")
    # best per point 10, 9, 5, 7; a falls short by 0, 8, 0, 7
    assert higher["a"]["mean"] == pytest.approx(15 / 4)
    assert higher["a"]["max"] == pytest.approx(8)
    assert all(v >= 0 for r in higher.values() for v in r.values())
    # cost: lower is better, so the smallest mean is best and regret is this arm minus it
    cost = _results(means, [0.1, 0.2, 0.3, 0.4], metric="cost")
    lower = analysis.regret(analysis.point_means(cost, "cost", ARMS), "cost")
    assert lower["c"]["mean"] == pytest.approx((0 + 0 + 0 + 7) / 4)
    assert lower["a"]["max"] == pytest.approx(10)
    assert all(v >= 0 for r in lower.values() for v in r.values())
    # lowest cost: b and c tie at point 0, c alone at 1 and 2, a and b tie at 3
    shares = analysis.win_share(analysis.point_means(cost, "cost", ARMS), "cost")
    assert shares == pytest.approx({"a": 0.5 / 4, "b": 1 / 4, "c": 2.5 / 4})


def test_rules_recomputed_from_the_table_match() -> None:
    # a wins below x = 0.5, b above, except one point (x = 0.975) that c wins
    x = list(np.linspace(0.025, 0.975, 20))
    means = {
        "a": [5.0 if v < 0.5 else 1.0 for v in x],
        "b": [1.0 if v < 0.5 else 5.0 for v in x],
        "c": [9.0 if abs(v - 0.975) < 1e-9 else 0.0 for v in x],
    }
    res = _results(means, x)
    m = analysis.point_means(res, "revenue", ARMS)
    table = analysis.parameter_table(res, ["x"]).loc[m.index]
    w = analysis.winners(m, "revenue")
    credit = pd.DataFrame(w / w.sum(axis=1, keepdims=True), columns=ARMS, index=m.index)
    found = rules(table, credit, analysis.winner_labels(m, "revenue"))
    by_arm = {r.arm: r for r in found}
    assert set(by_arm) == {"a", "b"}  # a one-point region (5%) is below the minimum leaf share
    assert [(c.parameter, c.op) for c in by_arm["a"].conditions] == [("x", "<")]
    assert 0.45 < by_arm["a"].conditions[0].value < 0.5
    for rule in found:  # recompute coverage and density straight from the table
        covered = np.array(
            [all((v < c.value) if c.op == "<" else (v >= c.value) for c in rule.conditions) for v in x]
        )
        winner = m.to_numpy().argmax(axis=1)
        assert rule.coverage == pytest.approx(covered.mean())
        assert rule.density == pytest.approx((winner[covered] == ARMS.index(rule.arm)).mean())
        assert (evaluate(rule.conditions, table) == covered).all()
    assert sum(r.coverage * r.density for r in found if r.arm == "b") == pytest.approx(9 / 20)
    assert "a wins when x < 0.5" in by_arm["a"].as_dict({})["sentence"]


def _experiment(tmp: Path, mutate) -> Path:
    data = yaml.safe_load((EXPERIMENT_DIR / "restaurant-chain.yaml").read_text())
    mutate(data)
    path = tmp / "experiment.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


BAD = {
    "unknown key": (lambda d: d.update(replicatons=3), "replicatons: unknown key; allowed keys:"),
    "path that does not resolve": (
        lambda d: d["uncertain"].update({"world.reactions.help_halflife": {"low": 1, "high": 2}}),
        "uncertain.world.reactions.help_halflife: ",
    ),
    "value outside the field's bounds": (
        lambda d: d["uncertain"].update({"world.economics.offer_discount": {"low": 0.1, "high": 1.5}}),
        "uncertain.world.economics.offer_discount.high: 1.5 is not allowed there",
    ),
    "low above high": (
        lambda d: d["levers"].update({"arms.support-led.staff_hours_per_day.support": {"low": 9, "high": 2}}),
        "levers.arms.support-led.staff_hours_per_day.support: Value error, low must be below high",
    ),
    "unknown arm": (
        lambda d: d.update(arms=["support-led", "growth-led"]),
        "arms[1]: unknown arm 'growth-led'",
    ),
    "unknown metric": (lambda d: d.update(metrics=["revenue", "happiness"]), "metrics[1]: unknown metric"),
    "unknown design method": (lambda d: d["design"].update(method="random"), "design.method: allowed:"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_experiment_file_is_one_line_naming_file_and_field(tmp_path: Path, case: str) -> None:
    mutate, expected = BAD[case]
    path = _experiment(tmp_path, mutate)
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    assert len(err.value.lines) == 1, err.value.lines
    line = err.value.lines[0]
    assert line.startswith(f"{path}: ") and expected in line, line
    assert "\n" not in line


def test_shipped_experiments_load() -> None:
    for path in sorted(EXPERIMENT_DIR.glob("*.yaml")):
        exp = load_experiment(path)
        assert exp.parameters and len(exp.arms) >= 2


def test_cli_refuses_a_bad_experiment_in_one_line(tmp_path: Path) -> None:
    path = _experiment(tmp_path, lambda d: d["design"].update(points=1))
    result = CliRunner().invoke(app, ["explore", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}: design.points:"), lines
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_schema_experiment_lists_the_fields() -> None:
    result = CliRunner().invoke(app, ["schema", "experiment"])
    assert result.exit_code == 0
    assert set(json.loads(result.output)["properties"]) >= {"scenario", "uncertain", "levers", "design"}
