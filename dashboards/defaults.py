"""Shared defaults of every socialsim dashboard: datasource, refresh, legends, panel sizes.

A panel that compares arms has one query whose legend is the arm, so every arm is one line in
the same colour on every panel (Grafana assigns colours by series name).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import common, dashboard, prometheus, timeseries
from grafana_foundation_sdk.models.common import LegendDisplayMode, LegendPlacement
from grafana_foundation_sdk.models.dashboard import DataSourceRef

DATASOURCE_UID = "socialsim-prometheus"
DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
PER_ARM = "{{arm}}"
WIDTH, HEIGHT = 12, 8  # half the grid's 24 columns, 8 rows


def new_dashboard(title: str, uid: str, description: str) -> dashboard.Dashboard:
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["socialsim", "generated"])
        .refresh("5s")
        .time("now-15m", "now")
        .timezone("browser")
        .editable()
    )


def query(expr: str, legend: str = PER_ARM, ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).range().datasource(DATASOURCE)


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


def compare(title: str, description: str, unit: str, expr: str) -> timeseries.Panel:
    """One line per arm."""
    return panel(title, description, unit, query(expr))
