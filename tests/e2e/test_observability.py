"""Metrics, rules and dashboards, proved against a real Prometheus holding a real run.

Grafana cannot run here, so each committed dashboard is checked panel by panel, as Grafana would
send it: its template variables resolved by their own `label_values` queries against Prometheus
and substituted into every query, which must then return data for every arm. Twice: from a
Prometheus (Debian's package, installed by .ci/run) that scraped a live run over Kafka — the
simulator and one strategy service per arm, on the embedded broker — and from one serving a
finished run backfilled with `socialsim prometheus backfill`, queried at the run's timestamps.
docs/architecture.md, Invariants: Measurement never changes behaviour.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime

import pyarrow.parquet as pq
import pytest
import yaml

from dashboards.render import DASHBOARDS, JSON_DIR, RULES
from socialsim.kafka.broker import EmbeddedBroker, free_port
from socialsim.telemetry.backfill import NOT_RECORDED, WALL_SECONDS_PER_SIM_MINUTE
from socialsim.telemetry.names import FASTSTREAM_PREFIX
from tests.conftest import ROOT, tool
from tests.processes import alive, children

ARMS = ["marketing-led", "comms-led", "support-led", "captain-and-crew"]


def _get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _query(prometheus: str, expr: str, at: float | None = None) -> list[dict]:
    params = {"query": expr, **({"time": f"{at:.3f}"} if at is not None else {})}
    body = json.loads(_get(f"{prometheus}/api/v1/query?" + urllib.parse.urlencode(params)))
    assert body["status"] == "success", (expr, body)
    return body["data"]["result"]


def _boards() -> dict[str, dict]:
    return {name: json.loads((ROOT / JSON_DIR / f"{name}.json").read_text()) for name in DASHBOARDS}


def _substitute(text: str, values: dict[str, str]) -> str:
    """A query as Grafana sends it: every $variable replaced (a variable no dashboard defines fails)."""
    return re.sub(r"\$(\w+)", lambda v: values[v.group(1)], text)


class NoValues(Exception):
    pass


def _variables(prometheus: str, board: dict) -> dict[str, str]:
    """The dashboard's variables resolved in order, as Grafana does: each `label_values(selector,
    label)` asks Prometheus, earlier choices substituted; the first option is chosen, `All` where
    the variable offers it."""
    values: dict[str, str] = {}
    for var in board["templating"]["list"]:
        selector, label = re.fullmatch(r"label_values\((.*), (\w+)\)", var["query"]).groups()
        params = urllib.parse.urlencode({"match[]": _substitute(selector, values)})
        options = json.loads(_get(f"{prometheus}/api/v1/label/{label}/values?{params}"))["data"]
        if not options:
            raise NoValues(f"variable {var['name']}: no values for {var['query']}")
        values[var["name"]] = var["allValue"] if var.get("includeAll") else sorted(options)[0]
    return values


def _panels() -> list[tuple[str, str, str, str]]:
    """(dashboard, panel title, expr, legend) of every query of every committed dashboard."""
    out = []
    for name, board in _boards().items():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                out.append((name, panel["title"], target["expr"], target.get("legendFormat", "")))
    return out


def _missing(prometheus: str, at: float | None = None, skip: tuple[str, ...] = ()) -> list[str]:
    """Every panel query that returns nothing yet, or misses an arm it should compare, with the
    dashboard's variables substituted; panels reading a metric in `skip` are left out."""
    problems = []
    try:
        variables = {name: _variables(prometheus, board) for name, board in _boards().items()}
    except NoValues as exc:
        return [str(exc)]
    for board, title, query, legend in _panels():
        if any(name in query for name in skip):
            continue
        expr = _substitute(query, variables[board])
        result = _query(prometheus, expr, at)
        label = "arm" if "{{arm}}" in legend else "app_name" if "{{app_name}}" in legend else None
        seen = {r["metric"].get(label) for r in result} if label else set()
        if not result:
            problems.append(f"{board} / {title}: no data for {expr}")
        elif label and not set(ARMS) <= seen:
            problems.append(f"{board} / {title}: series for {sorted(seen)}, not every arm, from {expr}")
    return problems


@pytest.fixture(scope="module")
def live_run(tmp_path_factory):
    """A live Kafka run serving metrics, and a Prometheus scraping it every second."""
    prometheus_bin = tool("prometheus")
    tmp = tmp_path_factory.mktemp("live")
    broker = EmbeddedBroker.start()
    port, prom_port = free_port(), free_port()
    out = tmp / "run"
    cmd = [
        sys.executable,
        "-m",
        "socialsim.cli",
        "live",
        "credit-card-issuer",
        "--transport",
        "kafka",
        "--bootstrap",
        broker.bootstrap,
        "--metrics-port",
        str(port),
        "--pace",
        "1d=4s",
        "--days",
        "30",
        "--customers",
        "400",
        "--replications",
        "2",
        "--out",
        str(out),
    ]
    run = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ROOT / RULES)],
        "scrape_configs": [
            {
                "job_name": "socialsim",
                "file_sd_configs": [
                    {"files": [str(out / "prometheus-targets.json")], "refresh_interval": "1s"}
                ],
            }
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    prom = subprocess.Popen(
        [
            prometheus_bin,
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield {
            "run": run,
            "metrics": f"http://127.0.0.1:{port}/metrics",
            "prometheus": f"http://127.0.0.1:{prom_port}",
            "targets": out / "prometheus-targets.json",
        }
    finally:
        for proc in (run, prom):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        broker.stop()


def _wait_for_panels(prometheus: str, run: subprocess.Popen, timeout_s: float = 90.0) -> list[str]:
    deadline = time.monotonic() + timeout_s
    problems = ["not queried yet"]
    while time.monotonic() < deadline and run.poll() is None:
        try:
            problems = _missing(prometheus)
        except OSError as exc:  # Prometheus still starting
            problems = [f"Prometheus not answering: {exc}"]
        if not problems:
            return []
        time.sleep(2)
    return problems


def test_every_panel_has_data_for_every_arm_then_ctrl_c_stops_cleanly(live_run):
    problems = _wait_for_panels(live_run["prometheus"], live_run["run"])
    assert problems == [], "\n".join(problems)

    # the text Prometheus scraped passes promtool's lint, for the simulator and every service
    promtool = tool("promtool")
    targets = json.loads(live_run["targets"].read_text())
    assert len(targets) == 1 + len(ARMS)
    for group in targets:
        text = _get(f"http://{group['targets'][0]}/metrics")
        assert b"socialsim_" in text
        lint = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True)
        assert lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(), (
            group,
            lint.stdout,
            lint.stderr,
        )

    # Ctrl-C: the run stops, says so, and stops the services it started
    run = live_run["run"]
    started = children(run.pid)
    assert len(started) == len(ARMS), "the live run should have started one service per arm"
    run.send_signal(signal.SIGINT)
    assert run.wait(timeout=20) == 130
    assert b"interrupted" in run.stdout.read()
    time.sleep(0.2)
    assert [c for c in started if alive(c)] == []


def test_every_panel_has_data_for_every_arm_of_a_backfilled_run(backfilled):
    """A finished run, backfilled: every panel whose metrics a run's outputs record shows every arm
    at the run's last timestamp (the rest are named in `NOT_RECORDED`, and FastStream's are live only)."""
    run, prometheus = backfilled["run"], backfilled["prometheus"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert set(json.loads((run / "summary.json").read_text())["arms"]) == set(ARMS)
    last_minute = float(max(r["minute"] for r in _series_rows(run)))
    start = datetime.fromisoformat(manifest["created_utc"]).timestamp()
    end = start + last_minute * WALL_SECONDS_PER_SIM_MINUTE
    variables = _variables(prometheus, _boards()["strategy-comparison"])
    assert variables["run"] == manifest["run_id"] and variables["scenario"] == manifest["scenario"]
    problems = _missing(prometheus, at=end, skip=(*NOT_RECORDED, FASTSTREAM_PREFIX))
    assert problems == [], "\n".join(problems)


def _series_rows(run) -> list[dict]:
    return pq.read_table(run / "series.parquet", columns=["minute"]).to_pylist()
