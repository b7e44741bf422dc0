"""Rules a strategist reads: "support-led wins when help_half_life_minutes < 62".

A shallow scikit-learn decision tree is fitted to which arm wins at each point; every leaf
becomes one rule, the conditions on its path merged to one bound per side of each parameter.
Coverage is the share of all points the rule covers; density the share of those the arm wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

# Deep trees read like noise: three conditions is what a sentence can carry
TREE_MAX_DEPTH = 3
# A rule must cover at least this share of the points
MIN_LEAF_SHARE = 0.1
SIGNIFICANT_DIGITS = 3


@dataclass(frozen=True)
class Condition:
    parameter: str
    op: str  # "<" or ">="
    value: float

    def holds(self, x: np.ndarray) -> np.ndarray:
        return x < self.value if self.op == "<" else x >= self.value


@dataclass(frozen=True)
class Rule:
    arm: str
    conditions: tuple[Condition, ...]
    coverage: float
    density: float

    def as_dict(self, short: dict[str, str]) -> dict[str, Any]:
        return {
            "arm": self.arm,
            "conditions": [{"parameter": c.parameter, "op": c.op, "value": c.value} for c in self.conditions],
            "coverage": self.coverage,
            "density": self.density,
            "sentence": sentence(self, short),
        }


def _num(x: float) -> str:
    return f"{x:.{SIGNIFICANT_DIGITS}g}"


def sentence(rule: Rule, short: dict[str, str]) -> str:
    where = (
        " and ".join(f"{short.get(c.parameter, c.parameter)} {c.op} {_num(c.value)}" for c in rule.conditions)
        or "everywhere sampled"
    )
    lead = f"{rule.arm} wins when {where}" if rule.conditions else f"{rule.arm} wins {where}"
    return f"{lead} (covers {rule.coverage:.0%} of points, wins {rule.density:.0%} of them)"


def _merge(conditions: list[Condition]) -> tuple[Condition, ...]:
    """Keep the tightest bound per parameter and side, parameters in first-seen order."""
    tight: dict[tuple[str, str], Condition] = {}
    for c in conditions:
        key = (c.parameter, c.op)
        old = tight.get(key)
        if old is None or (c.value < old.value if c.op == "<" else c.value > old.value):
            tight[key] = c
    return tuple(tight.values())


def evaluate(conditions: tuple[Condition, ...], table: pd.DataFrame) -> np.ndarray:
    """Which rows of a points x parameters table the conditions cover."""
    mask = np.ones(len(table), dtype=bool)
    for c in conditions:
        mask &= c.holds(table[c.parameter].to_numpy(dtype=float))
    return mask


def fit_tree(table: pd.DataFrame, labels: np.ndarray) -> DecisionTreeClassifier:
    """The tree behind rules, influence and the win map's regions: shallow, leaves of at least
    MIN_LEAF_SHARE of the points, deterministic."""
    return DecisionTreeClassifier(
        max_depth=TREE_MAX_DEPTH,
        min_samples_leaf=max(1, int(np.ceil(MIN_LEAF_SHARE * len(table)))),
        random_state=0,
    ).fit(table.to_numpy(dtype=float), labels)


def rules(table: pd.DataFrame, wins: pd.DataFrame, labels: np.ndarray) -> list[Rule]:
    """One rule per leaf of a tree fitted to `labels` (the winning arm per point).

    `table`: points x parameters; `wins`: points x arms of win credit (ties split), used for density."""
    if len(set(labels)) == 1:
        arm = str(labels[0])
        return [Rule(arm, (), 1.0, float(wins[arm].mean()))]
    tree = fit_tree(table, labels)
    t = tree.tree_
    names = list(table.columns)
    found: list[Rule] = []

    def walk(node: int, path: list[Condition]) -> None:
        if t.children_left[node] == -1:
            arm = str(tree.classes_[int(np.argmax(t.value[node][0]))])
            conds = _merge(path)
            mask = evaluate(conds, table)
            found.append(Rule(arm, conds, float(mask.mean()), float(wins[arm].to_numpy()[mask].mean())))
            return
        name, threshold = names[t.feature[node]], float(t.threshold[node])
        # sklearn sends x <= threshold left; thresholds fall between sampled values, so < is the same split
        walk(t.children_left[node], [*path, Condition(name, "<", threshold)])
        walk(t.children_right[node], [*path, Condition(name, ">=", threshold)])

    walk(0, [])
    return sorted(found, key=lambda r: (-r.coverage * r.density, r.arm))


def importance(table: pd.DataFrame, labels: np.ndarray) -> list[str]:
    """Parameters by how much they decide the winner (tree impurity decrease), most first."""
    if len(set(labels)) == 1:
        return list(table.columns)
    tree = fit_tree(table, labels)
    order = np.argsort(-tree.feature_importances_, kind="stable")
    return [str(table.columns[i]) for i in order]
