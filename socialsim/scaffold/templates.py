"""The company templates `socialsim init` starts from, and the answers that turn one into a scenario.

Three templates are the shipped scenarios themselves (so a new company starts from the same figures
the comparisons and the calibration use); retail and airline are templates of their own under
`config/templates/`, whose segment figures are assumptions, as their header says.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..configload import CONFIG_DIR, SCENARIO_DIR, read_yaml

TEMPLATE_DIR = CONFIG_DIR / "templates"

TEMPLATES: dict[str, Path] = {
    "credit-card": SCENARIO_DIR / "credit-card-issuer.yaml",
    "restaurant": SCENARIO_DIR / "restaurant-chain.yaml",
    "telecom": SCENARIO_DIR / "telecom-carrier.yaml",
    "retail": TEMPLATE_DIR / "retail.yaml",
    "airline": TEMPLATE_DIR / "airline.yaml",
}


@dataclass(frozen=True)
class Answers:
    """What the strategist chose: everything else comes from the template."""

    template: str
    company: str
    customers: int
    currency: str
    days: int
    arms: tuple[str, ...]


def load_template(name: str) -> dict[str, Any]:
    """A template as the raw mapping of its YAML file."""
    return read_yaml(TEMPLATES[name])


def arm_names(template: dict[str, Any]) -> list[str]:
    return [str(arm["name"]) for arm in template["arms"]]


def slug(text: str) -> str:
    """A scenario name from a company name: lower case, digits and '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "my-company"


def defaults(name: str) -> Answers:
    """The answers `--yes` takes when no flag says otherwise: the template's own."""
    world = load_template(name)["world"]
    return Answers(
        template=name,
        company=str(world["company"]),
        customers=int(world["population"]["customers"]),
        currency=str(world.get("currency", "USD")),
        days=int(world["horizon"]["days"]),
        arms=tuple(arm_names(load_template(name))),
    )


def apply(answers: Answers) -> dict[str, Any]:
    """The template with the answers filled in: a scenario mapping ready to write."""
    data = copy.deepcopy(load_template(answers.template))
    data["name"] = slug(answers.company)
    world = data["world"]
    world["company"] = answers.company
    world["currency"] = answers.currency
    world["population"]["customers"] = answers.customers
    world["horizon"]["days"] = answers.days
    data["arms"] = [arm for arm in data["arms"] if arm["name"] in answers.arms]
    return data
