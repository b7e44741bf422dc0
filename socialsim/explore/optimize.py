"""`socialsim optimize`: tune the levers of one arm with Optuna, on the same replications each trial.

One objective: TPE, and the best trial with its 95% CI over replications. Two objectives: NSGA-II
and the Pareto front (no trial on it is beaten on both). Samplers are seeded and trials run one
after another, so the same experiment gives the same trials. Uncertain assumptions are held at
the middle of their ranges (see `fixed`).
"""

from __future__ import annotations

import json
from typing import Any

import optuna
import pandas as pd

from socialsim.configerrors import ConfigError
from socialsim.outcomes import METRICS
from socialsim.stats import mean_ci

from .experiment import LoadedExperiment, Parameter
from .fixed import evaluate, only_arms


def default_arm(exp: LoadedExperiment) -> str | None:
    """The arm every lever belongs to, if they all set one arm's strategy."""
    owners = {p.path.split(".")[1] if p.path.startswith("arms.") else None for p in levers(exp)}
    return owners.pop() if len(owners) == 1 else None


def levers(exp: LoadedExperiment) -> list[Parameter]:
    return [p for p in exp.parameters if p.kind == "lever"]


def check(exp: LoadedExperiment, objectives: list[str], arm: str | None) -> str:
    """The arm to optimise; every problem with the request as one line each."""
    problems = []
    if not levers(exp):
        problems.append(f"{exp.path}: levers: optimize needs at least one lever")
    if not 1 <= len(objectives) <= 2:
        problems.append(f"--objective: give one or two metrics (got {len(objectives)})")
    problems += [
        f"--objective: unknown metric {m!r}; allowed: {', '.join(METRICS)}"
        for m in objectives
        if m not in METRICS
    ]
    chosen = arm or default_arm(exp)
    if chosen is None:
        problems.append(
            f"--arm: the levers set several arms or the world; name one of: {', '.join(exp.arms)}"
        )
    elif chosen not in exp.arms:
        problems.append(f"--arm: unknown arm {chosen!r}; the experiment's arms: {', '.join(exp.arms)}")
    if problems:
        raise ConfigError(problems)
    assert chosen is not None
    return chosen


def _suggest(trial: optuna.Trial, p: Parameter) -> float | int:
    if p.integer:
        return trial.suggest_int(p.path, int(p.low), int(p.high))
    return trial.suggest_float(p.path, p.low, p.high)


def optimize(
    exp: LoadedExperiment, objectives: list[str], arm: str, trials: int, on_trial: Any = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run `trials` trials; return one row per trial and the best point or the Pareto front."""
    single = only_arms(exp, [arm])
    directions = [
        optuna.study.StudyDirection.MAXIMIZE if METRICS[m][1] else optuna.study.StudyDirection.MINIMIZE
        for m in objectives
    ]
    sampler: optuna.samplers.BaseSampler = (
        optuna.samplers.TPESampler(seed=exp.spec.seed)
        if len(objectives) == 1
        else optuna.samplers.NSGAIISampler(seed=exp.spec.seed)
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=directions, sampler=sampler)
    rows: list[dict[str, Any]] = []

    def objective(trial: optuna.Trial) -> list[float]:
        values = {p.path: _suggest(trial, p) for p in levers(exp)}
        table = evaluate(single, values, trial.number)
        row: dict[str, Any] = {"trial": trial.number, **{k: float(v) for k, v in values.items()}}
        for m in objectives:
            mean, (lo, hi) = mean_ci(table[m].to_numpy())
            row |= {m: mean, f"{m}_ci_low": lo, f"{m}_ci_high": hi}
        rows.append(row)
        if on_trial is not None:
            on_trial(trial.number)
        return [row[m] for m in objectives]

    study.optimize(objective, n_trials=trials, n_jobs=1)
    frame = pd.DataFrame(rows)
    best = [rows[t.number] for t in sorted(study.best_trials, key=lambda t: t.number)]
    body = {
        "arm": arm,
        "objectives": {m: "maximize" if METRICS[m][1] else "minimize" for m in objectives},
        "trials": trials,
        "replications": exp.spec.replications,
        "held_at_midpoint": {p.path: (p.low + p.high) / 2 for p in exp.parameters if p.kind != "lever"},
        ("best" if len(objectives) == 1 else "pareto_front"): [_describe(r, objectives, exp) for r in best],
    }
    return frame, body


def _describe(row: dict[str, Any], objectives: list[str], exp: LoadedExperiment) -> dict[str, Any]:
    return {
        "trial": row["trial"],
        "levers": {p.path: row[p.path] for p in levers(exp)},
        "objectives": {
            m: {"mean": row[m], "ci95": [row[f"{m}_ci_low"], row[f"{m}_ci_high"]]} for m in objectives
        },
    }


def dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=2, allow_nan=False) + "\n"
