"""init and scenarios: start a new company's scenario from a template, and list what ships."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.prompt import IntPrompt, Prompt
from rich.table import Table

from ..configerrors import ConfigError
from ..configload import SCENARIO_DIR, load_scenario
from ..explore.experiment import EXPERIMENT_DIR, load_experiment
from ..scaffold.ranges import out_of_range
from ..scaffold.templates import TEMPLATES, Answers, apply, defaults, slug
from ..scaffold.writer import render
from .console import err_console, fail, out_console

TemplateOpt = Annotated[
    str | None,
    typer.Option(help=f"company template: {', '.join(TEMPLATES)}", show_default=False),
]


DEFAULT_TEMPLATE = "credit-card"


def _arm_list(text: str) -> tuple[str, ...]:
    return tuple(arm.strip() for arm in text.split(",") if arm.strip())


def _ask(answers: Answers) -> Answers:
    """The questions, each defaulting to the flag's or the template's value."""
    company = Prompt.ask("Company name", default=answers.company, console=err_console)
    customers = IntPrompt.ask("Simulated customers", default=answers.customers, console=err_console)
    currency = Prompt.ask("Currency of every money figure", default=answers.currency, console=err_console)
    days = IntPrompt.ask("Horizon (simulated days)", default=answers.days, console=err_console)
    arms = Prompt.ask(
        "Arms to compare (comma-separated)", default=",".join(answers.arms), console=err_console
    )
    return Answers(answers.template, company, customers, currency, days, _arm_list(arms))


def _check(answers: Answers, offered: tuple[str, ...]) -> None:
    unknown = [arm for arm in answers.arms if arm not in offered]
    if unknown or not answers.arms:
        fail(
            ConfigError(
                [f"--arms: unknown or no arm(s) {unknown}; the template's arms: {', '.join(offered)}"]
            )
        )
    if not answers.company.strip():
        fail(ConfigError(["--company: must not be empty"]))


def init(
    template: TemplateOpt = None,
    company: Annotated[str | None, typer.Option(help="company name [default: the template's]")] = None,
    customers: Annotated[
        int | None, typer.Option(help="simulated customers [default: the template's]")
    ] = None,
    currency: Annotated[
        str | None, typer.Option(help="currency code, e.g. EUR [default: the template's]")
    ] = None,
    days: Annotated[int | None, typer.Option(help="simulated days [default: the template's]")] = None,
    arms: Annotated[
        str | None,
        typer.Option(
            metavar="ARM,ARM", help="arms to compare, comma-separated [default: all the template's]"
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="file to write [default: <company>.yaml here]")] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="ask nothing: take flags and template values")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="overwrite --out if it exists")] = False,
) -> None:
    """Write a new company's scenario from a template: every number commented with its unit,
    a plausible range and its source.

    Asks for company name, template, customers, currency, horizon and arms; --yes asks nothing.

    Examples:

      socialsim init
      socialsim init --template airline --customers 2000 --currency EUR --out airline.yaml --yes
      socialsim validate airline.yaml
      socialsim compare airline.yaml --customers 300 --days 7 --replications 2"""
    if template is None and yes:
        template = DEFAULT_TEMPLATE
    elif template is None:
        template = Prompt.ask(
            "Template", choices=list(TEMPLATES), default=DEFAULT_TEMPLATE, console=err_console
        )
    if template not in TEMPLATES:
        fail(ConfigError([f"--template: unknown template {template!r}; allowed: {', '.join(TEMPLATES)}"]))
    base = defaults(template)
    answers = Answers(
        template=template,
        company=company if company is not None else base.company,
        customers=customers if customers is not None else base.customers,
        currency=currency if currency is not None else base.currency,
        days=days if days is not None else base.days,
        arms=_arm_list(arms) if arms is not None else base.arms,
    )
    if not yes:
        answers = _ask(answers)
    _check(answers, base.arms)
    data = apply(answers)
    problems = out_of_range(data)
    if problems:
        fail(ConfigError([f"init: {line}" for line in problems]))
    path = out if out is not None else Path(f"{slug(answers.company)}.yaml")
    if path.exists() and not force:
        fail(ConfigError([f"{path}: exists; choose another --out or add --force to overwrite it"]))
    try:
        path.write_text(render(data, template, str(path)), encoding="utf-8")
        load_scenario(path)
    except OSError as exc:
        fail(ConfigError([f"{path}: cannot write: {exc.strerror or exc}"]))
    except ConfigError as exc:
        fail(exc)
    out_console.print(f"wrote {path}", highlight=False)
    out_console.print(
        f"next: socialsim compare {path} --customers 300 --days 7 --replications 2", highlight=False
    )


def _leaf(dotted: str) -> str:
    """The last two parts of a dotted path: what a parameter is, without the whole route to it."""
    return ".".join(dotted.split(".")[-2:])


def scenarios() -> None:
    """List the shipped scenarios (name, company, description, arms, customers x days) and experiments.

    Examples:

      socialsim scenarios
      socialsim compare restaurant-chain
      socialsim init --template restaurant"""
    table = Table(title="scenarios (config/scenarios)", show_lines=True)
    table.add_column("name", no_wrap=True)
    for column in ("company", "description", "arms", "customers x days"):
        table.add_column(column)
    for file in sorted(SCENARIO_DIR.glob("*.yaml")):
        try:
            sc = load_scenario(file)
        except ConfigError as exc:
            err_console.print(exc.lines[0], markup=False, highlight=False)
            continue
        size = f"{sc.world.population.customers:,} x {sc.world.horizon.days}"
        table.add_row(file.stem, sc.world.company, sc.description, ", ".join(sc.arms), size)
    out_console.print(table)
    files = sorted(EXPERIMENT_DIR.glob("*.yaml")) if EXPERIMENT_DIR.is_dir() else []
    if not files:
        return
    experiments = Table(title="experiments (config/experiments)", show_lines=True)
    experiments.add_column("name", no_wrap=True)
    for column in ("scenario", "uncertain", "levers", "design"):
        experiments.add_column(column)
    for file in files:
        try:
            exp = load_experiment(file)
        except ConfigError as exc:
            err_console.print(exc.lines[0], markup=False, highlight=False)
            continue
        spec = exp.spec
        experiments.add_row(
            file.stem,
            spec.scenario,
            ", ".join(_leaf(path) for path in spec.uncertain),
            ", ".join(_leaf(path) for path in spec.levers),
            f"{spec.design.method}, {spec.design.points} points",
        )
    out_console.print(experiments)
