"""`socialsim explore`: sample the experiment's design, sweep it, write the decision outputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import decision as decide
from .design import sample
from .execute import Executor
from .experiment import LoadedExperiment
from .html import render
from .sweep import sweep


def explore_design(exp: LoadedExperiment) -> np.ndarray:
    d = exp.spec.design
    return sample(d.method, exp.parameters, d.points, exp.spec.seed)


def explore(
    exp: LoadedExperiment,
    out: Path,
    executor: Executor,
    on_start: Callable[[int, int], None] | None = None,
    on_point: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Run (or resume) the sweep in `out`; write results.parquet, decision.json, experiment.html."""
    results = sweep(exp, explore_design(exp), out, executor, "explore", False, on_start, on_point)
    body = decide.decision(exp, results)
    decide.results_frame(results).to_parquet(out / "results.parquet", index=False)
    (out / "decision.json").write_text(decide.dumps(body), encoding="utf-8")
    (out / "experiment.html").write_text(render(exp, results, body), encoding="utf-8")
    return body


def summary_lines(body: dict[str, Any]) -> list[str]:
    """What a strategist reads in the terminal: per metric, the win shares and, for each arm that
    wins somewhere, its strongest rule (all rules are in decision.json and the report)."""
    lines = []
    for metric, d in body["metrics"].items():
        shares = ", ".join(f"{a} {s:.0%}" for a, s in sorted(d["win_share"].items(), key=lambda kv: -kv[1]))
        lines.append(f"{metric}: wins {shares}")
        shown: set[str] = set()
        for rule in d["rules"]:  # strongest first
            if rule["arm"] not in shown:
                shown.add(rule["arm"])
                lines.append(f"  {rule['sentence']}")
    return lines
