"""Shared defaults of every socialsim dashboard: variables, filters, arm colours, panel kinds, sizes.

Every dashboard selects one run with `$scenario` and `$run`, the arms to show with `$arm`, and
the reference arm of the difference panels with `$reference` (all `label_values` of the run's
clock, which every run, live or backfilled, exposes). Every query is filtered by them, so a
Prometheus holding many runs shows one at a time. A panel that compares arms has one query whose
legend is the arm, and each arm has the colour the report gives it (`socialsim.palette`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar

from grafana_foundation_sdk.builders import common, dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    LegendDisplayMode,
    LegendPlacement,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    DynamicConfigValue,
    VariableModel,
    VariableRefresh,
    VariableSort,
)

from socialsim.configload import SCENARIO_DIR, load_scenario
from socialsim.palette import ARM_COLOURS
from socialsim.scaffold.templates import TEMPLATES
from socialsim.telemetry import catalogue as c

from .rules import Expr, Matchers

DATASOURCE_UID = "socialsim-prometheus"
DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
PER_ARM = "{{arm}}"
WIDTH, HEIGHT = 12, 8  # half the grid's 24 columns, 8 rows
STAT_WIDTH, STAT_HEIGHT = 6, 5  # four final-value panels to a row
# Default window: a backfilled run lands a simulated day per wall minute from its start, so 7 h
# holds a whole year-long run (about 6.1 h), and a compose live run (30 min) many times over.
WINDOW = "now-7h"
# The clock every run exposes, live or backfilled: the variables list what it carries.
CLOCK = c.SIM_TIME.name
# Grafana does not expand variables in a unit (grafana/grafana#32902), so a dashboard with money
# panels is generated once per currency (`render.boards`): the default scenario's currency keeps the
# plain file name and uid (docker-compose's home dashboard), every other one gets its code appended.
DEFAULT_SCENARIO = SCENARIO_DIR / "credit-card-issuer.yaml"
# A currency as a dashboard carries it in its file name and uid: an ISO 4217 code.
CURRENCY_CODE = re.compile(r"[A-Z]{3}")
# Tag of every dashboard with money panels: each links to the others, one per currency.
MONEY_TAG = "socialsim-money"


class CurrencyError(ValueError):
    """A currency a dashboard cannot be made for; the message is one line naming where it came from."""


def currency_code(currency: str, where: str) -> str:
    """`currency` if it is an ISO 4217 code, else CurrencyError naming `where` it came from."""
    if not CURRENCY_CODE.fullmatch(currency):
        raise CurrencyError(
            f"{where}: currency {currency[:40]!r} is not a three-letter ISO 4217 code such as USD or EUR"
        )
    return currency


def scenario_currency(path: Path) -> str:
    """The currency a scenario's money is in (`world.currency`), checked as an ISO 4217 code."""
    return currency_code(load_scenario(path, []).world.currency, f"{path}: world.currency")


def shipped_currencies() -> list[str]:
    """The currencies of the shipped scenarios and `init` templates, the default scenario's first:
    the money dashboards `python -m dashboards` writes and docker-compose provisions."""
    found = [scenario_currency(DEFAULT_SCENARIO), *(scenario_currency(p) for p in TEMPLATES.values())]
    return list(dict.fromkeys(found))


def money(currency: str) -> str:
    """Grafana's unit for amounts in `currency` (a custom unit: the code before an SI-scaled number)."""
    return f"currency:{currency}"


RUN: Matchers = ('scenario="$scenario"', 'run="$run"')
ARMS: Matchers = (*RUN, 'arm=~"$arm"')
REFERENCE: Matchers = (*RUN, 'arm="$reference"')
# The strategy services' own series carry the run but no scenario: one service serves any scenario
# that names its strategy, and the run id alone tells runs apart.
SERVICE_ARMS: Matchers = ('run="$run"', 'arm=~"$arm"')


def _variable(name: str, label: str, query: str) -> dashboard.QueryVariable:
    return (
        dashboard.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )


def variables() -> list[Builder[VariableModel]]:
    """$scenario, then $run (newest first: run ids start with the scenario, then the UTC time),
    $arm (any number) and $reference (one arm, the baseline of the difference panels)."""
    return [
        _variable("scenario", "Scenario", f"label_values({CLOCK}, scenario)"),
        _variable("run", "Run", f'label_values({CLOCK}{{scenario="$scenario"}}, run)').sort(
            VariableSort.ALPHABETICAL_DESC
        ),
        _variable("arm", "Arms", f"label_values({CLOCK}{{{', '.join(RUN)}}}, arm)")
        .multi(True)
        .include_all(True)
        .all_value(".*"),
        _variable("reference", "Reference arm", f"label_values({CLOCK}{{{', '.join(RUN)}}}, arm)"),
    ]


def new_dashboard(title: str, uid: str, description: str, tags: tuple[str, ...] = ()) -> dashboard.Dashboard:
    board = (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["socialsim", "generated", *tags])
        .refresh("5s")
        .time(WINDOW, "now")
        .timezone("browser")
        .editable()
    )
    for v in variables():
        board = board.with_variable(v)
    return board


def other_currencies() -> dashboard.DashboardLink:
    """A drop-down of the same dashboard in every other currency (every dashboard tagged `MONEY_TAG`),
    keeping the chosen run, arms and time window."""
    return (
        dashboard.DashboardLink("Other currencies")
        .type(DashboardLinkType.DASHBOARDS)
        .tags([MONEY_TAG])
        .as_dropdown(True)
        .include_vars(True)
        .keep_time(True)
    )


def query(expr: str, legend: str = PER_ARM, ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).range().datasource(DATASOURCE)


P = TypeVar("P", timeseries.Panel, stat.Panel)


def _coloured(p: P) -> P:
    """Each arm's series in the report's colour for that arm (by series name: the legend is the arm)."""
    for arm, colour in ARM_COLOURS.items():
        p = p.override_by_name(arm, [DynamicConfigValue("color", {"mode": "fixed", "fixedColor": colour})])
    return p


def panel(title: str, description: str, unit: str, *queries: prometheus.Dataquery) -> timeseries.Panel:
    p = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .datasource(DATASOURCE)
        .height(HEIGHT)
        .span(WIDTH)
        .line_width(2)
        .fill_opacity(0)
        .legend(
            common.VizLegendOptions()
            .display_mode(LegendDisplayMode.TABLE)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["lastNotNull"])
        )
    )
    for q in queries:
        p = p.with_target(q)
    return p


def compare(
    title: str, description: str, unit: str, expr: Expr, matchers: Matchers = ARMS
) -> timeseries.Panel:
    """One line per arm of the selected run, in the arm's colour."""
    return _coloured(panel(title, description, unit, query(expr(matchers))))


def difference(title: str, description: str, unit: str, expr: Expr) -> timeseries.Panel:
    """Each arm minus the reference arm, over time (the reference arm is the zero line)."""
    vs = f"({expr(ARMS)}) - on() group_left() sum({expr(REFERENCE)})"
    return _coloured(panel(f"{title} minus $reference", description, unit, query(vs)))


def final(title: str, description: str, unit: str, expr: Expr) -> stat.Panel:
    """The last value of each arm in the window: where the run ended, or has got to."""
    p = (
        stat.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .datasource(DATASOURCE)
        .height(STAT_HEIGHT)
        .span(STAT_WIDTH)
        .color_mode(BigValueColorMode.BACKGROUND)
        .graph_mode(BigValueGraphMode.NONE)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .with_target(query(expr(ARMS)))
    )
    return _coloured(p)
